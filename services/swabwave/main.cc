// swabwave: the command center's CLI.
//
//   swabwave generate --preset kangcheng --out DIR
//   swabwave import DIR [--apply]
//   swabwave round create --round_id R --communities kangcheng --start 2026-11-27T07:00:00+08:00
//   swabwave plan R [--by 12:00]
//   swabwave finish-by R --by 12:00
//   swabwave round open R
//   swabwave schedule R [--community C --building B] [--csv FILE]
//   swabwave replan R --from_wave 6 --changes s3=0,s4=2 [--csv FILE]
//   swabwave forecast R [--replications 100] [--crowding_limit 30]
//   swabwave progress R --level site
//   swabwave untested R [--community C --building B] [--limit N]
//   swabwave watch R
//   swabwave door-to-door R
//   swabwave round close R
//   swabwave history CODE
//   swabwave missed --community C --last 3 [--csv FILE] [--pages DIR]
//   swabwave new-token --role tablet --site S --tokens_file FILE
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/str_cat.h"
#include "absl/flags/usage.h"
#include "services/swabwave/client_flags.h"
#include "services/swabwave/commands.h"
#include "swabwave/version.h"

ABSL_FLAG(std::string, preset, "kangcheng", "generate: kangcheng or city");
ABSL_FLAG(int64_t, residents, 0, "generate: residents for --preset city");
ABSL_FLAG(uint64_t, seed, 1,
          "generate, forecast: random seed (same seed, same community or forecast)");
ABSL_FLAG(std::string, out, "", "generate: output directory");
ABSL_FLAG(std::string, round_id, "", "round create: the new round's id");
ABSL_FLAG(std::string, communities, "",
          "round create, new-token: comma-separated community ids ('*' for all: new-token)");
ABSL_FLAG(std::string, start, "", "round create: start time, RFC 3339");
ABSL_FLAG(int, ratio, 0,
          "round create: swabs per tube (1, 5, 10 or 20); default 10, and 1 for --follow_up_of");
ABSL_FLAG(absl::Duration, wave_length, absl::ZeroDuration(),
          "round create: wave length (default 30m)");
ABSL_FLAG(absl::Duration, duration, absl::ZeroDuration(),
          "round create: how long the round may last (default 24h)");
ABSL_FLAG(double, rate, 0, "plan: people per desk per hour (default 110)");
ABSL_FLAG(double, utilization, 0, "plan: share of capacity to plan for (default 0.85)");
ABSL_FLAG(std::string, planner, "optimal",
          "plan: optimal (fewest waves, then least walking) or greedy (the first planner)");
ABSL_FLAG(int, nearest_sites, 0, "plan: optimal planner's nearest sites per building (default 6)");
ABSL_FLAG(std::string, staffing, "",
          "plan: within (never open a desk nobody can staff) or every-desk; default: within "
          "when the communities list staff");
ABSL_FLAG(absl::Duration, max_in_gear, absl::ZeroDuration(),
          "plan: continuous time in protective gear, changes included (default 2h; 1h-4h)");
ABSL_FLAG(absl::Duration, rest, absl::ZeroDuration(), "plan: rest after a stint in gear (default 30m)");
ABSL_FLAG(absl::Duration, gear_change, absl::ZeroDuration(),
          "plan: time to put gear on, and to take it off (default 15m)");
ABSL_FLAG(double, walking_m_per_wave, 0,
          "plan: resident-metres of walking one more wave is worth (default 0: fewest waves first)");
ABSL_FLAG(std::string, target, "",
          "round create: a targeted round over these places, e.g. building:c01-b03,unit:c02-b01-u1,"
          "compound:c03 (ids as imported); default: everyone");
ABSL_FLAG(std::string, target_codes, "",
          "round create: a file of resident codes (one a line) the targeted round also covers");
ABSL_FLAG(std::string, follow_up_of, "",
          "round create: a follow-up round over the buildings where this round found cases "
          "(one swab a tube unless --ratio is given)");
ABSL_FLAG(int, box_capacity, 0,
          "round create: tubes a transport box holds (0: the default, 200; at most 1000)");
ABSL_FLAG(int, teams, 0,
          "round create: door-to-door teams per community, each a mobile desk (default 2); "
          "routes: teams to plan routes for (default: the round's)");
ABSL_FLAG(absl::Duration, per_visit, absl::ZeroDuration(),
          "routes: time per resident visited (default 10m)");
ABSL_FLAG(int, replications, 0, "forecast: seeded replications (default 100)");
ABSL_FLAG(int, crowding_limit, 0,
          "forecast: people waiting at one site above which a wave is crowded (default 30)");
ABSL_FLAG(int, from_wave, -1, "replan: the first wave not yet started (0-based)");
ABSL_FLAG(std::string, changes, "", "replan: SITE=DESKS,... (0 desks closes the site)");
ABSL_FLAG(std::string, placement, "",
          "replan: where the displaced go when no site has room in their wave: earliest-wave "
          "(the default: the round ends soonest) or nearest-site (the shortest walk)");
ABSL_FLAG(std::string, by, "",
          "plan, finish-by: when the round must be done: RFC 3339, or HH:MM in the round's time "
          "zone (the first such time after the round starts)");
ABSL_FLAG(std::string, desk, "",
          "walk-in: the desk, sites/SITE/desks/N or communities/C/teams/N");
ABSL_FLAG(std::string, unit, "", "walk-in: the person's unit (stairwell), as imported");
ABSL_FLAG(std::string, household, "",
          "walk-in: one of the unit's households, or a new household id (default: a new one)");
ABSL_FLAG(std::string, code, "",
          "walk-in: the code on the card handed out (default: the server makes one)");
ABSL_FLAG(bool, with_tubes, false, "boxes: list each box's tube barcodes too");
ABSL_FLAG(std::string, box, "", "pack, pickup, receive: the box's barcode");
ABSL_FLAG(std::string, tube_barcodes, "",
          "pack, receive: the tubes, comma-separated; follow-up: the follow-up swab's new tube");
ABSL_FLAG(bool, follow_ups, false,
          "routes: the retest walk: routes over the residents called back after the swab who "
          "have not given their follow-up swab");
ABSL_FLAG(bool, cases, false,
          "recalls: only the cases (a positive follow-up swab), with their homes");
ABSL_FLAG(bool, resample, false,
          "recalls: the resample list (invalid pools, late boxes) instead of the positives");
ABSL_FLAG(bool, apply, false,
          "import: store a known community's changes as its next version (without it, import "
          "only shows them)");
ABSL_FLAG(int, last, 3, "missed: the last N rounds a resident was due in");
ABSL_FLAG(std::string, pages, "",
          "missed: a folder to write a printable page per building into, for its captain");
ABSL_FLAG(std::string, level, "community",
          "progress: community, compound, building, site, wave or team");
ABSL_FLAG(std::string, community, "", "schedule/untested: only this community; missed: whose");
ABSL_FLAG(std::string, building, "", "schedule/untested: only this building (needs --community)");
ABSL_FLAG(std::string, csv, "",
          "schedule, replan: write the schedule (or the moved residents) as CSV to this file");
ABSL_FLAG(int64_t, limit, 0, "untested: list at most this many (0: all)");
ABSL_FLAG(absl::Duration, interval, absl::ZeroDuration(), "watch: update interval (default 1s)");
ABSL_FLAG(std::string, role, "", "new-token: command, tablet, team, courier or lab");
ABSL_FLAG(std::string, lab, "",
          "new-token: the lab a lab token receives boxes and reports results for");
ABSL_FLAG(std::string, team, "", "new-token: the one door-to-door team a team token acts as, C/N");
ABSL_FLAG(std::string, site, "", "new-token: the one site a tablet token acts at");
ABSL_FLAG(double, token_rate, -1,
          "new-token: requests per second for this token, 0 for no limit (default: the "
          "server's --token_rate)");
ABSL_FLAG(std::string, tokens_file, "", "new-token: append the token's line to this file");

namespace {

constexpr char kUsage[] =
    "swabwave: the swabwave command-center CLI\n"
    "  swabwave generate --preset kangcheng|city [--residents N] [--seed S] --out DIR\n"
    "  swabwave walk-in ROUND --desk sites/S/desks/N --community C --unit U [--household H] "
    "[--code CARD]\n"
    "  swabwave import DIR|BOOK.xlsx... [--apply]   (a known community: shows the changes; "
    "--apply stores them)\n"
    "  swabwave round create --round_id R --communities C1,C2 --start RFC3339 [--ratio 10]\n"
    "      [--target building:ID,unit:ID,compound:ID] [--target_codes FILE] [--box_capacity 200]\n"
    "  swabwave round create --round_id R --follow_up_of R0 --start RFC3339   (the buildings of\n"
    "      R0's cases, one swab a tube)\n"
    "  swabwave round list | round show R | round open R | round close R\n"
    "  swabwave plan R [--rate 110] [--utilization 0.85] [--planner optimal|greedy]\n"
    "                  [--staffing within|every-desk] [--max_in_gear 2h] [--rest 30m]\n"
    "                  [--gear_change 15m] [--walking_m_per_wave M] [--by TIME]\n"
    "  swabwave finish-by R --by 12:00|RFC3339 [the plan flags]\n"
    "  swabwave roster R [--csv FILE]\n"
    "  swabwave routes R [--teams 2] [--per_visit 10m] [--follow_ups] [--csv FILE]\n"
    "  swabwave schedule R [--community C [--building B]] [--csv FILE]\n"
    "  swabwave replan R --from_wave N --changes SITE=DESKS,...\n"
    "                    [--placement earliest-wave|nearest-site] [--csv FILE]\n"
    "  swabwave forecast R [--replications 100] [--seed 1] [--rate 110] [--crowding_limit 30]\n"
    "  swabwave door-to-door R\n"
    "  swabwave progress R [--level community|compound|building|site|wave|team]\n"
    "  swabwave untested R [--community C [--building B]] [--limit N]\n"
    "  swabwave watch R [--interval 1s]\n"
    "  swabwave history CODE          (a resident's rounds)\n"
    "  swabwave lab import R RESULTS.csv [--lab L]   (tube_barcode,result,ct,run_id"
    "[,correction_reason];\n"
    "      checked whole first: a file with a bad line applies nothing)\n"
    "  swabwave boxes R [--with_tubes]   (every box: state, age from its oldest swab, "
    "discrepancies)\n"
    "  swabwave pack R --desk sites/S/desks/N --box B --tube_barcodes T1,T2,...   (a site's "
    "tablet)\n"
    "  swabwave pickup R --box B      (a courier)\n"
    "  swabwave receive R --box B --tube_barcodes T1,T2,... [--lab L]   (a lab: what it "
    "scanned)\n"
    "  swabwave follow-up R --desk D --code CODE --tube_barcodes T   (a recalled resident's "
    "own-tube swab)\n"
    "  swabwave recalls R [--resample | --cases] [--csv FILE]   (positive pools' members, for the "
    "building captains)\n"
    "  swabwave missed --community C [--last 3] [--csv FILE] [--pages DIR]\n"
    "  swabwave new-token --role command --communities C1,C2|'*' [--tokens_file F]\n"
    "  swabwave new-token --role tablet --site S [--token_rate N] [--tokens_file F]\n"
    "  swabwave new-token --role team --team COMMUNITY/N [--token_rate N] [--tokens_file F]\n"
    "  swabwave new-token --role courier | --role lab --lab LAB_ID [--tokens_file F]\n"
    "  swabwave tokens check FILE     (would swabwaved load it on SIGHUP?)\n"
    "Global: --server host:port (default 127.0.0.1:50051), --token T (or $SWABWAVE_TOKEN),\n"
    "        --tls_ca CA.pem [--tls_cert C.pem --tls_key K.pem] for TLS (needed to send a\n"
    "        token off loopback; --insecure sends it in clear)";

int Usage(const std::string& problem) {
  std::cerr << "swabwave: " << problem << "\n" << kUsage << "\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  // --version: the version and the source revision built (cmake/Version.cmake).
  absl::FlagsUsageConfig usage_config;
  usage_config.version_string = [] {
    return absl::StrCat("swabwave ", swabwave::kVersion, " (revision ", swabwave::kRevision,
                        ")\n");
  };
  absl::SetFlagsUsageConfig(usage_config);
  absl::SetProgramUsageMessage(kUsage);
  std::vector<char*> positional = absl::ParseCommandLine(argc, argv);
  std::vector<std::string> args(positional.begin() + 1, positional.end());
  namespace cli = swabwave::services::cli;
  cli::Options o;
  absl::StatusOr<swabwave::services::ClientOptions> client =
      swabwave::services::ClientOptionsFromFlags();
  if (!client.ok()) return Usage(std::string(client.status().message()));
  o.client = *std::move(client);
  o.preset = absl::GetFlag(FLAGS_preset);
  o.residents = absl::GetFlag(FLAGS_residents);
  o.seed = absl::GetFlag(FLAGS_seed);
  o.out = absl::GetFlag(FLAGS_out);
  o.round_id = absl::GetFlag(FLAGS_round_id);
  o.communities = absl::GetFlag(FLAGS_communities);
  o.start = absl::GetFlag(FLAGS_start);
  o.ratio = absl::GetFlag(FLAGS_ratio);
  o.follow_up_of = absl::GetFlag(FLAGS_follow_up_of);
  o.wave_length = absl::GetFlag(FLAGS_wave_length);
  o.duration = absl::GetFlag(FLAGS_duration);
  o.rate = absl::GetFlag(FLAGS_rate);
  o.utilization = absl::GetFlag(FLAGS_utilization);
  o.planner = absl::GetFlag(FLAGS_planner);
  o.nearest_sites = absl::GetFlag(FLAGS_nearest_sites);
  o.staffing = absl::GetFlag(FLAGS_staffing);
  o.max_in_gear = absl::GetFlag(FLAGS_max_in_gear);
  o.rest = absl::GetFlag(FLAGS_rest);
  o.gear_change = absl::GetFlag(FLAGS_gear_change);
  o.walking_m_per_wave = absl::GetFlag(FLAGS_walking_m_per_wave);
  o.by = absl::GetFlag(FLAGS_by);
  o.teams = absl::GetFlag(FLAGS_teams);
  o.box_capacity = absl::GetFlag(FLAGS_box_capacity);
  o.target = absl::GetFlag(FLAGS_target);
  o.target_codes = absl::GetFlag(FLAGS_target_codes);
  o.per_visit = absl::GetFlag(FLAGS_per_visit);
  o.replications = absl::GetFlag(FLAGS_replications);
  o.crowding_limit = absl::GetFlag(FLAGS_crowding_limit);
  o.from_wave = absl::GetFlag(FLAGS_from_wave);
  o.changes = absl::GetFlag(FLAGS_changes);
  o.placement = absl::GetFlag(FLAGS_placement);
  o.level = absl::GetFlag(FLAGS_level);
  o.community = absl::GetFlag(FLAGS_community);
  o.building = absl::GetFlag(FLAGS_building);
  o.csv = absl::GetFlag(FLAGS_csv);
  o.last = absl::GetFlag(FLAGS_last);
  o.pages = absl::GetFlag(FLAGS_pages);
  o.apply = absl::GetFlag(FLAGS_apply);
  o.tubes = absl::GetFlag(FLAGS_with_tubes);
  o.box = absl::GetFlag(FLAGS_box);
  o.tube_barcodes = absl::GetFlag(FLAGS_tube_barcodes);
  o.resample = absl::GetFlag(FLAGS_resample);
  o.cases = absl::GetFlag(FLAGS_cases);
  o.follow_ups = absl::GetFlag(FLAGS_follow_ups);
  o.desk = absl::GetFlag(FLAGS_desk);
  o.unit = absl::GetFlag(FLAGS_unit);
  o.household = absl::GetFlag(FLAGS_household);
  o.code = absl::GetFlag(FLAGS_code);
  o.limit = absl::GetFlag(FLAGS_limit);
  o.interval = absl::GetFlag(FLAGS_interval);
  o.role = absl::GetFlag(FLAGS_role);
  o.site = absl::GetFlag(FLAGS_site);
  o.team = absl::GetFlag(FLAGS_team);
  o.lab = absl::GetFlag(FLAGS_lab);
  o.token_rate = absl::GetFlag(FLAGS_token_rate);
  o.tokens_file = absl::GetFlag(FLAGS_tokens_file);

  if (args.empty()) return Usage("no command given");
  const std::string& command = args[0];
  auto round_arg = [&](size_t index) -> const std::string* {
    return args.size() > index ? &args[index] : nullptr;
  };
  if (command == "generate") return cli::Generate(o);
  if (command == "new-token") return cli::NewToken(o);
  if (command == "tokens") {
    if (args.size() != 3 || args[1] != "check") return Usage("tokens check needs one FILE");
    return cli::TokensCheck(args[2]);
  }
  if (command == "import") return cli::Import(o, {args.begin() + 1, args.end()});
  if (command == "missed") return cli::Missed(o);
  if (command == "history") {
    if (args.size() != 2) return Usage("history needs one resident code");
    return cli::History(o, args[1]);
  }
  if (command == "lab") {
    if (args.size() != 4 || args[1] != "import") return Usage("lab import needs a round and a FILE");
    return cli::LabImport(o, args[2], args[3]);
  }
  if (command == "round") {
    if (args.size() < 2) return Usage("round needs create, list, show, open or close");
    const std::string& verb = args[1];
    if (verb == "create") return cli::RoundCreate(o);
    if (verb == "list") return cli::RoundList(o);
    const std::string* round = round_arg(2);
    if (round == nullptr) return Usage("round " + verb + " needs a round id");
    if (verb == "show") return cli::RoundShow(o, *round);
    if (verb == "open") return cli::RoundOpen(o, *round);
    if (verb == "close") return cli::RoundClose(o, *round);
    return Usage("unknown round command '" + verb + "'");
  }
  const std::string* round = round_arg(1);
  if (round == nullptr) return Usage(command + " needs a round id");
  if (command == "plan") return cli::Plan(o, *round);
  if (command == "finish-by") return cli::FinishBy(o, *round);
  if (command == "schedule") return cli::Schedule(o, *round);
  if (command == "replan") return cli::Replan(o, *round);
  if (command == "forecast") return cli::Forecast(o, *round);
  if (command == "door-to-door") return cli::DoorToDoor(o, *round);
  if (command == "roster") return cli::Roster(o, *round);
  if (command == "routes") return cli::Routes(o, *round);
  if (command == "progress") return cli::Progress(o, *round);
  if (command == "untested") return cli::Untested(o, *round);
  if (command == "watch") return cli::Watch(o, *round);
  if (command == "walk-in") return cli::WalkIn(o, *round);
  if (command == "boxes") return cli::Boxes(o, *round);
  if (command == "pack") return cli::Pack(o, *round);
  if (command == "pickup") return cli::PickUp(o, *round);
  if (command == "receive") return cli::Receive(o, *round);
  if (command == "follow-up") return cli::FollowUp(o, *round);
  if (command == "recalls") return cli::Recalls(o, *round);
  return Usage("unknown command '" + command + "'");
}
