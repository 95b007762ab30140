// swabwave-replay's fleet against a real server: every resident due at a
// site is checked in exactly once, over one stream per desk.
#include <gtest/gtest.h>

#include "services/replay/tablet_fleet.h"
#include "tests/services/test_server.h"

namespace swabwave::services {
namespace {

using ::swabwave::engine::testing::Shape;

using ReplayTest = testing::ServerTest;

TEST_F(ReplayTest, FleetChecksInEveryoneDueAtASiteOnce) {
  OpenRound(Shape{.buildings = 6, .sites = 2, .mobility_limited_every = 9}, "r", 5);
  absl::StatusOr<std::vector<DeskWork>> work = WorkFromServer(*client_, "rounds/r");
  ASSERT_TRUE(work.ok()) << work.status();
  EXPECT_EQ(work->size(), 4u);  // two sites, two desks each
  FleetOptions options;
  options.round = "rounds/r";
  options.batch = 4;
  options.window = 8;
  absl::StatusOr<FleetReport> report = RunFleet(*client_, *work, options);
  ASSERT_TRUE(report.ok()) << report.status();
  // 72 residents, every 9th door-to-door.
  EXPECT_EQ(report->sent, 64);
  EXPECT_EQ(report->sampled, 64);
  EXPECT_EQ(report->already_sampled, 0);
  EXPECT_EQ(report->errors, 0);

  v1::GetProgressRequest request;
  request.set_round("rounds/r");
  request.set_level(v1::PROGRESS_LEVEL_SITE);
  v1::GetProgressResponse progress;
  ASSERT_TRUE(client_->progress().GetProgress(Context().get(), request, &progress).ok());
  EXPECT_EQ(progress.total().sampled(), 64);
  EXPECT_EQ(progress.total().remaining(), 8);
  EXPECT_EQ(progress.total().door_to_door(), 8);
  // Every tube was sealed: full ones by their last swab, the rest by hand.
  EXPECT_EQ(progress.tubes_sealed(), report->tubes_racked);

  // Playing the same work again finds everyone sampled.
  absl::StatusOr<std::vector<DeskWork>> again = WorkFromServer(*client_, "rounds/r");
  ASSERT_TRUE(again.ok());
  size_t left = 0;
  for (const DeskWork& desk : *again) left += desk.codes.size();
  EXPECT_EQ(left, 0u);
}

}  // namespace
}  // namespace swabwave::services
