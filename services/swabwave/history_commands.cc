// `swabwave history CODE` and `swabwave missed --community C --last N`:
// history across rounds (ProgressService.GetResidentHistory, ListMissed),
// as tables, CSV, and a printable page per building for its captain.
#include <filesystem>
#include <iostream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "services/api/proto_convert.h"
#include "services/swabwave/command_support.h"
#include "services/swabwave/commands.h"
#include "services/swabwave/table.h"
#include "swabwave/v1/progress.grpc.pb.h"

namespace swabwave::services::cli {

namespace {

std::string Lower(const std::string& enum_name, size_t prefix) {
  return absl::AsciiStrToLower(absl::StrReplaceAll(enum_name.substr(prefix), {{"_", " "}}));
}

std::string VisitText(int visits, v1::VisitOutcome last) {
  if (visits == 0) return "";
  return absl::StrCat(visits, "x, ", Lower(v1::VisitOutcome_Name(last), 14));
}

std::string Html(absl::string_view text) {
  return absl::StrReplaceAll(text, {{"&", "&amp;"}, {"<", "&lt;"}, {">", "&gt;"}, {"\"", "&quot;"}});
}

// One page per building, to print for its captain: who to knock on.
std::string CaptainPage(const std::string& community, int last, const v1::MissedBuilding& b) {
  std::string page = absl::StrCat(
      "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>", Html(b.label()),
      "</title>\n<style>body{font-family:sans-serif}table{border-collapse:collapse}"
      "td,th{border:1px solid #888;padding:4px 8px}</style></head><body>\n<h1>",
      Html(b.label()), "</h1>\n<p>", b.residents_size(), " residents of ", Html(community),
      " missed the last ", last,
      " rounds they were due in. Please ask them to come to the next round.</p>\n"
      "<table><tr><th>unit</th><th>household</th><th>code</th><th>visits</th></tr>\n");
  for (const v1::MissedResident& r : b.residents()) {
    absl::StrAppend(&page, "<tr><td>", Html(r.unit_id()), "</td><td>", Html(r.household_id()),
                    "</td><td>", Html(r.code()), "</td><td>",
                    Html(VisitText(r.visits(), r.last_visit())), "</td></tr>\n");
  }
  return page + "</table></body></html>\n";
}

}  // namespace

int History(const Options& options, const std::string& code) {
  Client client(options.client);
  v1::GetResidentHistoryRequest request;
  request.set_resident_code(code);
  v1::GetResidentHistoryResponse response;
  const grpc::Status status = Client::Call([&](grpc::ClientContext& context) {
    return client.progress().GetResidentHistory(&context, request, &response);
  });
  if (!status.ok()) return Fail(status, "history");
  if (PrintForScripts(options.output, response, "rounds")) return 0;
  Table table({{"round"}, {"starts"}, {"outcome"}, {"where"}, {"when"}, {"tube"}, {"visits"}});
  for (const v1::ResidentRound& r : response.rounds()) {
    // Each round's times in its own zone (a resident's rounds share one).
    v1::Round about;
    const absl::TimeZone zone =
        FetchRound(client, r.round(), &about).ok() ? RoundZone(about) : absl::UTCTimeZone();
    table.AddRow({r.round(), LocalClock(FromProto(r.round_start()), zone),
                  Lower(v1::RoundOutcome_Name(r.outcome()), 14), r.desk(),
                  r.has_scan_time() ? LocalClock(FromProto(r.scan_time()), zone) : "",
                  r.tube_barcode(), VisitText(r.visits(), r.last_visit())});
  }
  table.Print(stdout);
  return 0;
}

int Missed(const Options& options) {
  if (options.community.empty() || options.last < 1) {
    std::cerr << "swabwave missed: needs --community C and --last N (N >= 1)\n";
    return 2;
  }
  Client client(options.client);
  v1::ListMissedRequest request;
  request.set_community_id(options.community);
  request.set_last(options.last);
  v1::ListMissedResponse response;
  const grpc::Status status = Client::Call(
      [&](grpc::ClientContext& context) {
        return client.progress().ListMissed(&context, request, &response);
      },
      absl::Minutes(5));
  if (!status.ok()) return Fail(status, "missed");
  const bool for_people = options.output == OutputFormat::kTable;
  if (for_people) {
    absl::PrintF("%d residents of %s in %d buildings missed the last %d rounds they were due in "
               "(%d closed rounds)\n",
               response.residents(), options.community, response.buildings_size(), options.last,
               response.rounds_considered());
  }
  if (!options.csv.empty()) {
    std::ostringstream csv;
    csv << "building_id,unit_id,household_id,code,rounds_missed,visits,last_visit\n";
    for (const v1::MissedBuilding& b : response.buildings()) {
      for (const v1::MissedResident& r : b.residents()) {
        csv << b.building_id() << ',' << r.unit_id() << ',' << r.household_id() << ','
            << r.code() << ',' << absl::StrJoin(r.rounds(), "|") << ',' << r.visits() << ','
            << (r.visits() > 0 ? Lower(v1::VisitOutcome_Name(r.last_visit()), 14) : "") << '\n';
      }
    }
    if (WriteExport("missed", options.csv, csv.str()) != 0) return 1;
    if (for_people) {
      absl::PrintF("wrote %d residents to %s\n", response.residents(), options.csv);
    }
  }
  if (!options.pages.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(options.pages, ec);
    for (const v1::MissedBuilding& b : response.buildings()) {
      const std::string path = (std::filesystem::path(options.pages) /
                                absl::StrCat(options.community, "-", b.building_id(), ".html"))
                                   .string();
      if (WriteExport("missed", path, CaptainPage(options.community, options.last, b)) != 0) {
        return 1;
      }
    }
    if (for_people) {
      absl::PrintF("wrote %d building pages to %s\n", response.buildings_size(), options.pages);
    }
  }
  if (PrintForScripts(options.output, response, "buildings")) return 0;
  if (options.csv.empty() && options.pages.empty()) {
    Table table({{"building"}, {"missed", Table::kRight}, {"label"}});
    for (const v1::MissedBuilding& b : response.buildings()) {
      table.AddRow({b.building_id(), absl::StrCat(b.residents_size()), b.label()});
    }
    table.Print(stdout);
  }
  return 0;
}

}  // namespace swabwave::services::cli
