// What a data directory promises across processes (DESIGN.md invariant 3,
// docs/security.md items 1 and 2), against real swabwaved processes:
//   - one server owns a data directory at a time: a second one refuses to
//     start, naming the first one's PID, and the first keeps serving;
//   - the largest community the server's limits allow (every id and name at
//     its longest, as many entities as --max_import_entities takes) is
//     acknowledged, survives kill -9 and comes back whole, entity by entity,
//     from the journal's records and then from a snapshot.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "engine/journal/journal.h"
#include "engine/model/names.h"
#include "engine/registry/registry.h"
#include "tests/services/server_process.h"
#include "tests/services/test_server.h"

#ifndef SWABWAVED_PATH
#error "SWABWAVED_PATH must name the swabwaved binary"
#endif

namespace swabwave::services::testing {
namespace {

using ::testing::HasSubstr;

class DataDirectoryTest : public ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    work_dir_ = FreshWorkDir("swabwave-datadir");
    data_dir_ = work_dir_ + "/data";
  }
  void TearDown() override {
    client_.reset();
    std::filesystem::remove_all(work_dir_);
    ServerTest::TearDown();
  }

  std::unique_ptr<ServerProcess> StartProcess(std::vector<std::string> extra = {}) {
    std::vector<std::string> flags = {"--http_listen=", "--data_dir=" + data_dir_,
                                      "--auth=none"};
    flags.insert(flags.end(), extra.begin(), extra.end());
    return std::make_unique<ServerProcess>(SWABWAVED_PATH, flags,
                                           absl::StrCat(work_dir_, "/swabwaved-", started_++,
                                                        ".log"));
  }
  // Points the fixture's client at a process.
  void Connect(int port) { client_ = std::make_unique<Client>(absl::StrCat("127.0.0.1:", port)); }

  std::string work_dir_;
  std::string data_dir_;
  int started_ = 0;
};

TEST_F(DataDirectoryTest, ASecondServerOnTheSameDirectoryRefusesToStartNamingTheFirst) {
  auto first = StartProcess();
  const int port = first->WaitForPort();
  ASSERT_GT(port, 0) << first->Log();
  auto second = StartProcess();
  EXPECT_EQ(second->WaitForPort(absl::Seconds(30)), 0) << "the second server started";
  EXPECT_EQ(second->WaitForExit(absl::Seconds(30)), 1);
  EXPECT_THAT(second->Log(), HasSubstr(absl::StrCat("in use by another swabwave process (pid ",
                                                    first->pid(), ")")));
  // The first one was not disturbed: it still takes and keeps changes.
  Connect(port);
  ASSERT_TRUE(Import(MakeCommunity(CommunitySpec{})).ok());
  EXPECT_EQ(first->Stop(), 0);
  // And once it is gone the directory is free again.
  auto third = StartProcess();
  EXPECT_GT(third->WaitForPort(), 0) << third->Log();
  EXPECT_EQ(third->Stop(), 0);
}

// Issue 25 item 5: swabwaved creates its data directory 0700 and refuses
// to start on one other users may read, saying how to fix it.
TEST_F(DataDirectoryTest, AServerRefusesADataDirectoryOthersMayRead) {
  auto first = StartProcess();
  ASSERT_GT(first->WaitForPort(), 0) << first->Log();
  EXPECT_EQ(first->Stop(), 0);
  EXPECT_EQ(std::filesystem::status(data_dir_).permissions(), std::filesystem::perms::owner_all);

  std::filesystem::permissions(data_dir_, std::filesystem::perms::group_read |
                                               std::filesystem::perms::group_exec |
                                               std::filesystem::perms::others_read |
                                               std::filesystem::perms::others_exec,
                               std::filesystem::perm_options::add);
  auto refused = StartProcess();
  EXPECT_EQ(refused->WaitForExit(absl::Seconds(30)), 1);
  EXPECT_THAT(refused->Log(), HasSubstr("chmod -R go-rwx " + data_dir_));

  std::filesystem::permissions(data_dir_, std::filesystem::perms::owner_all,
                               std::filesystem::perm_options::replace);
  auto fixed = StartProcess();
  EXPECT_GT(fixed->WaitForPort(), 0) << fixed->Log();
  EXPECT_EQ(fixed->Stop(), 0);
}

// Entities of a community that uses every byte the limits allow.
constexpr int kLongCompounds = 20'000;
constexpr int kLongBuildings = 20'000;
constexpr int kLongUnits = 20'000;
constexpr int kLongHouseholds = 10'000;
constexpr int kLongResidents = 29'990;
constexpr int kLongSites = 8;
constexpr int kLongStaff = 2;
constexpr int kLongEntities = kLongCompounds + kLongBuildings + kLongUnits + kLongHouseholds +
                              kLongResidents + kLongSites + kLongStaff;

// An id of exactly kMaxIdLength characters, distinct per (kind, n).
std::string LongId(char kind, int n) {
  std::string id = absl::StrFormat("%c%08d-", kind, n);
  id.resize(engine::kMaxIdLength, 'x');
  return id;
}

// A name of exactly kMaxNameLength bytes: three-byte UTF-8 characters and
// a distinct ASCII tail.
std::string LongName(int n) {
  std::string name;
  while (name.size() + 3 <= engine::kMaxNameLength - 8) name += "\xe6\xa5\xbc";  // 楼
  name += absl::StrFormat("%08d", n);
  name.resize(engine::kMaxNameLength, '.');
  return name;
}

engine::Community LongestCommunity() {
  engine::CommunityBuilder b(LongId('k', 0), LongName(0), 480);
  auto ok = [](absl::Status s) { EXPECT_TRUE(s.ok()) << s; };
  for (int i = 0; i < kLongCompounds; ++i) {
    ok(b.AddCompound(LongId('c', i), LongName(i), engine::CompoundKind::kResidential));
  }
  for (int i = 0; i < kLongBuildings; ++i) {
    ok(b.AddBuilding(LongId('b', i), LongId('c', i), LongName(i), {1.0 * i, 2.0 * i}));
  }
  for (int i = 0; i < kLongUnits; ++i) ok(b.AddUnit(LongId('u', i), LongId('b', i), LongName(i)));
  for (int i = 0; i < kLongHouseholds; ++i) ok(b.AddHousehold(LongId('h', i), LongId('u', i)));
  for (int i = 0; i < kLongResidents; ++i) {
    std::string code = absl::StrFormat("R%09d-", i);
    code.resize(engine::kMaxCodeLength, 'q');
    ok(b.AddResident(code, LongId('h', i % kLongHouseholds), i % 7 == 0,
                     engine::ExemptionReason::kNone));
  }
  for (int i = 0; i < kLongSites; ++i) {
    engine::Site site{LongId('s', i), LongName(i), {10.0 * i, 5}, 4, 7 * 60, 22 * 60};
    ok(b.AddSite(std::move(site)));
  }
  for (int i = 0; i < kLongStaff; ++i) {
    ok(b.AddStaff(LongId('t', i), engine::kRoleSampler | engine::kRoleScanner, LongId('s', 0)));
  }
  absl::StatusOr<engine::Community> community = std::move(b).Finish();
  EXPECT_TRUE(community.ok()) << community.status();
  return community.ok() ? *std::move(community) : engine::Community{};
}

void ExpectSameCommunity(const engine::Community& got, const engine::Community& want) {
  EXPECT_EQ(got.name, want.name);
  ASSERT_EQ(got.compounds.size(), want.compounds.size());
  ASSERT_EQ(got.buildings.size(), want.buildings.size());
  ASSERT_EQ(got.units.size(), want.units.size());
  ASSERT_EQ(got.households.size(), want.households.size());
  ASSERT_EQ(got.residents.size(), want.residents.size());
  ASSERT_EQ(got.sites.size(), want.sites.size());
  ASSERT_EQ(got.staff.size(), want.staff.size());
  for (size_t i = 0; i < want.compounds.size(); ++i) {
    ASSERT_EQ(got.compounds[i].id, want.compounds[i].id) << i;
    ASSERT_EQ(got.compounds[i].name, want.compounds[i].name) << i;
  }
  for (size_t i = 0; i < want.buildings.size(); ++i) {
    ASSERT_EQ(got.buildings[i].name, want.buildings[i].name) << i;
    ASSERT_EQ(got.buildings[i].compound, want.buildings[i].compound) << i;
    ASSERT_EQ(got.buildings[i].location.y_m, want.buildings[i].location.y_m) << i;
  }
  for (size_t i = 0; i < want.units.size(); ++i) {
    ASSERT_EQ(got.units[i].name, want.units[i].name) << i;
  }
  for (size_t i = 0; i < want.households.size(); ++i) {
    ASSERT_EQ(got.households[i].id, want.households[i].id) << i;
  }
  for (uint32_t r = 0; r < want.residents.size(); ++r) {
    ASSERT_EQ(got.resident_code(r), want.resident_code(r)) << r;
    ASSERT_EQ(got.residents[r].household, want.residents[r].household) << r;
    ASSERT_EQ(got.residents[r].mobility_limited, want.residents[r].mobility_limited) << r;
  }
  for (size_t i = 0; i < want.sites.size(); ++i) {
    ASSERT_EQ(got.sites[i].name, want.sites[i].name) << i;
  }
}

TEST_F(DataDirectoryTest, TheLargestCommunityTheLimitsAllowSurvivesKillNineWhole) {
  const engine::Community community = LongestCommunity();
  ASSERT_EQ(community.residents.size(), static_cast<size_t>(kLongResidents));
  auto server = StartProcess({absl::StrCat("--max_import_entities=", kLongEntities)});
  int port = server->WaitForPort();
  ASSERT_GT(port, 0) << server->Log();
  Connect(port);
  // One entity more than the limit is refused, whole.
  engine::Community over = community;
  over.id = LongId('k', 1);
  over.staff.push_back({LongId('t', 9), engine::kRoleSampler, 0});
  for (engine::Site& site : over.sites) site.id.back() = 'y';
  const grpc::Status refused = Import(over, nullptr, 20'000);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << refused.error_message();

  v1::ImportCommunityResponse imported;
  const grpc::Status status = Import(community, &imported, 20'000);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(imported.residents(), kLongResidents);
  // Acknowledged: the record (tens of megabytes, so several fragments) is
  // durable. kill -9 and start again on the same directory.
  server->Kill();
  server = StartProcess({absl::StrCat("--max_import_entities=", kLongEntities)});
  port = server->WaitForPort();
  ASSERT_GT(port, 0) << "the server did not come back: " << server->Log();
  Connect(port);
  ASSERT_TRUE(CreateRound("r", community.id).ok()) << "the community is not there";
  // A graceful stop writes a snapshot, which fragments the same record.
  ASSERT_EQ(server->Stop(), 0) << server->Log();
  client_.reset();

  // Recover the directory here, from the snapshot, and compare every entity.
  engine::Registry registry;
  engine::journal::JournalOptions options;
  options.dir = data_dir_;
  engine::journal::RecoveryReport report;
  auto journal = engine::journal::Journal::Open(
      options, [&](uint64_t, absl::string_view record) { return registry.ApplyRecord(record); },
      &report);
  ASSERT_TRUE(journal.ok()) << journal.status();
  EXPECT_GT(report.snapshot_sequence, 0u);
  const engine::Community* recovered = registry.FindCommunity(community.id);
  ASSERT_NE(recovered, nullptr);
  ExpectSameCommunity(*recovered, community);
  EXPECT_EQ(registry.FindCommunity(over.id), nullptr);
}

}  // namespace
}  // namespace swabwave::services::testing
