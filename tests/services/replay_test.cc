// swabwave-replay's tablet fleet against a real server: the work comes from
// the server (everyone due at a site, spread over the site's desks), every
// desk streams at once, and each resident due at a site is sampled exactly
// once; only the door-to-door residents remain.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "services/replay/tablet_fleet.h"
#include "tests/services/test_server.h"

namespace swabwave::services {
namespace {

using ::swabwave::services::testing::CommunitySpec;

using ReplayTest = testing::ServerTest;

// 72 residents (6 buildings), every 9th door-to-door: 64 due at two sites of
// two desks each, 5 swabs a tube.
const CommunitySpec kSpec{.buildings = 6, .mobility_limited_every = 9};

TEST_F(ReplayTest, WorkFromServerDealsEveryoneDueAtASiteToItsDesks) {
  ASSERT_NO_FATAL_FAILURE(OpenRound(kSpec, "r", 5));
  absl::StatusOr<std::vector<DeskWork>> work = WorkFromServer(*client_, "rounds/r");
  ASSERT_TRUE(work.ok()) << work.status();
  std::set<std::string> desks, codes;
  size_t total = 0;
  for (const DeskWork& desk : *work) {
    desks.insert(desk.desk);
    total += desk.codes.size();
    codes.insert(desk.codes.begin(), desk.codes.end());
  }
  EXPECT_EQ(desks, (std::set<std::string>{"sites/tc-s0/desks/1", "sites/tc-s0/desks/2",
                                          "sites/tc-s1/desks/1", "sites/tc-s1/desks/2"}));
  EXPECT_EQ(total, 64u);
  EXPECT_EQ(codes.size(), 64u);  // nobody dealt twice
  for (int n = 9; n <= 72; n += 9) EXPECT_FALSE(codes.contains(testing::Code("tc", n))) << n;
}

TEST_F(ReplayTest, FleetSamplesEveryoneDueAtSitesExactlyOnce) {
  ASSERT_NO_FATAL_FAILURE(OpenRound(kSpec, "r", 5));
  absl::StatusOr<std::vector<DeskWork>> work = WorkFromServer(*client_, "rounds/r");
  ASSERT_TRUE(work.ok()) << work.status();
  FleetOptions options;
  options.round = "rounds/r";
  options.batch = 4;   // several messages per desk
  options.window = 8;  // and several in flight
  options.timeout = absl::Seconds(30);
  absl::StatusOr<FleetReport> report = RunFleet(*client_, *work, options);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->desks, 4);
  EXPECT_EQ(report->sent, 64);
  EXPECT_EQ(report->sampled, 64);
  EXPECT_EQ(report->replayed, 0);
  EXPECT_EQ(report->already_sampled, 0);
  EXPECT_EQ(report->errors, 0);
  EXPECT_EQ(report->stream_failures, 0);

  const v1::GetProgressResponse progress = Progress("r", v1::PROGRESS_LEVEL_SITE);
  EXPECT_EQ(progress.total().sampled(), 64);
  EXPECT_EQ(progress.total().remaining(), progress.total().door_to_door());
  EXPECT_EQ(progress.total().door_to_door(), 8);
  // Every tube was sealed: full ones by their last swab, the rest by hand.
  EXPECT_EQ(progress.tubes_sealed(), report->tubes_racked);

  // Playing the day again finds nobody left to sample at a site.
  absl::StatusOr<std::vector<DeskWork>> again = WorkFromServer(*client_, "rounds/r");
  ASSERT_TRUE(again.ok()) << again.status();
  size_t left = 0;
  for (const DeskWork& desk : *again) left += desk.codes.size();
  EXPECT_EQ(left, 0u);
}

}  // namespace
}  // namespace swabwave::services
