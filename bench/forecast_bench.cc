// forecast_bench: what a forecast of a real plan costs (issue 4, Forecast).
//
//   BM_Forecast/<residents>/<replications>/<threads>
//       ForecastRound on the greedy plan of a 24-hour round of 30-minute
//       waves, default options (5% no-shows, 20% late by up to 15 minutes,
//       lognormal service at 110 an hour, cv 0.3). One iteration is one
//       whole forecast: every replication of every site, percentiles and
//       flags included. residents 17,000 is the reference community
//       ("kangcheng"); larger counts are the "city" preset.
//
// Counters: people_per_s (residents planned x replications / time), and
// the forecast's own figures so a run shows it simulated something real:
// completion p50/p95 in hours after the round's start, crowded waves.
//
// Run: build/release/bench/forecast_bench --benchmark_repetitions=5
//        --benchmark_report_aggregates_only=true
//      (add --benchmark_filter=BM_Forecast/10000000 for the city alone;
//      it generates and plans 10 million residents first, about a minute)
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <map>
#include <memory>
#include <vector>

#include "engine/forecast/forecast.h"
#include "engine/io/generator.h"
#include "engine/plan/greedy_planner.h"

namespace swabwave::bench {
namespace {

constexpr int64_t kReference = 17'000;

// The communities of `residents` people, a round over them and its plan.
struct World {
  std::vector<engine::Community> communities;
  std::unique_ptr<engine::RoundLayout> layout;
  engine::RoundConfig config;
  engine::plan::Plan plan;
};

const World& GetWorld(int64_t residents) {
  static std::map<int64_t, std::unique_ptr<World>> worlds;
  std::unique_ptr<World>& world = worlds[residents];
  if (world != nullptr) return *world;
  world = std::make_unique<World>();
  engine::GeneratorOptions options;
  options.preset = residents == kReference ? "kangcheng" : "city";
  options.residents = residents == kReference ? 0 : residents;
  world->communities = *engine::GenerateCommunities(options);
  std::vector<const engine::Community*> pointers;
  world->config.id = "bench";
  world->config.start = absl::FromUnixSeconds(1795737600);  // 2026-11-27 00:00 UTC
  for (const engine::Community& c : world->communities) {
    pointers.push_back(&c);
    world->config.community_ids.push_back(c.id);
  }
  world->layout = std::make_unique<engine::RoundLayout>(std::move(pointers));
  absl::StatusOr<engine::plan::Plan> plan =
      engine::plan::GreedyPlanner().MakePlan(*world->layout, world->config, {});
  if (!plan.ok()) abort();
  world->plan = *std::move(plan);
  return *world;
}

void BM_Forecast(benchmark::State& state) {
  const World& world = GetWorld(state.range(0));
  engine::forecast::ForecastOptions options;
  options.replications = static_cast<int>(state.range(1));
  options.threads = static_cast<int>(state.range(2));
  engine::forecast::RoundForecast forecast;
  for (auto _ : state) {
    forecast = *engine::forecast::ForecastRound(*world.layout, world.config, world.plan, options);
    benchmark::DoNotOptimize(forecast);
  }
  state.counters["people_per_s"] =
      benchmark::Counter(static_cast<double>(world.plan.due_at_sites) * options.replications,
                         benchmark::Counter::kIsIterationInvariantRate);
  state.counters["completion_p50_h"] = absl::ToDoubleHours(forecast.completion_p50);
  state.counters["completion_p95_h"] = absl::ToDoubleHours(forecast.completion_p95);
  state.counters["crowded_waves"] = static_cast<double>(forecast.crowded_waves.size());
  state.counters["sites"] = static_cast<double>(world.plan.site_count);
}
BENCHMARK(BM_Forecast)
    ->ArgNames({"residents", "replications", "threads"})
    ->Args({kReference, 1, 1})
    ->Args({kReference, 100, 1})
    ->Args({kReference, 100, 2})
    ->Args({1'000'000, 1, 1})
    ->Args({1'000'000, 10, 2})
    ->Args({10'000'000, 1, 2})
    ->Args({10'000'000, 10, 2})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace swabwave::bench

BENCHMARK_MAIN();
