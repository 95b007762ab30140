#include "services/swabwave/command_line.h"

#include <CLI/CLI.hpp>

#include <functional>
#include <optional>
#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "services/swabwave/client_flags.h"
#include "services/swabwave/commands.h"
#include "services/swabwave/output.h"
#include "swabwave/version.h"

namespace swabwave::services::cli {
namespace {

// What the command line fills in: the commands' options, the client's
// flags, the positional arguments, and the command to run.
struct CommandLine {
  Options options;
  ClientFlags client;
  std::string output = "table";
  std::string round;                 // the round a command acts on
  std::string code;                  // history CODE
  std::string file;                  // lab import R FILE, tokens check FILE
  std::vector<std::string> sources;  // import DIR|BOOK.xlsx...
  std::function<int()> run;
};

// A duration flag ("30m", "2h", "1h30m"), parsed as absl parses durations.
void AddDuration(CLI::App* command, const std::string& name, absl::Duration* out,
                 const std::string& help) {
  command
      ->add_option_function<std::string>(
          name,
          [name, out](const std::string& text) {
            if (!absl::ParseDuration(text, out)) {
              throw CLI::ValidationError(name, "'" + text + "' is not a duration: give e.g. 30m, "
                                                            "2h or 1h30m");
            }
          },
          help)
      ->type_name("DURATION");
}

// The flags of the client that every command takes, and --output.
void AddClientFlags(CLI::App& app, CommandLine& line) {
  const std::string group = "Every command";
  app.add_option("--server", line.client.server, kServerHelp)
      ->capture_default_str()
      ->group(group);
  app.add_option("--token", line.client.token, kTokenHelp)->group(group);
  app.add_option("--site_tokens", line.client.site_tokens, kSiteTokensHelp)->group(group);
  app.add_option("--team_tokens", line.client.team_tokens, kTeamTokensHelp)->group(group);
  app.add_option("--tls_ca", line.client.tls_ca, kTlsCaHelp)->group(group);
  app.add_option("--tls_cert", line.client.tls_cert, kTlsCertHelp)->group(group);
  app.add_option("--tls_key", line.client.tls_key, kTlsKeyHelp)->group(group);
  app.add_option("--tls_server_name", line.client.tls_server_name, kTlsServerNameHelp)
      ->group(group);
  app.add_flag("--insecure", line.client.insecure, kInsecureHelp)->group(group);
  app.add_option("--output", line.output,
                 "table (for people), csv (one row per record) or json (the server's answer, "
                 "from protobuf's JSON printer)")
      ->check(CLI::IsMember({"table", "csv", "json"}))
      ->capture_default_str()
      ->group(group);
}

// A command, with the positional round when it acts on one.
CLI::App* AddCommand(CLI::App& parent, const std::string& name, const std::string& help,
                     CommandLine& line, bool takes_round) {
  CLI::App* command = parent.add_subcommand(name, help);
  command->fallthrough();  // --server and the like after the command
  if (takes_round) {
    command->add_option("round", line.round, "the round: R or rounds/R")->required();
  }
  return command;
}

void AddPlanFlags(CLI::App* command, Options& o) {
  command->add_option("--rate", o.rate, "people per desk per hour (default 110)");
  command->add_option("--utilization", o.utilization,
                      "share of capacity to plan for (default 0.85)");
  command
      ->add_option("--planner", o.planner,
                   "optimal (fewest waves, then least walking) or greedy (the first planner)")
      ->check(CLI::IsMember({"optimal", "greedy"}))
      ->capture_default_str();
  command->add_option("--nearest_sites", o.nearest_sites,
                      "optimal planner's nearest sites per building (default 6)");
  command->add_option("--staffing", o.staffing,
                      "within (never open a desk nobody can staff) or every-desk; default: within "
                      "when the communities list staff");
  AddDuration(command, "--max_in_gear", &o.max_in_gear,
              "continuous time in protective gear, changes included (default 2h; 1h-4h)");
  AddDuration(command, "--rest", &o.rest, "rest after a stint in gear (default 30m)");
  AddDuration(command, "--gear_change", &o.gear_change,
              "time to put gear on, and to take it off (default 15m)");
  command->add_option("--walking_m_per_wave", o.walking_m_per_wave,
                      "resident-metres of walking one more wave is worth (default 0: fewest waves "
                      "first)");
}

void AddByFlag(CLI::App* command, Options& o, bool required) {
  CLI::Option* by = command->add_option(
      "--by", o.by,
      "when the round must be done: RFC 3339, or HH:MM in the round's time zone (the first such "
      "time after the round starts)");
  if (required) by->required();
}

void AddPlaceFlags(CLI::App* command, Options& o) {
  command->add_option("--community", o.community, "only this community");
  command->add_option("--building", o.building, "only this building (needs --community)");
}

void AddCsvFlag(CLI::App* command, Options& o, const std::string& what) {
  command->add_option("--csv", o.csv, "also write " + what + " as CSV to this file");
}

void AddRoundCommands(CLI::App& app, CommandLine& line) {
  Options& o = line.options;
  CLI::App* round = app.add_subcommand("round", "create, list, show, open or close rounds");
  round->fallthrough();
  round->require_subcommand(1);

  CLI::App* create = AddCommand(*round, "create", "create a round", line, false);
  create->add_option("--round_id", o.round_id, "the new round's id")->required();
  create->add_option("--communities", o.communities, "comma-separated community ids");
  create->add_option("--start", o.start, "start time, RFC 3339 (e.g. 2026-11-27T07:00:00+08:00)")
      ->required();
  create->add_option("--ratio", o.ratio,
                     "swabs per tube (1, 5, 10 or 20); default 10, and 1 for --follow_up_of");
  AddDuration(create, "--wave_length", &o.wave_length, "wave length (default 30m)");
  AddDuration(create, "--duration", &o.duration, "how long the round may last (default 24h)");
  create->add_option("--target", o.target,
                     "a targeted round over these places, e.g. building:c01-b03,unit:c02-b01-u1,"
                     "compound:c03 (ids as imported); default: everyone");
  create->add_option("--target_codes", o.target_codes,
                     "a file of resident codes (one a line) the targeted round also covers");
  create->add_option("--follow_up_of", o.follow_up_of,
                     "a follow-up round over the buildings where this round found cases (one swab "
                     "a tube unless --ratio is given)");
  create->add_option("--box_capacity", o.box_capacity,
                     "tubes a transport box holds (0: the default, 200; at most 1000)");
  create->add_option("--teams", o.teams,
                     "door-to-door teams per community, each a mobile desk (default 2)");
  create->callback([&line] { line.run = [&line] { return RoundCreate(line.options); }; });

  AddCommand(*round, "list", "list every round", line, false)->callback([&line] {
    line.run = [&line] { return RoundList(line.options); };
  });
  AddCommand(*round, "show", "show a round", line, true)->callback([&line] {
    line.run = [&line] { return RoundShow(line.options, line.round); };
  });
  AddCommand(*round, "open", "open a planned round for check-ins", line, true)->callback([&line] {
    line.run = [&line] { return RoundOpen(line.options, line.round); };
  });
  AddCommand(*round, "close", "close a round", line, true)->callback([&line] {
    line.run = [&line] { return RoundClose(line.options, line.round); };
  });
}

void AddPlanningCommands(CLI::App& app, CommandLine& line) {
  Options& o = line.options;
  CLI::App* plan = AddCommand(app, "plan", "plan a round: residents to sites and waves", line, true);
  AddPlanFlags(plan, o);
  AddByFlag(plan, o, false);
  plan->callback([&line] { line.run = [&line] { return Plan(line.options, line.round); }; });

  CLI::App* finish_by = AddCommand(
      app, "finish-by",
      "what finishing the round by --by takes (exit 4: not with the staff on hand)", line, true);
  AddPlanFlags(finish_by, o);
  AddByFlag(finish_by, o, true);
  finish_by->callback(
      [&line] { line.run = [&line] { return FinishBy(line.options, line.round); }; });

  CLI::App* roster = AddCommand(app, "roster", "the plan's shifts: who, where, when", line, true);
  AddCsvFlag(roster, o, "every shift");
  roster->callback([&line] { line.run = [&line] { return Roster(line.options, line.round); }; });

  CLI::App* routes = AddCommand(app, "routes", "the door-to-door teams' routes", line, true);
  routes->add_option("--teams", o.teams, "teams to plan routes for (default: the round's)");
  AddDuration(routes, "--per_visit", &o.per_visit, "time per resident visited (default 10m)");
  routes->add_flag("--follow_ups", o.follow_ups,
                   "the retest walk: routes over the residents called back after the swab who "
                   "have not given their follow-up swab");
  AddCsvFlag(routes, o, "one row per stop");
  routes->callback([&line] { line.run = [&line] { return Routes(line.options, line.round); }; });

  CLI::App* schedule = AddCommand(app, "schedule", "who goes where and when", line, true);
  AddPlaceFlags(schedule, o);
  AddCsvFlag(schedule, o, "the schedule");
  schedule->callback(
      [&line] { line.run = [&line] { return Schedule(line.options, line.round); }; });

  CLI::App* replan =
      AddCommand(app, "replan", "re-plan after site changes; who must be told", line, true);
  replan->add_option("--from_wave", o.from_wave, "the first wave not yet started (0-based)")
      ->required();
  replan->add_option("--changes", o.changes, "SITE=DESKS,... (0 desks closes the site)")
      ->required();
  replan->add_option("--placement", o.placement,
                     "where the displaced go when no site has room in their wave: earliest-wave "
                     "(the default: the round ends soonest) or nearest-site (the shortest walk)");
  replan->add_option("--rate", o.rate, "people per desk per hour (default 110)");
  replan->add_option("--utilization", o.utilization,
                     "share of capacity to plan for (default 0.85)");
  AddCsvFlag(replan, o, "the moved residents");
  replan->callback([&line] { line.run = [&line] { return Replan(line.options, line.round); }; });

  CLI::App* forecast =
      AddCommand(app, "forecast", "queues and completion of the plan, simulated", line, true);
  forecast->add_option("--replications", o.replications, "seeded replications (default 100)");
  forecast->add_option("--seed", o.seed, "random seed (same seed, same forecast)")
      ->capture_default_str();
  forecast->add_option("--rate", o.rate, "people per desk per hour (default 110)");
  forecast->add_option("--crowding_limit", o.crowding_limit,
                       "people waiting at one site above which a wave is crowded (default 30)");
  forecast->callback(
      [&line] { line.run = [&line] { return Forecast(line.options, line.round); }; });

  AddCommand(app, "door-to-door", "the residents the teams visit at home", line, true)
      ->callback([&line] { line.run = [&line] { return DoorToDoor(line.options, line.round); }; });
}

void AddProgressCommands(CLI::App& app, CommandLine& line) {
  Options& o = line.options;
  CLI::App* progress = AddCommand(app, "progress", "the round's counts so far", line, true);
  progress
      ->add_option("--level", o.level, "community, compound, building, site, wave or team")
      ->check(CLI::IsMember({"community", "compound", "building", "site", "wave", "team"}))
      ->capture_default_str();
  progress->callback(
      [&line] { line.run = [&line] { return Progress(line.options, line.round); }; });

  CLI::App* untested = AddCommand(app, "untested", "who is still untested", line, true);
  AddPlaceFlags(untested, o);
  untested->add_option("--limit", o.limit, "list at most this many (0: all)");
  untested->callback(
      [&line] { line.run = [&line] { return Untested(line.options, line.round); }; });

  CLI::App* watch = AddCommand(app, "watch", "the round's counts as they change", line, true);
  AddDuration(watch, "--interval", &o.interval, "update interval (default 1s)");
  watch->callback([&line] { line.run = [&line] { return Watch(line.options, line.round); }; });

  CLI::App* history = AddCommand(app, "history", "a resident's rounds", line, false);
  history->add_option("code", line.code, "the resident's code")->required();
  history->callback([&line] { line.run = [&line] { return History(line.options, line.code); }; });

  CLI::App* missed = AddCommand(
      app, "missed", "who missed the last N rounds they were due in, per building", line, false);
  missed->add_option("--community", o.community, "whose residents")->required();
  missed->add_option("--last", o.last, "the last N rounds a resident was due in")
      ->capture_default_str();
  AddCsvFlag(missed, o, "the list");
  missed->add_option("--pages", o.pages,
                     "a folder to write a printable page per building into, for its captain");
  missed->callback([&line] { line.run = [&line] { return Missed(line.options); }; });
}

void AddDeskCommands(CLI::App& app, CommandLine& line) {
  Options& o = line.options;
  CLI::App* walk_in =
      AddCommand(app, "walk-in", "register someone on no roster and sample them", line, true);
  walk_in->add_option("--desk", o.desk, "the desk, sites/SITE/desks/N or communities/C/teams/N")
      ->required();
  walk_in->add_option("--community", o.community, "the person's community")->required();
  walk_in->add_option("--unit", o.unit, "the person's unit (stairwell), as imported")->required();
  walk_in->add_option("--household", o.household,
                      "one of the unit's households, or a new household id (default: a new one)");
  walk_in->add_option("--code", o.code,
                      "the code on the card handed out (default: the server makes one)");
  walk_in->callback([&line] { line.run = [&line] { return WalkIn(line.options, line.round); }; });

  CLI::App* import = AddCommand(
      app, "import",
      "import communities from CSV folders or .xlsx books (a known community: shows the changes; "
      "--apply stores them)",
      line, false);
  import->add_option("sources", line.sources, "community folders or .xlsx roster books")
      ->required();
  import->add_flag("--apply", o.apply,
                   "store a known community's changes as its next version (without it, import "
                   "only shows them)");
  import->callback([&line] { line.run = [&line] { return Import(line.options, line.sources); }; });
}

void AddLabCommands(CLI::App& app, CommandLine& line) {
  Options& o = line.options;
  CLI::App* lab = app.add_subcommand("lab", "a lab's results");
  lab->fallthrough();
  lab->require_subcommand(1);
  CLI::App* lab_import = AddCommand(
      *lab, "import",
      "report a results CSV (tube_barcode,result,ct,run_id[,correction_reason]); checked whole "
      "first: a file with a bad line applies nothing",
      line, true);
  lab_import->add_option("file", line.file, "the results CSV")->required();
  lab_import->add_option("--lab", o.lab, "the lab reporting (default: the token's)");
  lab_import->callback(
      [&line] { line.run = [&line] { return LabImport(line.options, line.round, line.file); }; });

  CLI::App* boxes = AddCommand(
      app, "boxes", "every box: state, age from its oldest swab, discrepancies", line, true);
  boxes->add_flag("--with_tubes", o.tubes, "list each box's tube barcodes too");
  boxes->callback([&line] { line.run = [&line] { return Boxes(line.options, line.round); }; });

  CLI::App* pack = AddCommand(app, "pack", "pack sealed tubes into a box (a site's tablet)",
                              line, true);
  pack->add_option("--desk", o.desk, "the desk packing, sites/SITE/desks/N")->required();
  pack->add_option("--box", o.box, "the box's barcode")->required();
  pack->add_option("--tube_barcodes", o.tube_barcodes, "the tubes, comma-separated")->required();
  pack->callback([&line] { line.run = [&line] { return Pack(line.options, line.round); }; });

  CLI::App* pickup = AddCommand(app, "pickup", "a courier picks a box up", line, true);
  pickup->add_option("--box", o.box, "the box's barcode")->required();
  pickup->callback([&line] { line.run = [&line] { return PickUp(line.options, line.round); }; });

  CLI::App* receive =
      AddCommand(app, "receive", "a lab receives a box: what it scanned", line, true);
  receive->add_option("--box", o.box, "the box's barcode")->required();
  receive->add_option("--tube_barcodes", o.tube_barcodes, "the tubes scanned, comma-separated")
      ->required();
  receive->add_option("--lab", o.lab, "the lab receiving (default: the token's)");
  receive->callback(
      [&line] { line.run = [&line] { return Receive(line.options, line.round); }; });

  CLI::App* follow_up =
      AddCommand(app, "follow-up", "a recalled resident's own-tube swab", line, true);
  follow_up->add_option("--desk", o.desk, "the desk swabbing")->required();
  follow_up->add_option("--code", o.code, "the resident's code")->required();
  follow_up->add_option("--tube_barcodes", o.tube_barcodes, "the follow-up swab's new tube")
      ->required();
  follow_up->callback(
      [&line] { line.run = [&line] { return FollowUp(line.options, line.round); }; });

  CLI::App* recalls = AddCommand(
      app, "recalls", "positive pools' members, for the building captains", line, true);
  recalls->add_flag("--resample", o.resample,
                    "the resample list (invalid pools, late boxes) instead of the positives");
  recalls->add_flag("--cases", o.cases, "only the cases (a positive follow-up swab), with homes");
  AddCsvFlag(recalls, o, "the list");
  recalls->callback(
      [&line] { line.run = [&line] { return Recalls(line.options, line.round); }; });
}

void AddLocalCommands(CLI::App& app, CommandLine& line) {
  Options& o = line.options;
  CLI::App* generate = AddCommand(app, "generate", "write a synthetic community", line, false);
  generate->add_option("--preset", o.preset, "kangcheng (the reference community) or city")
      ->check(CLI::IsMember({"kangcheng", "city"}))
      ->capture_default_str();
  generate->add_option("--residents", o.residents, "residents for --preset city");
  generate->add_option("--seed", o.seed, "random seed (same seed, same community)")
      ->capture_default_str();
  generate->add_option("--out", o.out, "output directory")->required();
  generate->callback([&line] { line.run = [&line] { return Generate(line.options); }; });

  CLI::App* new_token = AddCommand(app, "new-token", "make a bearer token", line, false);
  new_token
      ->add_option("--role", o.role, "command, tablet, team, courier or lab")
      ->check(CLI::IsMember({"command", "tablet", "team", "courier", "lab"}))
      ->required();
  new_token->add_option("--communities", o.communities,
                        "a command token's communities, comma-separated ('*' for all)");
  new_token->add_option("--site", o.site, "the one site a tablet token acts at");
  new_token->add_option("--team", o.team, "the one door-to-door team a team token acts as, C/N");
  new_token->add_option("--lab", o.lab,
                        "the lab a lab token receives boxes and reports results for");
  new_token->add_option("--token_rate", o.token_rate,
                        "requests per second for this token, 0 for no limit (default: the "
                        "server's --token_rate)");
  new_token->add_option("--tokens_file", o.tokens_file, "append the token's line to this file");
  new_token->callback([&line] { line.run = [&line] { return NewToken(line.options); }; });

  CLI::App* tokens = app.add_subcommand("tokens", "check a tokens file");
  tokens->fallthrough();
  tokens->require_subcommand(1);
  CLI::App* check = AddCommand(*tokens, "check", "would swabwaved load FILE on SIGHUP?", line,
                               false);
  check->add_option("file", line.file, "the tokens file")->required();
  check->callback([&line] { line.run = [&line] { return TokensCheck(line.options, line.file); }; });
}

// Every command below `app`, as "name" or "parent name" paths.
void CollectCommands(const CLI::App& app, const std::string& prefix,
                     std::vector<std::pair<std::string, const CLI::App*>>& out) {
  for (const CLI::App* command : app.get_subcommands([](const CLI::App*) { return true; })) {
    const std::string path = prefix.empty() ? command->get_name()
                                            : absl::StrCat(prefix, " ", command->get_name());
    out.emplace_back(path, command);
    CollectCommands(*command, path, out);
  }
}

// The long flags a command takes (its own, not the ones every command takes).
std::vector<std::string> FlagsOf(const CLI::App& command) {
  std::vector<std::string> flags;
  for (const CLI::Option* option :
       command.get_options([](const CLI::Option* o) { return o->nonpositional(); })) {
    const std::string name = option->get_name();
    if (name != "--help") flags.push_back(name);
  }
  return flags;
}

// `swabwave completion`: a bash completion script from the definitions.
std::string CompletionScript(const CLI::App& app) {
  std::vector<std::pair<std::string, const CLI::App*>> commands;
  CollectCommands(app, "", commands);
  std::vector<std::string> top, common = FlagsOf(app);
  std::string cases;
  for (const auto& [path, command] : commands) {
    if (path.find(' ') == std::string::npos) top.push_back(path);
    std::vector<std::string> words = FlagsOf(*command);
    for (const CLI::App* sub : command->get_subcommands([](const CLI::App*) { return true; })) {
      words.push_back(sub->get_name());
    }
    absl::StrAppend(&cases, "    \"", path, "\") words=\"", absl::StrJoin(words, " "),
                    "\" ;;\n");
  }
  return absl::StrCat(
      "# bash completion for swabwave; written by `swabwave completion` (installed by the\n"
      "# package as /usr/share/bash-completion/completions/swabwave).\n"
      "_swabwave() {\n"
      "  local cur=\"${COMP_WORDS[COMP_CWORD]}\" path=\"\" word i\n"
      "  # The command so far: the words before the cursor that name commands.\n"
      "  for ((i = 1; i < COMP_CWORD; i++)); do\n"
      "    word=\"${COMP_WORDS[i]}\"\n"
      "    case \"$word\" in -*) continue ;; esac\n"
      "    case \"${path:+$path }$word\" in\n",
      [&] {
        std::string known;
        for (const auto& [path, command] : commands) absl::StrAppend(&known, "      \"", path,
                                                                      "\") path=\"", path,
                                                                      "\" ;;\n");
        return known;
      }(),
      "    esac\n"
      "  done\n"
      "  local words=\"\"\n"
      "  case \"$path\" in\n"
      "    \"\") words=\"", absl::StrJoin(top, " "), " help\" ;;\n", cases,
      "  esac\n"
      "  if [[ \"$cur\" == -* ]]; then words=\"$words ", absl::StrJoin(common, " "), "\"; fi\n"
      "  COMPREPLY=($(compgen -W \"$words\" -- \"$cur\"))\n"
      "  [ ${#COMPREPLY[@]} -eq 0 ] && COMPREPLY=($(compgen -f -- \"$cur\"))\n"
      "  return 0\n"
      "}\n"
      "complete -F _swabwave swabwave\n");
}

// The deepest command named on the command line (the app itself if none).
const CLI::App* NamedCommand(const CLI::App& app) {
  const CLI::App* named = &app;
  for (std::vector<const CLI::App*> parsed = {&app}; !parsed.empty();) {
    const std::vector<CLI::App*> under = parsed.back()->get_subcommands();
    parsed.clear();
    if (!under.empty()) {
      named = under.front();
      parsed.push_back(named);
    }
  }
  return named;
}

std::string CommandPath(const CLI::App& command) {
  std::vector<std::string> names;
  for (const CLI::App* at = &command; at != nullptr && at->get_parent() != nullptr;
       at = at->get_parent()) {
    names.insert(names.begin(), at->get_name());
  }
  return absl::StrJoin(names, " ");
}

// A command's help, its usage line naming the whole command.
std::string HelpOf(const CLI::App& command) {
  if (command.get_parent() == nullptr) return command.help();
  return command.help(absl::StrCat("swabwave", command.get_parent()->get_parent() == nullptr
                                                   ? ""
                                                   : " " + CommandPath(*command.get_parent())));
}

}  // namespace

int RunCommandLine(int argc, char** argv) {
  CommandLine line;
  CLI::App app("swabwave: the swabwave command-center CLI. `swabwave help COMMAND` shows a "
               "command's flags.",
               "swabwave");
  app.set_version_flag("--version", absl::StrCat("swabwave ", kVersion, " (revision ",
                                                 kRevision, ")"));
  app.require_subcommand(1);
  AddClientFlags(app, line);
  AddRoundCommands(app, line);
  AddPlanningCommands(app, line);
  AddProgressCommands(app, line);
  AddDeskCommands(app, line);
  AddLabCommands(app, line);
  AddLocalCommands(app, line);

  std::vector<std::string> help_words;
  CLI::App* help = app.add_subcommand("help", "show a command's flags: swabwave help COMMAND");
  help->fallthrough();
  help->add_option("command", help_words, "the command, e.g. plan or round create");
  help->callback([&] {
    line.run = [&] {
      const CLI::App* shown = &app;
      for (const std::string& word : help_words) {
        const CLI::App* next = nullptr;
        for (const CLI::App* sub : shown->get_subcommands([](const CLI::App*) { return true; })) {
          if (sub->get_name() == word) next = sub;
        }
        if (next == nullptr) {
          std::cerr << "swabwave help: no command '" << absl::StrJoin(help_words, " ")
                    << "'; `swabwave help` lists them\n";
          return 2;
        }
        shown = next;
      }
      std::cout << HelpOf(*shown);
      return 0;
    };
  });
  CLI::App* completion = app.add_subcommand("completion", "print the bash completion script");
  completion->fallthrough();
  completion->callback([&] {
    line.run = [&] {
      std::cout << CompletionScript(app);
      return 0;
    };
  });

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    std::cout << HelpOf(*NamedCommand(app));
    return 0;
  } catch (const CLI::CallForVersion& e) {
    std::cout << e.what() << "\n";
    return 0;
  } catch (const CLI::ParseError& e) {
    const CLI::App& command = *NamedCommand(app);
    std::cerr << "swabwave";
    if (&command != &app) std::cerr << " " << CommandPath(command);
    std::cerr << ": " << e.what() << "\n";
    if (&command != &app) {
      const std::vector<std::string> flags = FlagsOf(command);
      std::cerr << "'swabwave " << CommandPath(command) << "' takes "
                << (flags.empty() ? std::string("no flags of its own")
                                  : absl::StrCat("these flags: ", absl::StrJoin(flags, " ")))
                << "; every command also takes --server, --token, --output and the TLS flags "
                   "(swabwave help "
                << CommandPath(command) << ")\n";
    } else {
      std::cerr << "`swabwave help` lists the commands\n";
    }
    return 2;
  }
  const std::optional<OutputFormat> output = ParseOutputFormat(line.output);
  line.options.output = output.value_or(OutputFormat::kTable);
  absl::StatusOr<ClientOptions> client = ClientOptionsFrom(line.client);
  if (!client.ok()) {
    std::cerr << "swabwave: " << client.status().message() << "\n";
    return 2;
  }
  line.options.client = *std::move(client);
  return line.run ? line.run() : 2;
}

}  // namespace swabwave::services::cli
