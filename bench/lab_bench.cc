// lab_bench: the day after the swab at city scale, in process, on a real
// journal (issue 17's figures).
//
// Setup (not timed): a generated city of N residents (default 10 million)
// is imported, a round created (10 swabs a tube, boxes of up to 1,000),
// planned and opened; every resident due at a site is checked in (tubes
// racked ahead, partly filled tubes sealed), every sealed tube packed into
// boxes of 100 at its site, picked up and received by a lab: about 1 M
// tubes in 10 k boxes at 10 M. Everything is journaled.
//
//   BM_BoxAgeQuery       what ListBoxes does for the command center: every
//                        box copied, sorted (travelling first, oldest swab
//                        first) and aged.
//   BM_CountLab          what GetProgress adds after the swab: every member
//                        of the round placed in its state, every box aged.
//   BM_SealedTubesPass   the baseline: one pass over every tube (the
//                        progress page's sealed-tube count).
//   BM_PositiveToRecallList/P  P positive results in turn (0.01% and 0.1%
//                        of residents: 1,000 and 10,000 tubes at 10 M),
//                        each recorded, made durable, and its recall list
//                        read (its members and their homes); p50 and p99
//                        per positive as counters.
//   BM_NegativeResult/P  the baseline: P negative results on other tubes,
//                        recorded and made durable, no list read.
//   BM_RecallListPage    the first ListRecalls page (100 tubes and their
//                        members' homes) once every positive above stands.
//
// Run: build/release/bench/lab_bench [--residents=N] [--dir=DIR]
// (--residents=1000000 for a quick look; 10 M needs about 4 GiB.)
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/core/request_index.h"
#include "engine/io/generator.h"
#include "engine/journal/journal.h"
#include "engine/plan/greedy_planner.h"
#include "engine/registry/registry.h"

namespace swabwave::bench {
namespace {

namespace fs = std::filesystem;

int64_t g_residents = 10'000'000;
std::string g_base_dir;
std::string g_dir;

struct World {
  engine::Registry registry;
  std::unique_ptr<engine::journal::Journal> journal;
  engine::Round* round = nullptr;
  std::vector<engine::TubeIndex> tubes;  // every tube received by the lab, shuffled
  size_t next_tube = 0;                  // the next tube no result names yet
  int64_t now = 0;                       // the lab's clock
};
World* g_world = nullptr;

engine::custody::Signature Signed(const char* by, int64_t at) { return {by, at}; }

void Must(const absl::Status& status, const char* what) {
  if (status.ok()) return;
  fprintf(stderr, "%s: %s\n", what, std::string(status.message()).c_str());
  abort();
}

void CheckInEveryone(engine::Round& round, int64_t scan) {
  constexpr size_t kBatch = 32;
  const uint32_t residents = round.layout().resident_count();
  const uint32_t desks = round.layout().desk_count();
  std::vector<uint32_t> order(residents);
  for (uint32_t r = 0; r < residents; ++r) order[r] = r;
  std::shuffle(order.begin(), order.end(), std::mt19937_64(7));
  std::vector<engine::core::CheckInAttempt> attempts;
  std::vector<engine::core::CheckInResult> results(kBatch);
  for (size_t first = 0; first < residents; first += kBatch) {
    attempts.clear();
    const engine::DeskIndex desk = static_cast<engine::DeskIndex>((first / kBatch) % desks);
    for (size_t i = first; i < std::min<size_t>(residents, first + kBatch); ++i) {
      attempts.push_back({desk, round.resident_code(order[i]), scan, static_cast<uint32_t>(i)});
    }
    round.CheckInBatch(attempts, absl::MakeSpan(results.data(), attempts.size()));
  }
  // Each desk's partly filled tube is sealed by hand at the end of the day.
  const engine::core::DeskRack& rack = round.live()->rack();
  for (engine::TubeIndex t = 0; t < rack.tube_count(); ++t) {
    const engine::core::TubeView tube = rack.Tube(t);
    if (tube.state == engine::core::TubeState::kOpen && tube.swabs > 0) {
      Must(round.SealTube(tube.desk, tube.barcode).status(), "sealing");
    }
  }
}

// Boxes of 100 sealed tubes per site, packed, picked up and received.
void ShipEverything(World& world, int64_t packed_at) {
  engine::Round& round = *world.round;
  const engine::core::DeskRack& rack = round.live()->rack();
  std::map<uint32_t, std::vector<engine::TubeIndex>> by_site;
  for (engine::TubeIndex t = 0; t < rack.tube_count(); ++t) {
    if (rack.Tube(t).state != engine::core::TubeState::kSealed) continue;
    by_site[round.layout().site_of_desk(rack.DeskOf(t))].push_back(t);
  }
  for (const auto& [site, tubes] : by_site) {
    for (size_t first = 0; first < tubes.size(); first += 100) {
      engine::Round::PackRequest pack;
      pack.box_barcode = absl::StrCat("BOX-", site, "-", first / 100);
      pack.desk = round.layout().first_desk(site);
      pack.signature = Signed("tablet", packed_at);
      for (size_t t = first; t < std::min(tubes.size(), first + 100); ++t) {
        pack.tube_barcodes.emplace_back(round.TubeBarcode(tubes[t]));
        world.tubes.push_back(tubes[t]);
      }
      Must(round.PackBox(pack).status(), "packing");
      Must(round.PickUpBox(pack.box_barcode, Signed("courier", packed_at + 600)).status(),
           "picking up");
      Must(round
               .ReceiveBox(pack.box_barcode, "lab-1", Signed("lab", packed_at + 3600),
                           pack.tube_barcodes)
               .status(),
           "receiving");
    }
  }
  std::shuffle(world.tubes.begin(), world.tubes.end(), std::mt19937_64(11));
}

World& TheWorld() {
  if (g_world != nullptr) return *g_world;
  g_world = new World;
  World& world = *g_world;
  g_dir = absl::StrCat(g_base_dir, "/swabwave-lab-bench-", getpid());
  fs::remove_all(g_dir);
  engine::journal::JournalOptions options;
  options.dir = g_dir;
  auto journal = engine::journal::Journal::Open(
      options,
      [&](uint64_t, absl::string_view record) { return world.registry.ApplyRecord(record); },
      nullptr);
  Must(journal.status(), "opening the journal");
  world.journal = *std::move(journal);
  world.registry.AttachStore(world.journal.get());

  engine::GeneratorOptions generator;
  generator.preset = "city";
  generator.residents = g_residents;
  std::vector<engine::Community> communities = *engine::GenerateCommunities(generator);
  engine::RoundConfig config;
  config.id = "city";
  config.start = absl::FromUnixSeconds(1795737600);
  config.pool_ratio = 10;
  config.duration = absl::Hours(72);
  config.box_capacity = 1000;
  for (engine::Community& c : communities) {
    config.community_ids.push_back(c.id);
    Must(world.registry.ImportCommunity(std::move(c)).status(), "importing");
  }
  world.round = *world.registry.CreateRound(config);
  engine::Round& round = *world.round;
  Must(round.MakePlan(engine::plan::GreedyPlanner(), {}).status(), "planning");
  Must(round.Open(), "opening");
  const uint32_t desks = round.layout().desk_count();
  for (engine::DeskIndex d = 0; d < desks; ++d) {
    for (uint32_t t = 0; t < round.layout().resident_count() / desks / 10 + 8; ++t) {
      Must(round.RackTube(d, absl::StrCat("T", d, "-", t)).status(), "racking");
    }
  }
  const int64_t scan = absl::ToUnixSeconds(config.start) + 3600;
  CheckInEveryone(round, scan);
  ShipEverything(world, scan + 1800);
  Must(world.journal->WaitDurable(world.journal->last_appended()), "syncing");
  world.now = scan + 2 * 3600;
  return world;
}

engine::lab::Report ResultFor(engine::lab::TubeResult result, uint64_t request) {
  engine::lab::Report report;
  report.result = result;
  report.run_id = "RUN-1";
  report.lab_id = "lab-1";
  report.by = "lab";
  report.at_unix_seconds = g_world->now;
  report.request = request;
  return report;
}

// Records one result for the next fresh tube and waits until it is durable.
engine::TubeIndex RecordDurably(World& world, engine::lab::TubeResult result) {
  const engine::TubeIndex tube = world.tubes.at(world.next_tube++);
  const std::string barcode(world.round->TubeBarcode(tube));
  Must(world.round
           ->ReportResult(barcode, ResultFor(result, engine::core::RequestFingerprint(
                                                          absl::StrCat("r-", tube))))
           .status(),
       "reporting");
  Must(world.journal->WaitDurable(world.journal->last_appended()), "syncing");
  return tube;
}

void SetPercentiles(benchmark::State& state, std::vector<double>& ms) {
  if (ms.empty()) return;
  std::sort(ms.begin(), ms.end());
  const auto at = [&](double q) { return ms[std::min(ms.size() - 1, size_t(q * ms.size()))]; };
  state.counters["p50_ms"] = at(0.50);
  state.counters["p99_ms"] = at(0.99);
  state.counters["max_ms"] = ms.back();
}

void BM_PositiveToRecallList(benchmark::State& state) {
  World& world = TheWorld();
  std::vector<double> ms;
  size_t members = 0;
  for (auto _ : state) {
    for (int64_t p = 0; p < state.range(0); ++p) {
      const absl::Time start = absl::Now();
      const engine::TubeIndex tube = RecordDurably(world, engine::lab::TubeResult::kPositive);
      // What the recall list shows for it: each member and their home.
      for (uint32_t member : world.round->TubeMembers(tube)) {
        benchmark::DoNotOptimize(world.round->PlaceOf(member));
        ++members;
      }
      ms.push_back(absl::ToDoubleMilliseconds(absl::Now() - start));
    }
  }
  SetPercentiles(state, ms);
  state.counters["positives"] = static_cast<double>(ms.size());
  state.counters["recalled"] = static_cast<double>(members);
}

void BM_NegativeResult(benchmark::State& state) {
  World& world = TheWorld();
  std::vector<double> ms;
  for (auto _ : state) {
    for (int64_t p = 0; p < state.range(0); ++p) {
      const absl::Time start = absl::Now();
      RecordDurably(world, engine::lab::TubeResult::kNegative);
      ms.push_back(absl::ToDoubleMilliseconds(absl::Now() - start));
    }
  }
  SetPercentiles(state, ms);
}

void BM_RecallListPage(benchmark::State& state) {
  World& world = TheWorld();
  for (auto _ : state) {
    absl::StatusOr<std::vector<engine::Round::Recall>> recalls = world.round->Recalls();
    Must(recalls.status(), "recalls");
    for (size_t t = 0; t < std::min<size_t>(100, recalls->size()); ++t) {
      for (uint32_t member : (*recalls)[t].members) {
        benchmark::DoNotOptimize(world.round->PlaceOf(member));
      }
    }
    state.counters["positive_tubes"] = static_cast<double>(recalls->size());
  }
}

void BM_BoxAgeQuery(benchmark::State& state) {
  World& world = TheWorld();
  for (auto _ : state) {
    std::vector<engine::custody::Box> boxes = world.round->Boxes();
    std::stable_sort(boxes.begin(), boxes.end(), [](const auto& a, const auto& b) {
      const bool a_travels = a.state != engine::custody::BoxState::kReceived;
      const bool b_travels = b.state != engine::custody::BoxState::kReceived;
      if (a_travels != b_travels) return a_travels;
      return a.oldest_swab_unix_seconds < b.oldest_swab_unix_seconds;
    });
    int64_t breaches = 0;
    for (const engine::custody::Box& box : boxes) {
      breaches += engine::custody::AgeOf(box.AgeSeconds(world.now)) ==
                  engine::custody::BoxAge::kBreach;
    }
    benchmark::DoNotOptimize(breaches);
    state.counters["boxes"] = static_cast<double>(boxes.size());
  }
  state.counters["tubes"] = static_cast<double>(world.tubes.size());
}

void BM_CountLab(benchmark::State& state) {
  World& world = TheWorld();
  for (auto _ : state) {
    absl::StatusOr<engine::Round::LabTotals> totals = world.round->CountLab(world.now);
    Must(totals.status(), "counting");
    benchmark::DoNotOptimize(*totals);
  }
}

void BM_SealedTubesPass(benchmark::State& state) {
  World& world = TheWorld();
  for (auto _ : state) benchmark::DoNotOptimize(world.round->SealedTubes());
}

void Register() {
  const int64_t positives_low = std::max<int64_t>(1, g_residents / 10'000);   // 0.01%
  const int64_t positives_high = std::max<int64_t>(1, g_residents / 1'000);   // 0.1%
  benchmark::RegisterBenchmark("BM_SealedTubesPass", BM_SealedTubesPass)
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime();
  benchmark::RegisterBenchmark("BM_BoxAgeQuery", BM_BoxAgeQuery)
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime();
  benchmark::RegisterBenchmark("BM_CountLab", BM_CountLab)
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime();
  // The positives of the two rates follow each other: 0.1% includes 0.01%.
  benchmark::RegisterBenchmark("BM_NegativeResult", BM_NegativeResult)
      ->Arg(positives_low)
      ->Iterations(1)
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime();
  benchmark::RegisterBenchmark("BM_PositiveToRecallList", BM_PositiveToRecallList)
      ->Arg(positives_low)
      ->Arg(positives_high - positives_low)
      ->Iterations(1)
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime();
  benchmark::RegisterBenchmark("BM_RecallListPage", BM_RecallListPage)
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime();
}

}  // namespace
}  // namespace swabwave::bench

int main(int argc, char** argv) {
  const char* tmp = std::getenv("TMPDIR");
  swabwave::bench::g_base_dir = tmp != nullptr ? tmp : "/tmp";
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--dir=", 6) == 0) swabwave::bench::g_base_dir = argv[i] + 6;
    if (std::strncmp(argv[i], "--residents=", 12) == 0) {
      swabwave::bench::g_residents = std::atoll(argv[i] + 12);
    }
  }
  benchmark::Initialize(&argc, argv);
  swabwave::bench::Register();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  if (!swabwave::bench::g_dir.empty()) std::filesystem::remove_all(swabwave::bench::g_dir);
  return 0;
}
