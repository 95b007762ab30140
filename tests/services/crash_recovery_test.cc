// The crash test of DESIGN.md §4.3: a real swabwaved process with a
// journal, several tablets streaming check-ins into it, kill -9 at a random
// moment, a restart on the same data directory, and a check that
//   - every acknowledged check-in is there, in the tube and position the
//     tablet was told (a retry with its request id is replayed unchanged);
//   - every ALREADY_EXISTS answer named the check-in that survived;
//   - nobody is sampled twice and no tube position holds two swabs;
//   - check-ins that were sent but not acknowledged are there once, or not
//     at all (a retry then samples them);
//   - the round's progress counts exactly the residents sent.
// Then again, on the same directory, for SWABWAVE_CRASH_CYCLES cycles
// (default 3; scripts/crash-loop N runs more). The day after the swab gets
// the same treatment: boxes, results and follow-up swabs, killed at a
// random moment, everything acknowledged checked, and the day finished.
//
// kill -9 keeps the kernel's page cache, so it cannot show that an
// acknowledged check-in was fdatasynced. The power-loss runs preload a file
// layer (power_loss/unsynced_writes.cc) that keeps every write to the data
// directory in the process until it is synced, so the kill loses all that
// was not; a control run with a layer whose syncs lie shows the test sees
// such losses.
#include <gmock/gmock.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "services/api/proto_convert.h"
#include "services/api/resource_names.h"
#include "services/replay/lab_day.h"
#include "services/replay/tablet_fleet.h"
#include "tests/services/server_process.h"
#include "tests/services/test_server.h"

#ifndef SWABWAVED_PATH
#error "SWABWAVED_PATH must name the swabwaved binary"
#endif

namespace swabwave::services::testing {
namespace {

int CycleCount() {
  const char* cycles = std::getenv("SWABWAVE_CRASH_CYCLES");
  return cycles != nullptr && std::atoi(cycles) > 0 ? std::atoi(cycles) : 3;
}

// What the tablets sent and what they were told.
struct Sent {
  std::string request_id;
  std::string desk;
  std::string code;
};
struct Answer {
  int code = -1;  // gRPC status code of the outcome
  std::string tube;
  int position = 0;
};

class CrashRecoveryTest : public ServerTest {
 protected:
  static constexpr int kPoolRatio = 10;
  static constexpr int kDesks = 4;

  void SetUp() override {
    work_dir_ = FreshWorkDir("swabwave-crash");
    data_dir_ = work_dir_ + "/data";
  }
  void TearDown() override {
    client_.reset();
    process_.reset();
    if (!HasFailure()) std::filesystem::remove_all(work_dir_);
  }

  // Starts swabwaved on data_dir_ with environment_ and connects; false
  // when it did not come up (its log says why).
  bool TryStartServer() {
    client_.reset();
    ServerProcessOptions options;
    options.environment = environment_;
    process_ = std::make_unique<ServerProcess>(
        SWABWAVED_PATH,
        std::vector<std::string>{"--http_listen=", "--data_dir=" + data_dir_,
                                 "--snapshot_every=2000", "--auth=none"},
        absl::StrCat(work_dir_, "/swabwaved-", generation_++, ".log"), options);
    const int port = process_->WaitForPort();
    if (port == 0) return false;
    client_ = std::make_unique<Client>(absl::StrCat("127.0.0.1:", port));
    return true;
  }
  void StartServer() {
    ASSERT_TRUE(TryStartServer()) << "swabwaved did not come up; its log:\n" << process_->Log();
  }

  // Every server this test starts loses what it did not sync when killed.
  void LoseUnsyncedWrites(bool lying_disk = false) {
    environment_ = {std::string("LD_PRELOAD=") + UNSYNCED_WRITES_PATH,
                    "SWABWAVE_UNSYNCED_DIR=" + data_dir_};
    if (lying_disk) environment_.push_back("SWABWAVE_UNSYNCED_LIE=1");
  }

  // A community of `residents` (80 a building) with enough desks for one
  // day, and round "r" over it, open.
  void OpenRoundFor(int residents) {
    CommunitySpec spec;
    spec.units_per_building = 4;
    spec.households_per_unit = 4;
    spec.residents_per_household = 5;
    spec.buildings = residents / 80 + 1;
    spec.desks_per_site = std::max(2, residents / 4000 + 2);
    spec.staff = 0;  // staff not tracked: the plan opens every desk
    ASSERT_TRUE(Import(MakeCommunity(spec)).ok());
    ASSERT_TRUE(CreateRound("r", "tc", kPoolRatio).ok());
    ASSERT_TRUE(Plan("r").ok());
    ASSERT_TRUE(Open("r").ok());
  }

  // Desk d (0-based) of the round: sites tc-s0 and tc-s1 have two each.
  static std::string DeskName(int d) { return Desk(absl::StrCat("tc-s", d / 2), d % 2 + 1); }

  // Streams `work[d]` at desk d from kDesks tablets at once, 8 check-ins a
  // message, recording every answer, until done or the server dies.
  void Stream(const std::vector<std::vector<Sent>>& work) {
    std::vector<std::thread> tablets;
    for (int d = 0; d < kDesks; ++d) {
      tablets.emplace_back([this, &work, d] {
        grpc::ClientContext context;
        context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(60)));
        auto stream = client_->checkin().CheckInStream(&context);
        std::thread writer([&] {
          for (size_t i = 0; i < work[d].size(); i += 8) {
            v1::CheckInStreamRequest message;
            for (size_t j = i; j < std::min(work[d].size(), i + 8); ++j) {
              *message.add_check_ins() =
                  CheckInRequest("r", work[d][j].desk, work[d][j].code, work[d][j].request_id);
            }
            if (!stream->Write(message)) return;
          }
          stream->WritesDone();
        });
        v1::CheckInStreamResponse response;
        while (stream->Read(&response)) {
          std::lock_guard lock(mu_);
          answered_ += response.outcomes_size();
          for (const v1::CheckInOutcome& outcome : response.outcomes()) {
            Answer& answer = answers_[outcome.request_id()];
            answer.code = outcome.status().code();
            if (outcome.has_result()) {
              answer.tube = outcome.result().tube_barcode();
              answer.position = outcome.result().position();
            } else if (outcome.has_existing()) {
              answer.tube = outcome.existing().tube_barcode();
              answer.position = outcome.existing().position();
            }
          }
        }
        writer.join();
        (void)stream->Finish();  // UNAVAILABLE once the server is killed
      });
    }
    for (std::thread& tablet : tablets) tablet.join();
  }

  void RunCrashCycles(absl::string_view crash);

  std::string work_dir_;
  std::string data_dir_;
  std::vector<std::string> environment_;  // of every server started
  int generation_ = 0;
  std::unique_ptr<ServerProcess> process_;
  std::mutex mu_;
  std::map<std::string, Answer> answers_;  // by request id
  std::atomic<int> answered_{0};           // outcomes received this cycle
};

// `crash` names how the server dies, for the summary line.
void CrashRecoveryTest::RunCrashCycles(absl::string_view crash) {
  const int cycles = CycleCount();
  const int per_cycle = 1200;
  ASSERT_NO_FATAL_FAILURE(StartServer());
  ASSERT_NO_FATAL_FAILURE(OpenRoundFor(cycles * per_cycle));

  std::mt19937 random(static_cast<uint32_t>(absl::ToUnixNanos(absl::Now())));
  std::vector<Sent> all_sent;
  int next_resident = 1;
  int tubes = 0;
  for (int cycle = 0; cycle < cycles; ++cycle) {
    SCOPED_TRACE(absl::StrCat("cycle ", cycle));
    // A box of tubes at every desk: more than this cycle can fill.
    for (int d = 0; d < kDesks; ++d) {
      for (int t = 0; t < per_cycle / kDesks / kPoolRatio + 4; ++t) {
        ASSERT_TRUE(OpenTube("r", DeskName(d), absl::StrCat("TB-", tubes++)).ok());
      }
    }
    // Residents dealt over the desks; every 10th is scanned at the next
    // desk too (a double scan, another request id).
    std::vector<std::vector<Sent>> work(kDesks);
    for (int i = 0; i < per_cycle; ++i, ++next_resident) {
      const int d = i % kDesks;
      const std::string code = Code("tc", next_resident);
      work[d].push_back({absl::StrCat("c", cycle, "-", i), DeskName(d), code});
      if (i % 10 == 0) {
        const int other = (d + 1) % kDesks;
        work[other].push_back({absl::StrCat("c", cycle, "-", i, "-dup"), DeskName(other), code});
      }
    }
    for (const auto& desk : work) all_sent.insert(all_sent.end(), desk.begin(), desk.end());

    // Kill -9 once a random number of this cycle's answers came back
    // (so the kill lands inside the stream, at a different point each time).
    const int kill_at = static_cast<int>(random() % (per_cycle + per_cycle / 10));
    answered_ = 0;
    std::atomic<bool> streaming{true};
    std::thread killer([&] {
      const absl::Time deadline = absl::Now() + absl::Seconds(60);
      while (answered_.load() < kill_at && streaming.load() && absl::Now() < deadline) {
        std::this_thread::yield();
      }
      process_->Kill();
    });
    Stream(work);
    streaming = false;
    killer.join();
    ASSERT_NO_FATAL_FAILURE(StartServer());
  }

  // Retries of lost check-ins sample again: give every desk room for them.
  for (int d = 0; d < kDesks; ++d) {
    for (int t = 0; t < per_cycle / kDesks / kPoolRatio; ++t) {
      ASSERT_TRUE(OpenTube("r", DeskName(d), absl::StrCat("TB-", tubes++)).ok());
    }
  }

  // Every acknowledged check-in is there, where the tablet was told.
  std::map<std::string, std::pair<std::string, int>> where;  // code -> (tube, position)
  int acknowledged = 0, refused_as_duplicate = 0, unanswered = 0;
  int unanswered_present = 0, unanswered_absent = 0;
  for (const Sent& sent : all_sent) {
    v1::CheckInResponse response;
    const grpc::Status retry = CheckIn(CheckInRequest("r", sent.desk, sent.code, sent.request_id),
                                       &response);
    auto answered = answers_.find(sent.request_id);
    const bool acked = answered != answers_.end() && answered->second.code == 0;
    if (acked) {
      ++acknowledged;
      ASSERT_TRUE(retry.ok()) << sent.request_id << ": " << retry.error_message();
      EXPECT_TRUE(response.replayed()) << sent.request_id;
      EXPECT_EQ(response.tube_barcode(), answered->second.tube) << sent.request_id;
      EXPECT_EQ(response.position(), answered->second.position) << sent.request_id;
    } else if (answered != answers_.end() &&
               answered->second.code == grpc::StatusCode::ALREADY_EXISTS) {
      ++refused_as_duplicate;
      // The check-in it named survived: the retry names the same one.
      ASSERT_EQ(retry.error_code(), grpc::StatusCode::ALREADY_EXISTS) << sent.request_id;
      const std::optional<v1::ExistingCheckIn> existing = ExistingCheckInOf(retry);
      ASSERT_TRUE(existing.has_value());
      EXPECT_EQ(existing->tube_barcode(), answered->second.tube) << sent.request_id;
      EXPECT_EQ(existing->position(), answered->second.position) << sent.request_id;
    } else {
      ++unanswered;
      // Present once (replayed) or absent (sampled now), or the other scan
      // of a double scan won.
      ASSERT_TRUE(retry.ok() || retry.error_code() == grpc::StatusCode::ALREADY_EXISTS)
          << sent.request_id << ": " << retry.error_message();
      if (retry.ok()) ++(response.replayed() ? unanswered_present : unanswered_absent);
    }
    if (retry.ok()) {
      auto [it, inserted] =
          where.emplace(sent.code, std::make_pair(response.tube_barcode(), response.position()));
      // Two OK answers for one resident must be the same check-in.
      EXPECT_TRUE(inserted || it->second == std::make_pair(response.tube_barcode(),
                                                           response.position()))
          << sent.code << " sampled twice";
    }
  }
  // No tube position holds two residents; no tube holds more than the ratio.
  std::set<std::pair<std::string, int>> positions;
  for (const auto& [code, place] : where) {
    EXPECT_TRUE(positions.insert(place).second) << place.first << " " << place.second;
    EXPECT_GE(place.second, 1);
    EXPECT_LE(place.second, kPoolRatio);
  }
  // Everyone sent is sampled exactly once, and nobody else.
  EXPECT_EQ(static_cast<int>(where.size()), next_resident - 1);
  const v1::GetProgressResponse progress = Progress("r", v1::PROGRESS_LEVEL_COMMUNITY);
  EXPECT_EQ(progress.total().sampled(), next_resident - 1);
  EXPECT_GT(acknowledged, 0);
  ::testing::Test::RecordProperty("acknowledged", acknowledged);
  ::testing::Test::RecordProperty("unanswered", unanswered);
  ::testing::Test::RecordProperty("refused_as_duplicate", refused_as_duplicate);
  std::printf("crash test (%s): %d cycles, %zu check-ins sent, %d acknowledged, %d refused "
              "as double scans, %d unanswered when killed (%d of them were durable and "
              "replayed, %d were lost and sampled on retry, the rest lost a double scan)\n",
              std::string(crash).c_str(), cycles, all_sent.size(), acknowledged,
              refused_as_duplicate, unanswered, unanswered_present, unanswered_absent);

  // A graceful stop exits 0 and the state survives that too.
  EXPECT_EQ(process_->Stop(), 0);
  ASSERT_NO_FATAL_FAILURE(StartServer());
  EXPECT_EQ(Progress("r", v1::PROGRESS_LEVEL_COMMUNITY).total().sampled(), next_resident - 1);
}

TEST_F(CrashRecoveryTest, AcknowledgedCheckInsSurviveKillNineAtRandomMoments) {
  RunCrashCycles("kill -9");
}

// The lab day killed at a random moment: every box hand-over, result and
// follow-up swab the server acknowledged is there after the restart (sent
// again, each answers `replayed`, unchanged), and a rerun of the same day
// finishes the day: everyone recalled is retested once, the recall lists
// are exactly the positive pools' members (RunLabDay verifies both).
TEST_F(CrashRecoveryTest, TheLabDaySurvivesKillNineAndARerunFinishesIt) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  ASSERT_NO_FATAL_FAILURE(OpenRoundFor(1200));
  absl::StatusOr<std::vector<DeskWork>> work = WorkFromServer(*client_, "rounds/r");
  ASSERT_TRUE(work.ok()) << work.status();
  FleetOptions fleet;
  fleet.round = "rounds/r";
  fleet.timeout = absl::Seconds(60);
  absl::StatusOr<FleetReport> sampled = RunFleet(*client_, *work, fleet);
  ASSERT_TRUE(sampled.ok()) << sampled.status();
  ASSERT_EQ(sampled->errors, 0);

  LabDayOptions day;
  day.round = "rounds/r";
  day.seed = static_cast<uint64_t>(absl::ToUnixNanos(absl::Now()));
  day.box_tubes = 8;
  day.positive = 0.1;
  day.invalid = 0.03;
  day.retest_positive = 0.3;
  day.missing_tubes = 1;
  day.in_flight = 1;  // the kill comes between two answers, none in flight
  std::mt19937 random(static_cast<uint32_t>(day.seed));
  // The day acknowledges about 250 requests here (boxes, results, follow-up
  // swabs, never fewer than about 200); the kill comes in the first 150.
  const int kill_after = std::uniform_int_distribution<int>(5, 150)(random);
  std::vector<std::unique_ptr<google::protobuf::Message>> acknowledged;
  day.acknowledged = [&](const google::protobuf::Message& request) {
    acknowledged.emplace_back(request.New());
    acknowledged.back()->CopyFrom(request);
    if (static_cast<int>(acknowledged.size()) < kill_after) return true;
    process_->Kill();  // the lab day's thread is the test's only one
    return false;
  };
  absl::StatusOr<LabDayReport> killed = RunLabDay(*client_, day);
  ASSERT_TRUE(killed.ok()) << killed.status();
  ASSERT_TRUE(killed->stopped) << "the day ended before the kill; " << acknowledged.size()
                               << " requests acknowledged";
  ASSERT_NO_FATAL_FAILURE(StartServer());

  int replayed = 0;
  for (const auto& request : acknowledged) {
    grpc::ClientContext context;
    bool again = false;
    grpc::Status status;
    if (auto* pack = dynamic_cast<const v1::PackBoxRequest*>(request.get())) {
      v1::PackBoxResponse response;
      status = client_->custody().PackBox(&context, *pack, &response);
      again = response.replayed();
    } else if (auto* pick_up = dynamic_cast<const v1::PickUpBoxRequest*>(request.get())) {
      v1::PickUpBoxResponse response;
      status = client_->custody().PickUpBox(&context, *pick_up, &response);
      again = response.replayed();
    } else if (auto* receive = dynamic_cast<const v1::ReceiveBoxRequest*>(request.get())) {
      v1::ReceiveBoxResponse response;
      status = client_->custody().ReceiveBox(&context, *receive, &response);
      again = response.replayed();
    } else if (auto* result = dynamic_cast<const v1::ResultReport*>(request.get())) {
      v1::ReportResultsRequest report;
      report.set_round("rounds/r");
      report.set_lab_id(day.lab_id);
      *report.add_results() = *result;
      v1::ReportResultsResponse response;
      status = client_->lab().ReportResults(&context, report, &response);
      again = status.ok() && !response.outcomes(0).has_status() &&
              response.outcomes(0).replayed() &&
              response.outcomes(0).current().result() == result->result();
    } else if (auto* follow_up = dynamic_cast<const v1::TakeFollowUpSwabRequest*>(request.get())) {
      v1::TakeFollowUpSwabResponse response;
      status = client_->checkin().TakeFollowUpSwab(&context, *follow_up, &response);
      again = response.replayed() && response.tube_barcode() == follow_up->tube_barcode();
    }
    EXPECT_TRUE(status.ok() && again)
        << request->GetTypeName() << " acknowledged before the kill is not there unchanged: "
        << status.error_message() << " " << request->ShortDebugString();
    replayed += status.ok() && again;
  }

  day.acknowledged = nullptr;
  absl::StatusOr<LabDayReport> finished = RunLabDay(*client_, day);
  ASSERT_TRUE(finished.ok()) << finished.status();
  EXPECT_EQ(finished->errors, 0) << finished->first_error;
  EXPECT_THAT(finished->mismatches, ::testing::IsEmpty());
  EXPECT_GT(finished->recalled, 0);
  EXPECT_EQ(finished->retested, finished->recalled + finished->resampled);
  std::printf("lab day: killed after %zu acknowledged requests (%d of them checked again, "
              "replayed); the rerun finished with %lld recalled and %lld resampled, all "
              "retested\n",
              acknowledged.size(), replayed, static_cast<long long>(finished->recalled),
              static_cast<long long>(finished->resampled));
  EXPECT_EQ(process_->Stop(), 0);
}

// The preloaded layer needs the server's own write and fsync to be the
// ones it replaces: under the sanitizers they are the runtime's
// interceptors, so these two run in the release build only.
#ifndef SWABWAVE_SANITIZED

TEST_F(CrashRecoveryTest, AcknowledgedCheckInsSurvivePowerLossAtRandomMoments) {
  LoseUnsyncedWrites();
  RunCrashCycles("power loss: every unsynced write dropped");
}

// The control: a disk whose syncs write nothing through. Every check-in is
// acknowledged (the server believes its syncs), the power goes, and the
// test must see that acknowledged check-ins are gone.
TEST_F(CrashRecoveryTest, ADiskThatLiesAboutSyncsLosesAcknowledgedCheckInsAndTheTestSeesIt) {
  LoseUnsyncedWrites(/*lying_disk=*/true);
  ASSERT_NO_FATAL_FAILURE(StartServer());
  ASSERT_NO_FATAL_FAILURE(OpenRoundFor(400));
  for (int d = 0; d < kDesks; ++d) {
    for (int t = 0; t < 12; ++t) {
      ASSERT_TRUE(OpenTube("r", DeskName(d), absl::StrCat("TB-", d, "-", t)).ok());
    }
  }
  std::vector<std::vector<Sent>> work(kDesks);
  std::vector<Sent> sent;
  for (int i = 0; i < 400; ++i) {
    const Sent s{absl::StrCat("lie-", i), DeskName(i % kDesks), Code("tc", i + 1)};
    work[i % kDesks].push_back(s);
    sent.push_back(s);
  }
  Stream(work);
  int acknowledged = 0;
  for (const Sent& s : sent) acknowledged += answers_[s.request_id].code == 0;
  ASSERT_EQ(acknowledged, 400) << "the lying disk acknowledges everything";
  process_->Kill();

  environment_.clear();  // the power is back, and the disk is honest again
  if (!TryStartServer()) {
    // Recovery refused what it found: a loss seen, by the server itself.
    std::printf("lying disk: the server refused to start after the cut:\n%s\n",
                process_->Log().c_str());
    return;
  }
  int kept = 0;
  for (const Sent& s : sent) {
    v1::CheckInResponse response;
    kept += CheckIn(CheckInRequest("r", s.desk, s.code, s.request_id), &response).ok() &&
            response.replayed();
  }
  EXPECT_LT(kept, acknowledged) << "acknowledged check-ins were lost, and the check missed it";
  std::printf("lying disk: %d acknowledged, %d kept after the power cut\n", acknowledged, kept);
}

#endif  // SWABWAVE_SANITIZED

}  // namespace
}  // namespace swabwave::services::testing
