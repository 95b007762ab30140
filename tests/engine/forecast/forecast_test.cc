#include "engine/forecast/forecast.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "engine/io/generator.h"
#include "engine/plan/greedy_planner.h"
#include "tests/engine/test_community.h"

namespace swabwave::engine::forecast {
namespace {

using ::swabwave::engine::testing::MakeCommunity;
using ::swabwave::engine::testing::Shape;
using ::testing::ElementsAre;
using ::testing::Eq;
using ::testing::HasSubstr;
using ::testing::Pointwise;

const absl::Time kStart = absl::FromUnixSeconds(1795762800);  // 2026-11-27 07:00 UTC

RoundConfig Config(const std::string& community, absl::Duration duration = absl::Hours(8)) {
  RoundConfig config;
  config.id = "r";
  config.community_ids = {community};
  config.start = kStart;
  config.pool_ratio = 10;
  config.wave_length = absl::Minutes(30);
  config.duration = duration;
  return config;
}

// One site, one desk, `households` households of `per_household`, all in
// wave 0 (the plan's rate of 60 an hour at full utilization holds 30 a wave).
struct OneDesk {
  explicit OneDesk(int households, int per_household = 1)
      : community(MakeCommunity(Shape{.buildings = 1,
                                      .units_per_building = 1,
                                      .households_per_unit = households,
                                      .residents_per_household = per_household,
                                      .sites = 1,
                                      .desks_per_site = 1})),
        layout({&community}),
        config(Config("tc")),
        plan(*plan::GreedyPlanner().MakePlan(layout, config, {60, 1.0})) {}
  Community community;
  RoundLayout layout;
  RoundConfig config;
  plan::Plan plan;
};

// Everyone comes, on time, evenly spaced; every swab takes exactly
// 3600 / rate seconds.
ForecastOptions Deterministic(double rate_per_hour) {
  ForecastOptions options;
  options.arrivals = {.no_show_rate = 0, .late_share = 0, .spread = ArrivalSpread::kEvenlySpaced};
  options.service = {.per_desk_rate_per_hour = rate_per_hour, .shape = ServiceTimeShape::kFixed};
  options.replications = 5;
  options.crowding_limit = 5;
  return options;
}

TEST(ForecastTest, OverloadedDeskByHandAndFlagged) {
  const OneDesk world(10);
  ASSERT_EQ(world.plan.cell_load[world.plan.cell(0, 0)], 10);
  // Ten people 3 minutes apart, 10 minutes each (see site_queue_test.cc).
  absl::StatusOr<RoundForecast> forecast =
      ForecastRound(world.layout, world.config, world.plan, Deterministic(6));
  ASSERT_TRUE(forecast.ok()) << forecast.status();
  EXPECT_EQ(forecast->completion_p50, absl::Minutes(100));
  EXPECT_EQ(forecast->completion_p95, absl::Minutes(100));
  ASSERT_EQ(forecast->sites.size(), 1u);
  const SiteForecast& site = forecast->sites[0];
  EXPECT_EQ(site.planned, 10);
  EXPECT_EQ(site.mean_served, 10);
  EXPECT_EQ(site.mean_no_shows, 0);
  EXPECT_EQ(site.peak_queue_p95, 7);
  EXPECT_EQ(site.done_p95, absl::Minutes(100));
  // Person k waits 7k minutes: 31.5 on average, 63 at most.
  EXPECT_EQ(site.mean_wait_p50, absl::Seconds(1890));
  EXPECT_EQ(site.mean_wait_p95, absl::Seconds(1890));
  EXPECT_EQ(site.longest_wait_p95, absl::Minutes(63));
  EXPECT_THAT(site.queue_p95,
              ElementsAre(1, 3, 3, 5, 6, 7, 6, 6, 5, 5, 4, 4, 3, 3, 2, 2, 1, 1, 0, 0));
  EXPECT_EQ(site.queue_p50, site.queue_p95);  // nothing random
  // Limit 5: the first wave's window peaks at 7, the second (its people
  // still waiting) at 6; from 60 minutes at most 4 wait.
  ASSERT_EQ(forecast->crowded_waves.size(), 2u);
  EXPECT_EQ(forecast->crowded_waves[0].site_id, "tc-s0");
  EXPECT_EQ(forecast->crowded_waves[0].wave, 0);
  EXPECT_EQ(forecast->crowded_waves[0].peak_queue_p95, 7);
  EXPECT_EQ(forecast->crowded_waves[0].over_limit_by, 2);
  EXPECT_EQ(forecast->crowded_waves[0].share_over, 1.0);
  EXPECT_EQ(forecast->crowded_waves[1].wave, 1);
  EXPECT_EQ(forecast->crowded_waves[1].over_limit_by, 1);
}

TEST(ForecastTest, ComfortableWaveIsNotFlagged) {
  const OneDesk world(10);
  // One a minute against one every 3 minutes: nobody ever waits.
  absl::StatusOr<RoundForecast> forecast =
      ForecastRound(world.layout, world.config, world.plan, Deterministic(60));
  ASSERT_TRUE(forecast.ok()) << forecast.status();
  EXPECT_EQ(forecast->completion_p50, absl::Minutes(28));  // last arrives at 27, 1 minute
  EXPECT_TRUE(forecast->crowded_waves.empty());
  EXPECT_EQ(forecast->sites[0].peak_queue_p95, 0);
  EXPECT_EQ(forecast->sites[0].longest_wait_p95, absl::ZeroDuration());
  EXPECT_THAT(forecast->sites[0].queue_p95, ElementsAre(0, 0, 0, 0, 0, 0));
  // Even a limit of zero is not exceeded when nobody waits.
  ForecastOptions strict = Deterministic(60);
  strict.crowding_limit = 0;
  EXPECT_TRUE(ForecastRound(world.layout, world.config, world.plan, strict)->crowded_waves.empty());
}

// Households arrive together: two households of three, at 0 and 15 minutes,
// one desk at 10 minutes each: two wait from the start, then four when the
// second household comes (one of the first still waiting).
TEST(ForecastTest, HouseholdsArriveTogether) {
  const OneDesk world(2, 3);
  absl::StatusOr<RoundForecast> forecast =
      ForecastRound(world.layout, world.config, world.plan, Deterministic(6));
  ASSERT_TRUE(forecast.ok()) << forecast.status();
  EXPECT_EQ(forecast->sites[0].peak_queue_p95, 4);
  EXPECT_EQ(forecast->completion_p95, absl::Minutes(60));
  EXPECT_THAT(forecast->sites[0].queue_p95, ElementsAre(2, 2, 1, 4, 3, 3, 2, 2, 1, 1, 0, 0));
}

TEST(ForecastTest, NoShowRateOneEmptiesTheQueues) {
  const OneDesk world(10);
  ForecastOptions options = Deterministic(6);
  options.arrivals.no_show_rate = 1;
  options.crowding_limit = 0;
  absl::StatusOr<RoundForecast> forecast =
      ForecastRound(world.layout, world.config, world.plan, options);
  ASSERT_TRUE(forecast.ok()) << forecast.status();
  EXPECT_EQ(forecast->completion_p95, absl::ZeroDuration());
  EXPECT_EQ(forecast->mean_served, 0);
  EXPECT_EQ(forecast->mean_no_shows, 10);
  EXPECT_EQ(forecast->sites[0].peak_queue_p95, 0);
  EXPECT_TRUE(forecast->sites[0].queue_p95.empty());
  EXPECT_TRUE(forecast->crowded_waves.empty());
}

TEST(ForecastTest, LatenessPushesCompletionLater) {
  const OneDesk world(20);
  ForecastOptions on_time;
  on_time.arrivals = {.no_show_rate = 0, .late_share = 0};
  on_time.service = {.per_desk_rate_per_hour = 50};
  on_time.replications = 200;
  ForecastOptions late = on_time;
  late.arrivals.late_share = 1;
  late.arrivals.lateness = absl::Minutes(20);
  absl::StatusOr<RoundForecast> a = ForecastRound(world.layout, world.config, world.plan, on_time);
  absl::StatusOr<RoundForecast> b = ForecastRound(world.layout, world.config, world.plan, late);
  ASSERT_TRUE(a.ok() && b.ok());
  // Same seed, same draws: every arrival is later by 0-20 minutes. The last
  // of 20 arrivals is on average ~29 minutes in on time, ~48 when late.
  EXPECT_GT(b->completion_p50, a->completion_p50 + absl::Minutes(8));
  EXPECT_GT(b->completion_p95, a->completion_p95);
  EXPECT_LT(a->completion_p95, absl::Minutes(45));
}

void ExpectSameForecast(const RoundForecast& a, const RoundForecast& b) {
  EXPECT_EQ(a.completion_p50, b.completion_p50);
  EXPECT_EQ(a.completion_p95, b.completion_p95);
  EXPECT_EQ(a.mean_served, b.mean_served);
  ASSERT_EQ(a.sites.size(), b.sites.size());
  for (size_t s = 0; s < a.sites.size(); ++s) {
    EXPECT_EQ(a.sites[s].queue_p50, b.sites[s].queue_p50) << s;
    EXPECT_EQ(a.sites[s].queue_p95, b.sites[s].queue_p95) << s;
    EXPECT_EQ(a.sites[s].done_p95, b.sites[s].done_p95) << s;
    EXPECT_EQ(a.sites[s].mean_served, b.sites[s].mean_served) << s;
    EXPECT_EQ(a.sites[s].mean_wait_p95, b.sites[s].mean_wait_p95) << s;
  }
  ASSERT_EQ(a.crowded_waves.size(), b.crowded_waves.size());
  for (size_t i = 0; i < a.crowded_waves.size(); ++i) {
    EXPECT_EQ(a.crowded_waves[i].site, b.crowded_waves[i].site);
    EXPECT_EQ(a.crowded_waves[i].wave, b.crowded_waves[i].wave);
    EXPECT_EQ(a.crowded_waves[i].peak_queue_p95, b.crowded_waves[i].peak_queue_p95);
    EXPECT_EQ(a.crowded_waves[i].share_over, b.crowded_waves[i].share_over);
  }
}

class ReferenceForecastTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    absl::StatusOr<std::vector<Community>> generated = GenerateCommunities({"kangcheng", 0, 1});
    ASSERT_TRUE(generated.ok()) << generated.status();
    communities_ = new std::vector<Community>(*std::move(generated));
    layout_ = new RoundLayout({&(*communities_)[0]});
    config_ = new RoundConfig(Config("kangcheng", absl::Hours(24)));
    absl::StatusOr<plan::Plan> plan = plan::GreedyPlanner().MakePlan(*layout_, *config_, {});
    ASSERT_TRUE(plan.ok()) << plan.status();
    plan_ = new plan::Plan(*std::move(plan));
  }
  static void TearDownTestSuite() {
    delete plan_;
    delete config_;
    delete layout_;
    delete communities_;
  }
  static RoundForecast Forecast(const ForecastOptions& options) {
    absl::StatusOr<RoundForecast> forecast = ForecastRound(*layout_, *config_, *plan_, options);
    EXPECT_TRUE(forecast.ok()) << forecast.status();
    return forecast.ok() ? *std::move(forecast) : RoundForecast{};
  }

  static std::vector<Community>* communities_;
  static RoundLayout* layout_;
  static RoundConfig* config_;
  static plan::Plan* plan_;
};
std::vector<Community>* ReferenceForecastTest::communities_ = nullptr;
RoundLayout* ReferenceForecastTest::layout_ = nullptr;
RoundConfig* ReferenceForecastTest::config_ = nullptr;
plan::Plan* ReferenceForecastTest::plan_ = nullptr;

TEST_F(ReferenceForecastTest, GreedyPlanForecastIsSane) {
  const RoundForecast forecast = Forecast({});  // 100 replications, 5% no-shows
  const plan::Plan& plan = *plan_;
  EXPECT_EQ(forecast.replications, 100);
  EXPECT_EQ(forecast.planned, plan.due_at_sites);
  EXPECT_GE(forecast.completion_p95, forecast.completion_p50);
  // The last wave's people come during its window; at 85% utilization the
  // desks catch up within the hour after it.
  const absl::Duration last_wave_start = (plan.waves_used - 1) * config_->wave_length;
  EXPECT_GT(forecast.completion_p50, last_wave_start);
  EXPECT_LT(forecast.completion_p95, last_wave_start + config_->wave_length + absl::Hours(1));
  EXPECT_NEAR(forecast.mean_no_shows, 0.05 * forecast.planned, 0.005 * forecast.planned);
  EXPECT_DOUBLE_EQ(forecast.mean_served + forecast.mean_no_shows, forecast.planned);

  ASSERT_EQ(forecast.sites.size(), plan.site_count);
  for (const SiteForecast& site : forecast.sites) {
    int64_t load = 0;
    int32_t largest_cell = 0;
    for (int w = 0; w < plan.wave_count; ++w) {
      load += plan.cell_load[plan.cell(site.site, w)];
      largest_cell = std::max(largest_cell, plan.cell_load[plan.cell(site.site, w)]);
    }
    EXPECT_EQ(site.planned, load) << site.site_id;
    EXPECT_DOUBLE_EQ(site.mean_served + site.mean_no_shows, static_cast<double>(load));
    // Binomial no-shows: sd of the mean over 100 replications ~ 1.2 here.
    const double sd = std::sqrt(load * 0.05 * 0.95 / 100);
    EXPECT_NEAR(site.mean_no_shows, 0.05 * load, 6 * sd + 0.5) << site.site_id;
    // Queues bounded: never more waiting than a wave's people, and the
    // line is not the whole wave (desks serve while people come).
    EXPECT_GT(site.peak_queue_p95, 0) << site.site_id;
    EXPECT_LT(site.peak_queue_p95, largest_cell / 2) << site.site_id;
    EXPECT_LE(site.peak_queue_p50, site.peak_queue_p95);
    ASSERT_EQ(site.queue_p50.size(), site.queue_p95.size());
    for (size_t b = 0; b < site.queue_p95.size(); ++b) {
      EXPECT_LE(site.queue_p50[b], site.queue_p95[b]);
      EXPECT_LE(site.queue_p95[b], site.peak_queue_p95 + largest_cell);
    }
    EXPECT_LE(site.done_p95, forecast.completion_p95);
    EXPECT_GE(site.done_p95, site.done_p50);
    // Someone waits, but on average a few minutes, not a wave.
    EXPECT_GT(site.mean_wait_p50, absl::ZeroDuration()) << site.site_id;
    EXPECT_LE(site.mean_wait_p50, site.mean_wait_p95);
    EXPECT_LT(site.mean_wait_p95, absl::Minutes(15)) << site.site_id;
    EXPECT_GE(site.longest_wait_p95, site.mean_wait_p95);
  }
}

TEST_F(ReferenceForecastTest, SlowDesksCrowdTheStreet) {
  ForecastOptions slow;
  slow.service.per_desk_rate_per_hour = 80;  // the plan assumed 110
  const RoundForecast normal = Forecast({});
  const RoundForecast crowded = Forecast(slow);
  EXPECT_GT(crowded.completion_p50, normal.completion_p50);
  EXPECT_GT(crowded.crowded_waves.size(), normal.crowded_waves.size());
  for (const CrowdedWave& wave : crowded.crowded_waves) {
    EXPECT_GT(wave.over_limit_by, 0);
    EXPECT_EQ(wave.over_limit_by, wave.peak_queue_p95 - slow.crowding_limit);
    EXPECT_GT(wave.share_over, 0.05 - 1e-9);  // p95 over the limit: at least 5% over
    EXPECT_LT(wave.wave, plan_->wave_count);
  }
}

TEST_F(ReferenceForecastTest, DeterministicAcrossRunsAndThreadCounts) {
  ForecastOptions options;
  options.replications = 30;
  options.seed = 7;
  options.crowding_limit = 10;  // so some waves are flagged and compared
  options.threads = 1;
  const RoundForecast one = Forecast(options);
  EXPECT_FALSE(one.crowded_waves.empty());
  for (int threads : {1, 2, 3, 8}) {
    options.threads = threads;
    SCOPED_TRACE(threads);
    ExpectSameForecast(one, Forecast(options));
  }
  options.seed = 8;
  const RoundForecast other = Forecast(options);
  EXPECT_NE(one.completion_p50, other.completion_p50);
}

TEST_F(ReferenceForecastTest, OptionsAreValidatedByName) {
  const auto message_for = [](auto change) {
    ForecastOptions options;
    change(options);
    absl::StatusOr<RoundForecast> forecast = ForecastRound(*layout_, *config_, *plan_, options);
    EXPECT_EQ(forecast.status().code(), absl::StatusCode::kInvalidArgument);
    return std::string(forecast.status().message());
  };
  EXPECT_THAT(message_for([](ForecastOptions& o) { o.replications = 0; }),
              HasSubstr("replications"));
  EXPECT_THAT(message_for([](ForecastOptions& o) { o.threads = -1; }), HasSubstr("threads"));
  EXPECT_THAT(message_for([](ForecastOptions& o) { o.bucket = absl::Seconds(1); }),
              HasSubstr("bucket"));
  // 24 hours of 10-second buckets (8,641) for 100,000 replications.
  EXPECT_THAT(message_for([](ForecastOptions& o) {
                o.bucket = absl::Seconds(10);
                o.replications = kMaxReplications;
              }),
              HasSubstr("records per site"));
  EXPECT_THAT(message_for([](ForecastOptions& o) { o.crowding_limit = -1; }),
              HasSubstr("crowding_limit"));
  EXPECT_THAT(message_for([](ForecastOptions& o) { o.arrivals.no_show_rate = 2; }),
              HasSubstr("no_show_rate"));
  EXPECT_THAT(message_for([](ForecastOptions& o) { o.service.cv = NAN; }), HasSubstr("cv"));
  EXPECT_THAT(message_for([](ForecastOptions& o) { o.service.per_desk_rate_per_hour = 0; }),
              HasSubstr("per_desk_rate_per_hour"));
}

TEST_F(ReferenceForecastTest, RejectsAPlanForAnotherRound) {
  const OneDesk other(10);
  absl::StatusOr<RoundForecast> forecast = ForecastRound(*layout_, *config_, other.plan, {});
  EXPECT_EQ(forecast.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(forecast.status().message(), HasSubstr("plan"));
}

}  // namespace
}  // namespace swabwave::engine::forecast
