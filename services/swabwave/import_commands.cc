// swabwave import: a community's roster, new or changed. A new community is
// imported; a known one is previewed against its latest version on the
// server and its changes printed (with each row's line in the file), and
// --apply stores them as the next version (issue 18). And swabwave walk-in:
// someone on no roster, registered and sampled at a desk.
#include <filesystem>
#include <memory>
#include <iostream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "engine/io/community_csv.h"
#include "engine/io/community_xlsx.h"
#include "services/api/proto_convert.h"
#include "services/swabwave/command_support.h"
#include "services/swabwave/commands.h"
#include "services/swabwave/table.h"

namespace swabwave::services::cli {

namespace {

grpc::Status SendImport(Client& client, const engine::Community& community, v1::ImportMode mode,
                        int base_version, v1::ImportCommunityResponse* response) {
  std::vector<v1::ImportCommunityRequest> chunks =
      CommunityToChunks(community, Client::NewRequestId("import"));
  chunks[0].set_mode(mode);
  chunks[0].set_base_version(base_version);
  return Client::Call([&](grpc::ClientContext& context) {
    response->Clear();
    auto writer = client.planning().ImportCommunity(&context, response);
    for (const v1::ImportCommunityRequest& chunk : chunks) {
      if (!writer->Write(chunk)) break;
    }
    writer->WritesDone();
    return writer->Finish();
  });
}

std::string FlagsText(bool mobility_limited, v1::ExemptionReason exemption) {
  std::vector<std::string> flags;
  if (mobility_limited) flags.push_back("mobility_limited");
  switch (exemption) {
    case v1::EXEMPTION_REASON_INFANT: flags.push_back("exempt:infant"); break;
    case v1::EXEMPTION_REASON_MEDICAL: flags.push_back("exempt:medical"); break;
    case v1::EXEMPTION_REASON_AWAY: flags.push_back("exempt:away"); break;
    case v1::EXEMPTION_REASON_OTHER: flags.push_back("exempt:other"); break;
    default: break;
  }
  return flags.empty() ? "-" : absl::StrJoin(flags, "|");
}

// The changes, counted and then row by row: where in the file (the base
// version's row for a removed resident), what changed, from what to what.
void PrintDiff(const v1::ImportCommunityResponse& answer, const engine::RosterRows& rows) {
  const v1::RosterDiff& diff = answer.diff();
  absl::PrintF(
      "%s against version %d on the server: %d added, %d removed, %d moved, %d with flags "
      "changed, %d unchanged\n",
      answer.community(), diff.base_version(), diff.added(), diff.removed(), diff.moved(),
      diff.flags_changed(), diff.unchanged());
  if (diff.changes_size() > 0) {
    Table table({{"where"}, {"change"}, {"code"}, {"household"}, {"flags"}});
    for (const v1::ResidentChange& c : diff.changes()) {
      std::string change;
      if (c.added()) change = "added";
      if (c.removed()) change = "removed";
      if (c.moved()) change = "moved";
      if (c.flags_changed()) change = c.moved() ? "moved, flags" : "flags";
      const std::string where =
          c.removed() ? absl::StrCat("version ", diff.base_version(), " row ", c.base_row())
                      : rows.Where(static_cast<engine::ResidentId>(c.row() - 1));
      const std::string household =
          c.moved() ? absl::StrCat(c.base_household_id(), " -> ", c.household_id())
                    : c.household_id();
      const std::string flags =
          c.flags_changed()
              ? absl::StrCat(FlagsText(c.base_mobility_limited(), c.base_exemption()), " -> ",
                             FlagsText(c.mobility_limited(), c.exemption()))
              : FlagsText(c.removed() ? c.base_mobility_limited() : c.mobility_limited(),
                          c.removed() ? c.base_exemption() : c.exemption());
      table.AddRow({where, change, c.code(), household, flags});
    }
    table.Print(stdout, "  ");
  }
  if (diff.changes_truncated()) {
    absl::PrintF("  (the server lists the first %d changes; the counts above are whole)\n",
                 diff.changes_size());
  }
  for (const v1::TableChange& t : diff.tables()) {
    absl::PrintF("  %s: %d added%s%s, %d removed%s%s\n", t.table(), t.added_size(),
                 t.added_size() > 0 ? " " : "", absl::StrJoin(t.added(), " "), t.removed_size(),
                 t.removed_size() > 0 ? " " : "", absl::StrJoin(t.removed(), " "));
  }
}

void PrintImported(const v1::ImportCommunityResponse& r) {
  absl::PrintF(
      "imported %s version %d: %d residents, %d households, %d units, %d buildings, %d sites "
      "(%d desks), %d staff\n",
      r.community(), r.version(), r.residents(), r.households(), r.units(), r.buildings(),
      r.sites(), r.desks(), r.staff());
}

}  // namespace

int Import(const Options& options, const std::vector<std::string>& roots) {
  if (roots.empty()) {
    std::cerr << "swabwave import: give a directory made by `swabwave generate` or with "
                 "community CSV files, or a roster workbook (.xlsx)\n";
    return 2;
  }
  Client client(options.client);
  const bool for_people = options.output == OutputFormat::kTable;
  // --output json|csv: what the server answered for each community.
  std::vector<std::unique_ptr<v1::ImportCommunityResponse>> answers;
  for (const std::string& root : roots) {
    // A workbook (.xlsx) is one community; a directory holds one or more.
    const bool workbook = absl::EndsWithIgnoreCase(root, ".xlsx");
    absl::StatusOr<std::vector<std::filesystem::path>> dirs =
        workbook ? std::vector<std::filesystem::path>{root} : engine::FindCommunityDirs(root);
    if (!dirs.ok()) return Fail(dirs.status(), "import");
    for (const std::filesystem::path& dir : *dirs) {
      // Parse and validate everything locally first: a bad row stops the
      // import before anything is sent.
      engine::RosterRows rows;
      absl::StatusOr<engine::Community> community =
          workbook ? engine::ReadCommunityXlsx(dir.string(), &rows)
                   : engine::ReadCommunityDir(dir, &rows);
      if (!community.ok()) return Fail(community.status(), absl::StrCat("reading ", dir.string()));
      const std::string what = absl::StrCat("importing ", dir.string());

      // What the server has of it decides: new, unchanged, or changed.
      v1::ImportCommunityResponse preview;
      grpc::Status status =
          SendImport(client, *community, v1::IMPORT_MODE_PREVIEW, 0, &preview);
      if (!status.ok()) return Fail(status, what);
      const int base = preview.diff().base_version();
      v1::ImportCommunityResponse stored;
      if (base == 0) {
        status = SendImport(client, *community, v1::IMPORT_MODE_UNSPECIFIED, 0, &stored);
        if (!status.ok()) return Fail(status, what);
        if (for_people) PrintImported(stored);
        answers.push_back(std::make_unique<v1::ImportCommunityResponse>(std::move(stored)));
        continue;
      }
      const v1::RosterDiff& diff = preview.diff();
      if (!for_people) {
        if (options.apply && !(diff.changes_size() == 0 && diff.tables_size() == 0)) {
          status = SendImport(client, *community, v1::IMPORT_MODE_NEW_VERSION, base, &stored);
          if (!status.ok()) return Fail(status, what);
          answers.push_back(std::make_unique<v1::ImportCommunityResponse>(std::move(stored)));
        } else {
          answers.push_back(std::make_unique<v1::ImportCommunityResponse>(std::move(preview)));
        }
        continue;
      }
      if (diff.changes_size() == 0 && diff.tables_size() == 0) {
        absl::PrintF("%s: no changes against version %d on the server; nothing to import\n",
                     preview.community(), base);
        continue;
      }
      PrintDiff(preview, rows);
      if (!diff.blocked().empty()) {
        absl::PrintF("  the server would refuse it now: %s\n", diff.blocked());
      }
      if (!options.apply) {
        absl::PrintF(
            "nothing changed on the server: run again with --apply to make this version %d\n",
            base + 1);
        continue;
      }
      status = SendImport(client, *community, v1::IMPORT_MODE_NEW_VERSION, base, &stored);
      if (!status.ok()) return Fail(status, what);
      PrintImported(stored);
    }
  }
  std::vector<const google::protobuf::Message*> printed;
  for (const auto& answer : answers) printed.push_back(answer.get());
  PrintListForScripts(options.output, printed);
  return 0;
}

int WalkIn(const Options& options, const std::string& round) {
  v1::RegisterWalkInRequest request;
  request.set_request_id(Client::NewRequestId("walk-in"));
  request.set_round(RoundArg(round));
  request.set_desk(options.desk);
  request.set_community_id(options.community);
  request.set_unit_id(options.unit);
  request.set_household_id(options.household);
  request.set_code(options.code);
  Client client(options.client);
  v1::RegisterWalkInResponse response;
  const grpc::Status status = Client::Call([&](grpc::ClientContext& context) {
    return client.checkin().RegisterWalkIn(&context, request, &response);
  });
  if (!status.ok()) return Fail(status, "walk-in");
  if (PrintForScripts(options.output, response)) return 0;
  // The code goes to the desk's operator, who writes it on the card: it is
  // printed here, never logged.
  absl::PrintF("registered %s in household %s%s; sampled into tube %s, position %d\n",
               response.code(), response.household_id(),
               response.new_household() ? " (new)" : "", response.tube_barcode(),
               response.position());
  return 0;
}

}  // namespace swabwave::services::cli
