// Forecast: what a plan's day will look like at the sites (DESIGN.md §5,
// Planner: Forecast). A discrete-event simulation, repeated over many
// seeded replications: households arrive across their wave's window (some
// members not at all, some parties late; arrivals.h), join their site's
// single line and are served first come, first served by the site's desks
// with service times around the per-desk rate (service_time.h,
// site_queue.h). Sites do not share people, so each is simulated on its
// own.
//
// It reports, per site, the most people waiting at once in each time
// bucket (p50 and p95 across replications), when the site's last resident
// is done, and the waves during whose window the waiting line's p95 peak
// exceeds the crowding limit, with how far over; for the round, when its
// last resident is done (p50/p95).
//
// Deterministic: every (site, replication) draws from its own stream of
// the seed (random.h), and replications are combined by max and integer
// sums, so the result depends on the seed and the inputs, never on the
// number of threads.
//
// Example:
//   absl::StatusOr<RoundForecast> forecast =
//       ForecastRound(layout, config, plan, ForecastOptions{.replications = 100});
//   for (const CrowdedWave& w : forecast->crowded_waves) ...
//
// Callers: the planning service and CLI (forecast of a planned round),
// bench/forecast_bench.cc, tests.
//
// Ownership: the result is a value; nothing is kept of the arguments once
// ForecastRound returns.
//
// Thread-safety: ForecastRound may be called concurrently; it runs on up
// to `threads` threads, the caller's among them, and returns when they are
// done.
#ifndef SWABWAVE_ENGINE_FORECAST_FORECAST_H_
#define SWABWAVE_ENGINE_FORECAST_FORECAST_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "engine/forecast/arrivals.h"
#include "engine/forecast/service_time.h"
#include "engine/model/round_config.h"
#include "engine/model/round_layout.h"
#include "engine/plan/plan.h"

namespace swabwave::engine::forecast {

inline constexpr int kMaxReplications = 100'000;
inline constexpr int kMaxForecastThreads = 1024;
inline constexpr absl::Duration kMinBucket = absl::Seconds(10);
inline constexpr absl::Duration kMaxBucket = absl::Hours(24);
// Bounds the per-site record (time buckets or waves, times replications)
// a worker keeps: 20 million numbers, 80 MB a thread.
inline constexpr int64_t kMaxRecordsPerSite = 20'000'000;

struct ForecastOptions {
  ArrivalOptions arrivals;
  ServiceTimeOptions service;
  int replications = 100;  // 1..kMaxReplications
  uint64_t seed = 1;
  int threads = 0;  // 0: one per hardware thread; never more than the sites
  absl::Duration bucket = absl::Minutes(5);  // width of the queue-over-time buckets
  // People waiting at one site at once above which a wave is crowded.
  int crowding_limit = 30;
};

// INVALID_ARGUMENT naming the field (replications, threads, bucket,
// crowding_limit, or one of the arrival or service options).
[[nodiscard]] absl::Status ValidateForecastOptions(const ForecastOptions& options);

struct SiteForecast {
  uint32_t site = kNoId;  // round site index
  std::string site_id;
  int desks = 0;
  int64_t planned = 0;         // residents the plan sends here
  double mean_served = 0;      // per replication
  double mean_no_shows = 0;    // per replication; mean_served + mean_no_shows == planned
  int32_t peak_queue_p50 = 0;  // most people waiting at once over the whole round
  int32_t peak_queue_p95 = 0;
  absl::Duration done_p50;  // when its last resident leaves a desk, after the round's start
  absl::Duration done_p95;
  // From arrival to a desk: the mean over everyone who came in a
  // replication, and the longest anyone waited in it; p50/p95 across
  // replications.
  absl::Duration mean_wait_p50;
  absl::Duration mean_wait_p95;
  absl::Duration longest_wait_p95;
  // [bucket b] most people waiting at once in [start + b * bucket, start + (b+1) * bucket);
  // as many buckets as the slowest replication needs.
  std::vector<int32_t> queue_p50;
  std::vector<int32_t> queue_p95;
};

// A wave during whose window (waiting after the last wave counts to the
// last wave) a site's line was too long.
struct CrowdedWave {
  uint32_t site = kNoId;
  std::string site_id;
  int wave = 0;
  int32_t peak_queue_p50 = 0;  // most people waiting at once during the window
  int32_t peak_queue_p95 = 0;
  int32_t over_limit_by = 0;  // peak_queue_p95 - crowding_limit, > 0
  double share_over = 0;      // share of replications whose peak exceeded the limit
};

struct RoundForecast {
  int replications = 0;
  uint64_t seed = 0;
  absl::Time start;  // the round's start: time 0 of every duration below
  absl::Duration bucket;
  int crowding_limit = 0;
  // When the round's last resident leaves a desk; zero when nobody came.
  absl::Duration completion_p50;
  absl::Duration completion_p95;
  int64_t planned = 0;  // residents due at sites
  double mean_served = 0;
  double mean_no_shows = 0;
  std::vector<SiteForecast> sites;         // [round site]
  std::vector<CrowdedWave> crowded_waves;  // by site, then wave
};

// Forecasts `plan`, made for `layout` and `config`. INVALID_ARGUMENT naming
// the field for bad options (also "bucket" and "replications" together
// when the round's buckets or waves times the replications exceed
// kMaxRecordsPerSite), or "plan" when the plan does not fit the layout and
// config (see BuildDemand).
[[nodiscard]] absl::StatusOr<RoundForecast> ForecastRound(const RoundLayout& layout,
                                                          const RoundConfig& config,
                                                          const plan::Plan& plan,
                                                          const ForecastOptions& options);

}  // namespace swabwave::engine::forecast

#endif  // SWABWAVE_ENGINE_FORECAST_FORECAST_H_
