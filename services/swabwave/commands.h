// The swabwave CLI's subcommands. Each takes its positional arguments
// (after the subcommand words) and its options (command_line.cc); each
// prints for a person, or with --output json|csv for a script (output.h),
// and returns a process exit code.
//
// Thread-safety: run from the CLI's main thread.
#ifndef SWABWAVE_SERVICES_SWABWAVE_COMMANDS_H_
#define SWABWAVE_SERVICES_SWABWAVE_COMMANDS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "services/swabwave/client.h"
#include "services/swabwave/output.h"
#include "swabwave/v1/planning.pb.h"

namespace swabwave::services::cli {

// What the command line said (command_line.cc). The defaults here are the
// flags' defaults; zero or empty where the server decides.
struct Options {
  ClientOptions client;
  OutputFormat output = OutputFormat::kTable;
  // generate
  std::string preset = "kangcheng";
  int64_t residents = 0;
  uint64_t seed = 1;
  std::string out;
  // round create
  std::string round_id;
  std::string communities;  // comma-separated
  std::string start;        // RFC 3339
  int ratio = 0;  // 0: 10, or 1 for a follow-up round
  absl::Duration wave_length;
  absl::Duration duration;
  // plan
  double rate = 0;
  double utilization = 0;
  std::string planner = "optimal";  // or greedy
  int nearest_sites = 0;
  std::string staffing;  // within or every-desk; empty: the server decides
  absl::Duration max_in_gear;  // zero: the server's defaults
  absl::Duration rest;
  absl::Duration gear_change;
  double walking_m_per_wave = 0;
  std::string by;  // plan, finish-by: when the round must be done
  // routes
  int teams = 0;
  int box_capacity = 0;  // 0: the server's default
  std::string follow_up_of;  // round create: a follow-up round of this one's cases
  absl::Duration per_visit;
  // forecast
  int replications = 0;
  int crowding_limit = 0;
  // replan
  int from_wave = -1;
  std::string changes;  // SITE=DESKS,...
  std::string placement;  // earliest-wave (default) or nearest-site
  // queries
  std::string level = "community";
  std::string community;
  std::string building;
  std::string csv;
  int last = 3;       // missed: the last N rounds
  std::string pages;  // missed: a folder for the building captains' pages
  bool apply = false;
  bool tubes = false;     // boxes --with_tubes: list each box's tubes
  std::string box;            // pack, pickup, receive
  std::string tube_barcodes;  // pack, receive: comma-separated; follow-up: one
  bool resample = false;  // recalls: the resample list instead
  bool cases = false;     // recalls: only the cases
  bool follow_ups = false;  // routes: the retest walk over those called back
  // walk-in
  std::string desk;
  std::string unit;
  std::string household;
  std::string code;
  std::string target;        // round create: "building:b1,unit:u2,compound:c1"
  std::string target_codes;  // round create: a file of resident codes, one a line  // import: store a known community's changes as its next version
  int64_t limit = 0;
  absl::Duration interval;
  // new-token
  std::string role;
  std::string site;
  std::string team;  // new-token --role team: "community/n"
  std::string lab;   // new-token --role lab: the lab id
  double token_rate = -1;  // below 0: the server's default
  std::string tokens_file;
};

int Generate(const Options& options);
int Import(const Options& options, const std::vector<std::string>& dirs);
// Registers someone on no roster at --desk and samples them
// (RegisterWalkIn): prints their code and where the swab went.
int WalkIn(const Options& options, const std::string& round);
// lab_commands.cc: after the swab.
int LabImport(const Options& options, const std::string& round, const std::string& path);
int Boxes(const Options& options, const std::string& round);
int Recalls(const Options& options, const std::string& round);
int Pack(const Options& options, const std::string& round);
int PickUp(const Options& options, const std::string& round);
int Receive(const Options& options, const std::string& round);
int FollowUp(const Options& options, const std::string& round);
int RoundCreate(const Options& options);
int RoundShow(const Options& options, const std::string& round);
int RoundList(const Options& options);
int RoundOpen(const Options& options, const std::string& round);
int RoundClose(const Options& options, const std::string& round);
int Plan(const Options& options, const std::string& round);
// What finishing the round by --by takes (AdviseFinish): the earliest
// finish with every desk open and with the staff on hand, the desks and
// staff the deadline needs, or how far short every desk falls. Exit 0
// when the staff on hand finish in time, 4 when they do not.
int FinishBy(const Options& options, const std::string& round);
// The plan flags (--rate, --planner, --staffing, gear rules) into `out`;
// 0, or 2 after saying which flag is wrong.
int PlanOptionsFromFlags(const Options& options, absl::string_view command,
                         v1::PlanOptions* out);
// --by: RFC 3339, or HH:MM in the round's time zone (the first such time
// after the round starts). INVALID_ARGUMENT saying what it reads.
[[nodiscard]] absl::StatusOr<absl::Time> ParseFinishBy(const std::string& text,
                                                       const v1::Round& round);
int Schedule(const Options& options, const std::string& round);
// Forecasts the round's plan (--replications, --seed, --rate, --crowding_limit)
// and prints the completion, a table of sites and the crowded waves.
int Forecast(const Options& options, const std::string& round);
// Re-plans after site changes (--from_wave, --changes SITE=DESKS,...) and
// lists who must be told a new site and time (--csv FILE writes them all).
int Replan(const Options& options, const std::string& round);
int DoorToDoor(const Options& options, const std::string& round);
// The roster of the round's plan: the gear rules, the headcount needed
// against the staff on hand, the desks nobody can staff, and every shift
// (who, where, when); --csv FILE writes the shifts.
int Roster(const Options& options, const std::string& round);
// Door-to-door teams' routes (--teams per community, --per_visit): each
// route's stops, times and whether it is back before the round ends;
// --csv FILE writes one row per stop.
int Routes(const Options& options, const std::string& round);
int Progress(const Options& options, const std::string& round);
// A resident's rounds: sampled where and when, missed, not due, visits.
int History(const Options& options, const std::string& code);
// Who in --community missed the last --last rounds they were due in, per
// building; --csv FILE, and --pages DIR (a printable page per building).
int Missed(const Options& options);
int Untested(const Options& options, const std::string& round);
int Watch(const Options& options, const std::string& round);
// Makes a bearer token: prints it on stdout (once) and the line for the
// server's tokens file, appended to --tokens_file when given.
int NewToken(const Options& options);
// `tokens check FILE`: whether swabwaved would load FILE on SIGHUP (exit
// 0, with the tokens per role) or keep its old tokens (exit 1, naming the
// bad line).
int TokensCheck(const Options& options, const std::string& path);

}  // namespace swabwave::services::cli

#endif  // SWABWAVE_SERVICES_SWABWAVE_COMMANDS_H_
