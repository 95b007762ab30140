// `swabwave finish-by R --by 12:00`: what finishing a round by a time takes
// (PlanningService.AdviseFinish), and the --by parsing `plan` shares.
#include <algorithm>
#include <iostream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "services/api/proto_convert.h"
#include "services/swabwave/command_support.h"
#include "services/swabwave/commands.h"
#include "services/swabwave/table.h"

namespace swabwave::services::cli {

absl::StatusOr<absl::Time> ParseFinishBy(const std::string& text, const v1::Round& round) {
  absl::Time at;
  std::string error;
  if (absl::ParseTime(absl::RFC3339_full, text, &at, &error)) return at;
  // HH:MM in the round's zone: the first such time after the round starts.
  const std::vector<absl::string_view> parts = absl::StrSplit(text, ':');
  int hour = 0, minute = 0;
  if (parts.size() != 2 || parts[0].size() > 2 || parts[1].size() != 2 ||
      !absl::SimpleAtoi(parts[0], &hour) || !absl::SimpleAtoi(parts[1], &minute) || hour < 0 ||
      hour > 23 || minute < 0 || minute > 59) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--by '", text, "' is neither RFC 3339 (2026-12-06T12:00:00+08:00) nor HH:MM"));
  }
  const absl::TimeZone zone = RoundZone(round);
  const absl::Time start = FromProto(round.start_time());
  const absl::CivilDay day = absl::ToCivilDay(start, zone);
  absl::Time by = absl::FromCivil(absl::CivilMinute(day.year(), day.month(), day.day(), hour,
                                                    minute),
                                  zone);
  if (by <= start) by = absl::FromCivil(absl::CivilMinute(day + 1) + hour * 60 + minute, zone);
  return by;
}

namespace {

void PrintMet(const v1::AdviseFinishResponse& a) {
  const v1::Headcount& h = a.headcount();
  absl::PrintF("what it takes      %d sites, %d desks open at once (%d there today; at least %d "
               "if spread over all %d waves)\n",
               a.sites_size(), a.desks_open(), a.desks_on_hand(), a.desks_at_least(),
               a.waves_allowed());
  absl::PrintF("                   samplers %d (on hand %d), scanners %d (on hand %d) under the "
               "gear rules%s\n",
               h.samplers_needed(), h.samplers_on_hand(), h.scanners_needed(),
               h.scanners_on_hand(),
               h.samplers_needed() > h.samplers_on_hand() ||
                       h.scanners_needed() > h.scanners_on_hand()
                   ? absl::StrFormat(": short %d samplers, %d scanners",
                                     std::max(0, h.samplers_needed() - h.samplers_on_hand()),
                                     std::max(0, h.scanners_needed() - h.scanners_on_hand()))
                   : "");
  Table table({{"site"}, {"desks open", Table::kRight}, {"there today", Table::kRight}});
  for (const v1::SiteNeed& need : a.sites()) {
    table.AddRow({need.site_id(), absl::StrCat(need.desks_open()),
                  absl::StrCat(need.desks_on_hand())});
  }
  table.Print(stdout, "    ");
}

}  // namespace

int FinishBy(const Options& options, const std::string& round) {
  if (options.by.empty()) {
    std::cerr << "swabwave finish-by: --by is required (RFC 3339, or HH:MM in the round's time "
                 "zone)\n";
    return 2;
  }
  Client client(options.client);
  v1::Round about;
  if (const grpc::Status status = FetchRound(client, round, &about); !status.ok()) {
    return Fail(status, "finish-by");
  }
  absl::StatusOr<absl::Time> by = ParseFinishBy(options.by, about);
  if (!by.ok()) return Fail(by.status(), "finish-by");
  v1::AdviseFinishRequest request;
  request.set_round(RoundArg(round));
  ToProto(*by, request.mutable_finish_by());
  if (int bad = PlanOptionsFromFlags(options, "finish-by", request.mutable_options()); bad != 0) {
    return bad;
  }
  v1::AdviseFinishResponse a;
  const grpc::Status status = Client::Call(
      [&](grpc::ClientContext& context) {
        return client.planning().AdviseFinish(&context, request, &a);
      },
      absl::Minutes(10));
  if (!status.ok()) return Fail(status, "finish-by");
  if (PrintForScripts(options.output, a)) return a.met_on_hand() ? 0 : 4;

  const absl::TimeZone zone = RoundZone(about);
  const auto clock = [&](const google::protobuf::Timestamp& t) {
    return LocalClock(FromProto(t), zone);
  };
  const std::string wave = absl::FormatDuration(FromProto(about.wave_length()));
  absl::PrintF("finish by          %s %s: %d waves of %s from %s\n", clock(a.finish_by()),
               about.time_zone().empty() ? "UTC" : about.time_zone(), a.waves_allowed(), wave,
               clock(about.start_time()));
  if (a.waves_every_desk() > 0) {
    absl::PrintF("every desk open    done by %s (%d waves): %s\n", clock(a.finish_every_desk()),
                 a.waves_every_desk(), a.met_with_every_desk() ? "in time" : "too late");
  } else {
    absl::PrintF("every desk open    the round does not fit its own duration\n");
  }
  if (a.met_with_every_desk()) {
    PrintMet(a);
  } else if (a.met_with_more_desks()) {
    absl::PrintF("not in time        every desk serves %d of the %d due at sites by then; with "
                 "%d more desks (where a desk serves most by then) a plan fits:\n",
                 a.served_by_then(), a.due_at_sites(), a.extra_desks());
    PrintMet(a);
  } else {
    absl::PrintF("not in time        every desk serves %d of the %d due at sites by then; about "
                 "%d more desks would, past what these sites hold: more sites, or a later time\n",
                 a.served_by_then(), a.due_at_sites(), a.extra_desks());
  }
  if (a.planned_on_hand()) {
    absl::PrintF("staff on hand      done by %s (%d waves): %s\n", clock(a.finish_on_hand()),
                 a.waves_on_hand(), a.met_on_hand() ? "in time" : "too late");
  } else {
    absl::PrintF("staff on hand      no plan within them: %s\n", a.on_hand_error());
  }
  if (a.met_on_hand()) {
    absl::PrintF("the plan           swabwave plan %s --by %s\n", round, options.by);
  } else if (a.met_with_every_desk()) {
    absl::PrintF("the plan           swabwave plan %s --by %s --staffing every-desk, with the "
                 "staff above\n",
                 round, options.by);
  }
  // 4, not 1: scripts tell "advice given, the staff on hand are too late"
  // from a failed call.
  return a.met_on_hand() ? 0 : 4;
}

}  // namespace swabwave::services::cli
