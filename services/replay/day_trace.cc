#include "services/replay/day_trace.h"

#include <algorithm>
#include <map>
#include <set>
#include <sstream>
#include <tuple>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "engine/io/csv.h"
#include "engine/random/xoshiro.h"
#include "services/api/proto_convert.h"
#include "services/api/status.h"
#include "services/replay/round_reader.h"

namespace swabwave::services {

namespace {

constexpr char kHeader[] = "offset_ms,site,desk,resident_code,request_id,scan_offset_ms,group";

// Desks per site and the wave times of a round, from the server.
struct RoundShape {
  absl::Duration wave_length;
  std::map<std::string, int> desks_of_site;
};

absl::StatusOr<RoundShape> ShapeOf(Client& client, const std::string& round) {
  RoundShape shape;
  v1::GetRoundRequest get_round;
  get_round.set_round(round);
  v1::GetRoundResponse got;
  grpc::Status status = Client::Call([&](grpc::ClientContext& context) {
    return client.planning().GetRound(&context, get_round, &got);
  });
  if (!status.ok()) return FromGrpcStatus(status);
  shape.wave_length = FromProto(got.round().wave_length());
  absl::StatusOr<std::map<std::string, int>> desks = DesksOfSites(client, round);
  if (!desks.ok()) return desks.status();
  shape.desks_of_site = *std::move(desks);
  return shape;
}

std::string DeskName(const std::string& site, int n) {
  return absl::StrCat("sites/", site, "/desks/", n);
}

// The engine's seeded generator (engine/random/xoshiro.h): the same seed
// draws the same day with any standard library, which std::mt19937_64 with
// uniform_real_distribution does not promise.
class Draws {
 public:
  explicit Draws(uint64_t seed) : bits_(seed) {}
  double operator()() { return static_cast<double>(bits_.Next() >> 11) * 0x1.0p-53; }  // [0, 1)
  uint64_t Below(uint64_t n) { return bits_.Next() % n; }

 private:
  engine::random::Xoshiro256 bits_;
};

// The misbehaviour on top of an honest day (rows sorted by send time).
void Misbehave(const DayOptions& options, const RoundShape& shape, Draws& unit,
               std::vector<TraceRow>& rows) {
  std::vector<TraceRow> extra;
  int64_t serial = 0;
  for (const TraceRow& row : rows) {
    if (unit() < options.retry) {
      // The answer was lost; the tablet sends the same request again.
      TraceRow retry = row;
      retry.send_at += absl::Seconds(2);
      extra.push_back(std::move(retry));
    }
    if (unit() < options.double_scan) {
      // The person queues again, at another desk of the same site.
      const int desks = std::max(1, shape.desks_of_site.at(row.site_id));
      TraceRow again = row;
      again.desk = DeskName(row.site_id, 1 + static_cast<int>(unit.Below(desks)));
      again.request_id = absl::StrCat("x-", row.site_id, "-", serial++);
      again.send_at += absl::Seconds(30);
      again.scanned_at = again.send_at;
      extra.push_back(std::move(again));
    }
  }
  rows.insert(rows.end(), extra.begin(), extra.end());
  // Desk 1 of every site loses its network for a while in the middle of the
  // day: it keeps scanning and uploads the held scans when it is back.
  absl::Duration last = absl::ZeroDuration();
  for (const TraceRow& row : rows) last = std::max(last, row.send_at);
  const absl::Duration down = last / 2;
  const absl::Duration up = down + options.offline;
  for (TraceRow& row : rows) {
    if (row.desk == DeskName(row.site_id, 1) && row.send_at >= down && row.send_at < up) {
      row.send_at = up;
    }
  }
}

}  // namespace

absl::StatusOr<std::vector<TraceRow>> GenerateDay(Client& client, const std::string& round,
                                                 const DayOptions& options) {
  absl::StatusOr<RoundShape> shape = ShapeOf(client, round);
  if (!shape.ok()) return shape.status();
  Draws unit(options.seed);
  std::vector<TraceRow> rows;
  std::map<std::string, int64_t> serial_of_site;
  // With households together: each household's one arrival (time, desk,
  // group label), by (community, household).
  struct Arrival {
    absl::Duration at;
    std::string desk;
    std::string group;
  };
  std::map<std::pair<std::string, std::string>, Arrival> arrival_of_household;
  const absl::Status listed = ForEachUntested(client, round, [&](const v1::UntestedResident& u) {
    if (u.door_to_door() || unit() < options.no_show) return;
    const auto arrive = [&] {
      // Arrivals spread evenly over the wave; some people come late.
      absl::Duration at = shape->wave_length * (u.wave() + unit());
      if (unit() < options.late) at += options.lateness * unit();
      const int desks = std::max(1, shape->desks_of_site[u.site_id()]);
      return Arrival{at, DeskName(u.site_id(), 1 + static_cast<int>(unit.Below(desks))), ""};
    };
    Arrival arrival;
    if (options.households_together) {
      // A dense label, not the household's id: the trace names no one.
      const auto [it, first] =
          arrival_of_household.try_emplace({u.community_id(), u.household_id()});
      if (first) {
        it->second = arrive();
        it->second.group = absl::StrCat("h", arrival_of_household.size());
      }
      arrival = it->second;
    } else {
      arrival = arrive();
    }
    TraceRow row;
    row.send_at = absl::Milliseconds(absl::ToInt64Milliseconds(arrival.at));
    row.scanned_at = row.send_at;
    row.site_id = u.site_id();
    row.desk = std::move(arrival.desk);
    row.group = std::move(arrival.group);
    row.code = u.code();
    row.request_id = absl::StrCat("g-", u.site_id(), "-", serial_of_site[u.site_id()]++);
    rows.push_back(std::move(row));
  });
  if (!listed.ok()) return listed;
  if (options.misbehave) Misbehave(options, *shape, unit, rows);
  // A household's rows stay one after another even where another's
  // arrival falls on the same millisecond.
  std::stable_sort(rows.begin(), rows.end(), [](const TraceRow& a, const TraceRow& b) {
    return std::tie(a.send_at, a.group) < std::tie(b.send_at, b.group);
  });
  return rows;
}

absl::Status WriteTrace(const std::string& path, const std::vector<TraceRow>& rows) {
  std::ostringstream out;
  out << kHeader << "\n";
  for (const TraceRow& row : rows) {
    out << absl::ToInt64Milliseconds(row.send_at) << ',' << row.site_id << ',' << row.desk << ','
        << row.code << ',' << row.request_id << ',' << absl::ToInt64Milliseconds(row.scanned_at)
        << ',' << row.group << "\n";
  }
  // Owner-only: a trace holds resident codes.
  return engine::WriteFileAtomically(path, out.str());
}

absl::StatusOr<std::vector<TraceRow>> ReadTrace(const std::string& path) {
  absl::StatusOr<std::string> text = engine::ReadFileToString(path);
  if (!text.ok()) return absl::NotFoundError(absl::StrCat("cannot read the trace ", path));
  // The engine's CSV reader: a byte-order mark, CRLF line ends and quoted
  // fields, as spreadsheets write them. The header row may be left out.
  engine::CsvReader reader(path, *text);
  absl::string_view body(*text);
  if (body.substr(0, 3) == "\xEF\xBB\xBF") body.remove_prefix(3);
  if (absl::StartsWith(body, "offset_ms")) {
    constexpr absl::string_view kColumns[] = {"offset_ms", "site", "desk", "resident_code"};
    constexpr absl::string_view kOptional[] = {"request_id", "scan_offset_ms", "group"};
    if (absl::Status s = reader.ReadHeader(kColumns, kOptional); !s.ok()) return s;
  }
  std::vector<TraceRow> rows;
  std::vector<std::string> cells;
  for (;;) {
    absl::StatusOr<bool> more = reader.Next(cells);
    if (!more.ok()) return more.status();
    if (!*more) break;
    int64_t send = 0, scanned = 0;
    const auto fail = [&](absl::string_view why) {
      return absl::InvalidArgumentError(absl::StrCat(reader.Where(), why));
    };
    if (cells.size() != 4 && cells.size() != 6 && cells.size() != 7) {
      return fail(absl::StrCat("expected ", kHeader,
                               " (group, or the last three, may be left out)"));
    }
    if (!absl::SimpleAtoi(cells[0], &send) || send < 0) return fail("offset_ms is not a number");
    TraceRow row;
    row.send_at = absl::Milliseconds(send);
    row.scanned_at = row.send_at;
    row.site_id = cells[1];
    row.desk = cells[2];
    row.code = cells[3];
    if (row.desk.rfind(absl::StrCat("sites/", row.site_id, "/desks/"), 0) != 0) {
      return fail("desk must be a desk of the row's site: sites/<site>/desks/<n>");
    }
    if (cells.size() == 7) row.group = cells[6];
    if (cells.size() >= 6) {
      row.request_id = cells[4];
      if (!cells[5].empty()) {
        if (!absl::SimpleAtoi(cells[5], &scanned) || scanned < 0 || scanned > send) {
          return fail("scan_offset_ms must be a number no later than offset_ms");
        }
        row.scanned_at = absl::Milliseconds(scanned);
      }
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

std::vector<DeskWork> DeskWorkOf(const std::vector<TraceRow>& rows) {
  std::map<std::string, DeskWork> by_desk;
  for (const TraceRow& row : rows) {
    DeskWork& work = by_desk[row.desk];
    work.desk = row.desk;
    work.site_id = row.site_id;
    work.scans.push_back(Scan{row.code, row.request_id, row.send_at, row.scanned_at, row.group});
  }
  std::vector<DeskWork> work;
  for (auto& [desk, desk_work] : by_desk) {
    std::stable_sort(desk_work.scans.begin(), desk_work.scans.end(),
                     [](const Scan& a, const Scan& b) { return a.send_at < b.send_at; });
    work.push_back(std::move(desk_work));
  }
  return work;
}

DayCheck VerifyDay(const std::vector<DeskWork>& work, const FleetReport& report, int pool_ratio,
                   int64_t sampled_before, int64_t sampled_after) {
  DayCheck check;
  std::map<std::string, int> fresh_of_code;
  std::map<std::pair<std::string, int>, std::string> holder_of_position;  // (tube, position)
  const auto mismatch = [&](std::string line) {
    if (check.mismatches.size() < 50) check.mismatches.push_back(std::move(line));
  };
  for (size_t d = 0; d < work.size(); ++d) {
    for (size_t i = 0; i < work[d].scans.size(); ++i) {
      const Scan& scan = work[d].scans[i];
      fresh_of_code.try_emplace(scan.code, 0);
      const ScanOutcome outcome =
          d < report.outcomes.size() && i < report.outcomes[d].size() ? report.outcomes[d][i]
                                                                       : ScanOutcome();
      const std::string where = absl::StrCat(work[d].desk, " scan ", i, " (request ",
                                             scan.request_id, ")");
      if (outcome.code == static_cast<int>(grpc::StatusCode::ALREADY_EXISTS)) continue;
      if (outcome.code != 0) {
        mismatch(absl::StrCat(where, ": status ", outcome.code, ", expected OK or ALREADY_EXISTS"));
        continue;
      }
      if (outcome.position < 1 || outcome.position > pool_ratio) {
        mismatch(absl::StrCat(where, ": position ", outcome.position, " in a tube of ",
                              pool_ratio));
      }
      const auto [it, first] =
          holder_of_position.try_emplace({outcome.tube_barcode, outcome.position}, scan.code);
      if (!first && it->second != scan.code) {
        mismatch(absl::StrCat(where, ": tube ", outcome.tube_barcode, " position ",
                              outcome.position, " was given to two residents"));
      }
      if (!outcome.replayed) ++fresh_of_code[scan.code];
    }
  }
  check.residents = static_cast<int64_t>(fresh_of_code.size());
  int64_t never = 0, twice = 0;
  for (const auto& [code, fresh] : fresh_of_code) {
    if (fresh == 1) ++check.sampled_once;
    if (fresh == 0) ++never;
    if (fresh > 1) ++twice;
  }
  // Counts only: the report must not list residents' codes.
  if (never > 0) mismatch(absl::StrCat(never, " residents of the trace were never sampled"));
  if (twice > 0) mismatch(absl::StrCat(twice, " residents were sampled more than once"));
  if (sampled_after - sampled_before != check.residents) {
    mismatch(absl::StrCat("the server counts ", sampled_after - sampled_before,
                          " more residents sampled; the trace has ", check.residents));
  }
  return check;
}

}  // namespace swabwave::services
