// core_bench: check-ins per second through the lock-free core, against the
// obvious design and against the machine's floor, in the same run.
//
//   BM_CoreCheckIn     LiveRound::CheckIn: code lookup, CAS on the
//                      resident's word, fetch-add on the desk's tube,
//                      counters. A fresh board (from a real plan of a real
//                      round) for every run; each thread is one desk.
//   BM_CoreCheckInBatch the same, 32 check-ins per call as a tablet's stream
//                      message brings them: every resident's line is
//                      prefetched before any is processed.
//   BM_MutexMapCheckIn the same logical work under one std::mutex with a
//                      std::unordered_map from code to record (and its
//                      batch form: one lock per 32 check-ins).
//   BM_BareCas         one compare-and-swap on a random 64-bit word of as
//                      many words as residents (on huge pages, like the
//                      table): one cache miss a check-in.
//   BM_LookupCas       the least any design with a code index and an
//                      atomic claim does: hash the code, probe a resident
//                      table like the core's, one CAS on the slot's word. No
//                      tube, no result, no publish. BM_LookupCasBatch does
//                      the same 32 at a time, prefetching every line first
//                      as the core's batch does.
//   BM_Memory          bytes per resident of the core state and index, and
//                      the process's resident set size with the world built.
//
// Sizes: the reference community (17,000) and a 10,000,000-resident city.
// Every resident is checked in exactly once per run (iterations = residents
// / threads), in one shuffled order shared by all three.
//
// Run: build/release/bench/core_bench --benchmark_repetitions=5
//        --benchmark_report_aggregates_only=true [--threads=1,2,4,8,16]
//      (bench/run_core_bench.sh does this and prints the ratios)
#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "engine/core/huge_array.h"
#include "engine/core/live_round.h"
#include "engine/core/resident_table.h"
#include "engine/io/generator.h"
#include "engine/plan/greedy_planner.h"
#include "engine/registry/registry.h"

namespace swabwave::bench {
namespace {

using engine::core::CheckInVerdict;
using engine::core::LiveRound;

constexpr int64_t kReference = 17000;
constexpr int64_t kCity = 10'000'000;

int64_t ResidentSetBytes() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoll(line.substr(6)) * 1024;
  }
  return 0;
}

// One real round of `residents` people, planned, and a shuffled order of
// all of them.
struct World {
  engine::Registry registry;
  engine::Round* round = nullptr;
  std::shared_ptr<const engine::plan::Plan> plan;
  std::vector<uint32_t> order;  // round resident ids, shuffled
  // Their codes, back to back in that order: a tablet's scan arrives in the
  // request it came with, so reading it is not a cache miss of the server's.
  std::string scans;
  std::vector<uint32_t> scan_offsets;
  absl::string_view scan(size_t i) const {
    return absl::string_view(scans.data() + scan_offsets[i], scan_offsets[i + 1] - scan_offsets[i]);
  }
  int64_t rss_before = 0, rss_after = 0;
};

World& GetWorld(int64_t residents) {
  static std::map<int64_t, std::unique_ptr<World>> worlds;
  std::unique_ptr<World>& world = worlds[residents];
  if (world != nullptr) return *world;
  world = std::make_unique<World>();
  world->rss_before = ResidentSetBytes();
  engine::GeneratorOptions options;
  options.preset = residents == kReference ? "kangcheng" : "city";
  options.residents = residents == kReference ? 0 : residents;
  std::vector<engine::Community> communities = *engine::GenerateCommunities(options);
  engine::RoundConfig config;
  config.id = "bench";
  config.start = absl::FromUnixSeconds(1795737600);  // 2026-11-27 00:00 UTC
  config.pool_ratio = 10;
  for (engine::Community& c : communities) {
    config.community_ids.push_back(c.id);
    if (!world->registry.ImportCommunity(std::move(c)).ok()) abort();
  }
  world->round = *world->registry.CreateRound(config);
  world->plan = *world->round->MakePlan(engine::plan::GreedyPlanner(), {});
  world->order.resize(world->round->layout().resident_count());
  for (uint32_t r = 0; r < world->order.size(); ++r) world->order[r] = r;
  std::shuffle(world->order.begin(), world->order.end(), std::mt19937_64(20221127));
  for (uint32_t r : world->order) {
    world->scan_offsets.push_back(static_cast<uint32_t>(world->scans.size()));
    const absl::string_view code = world->round->resident_code(r);
    world->scans.append(code.data(), code.size());
  }
  world->scan_offsets.push_back(static_cast<uint32_t>(world->scans.size()));
  world->rss_after = ResidentSetBytes();
  return *world;
}

int64_t ScanTime(const World& world) {
  return absl::ToUnixSeconds(world.round->config().start) + 3600;
}

// ---------------------------------------------------------------- core

std::unique_ptr<LiveRound> g_live;

void SetupCore(const benchmark::State& state) {
  World& world = GetWorld(state.range(0));
  g_live.reset();
  g_live = std::make_unique<LiveRound>(world.round->LiveSpec(*world.plan));
  // Each thread is one desk with a full rack of tubes.
  const int64_t per_desk = static_cast<int64_t>(world.order.size()) / state.threads() + 1;
  for (int d = 0; d < state.threads(); ++d) {
    for (int64_t t = 0; t <= per_desk / g_live->pool_ratio(); ++t) {
      if (!g_live->rack().RackTube(d, absl::StrCat("B", d, "-", t)).ok()) abort();
    }
  }
  // Racking pushed part of the table out of cache; the baseline's reset walks
  // all its records. Start both warm: read every slot once.
  uint64_t sum = 0;
  g_live->Scan([&](uint32_t resident, engine::core::ResidentWord, uint32_t, engine::CellIndex) {
    sum += resident;
  });
  benchmark::DoNotOptimize(sum);
}

void BM_CoreCheckIn(benchmark::State& state) {
  const World& world = GetWorld(state.range(0));
  const engine::DeskIndex desk = state.thread_index();
  const int64_t scan = ScanTime(world);
  size_t i = state.thread_index();
  for (auto _ : state) {
    const engine::core::CheckInResult result =
        g_live->CheckIn(desk, world.scan(i), scan, static_cast<uint32_t>(i));
    if (result.verdict != CheckInVerdict::kSampled) {
      state.SkipWithError("a check-in was not sampled");
      break;
    }
    i += state.threads();
  }
  state.SetItemsProcessed(state.iterations());
}

// A tablet's stream message carries a batch; the server hands the whole
// batch to the core, which prefetches every resident's line first.
constexpr int kBatch = 32;

void BM_CoreCheckInBatch(benchmark::State& state) {
  const World& world = GetWorld(state.range(0));
  const engine::DeskIndex desk = state.thread_index();
  const int64_t scan = ScanTime(world);
  std::vector<engine::core::CheckInAttempt> attempts(kBatch);
  std::vector<engine::core::CheckInResult> results(kBatch);
  // Thread t takes batches t, t + T, t + 2T ... of the shuffled order.
  size_t batch = state.thread_index();
  for (auto _ : state) {
    for (int b = 0; b < kBatch; ++b) {
      const size_t i = batch * kBatch + b;
      attempts[b] = {desk, world.scan(i), scan, static_cast<uint32_t>(i)};
    }
    g_live->CheckInBatch(attempts, absl::MakeSpan(results));
    for (const engine::core::CheckInResult& result : results) {
      if (result.verdict != CheckInVerdict::kSampled) state.SkipWithError("not sampled");
    }
    batch += state.threads();
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}

// ---------------------------------------------------------------- baseline

// The obvious design: one lock, one hash map from code to record.
class MutexMapRound {
 public:
  struct Record {
    uint8_t state = 0;  // 0 untested, 1 sampled
    uint32_t resident = 0;
    uint32_t tube = 0;
    uint32_t slot = 0;
    uint32_t building = 0;
    uint32_t cell = 0;
    int64_t scan = 0;
    uint32_t tag = 0;
  };
  struct Desk {
    std::vector<uint32_t> rack;  // tube ids
    size_t current = 0;
    uint32_t fill = 0;
  };
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };

  explicit MutexMapRound(const World& world) {
    const engine::core::LiveRoundSpec spec = world.round->LiveSpec(*world.plan);
    ratio_ = spec.pool_ratio;
    records_.reserve(spec.initial.size());
    for (uint32_t r = 0; r < spec.initial.size(); ++r) {
      const absl::string_view code = world.round->resident_code(r);
      Record record;
      record.resident = r;
      record.building = world.round->live()->building_of(r);
      record.cell = spec.cells[r];
      records_.emplace(std::string(code.data(), code.size()), record);
    }
    building_sampled_.assign(world.round->layout().building_count(), 0);
    cell_sampled_.assign(world.plan->cell_count(), 0);
    site_check_ins_.assign(spec.site_count, 0);
    desk_sites_ = spec.desk_sites;
  }

  void Reset(int desks, int64_t per_desk) {
    for (auto& [code, record] : records_) record.state = 0;
    std::fill(building_sampled_.begin(), building_sampled_.end(), 0);
    std::fill(cell_sampled_.begin(), cell_sampled_.end(), 0);
    std::fill(site_check_ins_.begin(), site_check_ins_.end(), 0);
    desks_.assign(desks, Desk{});
    uint32_t tube = 0;
    for (Desk& desk : desks_) {
      for (int64_t t = 0; t <= per_desk / ratio_; ++t) desk.rack.push_back(tube++);
    }
    members_.assign(size_t{tube} * ratio_, 0);
  }

  bool CheckIn(uint32_t desk_index, absl::string_view code, int64_t scan, uint32_t tag) {
    std::lock_guard lock(mu_);
    return CheckInLocked(desk_index, code, scan, tag);
  }

  // The baseline's batch: one lock for the whole message.
  bool CheckInBatch(uint32_t desk_index, const World& world, size_t first, int64_t scan) {
    std::lock_guard lock(mu_);
    bool all = true;
    for (int b = 0; b < kBatch; ++b) {
      all &=
          CheckInLocked(desk_index, world.scan(first + b), scan, static_cast<uint32_t>(first + b));
    }
    return all;
  }

 private:
  bool CheckInLocked(uint32_t desk_index, absl::string_view code, int64_t scan, uint32_t tag) {
    auto it = records_.find(std::string_view(code.data(), code.size()));
    if (it == records_.end()) return false;
    Record& record = it->second;
    if (record.state != 0) return false;
    Desk& desk = desks_[desk_index];
    if (desk.current >= desk.rack.size()) return false;
    record.tube = desk.rack[desk.current];
    record.slot = desk.fill++;
    if (desk.fill == static_cast<uint32_t>(ratio_)) {
      ++desk.current;
      desk.fill = 0;
    }
    members_[size_t{record.tube} * ratio_ + record.slot] = record.resident;
    record.state = 1;
    record.scan = scan;
    record.tag = tag;
    ++building_sampled_[record.building];
    if (record.cell != engine::kNoId) ++cell_sampled_[record.cell];
    ++site_check_ins_[desk_sites_[desk_index]];
    return true;
  }

  std::mutex mu_;
  int ratio_ = 10;
  std::unordered_map<std::string, Record, Hash, std::equal_to<>> records_;
  std::vector<Desk> desks_;
  std::vector<uint32_t> members_;
  std::vector<int64_t> building_sampled_, cell_sampled_, site_check_ins_;
  std::vector<uint32_t> desk_sites_;
};

std::map<int64_t, std::unique_ptr<MutexMapRound>> g_baselines;
MutexMapRound* g_baseline = nullptr;

void SetupBaseline(const benchmark::State& state) {
  const World& world = GetWorld(state.range(0));
  std::unique_ptr<MutexMapRound>& baseline = g_baselines[state.range(0)];
  if (baseline == nullptr) baseline = std::make_unique<MutexMapRound>(world);
  baseline->Reset(state.threads(), static_cast<int64_t>(world.order.size()) / state.threads() + 1);
  g_baseline = baseline.get();
}

void BM_MutexMapCheckIn(benchmark::State& state) {
  const World& world = GetWorld(state.range(0));
  const uint32_t desk = state.thread_index();
  const int64_t scan = ScanTime(world);
  size_t i = state.thread_index();
  for (auto _ : state) {
    if (!g_baseline->CheckIn(desk, world.scan(i), scan, static_cast<uint32_t>(i))) {
      state.SkipWithError("a baseline check-in was not sampled");
      break;
    }
    i += state.threads();
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_MutexMapCheckInBatch(benchmark::State& state) {
  const World& world = GetWorld(state.range(0));
  const uint32_t desk = state.thread_index();
  const int64_t scan = ScanTime(world);
  size_t batch = state.thread_index();
  for (auto _ : state) {
    if (!g_baseline->CheckInBatch(desk, world, batch * kBatch, scan)) {
      state.SkipWithError("a baseline check-in was not sampled");
      break;
    }
    batch += state.threads();
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}

// ---------------------------------------------------------------- floor

// The floor gets the same huge-page backing as the resident table, so the
// comparison is between data structures, not page sizes.
engine::core::HugeArray<std::atomic<uint64_t>> g_words;

void SetupBareCas(const benchmark::State& state) {
  const World& world = GetWorld(state.range(0));
  g_words = engine::core::HugeArray<std::atomic<uint64_t>>(world.order.size());
}

void BM_BareCas(benchmark::State& state) {
  const World& world = GetWorld(state.range(0));
  size_t i = state.thread_index();
  for (auto _ : state) {
    uint64_t expected = 0;
    if (!g_words[world.order[i]].compare_exchange_strong(expected, i + 1)) {
      state.SkipWithError("a word was taken twice");
      break;
    }
    i += state.threads();
  }
  state.SetItemsProcessed(state.iterations());
}

// The floor of a lookup plus a claim: its own table, so that the core's
// words stay untouched.
std::map<int64_t, std::unique_ptr<engine::core::ResidentTable>> g_lookup_tables;
engine::core::ResidentTable* g_lookup_table = nullptr;

void SetupLookupCas(const benchmark::State& state) {
  const World& world = GetWorld(state.range(0));
  std::unique_ptr<engine::core::ResidentTable>& table = g_lookup_tables[state.range(0)];
  if (table == nullptr) {
    table = *engine::core::ResidentTable::Build(
        static_cast<uint32_t>(world.order.size()),
        [&](uint32_t r) { return world.round->resident_code(r); },
        [](uint32_t) { return 0u; });
  }
  for (uint32_t position = 0; position < table->capacity(); ++position) {
    table->at(position).word.store(0, std::memory_order_relaxed);
  }
  g_lookup_table = table.get();
}

void BM_LookupCas(benchmark::State& state) {
  const World& world = GetWorld(state.range(0));
  size_t i = state.thread_index();
  for (auto _ : state) {
    const uint32_t position =
        g_lookup_table->Find(engine::core::ResidentTable::MakeKey(world.scan(i)));
    uint64_t expected = 0;
    if (position == engine::kNoId ||
        !g_lookup_table->at(position).word.compare_exchange_strong(expected, i + 1)) {
      state.SkipWithError("a resident was not found or claimed twice");
      break;
    }
    i += state.threads();
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_LookupCasBatch(benchmark::State& state) {
  const World& world = GetWorld(state.range(0));
  engine::core::ResidentTable::Key keys[kBatch];
  size_t batch = state.thread_index();
  for (auto _ : state) {
    for (int b = 0; b < kBatch; ++b) {
      keys[b] = engine::core::ResidentTable::MakeKey(world.scan(batch * kBatch + b));
      g_lookup_table->Prefetch(keys[b]);
    }
    for (int b = 0; b < kBatch; ++b) {
      const uint32_t position = g_lookup_table->Find(keys[b]);
      uint64_t expected = 0;
      if (position == engine::kNoId ||
          !g_lookup_table->at(position).word.compare_exchange_strong(expected, b + 1)) {
        state.SkipWithError("a resident was not found or claimed twice");
      }
    }
    batch += state.threads();
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}

// ---------------------------------------------------------------- memory

void BM_Memory(benchmark::State& state) {
  World& world = GetWorld(state.range(0));
  const double residents = static_cast<double>(world.order.size());
  const LiveRound* live = world.round->live();
  for (auto _ : state) benchmark::DoNotOptimize(live);
  // The table holds codes, words, tags and ids; cells and desks come with it.
  state.counters["table_B_per_resident"] = live->table().MemoryBytes() / residents;
  state.counters["core_B_per_resident"] = live->MemoryBytes() / residents;
  state.counters["world_rss_MiB"] = (world.rss_after - world.rss_before) / 1048576.0;
  state.counters["process_rss_MiB"] = ResidentSetBytes() / 1048576.0;
}

// The thread counts to measure: 1, 2 and 4 unless `--threads=1,2,4,8,16`
// (for a machine with more cores) is given; the flag is taken out of argv
// before Google Benchmark sees it.
std::vector<int> TakeThreadCounts(int* argc, char** argv) {
  std::vector<int> counts = {1, 2, 4};
  constexpr std::string_view kFlag = "--threads=";
  int kept = 1;
  for (int i = 1; i < *argc; ++i) {
    std::string_view arg = argv[i];
    if (!arg.starts_with(kFlag)) {
      argv[kept++] = argv[i];
      continue;
    }
    counts.clear();
    const std::string list(arg.substr(kFlag.size()));
    for (absl::string_view part : absl::StrSplit(list, ',')) {
      int threads = 0;
      if (!absl::SimpleAtoi(part, &threads) || threads < 1) {
        std::fprintf(stderr, "--threads wants a list of positive counts, like 1,2,4,8\n");
        std::exit(2);
      }
      counts.push_back(threads);
    }
  }
  *argc = kept;
  return counts;
}

void Register(const std::vector<int>& thread_counts) {
  for (int64_t residents : {kReference, kCity}) {
    benchmark::RegisterBenchmark("BM_Memory", BM_Memory)->Arg(residents)->Iterations(1);
    for (int threads : thread_counts) {
      const int64_t iterations = residents / threads;
      benchmark::RegisterBenchmark("BM_CoreCheckIn", BM_CoreCheckIn)
          ->Arg(residents)
          ->Threads(threads)
          ->Iterations(iterations)
          ->Setup(SetupCore)
          ->UseRealTime();
      benchmark::RegisterBenchmark("BM_MutexMapCheckIn", BM_MutexMapCheckIn)
          ->Arg(residents)
          ->Threads(threads)
          ->Iterations(iterations)
          ->Setup(SetupBaseline)
          ->UseRealTime();
      benchmark::RegisterBenchmark("BM_CoreCheckInBatch", BM_CoreCheckInBatch)
          ->Arg(residents)
          ->Threads(threads)
          ->Iterations(iterations / kBatch)
          ->Setup(SetupCore)
          ->UseRealTime();
      benchmark::RegisterBenchmark("BM_MutexMapCheckInBatch", BM_MutexMapCheckInBatch)
          ->Arg(residents)
          ->Threads(threads)
          ->Iterations(iterations / kBatch)
          ->Setup(SetupBaseline)
          ->UseRealTime();
      benchmark::RegisterBenchmark("BM_LookupCas", BM_LookupCas)
          ->Arg(residents)
          ->Threads(threads)
          ->Iterations(iterations)
          ->Setup(SetupLookupCas)
          ->UseRealTime();
      benchmark::RegisterBenchmark("BM_LookupCasBatch", BM_LookupCasBatch)
          ->Arg(residents)
          ->Threads(threads)
          ->Iterations(iterations / kBatch)
          ->Setup(SetupLookupCas)
          ->UseRealTime();
      benchmark::RegisterBenchmark("BM_BareCas", BM_BareCas)
          ->Arg(residents)
          ->Threads(threads)
          ->Iterations(iterations)
          ->Setup(SetupBareCas)
          ->UseRealTime();
    }
  }
}

}  // namespace
}  // namespace swabwave::bench

int main(int argc, char** argv) {
  const std::vector<int> thread_counts = swabwave::bench::TakeThreadCounts(&argc, argv);
  benchmark::Initialize(&argc, argv);
  swabwave::bench::Register(thread_counts);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
