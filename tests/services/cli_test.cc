// The CLI as scripts use it (issue 26): every command with --output json
// prints what a JSON parser reads, with the server's answer in it; csv
// prints a header and a row per record; a flag a command does not take is
// refused, naming the command's flags; `swabwave help COMMAND` shows them.
// Each test drives the real swabwave binary against an in-process server.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "tests/services/test_server.h"

namespace swabwave::services {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing::Code;
using testing::CommunitySpec;
using testing::Desk;

// A JSON number, or an int64 as protobuf's JSON mapping writes it (a string).
int64_t Int(const nlohmann::json& value) {
  return value.is_string() ? std::stoll(value.get<std::string>()) : value.get<int64_t>();
}

struct CliRun {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

class CliTest : public testing::ServerTest {
 protected:
  // `swabwave ARGS --server=...`, its stdout, stderr and exit code.
  CliRun Cli(const std::string& args) {
    // Per process: ctest runs the tests of this file side by side.
    const std::string err_path = absl::StrCat(::testing::TempDir(), "/cli-stderr-", ::getpid());
    const std::string command = absl::StrCat(SWABWAVE_PATH, " ", args, " --server=127.0.0.1:",
                                             server_->port(), " 2>", err_path);
    CliRun run;
    FILE* pipe = ::popen(command.c_str(), "r");
    char buffer[4096];
    size_t got = 0;
    while (pipe != nullptr && (got = std::fread(buffer, 1, sizeof(buffer), pipe)) > 0) {
      run.out.append(buffer, got);
    }
    const int status = pipe == nullptr ? -1 : ::pclose(pipe);
    run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    std::ifstream err(err_path);
    run.err.assign(std::istreambuf_iterator<char>(err), std::istreambuf_iterator<char>());
    return run;
  }

  // `swabwave ARGS --output json`, parsed; fails the test unless it exits
  // `exit_code` with one JSON document on stdout.
  nlohmann::json Json(const std::string& args, int exit_code = 0) {
    const CliRun run = Cli(args + " --output json");
    EXPECT_EQ(run.exit_code, exit_code) << args << "\n" << run.err;
    nlohmann::json parsed = nlohmann::json::parse(run.out, nullptr, /*allow_exceptions=*/false);
    EXPECT_FALSE(parsed.is_discarded()) << args << " printed no JSON:\n" << run.out;
    return parsed;
  }

  // Round "r" over the test community, open; residents 1-10 fill TUBE-1 at
  // desk 1 of tc-s0, 11-12 go into TUBE-2, sealed by hand.
  void CheckTwelveIn() {
    ASSERT_NO_FATAL_FAILURE(OpenRound(CommunitySpec{}, "r"));
    ASSERT_TRUE(OpenTube("r", Desk("tc-s0", 1), "TUBE-1").ok());
    ASSERT_TRUE(OpenTube("r", Desk("tc-s0", 1), "TUBE-2").ok());
    for (int n = 1; n <= 12; ++n) ASSERT_TRUE(CheckIn("r", Desk("tc-s0", 1), Code("tc", n)).ok());
    ASSERT_TRUE(SealTube("r", Desk("tc-s0", 1), "TUBE-2").ok());
  }

  // CheckTwelveIn, and both tubes in BOX-1, picked up and received by lab-1.
  void ShipOneBox() {
    ASSERT_NO_FATAL_FAILURE(CheckTwelveIn());
    ASSERT_EQ(Cli(absl::StrCat("pack r --desk ", Desk("tc-s0", 2),
                               " --box BOX-1 --tube_barcodes TUBE-1,TUBE-2"))
                  .exit_code,
              0);
    ASSERT_EQ(Cli("pickup r --box BOX-1").exit_code, 0);
    ASSERT_EQ(Cli("receive r --box BOX-1 --tube_barcodes TUBE-1,TUBE-2 --lab lab-1").exit_code,
              0);
  }

  // A results file: TUBE-1 positive, TUBE-2 negative.
  std::string ResultsFile() {
    const std::string path = ::testing::TempDir() + "/cli-results.csv";
    std::ofstream(path) << "tube_barcode,result,ct,run_id\nTUBE-1,positive,24.5,RUN-1\n"
                           "TUBE-2,negative,,RUN-1\n";
    return path;
  }
};

TEST_F(CliTest, GenerateAndImportPrintJson) {
  const std::string dir = ::testing::TempDir() + "/cli-generated";
  const nlohmann::json generated = Json("generate --preset kangcheng --out " + dir);
  EXPECT_EQ(generated["communities"], 1);
  EXPECT_EQ(generated["residents"], 17000);
  EXPECT_EQ(generated["out"], dir);
  const nlohmann::json imported = Json("import " + dir);
  ASSERT_TRUE(imported.is_array());
  ASSERT_EQ(imported.size(), 1u);
  EXPECT_EQ(imported[0]["community"], "communities/kangcheng");
  EXPECT_EQ(Int(imported[0]["residents"]), 17000);
  // Again: unchanged, the preview's answer.
  const nlohmann::json again = Json("import " + dir);
  EXPECT_EQ(again[0]["diff"]["base_version"], 1);
}

TEST_F(CliTest, RoundCommandsPrintJson) {
  ASSERT_NO_FATAL_FAILURE(OpenRound(CommunitySpec{}, "r"));
  const nlohmann::json created =
      Json("round create --round_id fresh --communities tc --start 2030-01-01T07:00:00Z");
  EXPECT_EQ(created["round"]["name"], "rounds/fresh");
  EXPECT_EQ(created["round"]["state"], "ROUND_STATE_DRAFT");
  EXPECT_TRUE(created["advice"].contains("ratio"));
  const nlohmann::json listed = Json("round list");
  ASSERT_EQ(listed["rounds"].size(), 2u);
  EXPECT_EQ(listed["next_page_token"], "");
  EXPECT_EQ(Json("round show r")["round"]["state"], "ROUND_STATE_OPEN");
  EXPECT_GT(Int(Json("plan fresh")["summary"]["residents"]), 0);
  EXPECT_EQ(Json("round open fresh")["round"]["state"], "ROUND_STATE_OPEN");
  EXPECT_EQ(Json("round close fresh")["round"]["state"], "ROUND_STATE_CLOSED");
}

TEST_F(CliTest, PlanningCommandsPrintJson) {
  ASSERT_NO_FATAL_FAILURE(OpenRound(CommunitySpec{}, "r"));
  const nlohmann::json schedule = Json("schedule r");
  ASSERT_FALSE(schedule["assignments"].empty());
  EXPECT_EQ(schedule["assignments"][0]["community_id"], "tc");
  const nlohmann::json forecast = Json("forecast r --replications 5");
  EXPECT_EQ(forecast["replications"], 5);
  EXPECT_FALSE(forecast["sites"].empty());
  const nlohmann::json roster = Json("roster r");
  EXPECT_TRUE(roster.contains("shifts"));
  const nlohmann::json routes = Json("routes r");
  EXPECT_TRUE(routes.contains("routes"));
  EXPECT_TRUE(Json("door-to-door r").contains("buildings"));
  // Advice is for a round not yet open.
  ASSERT_TRUE(CreateRound("planned", "tc").ok());
  ASSERT_TRUE(Plan("planned").ok());
  const nlohmann::json advice = Json("finish-by planned --by 2099-01-01T00:00:00Z");
  EXPECT_TRUE(advice.contains("waves_allowed"));
  EXPECT_EQ(advice["met_on_hand"], true);
  const nlohmann::json replan = Json("replan r --from_wave 0 --changes tc-s0=1");
  EXPECT_TRUE(replan.contains("moved"));
  EXPECT_TRUE(replan["summary"].contains("waves_used"));
}

TEST_F(CliTest, ProgressCommandsPrintJson) {
  ASSERT_NO_FATAL_FAILURE(CheckTwelveIn());
  const nlohmann::json progress = Json("progress r --level site");
  EXPECT_EQ(Int(progress["total"]["sampled"]), 12);
  EXPECT_FALSE(progress["rows"].empty());
  const nlohmann::json untested = Json("untested r --limit 5");
  EXPECT_EQ(untested["residents"].size(), 5u);
  const nlohmann::json history = Json("history " + Code("tc", 1));
  ASSERT_EQ(history["rounds"].size(), 1u);
  EXPECT_EQ(history["rounds"][0]["round"], "rounds/r");
  EXPECT_EQ(history["rounds"][0]["tube_barcode"], "TUBE-1");
}

TEST_F(CliTest, WatchPrintsOneJsonLinePerUpdate) {
  ASSERT_NO_FATAL_FAILURE(CheckTwelveIn());
  ASSERT_TRUE(Close("r").ok());
  // A closed round's watch sends its last counts and ends.
  const CliRun run = Cli("watch r --interval 100ms --output json");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const std::vector<std::string> lines = absl::StrSplit(run.out, '\n', absl::SkipEmpty());
  ASSERT_FALSE(lines.empty());
  for (const std::string& line : lines) {
    const nlohmann::json update = nlohmann::json::parse(line);
    EXPECT_EQ(Int(update["total"]["sampled"]), 12);
  }
  EXPECT_EQ(nlohmann::json::parse(lines.back())["round_closed"], true);
}

TEST_F(CliTest, MissedPrintsJson) {
  ASSERT_NO_FATAL_FAILURE(CheckTwelveIn());
  ASSERT_TRUE(Close("r").ok());
  const nlohmann::json missed = Json("missed --community tc --last 1");
  EXPECT_GT(Int(missed["residents"]), 0);
  ASSERT_FALSE(missed["buildings"].empty());
  EXPECT_FALSE(missed["buildings"][0]["residents"].empty());
}

TEST_F(CliTest, WalkInPrintsJson) {
  ASSERT_NO_FATAL_FAILURE(CheckTwelveIn());
  ASSERT_TRUE(OpenTube("r", Desk("tc-s0", 2), "TUBE-W").ok());
  const nlohmann::json walk_in =
      Json(absl::StrCat("walk-in r --desk ", Desk("tc-s0", 2), " --community tc --unit b0-u0"));
  EXPECT_EQ(walk_in["tube_barcode"], "TUBE-W");
  EXPECT_EQ(walk_in["position"], 1);
  EXPECT_FALSE(walk_in["code"].get<std::string>().empty());
}

TEST_F(CliTest, CustodyCommandsPrintJson) {
  ASSERT_NO_FATAL_FAILURE(CheckTwelveIn());
  const nlohmann::json packed = Json(
      absl::StrCat("pack r --desk ", Desk("tc-s0", 2), " --box BOX-1 --tube_barcodes TUBE-1,TUBE-2"));
  EXPECT_EQ(packed["box"]["state"], "BOX_STATE_PACKED");
  EXPECT_EQ(packed["box"]["tubes"], 2);
  EXPECT_EQ(Json("pickup r --box BOX-1")["box"]["state"], "BOX_STATE_PICKED_UP");
  const nlohmann::json received =
      Json("receive r --box BOX-1 --tube_barcodes TUBE-1,TUBE-2 --lab lab-1");
  EXPECT_EQ(received["box"]["state"], "BOX_STATE_RECEIVED");
  const nlohmann::json boxes = Json("boxes r --with_tubes");
  ASSERT_EQ(boxes["boxes"].size(), 1u);
  EXPECT_EQ(boxes["boxes"][0]["tube_barcodes"].size(), 2u);
  EXPECT_EQ(Int(boxes["total"]), 1);
}

TEST_F(CliTest, LabCommandsPrintJson) {
  ASSERT_NO_FATAL_FAILURE(ShipOneBox());
  const nlohmann::json reported = Json("lab import r " + ResultsFile() + " --lab lab-1");
  ASSERT_EQ(reported["outcomes"].size(), 2u);
  EXPECT_FALSE(reported["outcomes"][0].contains("status")) << reported.dump();
  const nlohmann::json recalls = Json("recalls r");
  ASSERT_EQ(recalls["tubes"].size(), 1u);
  EXPECT_EQ(recalls["tubes"][0]["tube_barcode"], "TUBE-1");
  EXPECT_EQ(recalls["tubes"][0]["members"].size(), 10u);
  const nlohmann::json swab = Json(
      absl::StrCat("follow-up r --desk ", Desk("tc-s0", 1), " --code ", Code("tc", 1),
                   " --tube_barcodes FOLLOW-1"));
  EXPECT_EQ(swab["tube_barcode"], "FOLLOW-1");
  EXPECT_EQ(swab["reason"], "FOLLOW_UP_REASON_RECALL");
  // No case yet: --cases lists none.
  EXPECT_TRUE(Json("recalls r --cases")["tubes"].empty());
}

TEST_F(CliTest, TokenCommandsPrintJson) {
  const std::string tokens = ::testing::TempDir() + "/cli-tokens";
  std::remove(tokens.c_str());
  const nlohmann::json made = Json("new-token --role command --communities tc --tokens_file " +
                                   tokens);
  EXPECT_EQ(made["role"], "command");
  EXPECT_FALSE(made["token"].get<std::string>().empty());
  // The file holds the line with the hash, never the token.
  std::ifstream in(tokens);
  const std::string file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(file, made["tokens_file_line"].get<std::string>() + "\n");
  EXPECT_THAT(file, Not(HasSubstr(made["token"].get<std::string>())));
  const nlohmann::json checked = Json("tokens check " + tokens);
  EXPECT_EQ(checked["loads"], true);
}

TEST_F(CliTest, CsvHasAHeaderAndARowPerRecord) {
  ASSERT_NO_FATAL_FAILURE(CheckTwelveIn());
  const CliRun run = Cli("untested r --limit 3 --output csv");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const std::vector<std::string> lines = absl::StrSplit(run.out, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 4u) << run.out;
  EXPECT_THAT(lines[0], HasSubstr("resident_id,code,"));
  const CliRun rounds = Cli("round list --output csv");
  ASSERT_EQ(rounds.exit_code, 0) << rounds.err;
  EXPECT_THAT(rounds.out, HasSubstr("name,"));
  EXPECT_THAT(rounds.out, HasSubstr("\nrounds/r,"));
  EXPECT_THAT(rounds.out, HasSubstr("start_time"));
}

TEST_F(CliTest, AFlagTheCommandDoesNotTakeIsRefusedNamingItsFlags) {
  ASSERT_NO_FATAL_FAILURE(OpenRound(CommunitySpec{}, "r"));
  const CliRun misplaced = Cli("plan r --with_tubes");
  EXPECT_EQ(misplaced.exit_code, 2);
  EXPECT_THAT(misplaced.err, HasSubstr("--with_tubes"));
  EXPECT_THAT(misplaced.err, HasSubstr("'swabwave plan' takes these flags: --rate"));
  EXPECT_THAT(misplaced.err, HasSubstr("swabwave help plan"));
  EXPECT_EQ(misplaced.out, "");
  // The same flag where it belongs is taken.
  EXPECT_EQ(Cli("boxes r --with_tubes").exit_code, 0);
  // A bad value, and a missing round, are refused too.
  const CliRun bad_output = Cli("round list --output yaml");
  EXPECT_EQ(bad_output.exit_code, 2);
  EXPECT_THAT(bad_output.err, HasSubstr("--output"));
  const CliRun no_round = Cli("progress");
  EXPECT_EQ(no_round.exit_code, 2);
  EXPECT_THAT(no_round.err, HasSubstr("round is required"));
  const CliRun unknown = Cli("plna r");
  EXPECT_EQ(unknown.exit_code, 2);
}

TEST_F(CliTest, HelpShowsACommandsFlags) {
  const CliRun help = Cli("help round create");
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_THAT(help.out, HasSubstr("swabwave round create"));
  EXPECT_THAT(help.out, HasSubstr("--round_id"));
  EXPECT_THAT(help.out, Not(HasSubstr("--with_tubes")));
  EXPECT_THAT(Cli("boxes --help").out, HasSubstr("--with_tubes"));
  EXPECT_EQ(Cli("help no-such-command").exit_code, 2);
  // The completion script knows every command and its flags.
  const CliRun completion = Cli("completion");
  EXPECT_EQ(completion.exit_code, 0);
  EXPECT_THAT(completion.out, HasSubstr("complete -F _swabwave swabwave"));
  EXPECT_THAT(completion.out, HasSubstr("\"boxes\") words=\"--with_tubes\""));
  EXPECT_THAT(completion.out, HasSubstr("\"round\") words=\"create list show open close\""));
}

}  // namespace
}  // namespace swabwave::services
