// import_bench: what checking resident codes against the whole server costs
// when a city is imported (issue 24, item 2).
//
// Setup (not timed): a generated city of N residents (default 10 million,
// ceil(N / 17,000) communities, as the "city" preset makes it), each
// encoded as its journal record.
//
//   BM_ImportCity/0   every community built from its record through
//                     CommunityBuilder (journal::DecodeCommunity: the
//                     validation an import stream goes through) and
//                     imported into a fresh Registry without the server-wide
//                     check (Registry::CodeCheck::kNone): the baseline, what
//                     import cost before. (The gRPC stream's parsing, which
//                     would add to both, is left out.)
//   BM_ImportCity/1   the same with the check (the server's default): each
//                     import looks its codes up among every code imported
//                     before it, then adds its own.
//   BM_CatchUpAfterRestart  the first import after a restart: the recovered
//                     city's codes are indexed, then one more community is
//                     checked (Registry::ImportCommunity after ApplyRecord).
//
// Counters: code_index_MB and code_index_B_per_resident (the index's table,
// CodeIndex::MemoryBytes, over the same communities); residents.
//
// Run: build/release/bench/import_bench [--residents=N] --benchmark_repetitions=3
// (the 10 M default needs about 6 GiB.)
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/io/generator.h"
#include "engine/journal/records.h"
#include "engine/registry/code_index.h"
#include "engine/registry/registry.h"

namespace swabwave::bench {
namespace {

int64_t g_residents = 10'000'000;

const std::vector<engine::Community>& City() {
  static const std::vector<engine::Community>* city = [] {
    engine::GeneratorOptions options;
    options.preset = "city";
    options.residents = g_residents;
    return new std::vector<engine::Community>(*engine::GenerateCommunities(options));
  }();
  return *city;
}

void ReportIndexMemory(benchmark::State& state) {
  std::vector<std::unique_ptr<engine::Community>> owned;
  for (const engine::Community& c : City()) owned.push_back(std::make_unique<engine::Community>(c));
  engine::CodeIndex index(&owned);
  for (uint32_t i = 0; i < owned.size(); ++i) index.Add(i);
  state.counters["code_index_MB"] = static_cast<double>(index.MemoryBytes()) / 1e6;
  state.counters["code_index_B_per_resident"] =
      static_cast<double>(index.MemoryBytes()) / static_cast<double>(g_residents);
  state.counters["residents"] = static_cast<double>(g_residents);
}

const std::vector<std::string>& CityRecords() {
  static const std::vector<std::string>* records = [] {
    auto* out = new std::vector<std::string>();
    for (const engine::Community& c : City()) {
      out->emplace_back();
      engine::journal::EncodeCommunity(c, &out->back());
    }
    return out;
  }();
  return *records;
}

void BM_ImportCity(benchmark::State& state) {
  const auto check = state.range(0) == 1 ? engine::Registry::CodeCheck::kServerWide
                                         : engine::Registry::CodeCheck::kNone;
  const std::vector<std::string>& records = CityRecords();
  for (auto _ : state) {
    state.PauseTiming();
    auto registry = std::make_unique<engine::Registry>(check);
    state.ResumeTiming();
    for (const std::string& record : records) {
      absl::StatusOr<engine::Community> community = engine::journal::DecodeCommunity(record);
      if (!community.ok() || !registry->ImportCommunity(*std::move(community)).ok()) std::abort();
    }
    state.PauseTiming();
    registry.reset();  // freeing is not importing
    state.ResumeTiming();
  }
  if (state.range(0) == 1) ReportIndexMemory(state);
}

void BM_CatchUpAfterRestart(benchmark::State& state) {
  const std::vector<std::string>& records = CityRecords();
  // One more community, its codes its own: the import that follows a restart.
  engine::GeneratorOptions options;
  options.preset = "kangcheng";
  options.seed = 99;  // another key: codes the city does not have
  engine::Community next = std::move(engine::GenerateCommunities(options)->front());
  next.id = "next";
  for (engine::Site& site : next.sites) site.id = absl::StrCat("next-", site.id);
  for (auto _ : state) {
    state.PauseTiming();
    auto registry = std::make_unique<engine::Registry>();
    for (const std::string& record : records) {
      if (!registry->ApplyRecord(record).ok()) std::abort();
    }
    registry->FinishRecovery();
    engine::Community copy = next;
    state.ResumeTiming();
    if (!registry->ImportCommunity(std::move(copy)).ok()) std::abort();
    state.PauseTiming();
    registry.reset();
    state.ResumeTiming();
  }
}

}  // namespace
}  // namespace swabwave::bench

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--residents=", 12) == 0) {
      swabwave::bench::g_residents = std::atoll(argv[i] + 12);
    }
  }
  benchmark::Initialize(&argc, argv);
  benchmark::RegisterBenchmark("BM_ImportCity", swabwave::bench::BM_ImportCity)
      ->Arg(0)
      ->Arg(1)
      ->Iterations(1)
      ->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("BM_CatchUpAfterRestart", swabwave::bench::BM_CatchUpAfterRestart)
      ->Iterations(1)
      ->Unit(benchmark::kMillisecond);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
