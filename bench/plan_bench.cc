// plan_bench: the optimal wave planner (FlowPlanner, issue 4) against the
// simple first planner (GreedyPlanner: earliest wave, then nearest site),
// in the same run, on the same generated round.
//
//   BM_FlowPlan/N/T   FlowPlanner::MakePlan on T threads (PlanOptions::
//                     threads; 0 = one per core, the default)
//   BM_GreedyPlan/N/0 GreedyPlanner::MakePlan (single-threaded by design)
//
// N = 17000 is the reference community (--preset kangcheng: ~600 units, 6
// sites); any other N is a generated city of N residents (--preset city:
// ceil(N / 17,000) communities, about one 4-desk site per 2,000 residents).
// The round starts when the generated sites open (07:00 local) and lasts
// their opening hours (15 h, 30 waves of 30 minutes); default plan options.
//
// Counters (each plan's own gaps, then the ratios between the two):
//   waves, waves_bound (trivial), waves_opt (W*, flow only), waves/bound,
//   waves/W*, walk_km, walk/flow_opt (distance over the flow's fractional
//   optimum), overflow (cells over capacity), scattered (buildings not
//   within two consecutive waves), peak_MiB (the process's peak resident
//   set during the plan: the world is resident already, counted in it),
//   plan_MiB (that peak minus the resident set before the plan);
//   on BM_FlowPlan also greedy_waves/flow and greedy_walk/flow.
//
// Run: build/flow-full/bench/plan_bench --benchmark_repetitions=3
//        [--benchmark_filter=.../17000] [--sizes=17000,1000000,10000000]
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "engine/io/generator.h"
#include "engine/plan/flow_planner.h"
#include "engine/plan/greedy_planner.h"

namespace swabwave::bench {
namespace {

using engine::plan::FlowPlanner;
using engine::plan::GreedyPlanner;
using engine::plan::Plan;

constexpr int64_t kReference = 17000;

// A field of /proc/self/status in bytes ("VmRSS", "VmHWM").
int64_t StatusBytes(std::string_view field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(field, 0) == 0 && line.size() > field.size() + 1) {
      return std::stoll(line.substr(field.size() + 1)) * 1024;
    }
  }
  return 0;
}

// Linux: writing 5 to clear_refs resets the peak resident set (VmHWM) to
// the current one, so the peak read after a plan is that plan's.
void ResetPeakResidentSet() {
  std::ofstream clear_refs("/proc/self/clear_refs");
  clear_refs << "5";
}

struct World {
  std::vector<engine::Community> communities;
  std::unique_ptr<engine::RoundLayout> layout;
  engine::RoundConfig config;
  std::unique_ptr<Plan> greedy;  // made once, for the ratios
};

World& GetWorld(int64_t residents) {
  static std::map<int64_t, std::unique_ptr<World>> worlds;
  std::unique_ptr<World>& world = worlds[residents];
  if (world) return *world;
  world = std::make_unique<World>();
  engine::GeneratorOptions options;
  options.preset = residents == kReference ? "kangcheng" : "city";
  options.residents = residents == kReference ? 0 : residents;
  auto communities = engine::GenerateCommunities(options);
  if (!communities.ok()) {
    fprintf(stderr, "generate: %s\n", std::string(communities.status().message()).c_str());
    abort();
  }
  world->communities = *std::move(communities);
  std::vector<const engine::Community*> pointers;
  for (const engine::Community& c : world->communities) {
    pointers.push_back(&c);
    world->config.community_ids.push_back(c.id);
  }
  world->layout = std::make_unique<engine::RoundLayout>(pointers);
  world->config.id = "bench";
  // 2026-11-26 23:00 UTC: 07:00 in the generator's UTC+8, when sites open.
  world->config.start = absl::FromUnixSeconds(1795734000);
  world->config.wave_length = absl::Minutes(30);
  world->config.duration = absl::Hours(15);
  return *world;
}

void ReportPlan(benchmark::State& state, const Plan& plan, int64_t peak, int64_t before) {
  state.counters["waves"] = plan.waves_used;
  state.counters["waves_bound"] = plan.waves_lower_bound;
  state.counters["waves/bound"] = static_cast<double>(plan.waves_used) / plan.waves_lower_bound;
  if (plan.waves_optimum > 0) {
    state.counters["waves_opt"] = plan.waves_optimum;
    state.counters["waves/W*"] = static_cast<double>(plan.waves_used) / plan.waves_optimum;
    state.counters["walk/flow_opt"] = plan.total_walking_m / plan.flow_walking_m;
  }
  state.counters["walk_km"] = plan.total_walking_m / 1000;
  state.counters["overflow"] = static_cast<double>(plan.overloaded_cells);
  state.counters["scattered"] = static_cast<double>(plan.scattered_buildings);
  state.counters["units"] = static_cast<double>(plan.units);
  state.counters["sites"] = plan.site_count;
  state.counters["peak_MiB"] = static_cast<double>(peak) / (1 << 20);
  state.counters["plan_MiB"] = static_cast<double>(peak - before) / (1 << 20);
}

// range(0): residents; range(1): PlanOptions::threads (0: one per core).
template <typename PlannerType>
void BM_Plan(benchmark::State& state) {
  World& world = GetWorld(state.range(0));
  engine::plan::PlanOptions options;
  options.threads = static_cast<int>(state.range(1));
  const PlannerType planner;
  std::unique_ptr<Plan> last;
  int64_t peak = 0;
  int64_t before = 0;
  for (auto _ : state) {
    last.reset();  // the previous plan's memory is not this one's
    before = StatusBytes("VmRSS:");
    ResetPeakResidentSet();
    absl::StatusOr<Plan> plan = planner.MakePlan(*world.layout, world.config, options);
    peak = StatusBytes("VmHWM:");
    if (!plan.ok()) {
      state.SkipWithError(std::string(plan.status().message()).c_str());
      return;
    }
    last = std::make_unique<Plan>(*std::move(plan));
  }
  ReportPlan(state, *last, peak, before);
  if constexpr (std::is_same_v<PlannerType, FlowPlanner>) {
    if (!world.greedy) {
      absl::StatusOr<Plan> greedy = GreedyPlanner().MakePlan(*world.layout, world.config, {});
      if (!greedy.ok()) {
        state.SkipWithError(std::string(greedy.status().message()).c_str());
        return;
      }
      world.greedy = std::make_unique<Plan>(*std::move(greedy));
    }
    state.counters["greedy_waves/flow"] =
        static_cast<double>(world.greedy->waves_used) / last->waves_used;
    state.counters["greedy_walk/flow"] = world.greedy->total_walking_m / last->total_walking_m;
  }
}

std::vector<int64_t> g_sizes = {kReference, 1'000'000, 10'000'000};

void Register() {
  for (int64_t size : g_sizes) {
    const int iterations = size >= 1'000'000 ? 1 : 200;
    benchmark::RegisterBenchmark("BM_FlowPlan", BM_Plan<FlowPlanner>)
        ->Args({size, 0})
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime()
        ->Iterations(iterations);
    // One thread: what the decomposition onto all cores buys.
    benchmark::RegisterBenchmark("BM_FlowPlan", BM_Plan<FlowPlanner>)
        ->Args({size, 1})
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime()
        ->Iterations(iterations);
    benchmark::RegisterBenchmark("BM_GreedyPlan", BM_Plan<GreedyPlanner>)
        ->Args({size, 0})
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime()
        ->Iterations(iterations);
  }
}

}  // namespace
}  // namespace swabwave::bench

int main(int argc, char** argv) {
  // --sizes=LIST (residents; 17000 is the reference community) is ours.
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    const absl::string_view arg = argv[i];
    if (absl::StartsWith(arg, "--sizes=")) {
      swabwave::bench::g_sizes.clear();
      for (absl::string_view size : absl::StrSplit(arg.substr(8), ',')) {
        int64_t n = 0;
        if (!absl::SimpleAtoi(size, &n)) {
          fprintf(stderr, "--sizes: '%.*s' is not a number\n", static_cast<int>(size.size()),
                  size.data());
          return 2;
        }
        swabwave::bench::g_sizes.push_back(n);
      }
    } else {
      args.push_back(argv[i]);
    }
  }
  int count = static_cast<int>(args.size());
  benchmark::Initialize(&count, args.data());
  swabwave::bench::Register();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
