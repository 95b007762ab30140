// After the swab, from the command line: `swabwave lab import ROUND FILE`
// (an instrument's results CSV, checked whole before any of it is sent),
// `swabwave boxes ROUND` (every box, its state and age) and `swabwave
// recalls ROUND` (the recall list, or the resample list, as a table or a
// CSV for the building captains).
#include <algorithm>
#include <iostream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "engine/io/csv.h"
#include "engine/io/lab_results_csv.h"
#include "services/api/proto_convert.h"
#include "services/api/tokens.h"
#include "services/swabwave/command_support.h"
#include "services/swabwave/commands.h"
#include "services/swabwave/table.h"
#include "swabwave/v1/lab.grpc.pb.h"

namespace swabwave::services::cli {
namespace {

constexpr int kBatch = 1000;  // LabService's most results per call

std::string EnumWord(const std::string& name, size_t prefix) {
  return absl::AsciiStrToLower(absl::StrReplaceAll(name.substr(prefix), {{"_", " "}}));
}

v1::ResultReport ToReport(const std::string& round, const engine::LabResultRow& row) {
  v1::ResultReport report;
  // The same line of the same file names the same request: importing a
  // file again after a dropped connection changes nothing.
  report.set_request_id(absl::StrCat(
      "lab-", Sha256Hex(absl::StrCat(round, "\n", row.tube_barcode, "\n",
                                     static_cast<int>(row.result), "\n", row.run_id, "\n",
                                     row.correction_reason))
                  .substr(0, 32)));
  report.set_tube_barcode(row.tube_barcode);
  report.set_result(static_cast<v1::TubeResult>(row.result));
  if (row.ct.has_value()) report.set_ct(*row.ct);
  report.set_run_id(row.run_id);
  report.set_correction_reason(row.correction_reason);
  return report;
}

// Sends `rows` in batches; the refused ones' lines and messages go to
// `refused`. Counts what was recorded and what was recorded before.
grpc::Status SendResults(Client& client, const Options& options, const std::string& round,
                         const std::vector<engine::LabResultRow>& rows, bool validate_only,
                         std::vector<std::string>* refused, int* recorded, int* replayed,
                         v1::ReportResultsResponse* answers = nullptr) {
  for (size_t first = 0; first < rows.size(); first += kBatch) {
    v1::ReportResultsRequest request;
    request.set_round(RoundArg(round));
    request.set_lab_id(options.lab);
    request.set_validate_only(validate_only);
    const size_t end = std::min(rows.size(), first + kBatch);
    for (size_t i = first; i < end; ++i) *request.add_results() = ToReport(round, rows[i]);
    v1::ReportResultsResponse response;
    const grpc::Status status = Client::Call([&](grpc::ClientContext& context) {
      return client.lab().ReportResults(&context, request, &response);
    });
    if (!status.ok()) return status;
    if (answers != nullptr) answers->MergeFrom(response);
    for (int i = 0; i < response.outcomes_size(); ++i) {
      const v1::ResultOutcome& outcome = response.outcomes(i);
      const engine::LabResultRow& row = rows[first + static_cast<size_t>(i)];
      if (outcome.has_status()) {
        refused->push_back(absl::StrCat("line ", row.line, ": ", outcome.status().message()));
      } else if (outcome.replayed()) {
        ++*replayed;
      } else {
        ++*recorded;
      }
    }
  }
  return grpc::Status::OK;
}

std::string Age(int64_t seconds) {
  return absl::StrFormat("%d:%02d", seconds / 3600, (seconds % 3600) / 60);
}

}  // namespace

int LabImport(const Options& options, const std::string& round, const std::string& path) {
  absl::StatusOr<std::string> text = engine::ReadFileToString(path);
  if (!text.ok()) return Fail(text.status(), "lab import");
  absl::StatusOr<std::vector<engine::LabResultRow>> rows = engine::ReadLabResultsCsv(path, *text);
  if (!rows.ok()) return Fail(rows.status(), "lab import");
  Client client(options.client);
  // The whole file is checked first: a file with a line the server refuses
  // applies nothing, and every such line is named.
  std::vector<std::string> refused;
  int recorded = 0;
  int replayed = 0;
  grpc::Status status =
      SendResults(client, options, round, *rows, /*validate_only=*/true, &refused, &recorded,
                  &replayed);
  if (!status.ok()) return Fail(status, "lab import");
  if (!refused.empty()) {
    std::cerr << "swabwave lab import: " << refused.size() << " of " << rows->size() << " lines of "
              << path << " refused; nothing was applied:\n  " << absl::StrJoin(refused, "\n  ")
              << "\n";
    return 1;
  }
  recorded = replayed = 0;
  v1::ReportResultsResponse answers;  // every batch's outcomes, in the file's order
  status = SendResults(client, options, round, *rows, /*validate_only=*/false, &refused,
                       &recorded, &replayed, &answers);
  if (!status.ok()) return Fail(status, "lab import");
  if (PrintForScripts(options.output, answers, "outcomes")) return refused.empty() ? 0 : 1;
  std::cout << path << ": " << recorded << " results recorded, " << replayed
            << " recorded before";
  if (!refused.empty()) {
    // Only what changed between the check and the import (another report
    // of the same tube in between).
    std::cout << ", " << refused.size() << " refused:\n  " << absl::StrJoin(refused, "\n  ");
  }
  std::cout << "\n";
  return refused.empty() ? 0 : 1;
}

int Boxes(const Options& options, const std::string& round) {
  Client client(options.client);
  v1::Round about;
  const absl::TimeZone zone =
      FetchRound(client, round, &about).ok() ? RoundZone(about) : absl::UTCTimeZone();
  v1::ListBoxesRequest request;
  request.set_round(RoundArg(round));
  request.set_with_tubes(options.tubes);
  Table table({{"box"},
               {"from"},
               {"tubes", Table::kRight},
               {"state"},
               {"oldest swab"},
               {"age", Table::kRight},
               {""},
               {"lab"},
               {"missing"},
               {"unexpected"}});
  v1::ListBoxesResponse response;
  Pages<v1::ListBoxesResponse> pages;
  do {
    response.Clear();
    const grpc::Status status = Client::Call([&](grpc::ClientContext& context) {
      return client.custody().ListBoxes(&context, request, &response);
    });
    if (!status.ok()) return Fail(status, "boxes");
    pages.Add(response);
    for (const v1::Box& box : response.boxes()) {
      table.AddRow({box.barcode(), box.desk(), absl::StrCat(box.tubes()),
                    EnumWord(v1::BoxState_Name(box.state()), 10),
                    LocalClock(FromProto(box.oldest_swab()), zone), Age(box.age_seconds()),
                    box.age() == v1::BOX_AGE_FRESH ? "" : EnumWord(v1::BoxAge_Name(box.age()), 8),
                    box.lab_id(), absl::StrJoin(box.missing_tubes(), " "),
                    absl::StrJoin(box.unexpected_tubes(), " ")});
      if (options.tubes) {
        table.AddRow({"", absl::StrJoin(box.tube_barcodes(), " "), "", "", "", "", "", "", "",
                      ""});
      }
    }
    request.set_page_token(response.next_page_token());
  } while (!request.page_token().empty());
  if (PrintForScripts(options.output, pages.merged(), "boxes")) return 0;
  table.Print(stdout);
  std::cout << response.total() << " boxes, " << response.warnings() << " at warning age (3 h), "
            << response.breaches() << " past 4 h (resampled, never tested)\n";
  return 0;
}

int Recalls(const Options& options, const std::string& round) {
  Client client(options.client);
  v1::ListRecallsRequest request;
  request.set_round(RoundArg(round));
  request.set_reason(options.resample ? v1::FOLLOW_UP_REASON_RESAMPLE
                                      : v1::FOLLOW_UP_REASON_RECALL);
  Table table({{"tube"},
               {"ct", Table::kRight},
               {"building"},
               {"unit"},
               {"household"},
               {"resident"},
               {"state"},
               {"follow-up tube"}});
  std::string csv = "tube_barcode,ct,community_id,building_id,unit_id,household_id,"
                    "resident_code,state,follow_up_tube\n";
  int tubes = 0;
  int members = 0;
  int retested = 0;
  v1::ListRecallsResponse listed;  // --output json|csv: the tubes (with --cases, cases only)
  do {
    v1::ListRecallsResponse response;
    const grpc::Status status = Client::Call([&](grpc::ClientContext& context) {
      return client.lab().ListRecalls(&context, request, &response);
    });
    if (!status.ok()) return Fail(status, "recalls");
    listed.set_total_tubes(response.total_tubes());
    for (const v1::RecallTube& tube : response.tubes()) {
      ++tubes;
      v1::RecallTube* kept = listed.add_tubes();
      *kept = tube;
      kept->clear_members();
      const std::string ct =
          tube.result().has_ct() ? absl::StrFormat("%.1f", tube.result().ct()) : "";
      for (const v1::RecalledResident& r : tube.members()) {
        if (options.cases && r.state() != v1::LAB_STATE_CASE) continue;
        ++members;
        *kept->add_members() = r;
        retested += !r.follow_up_tube().empty();
        const std::string state = EnumWord(v1::LabState_Name(r.state()), 10);
        table.AddRow({tube.tube_barcode(), ct, r.building_id(), r.unit_id(), r.household_id(),
                      r.resident_code(), state, r.follow_up_tube()});
        const std::vector<absl::string_view> fields = {
            tube.tube_barcode(), ct,        r.community_id(), r.building_id(),     r.unit_id(),
            r.household_id(),    r.resident_code(), state,    r.follow_up_tube()};
        engine::AppendCsvRow(fields, csv);
      }
    }
    request.set_page_token(response.next_page_token());
  } while (!request.page_token().empty());
  if (!options.csv.empty()) {
    if (int failed = WriteExport("recalls", options.csv, csv); failed != 0) return failed;
  }
  if (options.cases) {
    google::protobuf::RepeatedPtrField<v1::RecallTube>& kept = *listed.mutable_tubes();
    kept.erase(std::remove_if(kept.begin(), kept.end(),
                              [](const v1::RecallTube& tube) { return tube.members_size() == 0; }),
               kept.end());
  }
  if (PrintForScripts(options.output, listed, "tubes")) return 0;
  table.Print(stdout);
  if (options.cases) {
    std::cout << members << " cases; swabwave round create --follow_up_of " << round
              << " targets their buildings\n";
    return 0;
  }
  std::cout << tubes << (options.resample ? " tubes to resample, " : " positive tubes, ")
            << members << " residents called back, " << retested
            << " of them gave their follow-up swab\n";
  return 0;
}

namespace {

// One line per box: what a hand-over's answer shows.
void PrintBox(const v1::Box& box, bool replayed) {
  std::cout << box.barcode() << ": " << EnumWord(v1::BoxState_Name(box.state()), 10) << ", "
            << box.tubes() << " tubes, " << Age(box.age_seconds()) << " since its oldest swab";
  if (box.age() != v1::BOX_AGE_FRESH) {
    std::cout << " (" << EnumWord(v1::BoxAge_Name(box.age()), 8) << ")";
  }
  if (box.missing_tubes_size() > 0) {
    std::cout << "; missing: " << absl::StrJoin(box.missing_tubes(), " ");
  }
  if (box.unexpected_tubes_size() > 0) {
    std::cout << "; unexpected: " << absl::StrJoin(box.unexpected_tubes(), " ");
  }
  if (replayed) std::cout << " (recorded before)";
  std::cout << "\n";
}

std::vector<std::string> TubeList(const std::string& list) {
  std::vector<std::string> tubes;
  for (absl::string_view tube : engine::SplitListField(list, ',')) {
    if (!tube.empty()) tubes.emplace_back(tube);
  }
  return tubes;
}

}  // namespace

int Pack(const Options& options, const std::string& round) {
  Client client(options.client);
  v1::PackBoxRequest request;
  request.set_round(RoundArg(round));
  request.set_desk(options.desk);
  request.set_box_barcode(options.box);
  for (const std::string& tube : TubeList(options.tube_barcodes)) request.add_tube_barcodes(tube);
  v1::PackBoxResponse response;
  const grpc::Status status = Client::Call([&](grpc::ClientContext& context) {
    return client.custody().PackBox(&context, request, &response);
  });
  if (!status.ok()) return Fail(status, "pack");
  if (PrintForScripts(options.output, response)) return 0;
  PrintBox(response.box(), response.replayed());
  return 0;
}

int PickUp(const Options& options, const std::string& round) {
  Client client(options.client);
  v1::PickUpBoxRequest request;
  request.set_round(RoundArg(round));
  request.set_box_barcode(options.box);
  v1::PickUpBoxResponse response;
  const grpc::Status status = Client::Call([&](grpc::ClientContext& context) {
    return client.custody().PickUpBox(&context, request, &response);
  });
  if (!status.ok()) return Fail(status, "pickup");
  if (PrintForScripts(options.output, response)) return 0;
  PrintBox(response.box(), response.replayed());
  return 0;
}

int Receive(const Options& options, const std::string& round) {
  Client client(options.client);
  v1::ReceiveBoxRequest request;
  request.set_round(RoundArg(round));
  request.set_box_barcode(options.box);
  request.set_lab_id(options.lab);
  for (const std::string& tube : TubeList(options.tube_barcodes)) request.add_tube_barcodes(tube);
  v1::ReceiveBoxResponse response;
  const grpc::Status status = Client::Call([&](grpc::ClientContext& context) {
    return client.custody().ReceiveBox(&context, request, &response);
  });
  if (!status.ok()) return Fail(status, "receive");
  if (PrintForScripts(options.output, response)) return 0;
  PrintBox(response.box(), response.replayed());
  return 0;
}

int FollowUp(const Options& options, const std::string& round) {
  Client client(options.client);
  v1::TakeFollowUpSwabRequest request;
  request.set_request_id(Client::NewRequestId("follow-up"));
  request.set_round(RoundArg(round));
  request.set_desk(options.desk);
  request.set_resident_code(options.code);
  request.set_tube_barcode(options.tube_barcodes);
  v1::TakeFollowUpSwabResponse response;
  const grpc::Status status = Client::Call([&](grpc::ClientContext& context) {
    return client.checkin().TakeFollowUpSwab(&context, request, &response);
  });
  if (!status.ok()) return Fail(status, "follow-up");
  if (PrintForScripts(options.output, response)) return 0;
  std::cout << EnumWord(v1::FollowUpReason_Name(response.reason()), 17) << " swab in tube "
            << response.tube_barcode() << (response.replayed() ? " (recorded before)" : "")
            << "\n";
  return 0;
}

}  // namespace swabwave::services::cli
