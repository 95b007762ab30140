// A season (issue 18): 20 rounds over three simulated months through a real
// swabwaved process on one journal — each round planned, its desks' tablets
// and its door-to-door teams played (two calls: the second to the
// not-home), a few residents never coming, then closed. The server restarts
// for every round (its rehearsal clock moved to the round's day) and is
// killed with kill -9 in the middle of one round. Then every round's end
// state and every resident's history are checked against what the tablets
// and teams were answered, and the missed list against the histories.
//
// Short mode (the default, in CI): a 2,000-resident community. Long mode
// for people: SWABWAVE_SEASON=long, the reference community (17,000); it
// prints the season's figures for bench/RESULTS.md.
//
// The roster changes before every round after the first, as a new version
// (about 1% of residents a week: some leave, as many join, some move
// house), and one re-import that would remove someone sampled in an open
// round is refused. Histories and the missed list are checked per code
// against the rosters each round pinned.
//
// Three walk-ins register at a desk in every round (a new household, one
// joining it, one with the card's code); the next round's roster has them.
// The test keeps its own copy of each version and checks the server's
// against it.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/io/generator.h"
#include "services/api/proto_convert.h"
#include "services/replay/door_teams.h"
#include "services/replay/tablet_fleet.h"
#include "services/swabwave/client.h"
#include "engine/roster/walk_in_roster.h"
#include "tests/engine/test_community.h"
#include "tests/services/server_process.h"
#include "tests/services/test_server.h"

namespace swabwave::services {
namespace {

using testing::FreshWorkDir;
using testing::ServerProcess;

constexpr int kRounds = 20;
constexpr int kKilledRound = 10;  // kill -9 between its tablets' two halves
// 2026-09-01 07:00 Asia/Shanghai; a round every 4.5 days: 20 in 3 months.
const absl::Time kSeasonStart = absl::FromUnixSeconds(1788217200);
constexpr absl::Duration kEvery = absl::Hours(108);

// A stable hash of (code, round): which residents never come to a round,
// the same in every run (absl::Hash is salted per process).
uint64_t Stable(const std::string& code, int round) {
  uint64_t h = 0xcbf29ce484222325ULL ^ static_cast<uint64_t>(round);
  for (const char c : code) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return h ^ (h >> 29);
}

bool LongMode() {
  const char* mode = std::getenv("SWABWAVE_SEASON");
  return mode != nullptr && std::string(mode) == "long";
}

// What the tablets and teams were answered in one round.
struct RoundPlay {
  std::map<std::string, std::string> sampled_at;  // code -> desk, from the answers
  int64_t sampled = 0;
  std::set<std::string> roster;  // the codes of the version the round pinned
  std::set<std::string> walk_ins;  // registered (and sampled) at a desk
};

// The roster before round k (k >= 1): about 0.5% of residents leave (as
// many new ones join existing households) and about 0.2% move house: 0.7%
// of the roster changes a round, about 1.1% a week at a round every 4.5
// days.
engine::Community Churned(const engine::Community& c, int k) {
  engine::testing::RosterEdits edits;
  const auto household = [&](uint64_t h) { return c.households[h % c.households.size()].id; };
  for (engine::ResidentId r = 0; r < c.residents.size(); ++r) {
    const uint64_t h = Stable(std::string(c.resident_code(r)), 1000 + k);
    const int row = static_cast<int>(r) + 1;
    if (h % 200 == 0) {
      edits.remove_rows.push_back(row);
    } else if (h % 500 == 1) {
      edits.move_rows.push_back({row, household(h >> 16)});
    }
  }
  for (size_t i = 0; i < edits.remove_rows.size(); ++i) {
    edits.add.push_back({absl::StrCat("SEASON-NEW-", k, "-", i),
                         household(Stable(absl::StrCat("new-", i), k))});
  }
  return engine::testing::Rebuilt(c, edits);
}

std::set<std::string> CodesOf(const engine::Community& c) {
  std::set<std::string> codes;
  for (engine::ResidentId r = 0; r < c.residents.size(); ++r) {
    codes.emplace(c.resident_code(r));
  }
  return codes;
}

class Season {
 public:
  explicit Season(std::string dir) : dir_(std::move(dir)) {}

  // (Re)starts swabwaved on the season's journal with its clock at `now`.
  void StartAt(absl::Time now) {
    const absl::Duration shift = absl::Trunc(now - absl::Now(), absl::Seconds(1));
    server_ = std::make_unique<ServerProcess>(
        SWABWAVED_PATH,
        std::vector<std::string>{"--data_dir=" + dir_ + "/journal", "--auth=none",
                                 "--http_listen=127.0.0.1:0",
                                 absl::StrCat("--rehearsal_clock_shift=",
                                              absl::ToInt64Seconds(shift), "s")},
        absl::StrCat(dir_, "/swabwaved-", ++starts_, ".log"));
    const int port = server_->WaitForPort();
    ASSERT_GT(port, 0) << server_->Log();
    client_ = std::make_unique<Client>(
        ClientOptions{.address = absl::StrCat("127.0.0.1:", port)});
  }
  void Kill() { server_->Kill(); }
  void Stop() { ASSERT_EQ(server_->Stop(), 0); }
  std::string Log() const { return server_->Log(); }
  Client& client() { return *client_; }

 private:
  std::string dir_;
  int starts_ = 0;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<Client> client_;
};

grpc::Status Call(const std::function<grpc::Status(grpc::ClientContext&)>& call) {
  return Client::Call(call, absl::Minutes(2));
}

grpc::Status ImportAs(Client& client, const engine::Community& community, v1::ImportMode mode,
                      int base_version, const std::string& request_id,
                      v1::ImportCommunityResponse* response) {
  std::vector<v1::ImportCommunityRequest> chunks = CommunityToChunks(community, request_id);
  chunks[0].set_mode(mode);
  chunks[0].set_base_version(base_version);
  return Call([&](grpc::ClientContext& c) {
    auto writer = client.planning().ImportCommunity(&c, response);
    for (const v1::ImportCommunityRequest& chunk : chunks) writer->Write(chunk);
    writer->WritesDone();
    return writer->Finish();
  });
}

v1::Counts Totals(Client& client, const std::string& round) {
  v1::GetProgressRequest request;
  request.set_round(round);
  request.set_level(v1::PROGRESS_LEVEL_COMMUNITY);
  v1::GetProgressResponse response;
  const grpc::Status status = Call([&](grpc::ClientContext& c) {
    return client.progress().GetProgress(&c, request, &response);
  });
  EXPECT_TRUE(status.ok()) << status.error_message();
  return response.total();
}

// Keeps what each answered scan sampled, and where.
void Remember(const std::vector<DeskWork>& work, const FleetReport& report, RoundPlay& play) {
  for (size_t d = 0; d < work.size(); ++d) {
    for (size_t s = 0; s < work[d].scans.size() && s < report.outcomes[d].size(); ++s) {
      if (report.outcomes[d][s].code == 0) {
        play.sampled_at[work[d].scans[s].code] = work[d].desk;
      }
    }
  }
  play.sampled += report.sampled - report.replayed;
}

TEST(SeasonTest, TwentyRoundsEndAsTheTabletsAndTeamsWereToldAndEveryHistorySaysSo) {
  const absl::Time began = absl::Now();
  const std::string dir = FreshWorkDir("season");
  engine::GeneratorOptions generate;
  if (!LongMode()) {
    generate.preset = "city";
    generate.residents = 2'000;
  }
  absl::StatusOr<std::vector<engine::Community>> generated =
      engine::GenerateCommunities(generate);
  ASSERT_TRUE(generated.ok()) << generated.status();
  // The roster's versions, latest last.
  std::vector<engine::Community> versions;
  versions.push_back(std::move(generated->front()));
  const size_t initial_residents = versions.back().residents.size();

  Season season(dir);
  ASSERT_NO_FATAL_FAILURE(season.StartAt(kSeasonStart));
  {
    v1::ImportCommunityResponse imported;
    const grpc::Status status = ImportAs(season.client(), versions.back(),
                                         v1::IMPORT_MODE_UNSPECIFIED, 0, "season-import",
                                         &imported);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  const std::string community_id = versions.back().id;
  int64_t churned = 0;  // residents added, removed or moved over the season
  int latest_version = 1;  // the server's
  int64_t walk_ins = 0;

  std::vector<RoundPlay> plays(kRounds);
  std::string after_kill;  // the journal's recovery line after the kill -9
  int64_t total_tests = 0;
  for (int k = 0; k < kRounds; ++k) {
    SCOPED_TRACE(absl::StrCat("round ", k + 1));
    const absl::Time start = kSeasonStart + k * kEvery;
    const std::string id = absl::StrCat("s", k + 1);
    const std::string round = absl::StrCat("rounds/", id);
    if (k > 0) {
      ASSERT_NO_FATAL_FAILURE(season.Stop());
      ASSERT_NO_FATAL_FAILURE(season.StartAt(start + absl::Minutes(5)));
    }
    Client& client = season.client();
    if (k > 0) {
      // The roster changed since the last round: its next version.
      versions.push_back(Churned(versions.back(), k));
      v1::ImportCommunityResponse imported;
      const grpc::Status status =
          ImportAs(client, versions.back(), v1::IMPORT_MODE_NEW_VERSION, latest_version,
                   absl::StrCat("churn-", k), &imported);
      ASSERT_TRUE(status.ok()) << status.error_message();
      EXPECT_EQ(imported.version(), latest_version + 1);
      latest_version = imported.version();
      EXPECT_GT(imported.diff().removed(), 0);
      // As many join as leave, and the last round's three walk-ins are
      // added (the server takes them in only when the round is created).
      EXPECT_EQ(imported.diff().added(), imported.diff().removed() + 3);
      churned += 2 * imported.diff().removed() + imported.diff().moved();
    }
    plays[k].roster = CodesOf(versions.back());
    v1::CreateRoundRequest create;
    create.set_request_id(absl::StrCat("create-", id));
    create.set_round_id(id);
    create.add_community_ids(community_id);
    ToProto(start, create.mutable_start_time());
    create.set_pool_ratio(k % 5 == 4 ? 5 : 10);
    create.set_door_to_door_teams(2);
    v1::CreateRoundResponse created;
    ASSERT_TRUE(Call([&](grpc::ClientContext& c) {
                  return client.planning().CreateRound(&c, create, &created);
                }).ok());
    // The round pins the latest version (one more when it took in the last
    // round's walk-ins), which has exactly the test's copy's residents.
    ASSERT_EQ(created.round().community_versions_size(), 1);
    EXPECT_GE(created.round().community_versions(0), latest_version);
    latest_version = created.round().community_versions(0);
    EXPECT_EQ(created.round().residents(), static_cast<int64_t>(versions.back().residents.size()));
    v1::PlanRoundRequest plan;
    plan.set_request_id(absl::StrCat("plan-", id));
    plan.set_round(round);
    v1::PlanRoundResponse planned;
    grpc::Status status = Call([&](grpc::ClientContext& c) {
      return client.planning().PlanRound(&c, plan, &planned);
    });
    ASSERT_TRUE(status.ok()) << status.error_message();
    v1::OpenRoundRequest open;
    open.set_request_id(absl::StrCat("open-", id));
    open.set_round(round);
    v1::OpenRoundResponse opened;
    ASSERT_TRUE(Call([&](grpc::ClientContext& c) {
                  return client.planning().OpenRound(&c, open, &opened);
                }).ok());

    // The tablets: everyone due at a site but about 3% (who never come,
    // others each round), in two halves.
    absl::StatusOr<std::vector<DeskWork>> work = WorkFromServer(client, round);
    ASSERT_TRUE(work.ok()) << work.status();
    std::vector<DeskWork> first = *work, second = *work;
    for (size_t d = 0; d < work->size(); ++d) {
      first[d].scans.clear();
      second[d].scans.clear();
      for (const Scan& scan : (*work)[d].scans) {
        const uint64_t h = Stable(scan.code, k);
        if (h % 33 == 0) continue;  // does not come
        ((h >> 8) % 2 == 0 ? first : second)[d].scans.push_back(scan);
      }
    }
    FleetOptions options;
    options.round = round;
    options.timeout = absl::Minutes(5);
    absl::StatusOr<FleetReport> report = RunFleet(client, first, options);
    ASSERT_TRUE(report.ok()) << report.status();
    EXPECT_EQ(report->errors, 0) << report->first_error;
    Remember(first, *report, plays[k]);
    if (k == 2) {
      // A re-import that drops someone sampled in this open round is refused.
      const std::string sampled = plays[k].sampled_at.begin()->first;
      const engine::Community& latest = versions.back();
      engine::testing::RosterEdits drop;
      for (engine::ResidentId r = 0; r < latest.residents.size(); ++r) {
        if (latest.resident_code(r) == sampled) drop.remove_rows.push_back(static_cast<int>(r) + 1);
      }
      v1::ImportCommunityResponse refused;
      const grpc::Status refusal =
          ImportAs(client, engine::testing::Rebuilt(latest, drop), v1::IMPORT_MODE_NEW_VERSION,
                   latest_version, "drop-sampled", &refused);
      EXPECT_EQ(refusal.error_code(), grpc::StatusCode::FAILED_PRECONDITION)
          << refusal.error_message();
    }
    if (k + 1 == kKilledRound) {
      // kill -9 mid-round: every acknowledged check-in is there after.
      const v1::Counts before = Totals(client, round);
      season.Kill();
      ASSERT_NO_FATAL_FAILURE(season.StartAt(start + absl::Minutes(6)));
      const std::string log = season.Log();
      const size_t at = log.find("recovered");
      after_kill = at == std::string::npos ? "" : log.substr(at, 160);
      const v1::Counts after = Totals(season.client(), round);
      EXPECT_EQ(after.sampled(), before.sampled());
      EXPECT_EQ(after.sampled(), plays[k].sampled);
    }
    Client& now = season.client();
    options.tube_series = 1;
    report = RunFleet(now, second, options);
    ASSERT_TRUE(report.ok()) << report.status();
    EXPECT_EQ(report->errors, 0) << report->first_error;
    Remember(second, *report, plays[k]);

    // The teams, twice: the second call finds some not home again.
    int64_t off_route = 0;
    for (int call = 1; call <= 2; ++call) {
      TeamDayOptions day;
      day.seed = static_cast<uint64_t>(k + 1);
      day.call = call;
      day.not_home = call == 1 ? 0.2 : 0.3;
      day.neighbours = call == 1 ? 0.3 : 0;
      absl::StatusOr<std::vector<TeamWork>> teams = TeamWorkFromServer(now, round, day);
      ASSERT_TRUE(teams.ok()) << teams.status();
      std::vector<DeskWork> samples;
      for (const TeamWork& team : *teams) samples.push_back(team.samples);
      options.tube_prefix = absl::StrCat("D", call);
      absl::StatusOr<TeamReport> team_report = RunTeams(now, *teams, options);
      ASSERT_TRUE(team_report.ok()) << team_report.status();
      EXPECT_EQ(team_report->visit_errors, 0) << team_report->first_visit_error;
      EXPECT_EQ(team_report->check_ins.errors, 0) << team_report->check_ins.first_error;
      // RunTeams plays only the teams with someone to sample.
      std::vector<DeskWork> played;
      for (const DeskWork& desk : samples) {
        if (!desk.scans.empty()) played.push_back(desk);
      }
      Remember(played, team_report->check_ins, plays[k]);
      off_route += team_report->off_route;
    }
    options.tube_prefix = "T";
    options.tube_series = 0;

    // Three walk-ins at the first desk: a new household, one joining it,
    // and one with the card's code. A fresh tube waits behind the desk's
    // open one, so there is always a tube to take them.
    {
      const std::string desk = work->front().desk;
      v1::OpenTubeRequest open_tube;
      open_tube.set_request_id(absl::StrCat("walk-in-tube-", k));
      open_tube.set_round(round);
      open_tube.set_desk(desk);
      open_tube.set_tube_barcode(absl::StrCat("WALKIN-", k + 1));
      v1::OpenTubeResponse tube;
      ASSERT_TRUE(Call([&](grpc::ClientContext& c) {
                    return now.checkin().OpenTube(&c, open_tube, &tube);
                  }).ok());
      const engine::Community& roster = versions.back();
      const std::string unit =
          roster.units[Stable(absl::StrCat("unit-", k), k) % roster.units.size()].id;
      std::vector<engine::roster::KeyedWalkIn> registered;
      std::string household;
      for (int i = 0; i < 3; ++i) {
        v1::RegisterWalkInRequest walk_in;
        walk_in.set_request_id(absl::StrCat("walk-in-", k, "-", i));
        walk_in.set_round(round);
        walk_in.set_desk(desk);
        walk_in.set_community_id(community_id);
        walk_in.set_unit_id(unit);
        walk_in.set_household_id(household);
        if (i == 2) walk_in.set_code(absl::StrCat("CARD-", k + 1, "-3"));
        v1::RegisterWalkInResponse answer;
        const grpc::Status registration = Call([&](grpc::ClientContext& c) {
          return now.checkin().RegisterWalkIn(&c, walk_in, &answer);
        });
        ASSERT_TRUE(registration.ok()) << registration.error_message();
        household = answer.household_id();
        plays[k].sampled_at[answer.code()] = desk;
        plays[k].walk_ins.insert(answer.code());
        ++plays[k].sampled;
        ++walk_ins;
        engine::roster::WalkIn added;
        added.code = answer.code();
        added.unit_id = unit;
        added.household_id = answer.household_id();
        registered.push_back({added, 0});
      }
      // The test's copy takes them in as the next round's roster will.
      absl::StatusOr<engine::Community> with = engine::roster::WithWalkIns(roster, registered);
      ASSERT_TRUE(with.ok()) << with.status();
      versions.back() = *std::move(with);
    }

    v1::CloseRoundRequest close;
    close.set_request_id(absl::StrCat("close-", id));
    close.set_round(round);
    v1::CloseRoundResponse closed;
    ASSERT_TRUE(Call([&](grpc::ClientContext& c) {
                  return now.planning().CloseRound(&c, close, &closed);
                }).ok());

    // The round's end state: what the tablets and teams were told.
    const v1::Counts end = Totals(now, round);
    EXPECT_EQ(end.sampled(), plays[k].sampled);
    EXPECT_EQ(static_cast<size_t>(end.sampled()), plays[k].sampled_at.size());
    // Nobody unaccounted but the site residents who never came and whom
    // no team met on the stairs.
    int64_t never_came = 0;
    for (const DeskWork& desk : *work) {
      for (const Scan& scan : desk.scans) never_came += Stable(scan.code, k) % 33 == 0;
    }
    EXPECT_EQ(end.unaccounted(), never_came - off_route);
    total_tests += end.sampled();
  }

  // Every resident's history: each round says what its tablets and teams
  // were answered, and the counts per round agree with its progress.
  std::vector<std::map<v1::RoundOutcome, int64_t>> outcomes(kRounds);
  std::map<std::string, std::vector<v1::RoundOutcome>> history_of;
  Client& client = season.client();
  std::set<std::string> everyone;  // every code on any version
  for (const RoundPlay& play : plays) {
    everyone.insert(play.roster.begin(), play.roster.end());
    everyone.insert(play.walk_ins.begin(), play.walk_ins.end());
  }
  for (const std::string& code : everyone) {
    v1::GetResidentHistoryRequest request;
    request.set_resident_code(code);
    v1::GetResidentHistoryResponse response;
    const grpc::Status status = Call([&](grpc::ClientContext& c) {
      return client.progress().GetResidentHistory(&c, request, &response);
    });
    ASSERT_TRUE(status.ok()) << status.error_message();
    // One entry for each round whose roster had them, in order.
    int entry_index = 0;
    for (int k = 0; k < kRounds; ++k) {
      if (!plays[k].roster.contains(code) && !plays[k].walk_ins.contains(code)) continue;
      ASSERT_LT(entry_index, response.rounds_size()) << code;
      const v1::ResidentRound& entry = response.rounds(entry_index++);
      ASSERT_EQ(entry.round(), absl::StrCat("rounds/s", k + 1));
      ++outcomes[k][entry.outcome()];
      history_of[code].push_back(entry.outcome());
      const auto sampled = plays[k].sampled_at.find(code);
      if (sampled != plays[k].sampled_at.end()) {
        EXPECT_EQ(entry.outcome(), v1::ROUND_OUTCOME_SAMPLED) << "round " << k;
        EXPECT_EQ(entry.desk(), sampled->second) << "round " << k;
      } else {
        EXPECT_NE(entry.outcome(), v1::ROUND_OUTCOME_SAMPLED) << "round " << k;
      }
    }
    EXPECT_EQ(entry_index, response.rounds_size());
  }
  for (int k = 0; k < kRounds; ++k) {
    const v1::Counts end = Totals(client, absl::StrCat("rounds/s", k + 1));
    EXPECT_EQ(outcomes[k][v1::ROUND_OUTCOME_SAMPLED], end.sampled()) << k;
    EXPECT_EQ(outcomes[k][v1::ROUND_OUTCOME_MISSED], end.remaining()) << k;
    EXPECT_EQ(outcomes[k][v1::ROUND_OUTCOME_NOT_DUE], end.exempt() + end.moved_away()) << k;
  }

  // The missed list agrees with the histories: missed the last two rounds
  // each resident was due in.
  v1::ListMissedRequest missed_request;
  missed_request.set_community_id(community_id);
  missed_request.set_last(2);
  v1::ListMissedResponse missed;
  ASSERT_TRUE(Call([&](grpc::ClientContext& c) {
                return client.progress().ListMissed(&c, missed_request, &missed);
              }).ok());
  std::set<std::string> listed, expected;
  for (const v1::MissedBuilding& b : missed.buildings()) {
    for (const v1::MissedResident& m : b.residents()) listed.insert(m.code());
  }
  for (const auto& [code, rounds] : history_of) {
    // The list is of the latest roster: the last round's (its own walk-ins
    // join the roster when a round is next created).
    if (!plays.back().roster.contains(code)) continue;
    int due = 0, missed_rounds = 0;
    for (auto it = rounds.rbegin(); it != rounds.rend() && due < 2; ++it) {
      if (*it == v1::ROUND_OUTCOME_NOT_DUE) continue;
      ++due;
      missed_rounds += *it == v1::ROUND_OUTCOME_MISSED;
    }
    if (due == 2 && missed_rounds == 2) expected.insert(code);
  }
  EXPECT_EQ(listed, expected);
  EXPECT_EQ(missed.rounds_considered(), kRounds);

  // The season's figures.
  const std::string journal_log = season.Log();
  ASSERT_NO_FATAL_FAILURE(season.Stop());
  uint64_t journal_bytes = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir + "/journal")) {
    if (entry.is_regular_file()) journal_bytes += entry.file_size();
  }
  const size_t recovered = journal_log.find("recovered");
  std::cout << "season: " << kRounds << " rounds, " << initial_residents
            << " residents (" << churned << " added, removed or moved in " << latest_version
            << " roster versions; " << walk_ins << " walk-ins), " << total_tests << " tests, " << absl::FormatDuration(absl::Now() - began)
            << " in all, journal " << journal_bytes / 1024 << " KiB\n  after the kill -9: "
            << after_kill << "\n  last start: "
            << (recovered == std::string::npos ? "" : journal_log.substr(recovered, 160)) << "\n";
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace swabwave::services
