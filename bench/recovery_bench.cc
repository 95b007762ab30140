// recovery_bench: how long a restart takes to replay the journal, with and
// without a snapshot.
//
// Setup (not timed): a generated city of N residents (default 10 million)
// is imported, a round created, planned and opened, a tube racked for every
// 10 residents and every resident due at a site checked in (in batches of
// 32, shuffled), all journaled: about 1.1 N records.
//
//   BM_RecoverJournal    Journal::Open replaying every record into a fresh
//                        Registry, then FinishRecovery (desks rebuilt).
//   BM_ScanJournalOnly   reading and verifying every frame, applying none.
//   BM_RecoverRecordSnapshot  the same directory after a record-style
//                        WriteSnapshot: the snapshot, then the (empty)
//                        journal after it.
//   BM_RecoverDenseSnapshot   the same with a dense snapshot (images of the
//                        state's arrays, journal/round_image.h).
//
// Run: build/release/bench/recovery_bench [--residents=N] [--dir=DIR] [--breakdown]
// (--residents=1000000 for a quick look; the 10 M default needs ~8 GiB.)
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/io/generator.h"
#include "engine/journal/journal.h"
#include "engine/journal/records.h"
#include "engine/plan/greedy_planner.h"
#include "engine/registry/registry.h"

namespace swabwave::bench {
namespace {

namespace fs = std::filesystem;

int64_t g_residents = 10'000'000;
std::string g_base_dir;
std::string g_dir;

// With --breakdown: time spent applying each type of record in the last
// recovery, and in the final desk rebuild (index 0). Off by default: two
// clock reads per record cost about 0.3 s per million records on this VM.
bool g_breakdown = false;
absl::Duration g_apply_time[16];

std::unique_ptr<engine::journal::Journal> OpenJournal(engine::Registry& registry,
                                                      engine::journal::RecoveryReport* report) {
  engine::journal::JournalOptions options;
  options.dir = g_dir;
  for (absl::Duration& d : g_apply_time) d = absl::ZeroDuration();
  auto journal = engine::journal::Journal::Open(
      options,
      [&](uint64_t, absl::string_view record) {
        if (!g_breakdown) return registry.ApplyRecord(record);
        const absl::Time start = absl::Now();
        absl::Status status = registry.ApplyRecord(record);
        g_apply_time[static_cast<uint8_t>(record[0]) & 15] += absl::Now() - start;
        return status;
      },
      report);
  if (!journal.ok()) {
    fprintf(stderr, "recovery failed: %s\n", std::string(journal.status().message()).c_str());
    abort();
  }
  const absl::Time start = absl::Now();
  registry.FinishRecovery();
  g_apply_time[0] = absl::Now() - start;
  return *std::move(journal);
}

// Checks in residents [begin, end) of `order` at desks in batches of 32.
void CheckIn(engine::Round& round, const std::vector<uint32_t>& order, size_t begin, size_t end,
             engine::journal::Journal& journal) {
  constexpr size_t kBatch = 32;
  std::vector<engine::core::CheckInAttempt> attempts;
  std::vector<engine::core::CheckInResult> results(kBatch);
  const int64_t scan = absl::ToUnixSeconds(round.config().start) + 3600;
  const uint32_t desks = round.layout().desk_count();
  for (size_t first = begin; first < end; first += kBatch) {
    attempts.clear();
    const engine::DeskIndex desk = static_cast<engine::DeskIndex>((first / kBatch) % desks);
    for (size_t i = first; i < std::min(end, first + kBatch); ++i) {
      attempts.push_back({desk, round.resident_code(order[i]), scan, static_cast<uint32_t>(i)});
    }
    round.CheckInBatch(attempts, absl::MakeSpan(results.data(), attempts.size()));
  }
  if (!journal.WaitDurable(journal.last_appended()).ok()) abort();
}

// Seconds per record type of the last recovery, as benchmark counters.
void ReportApplyTimes(benchmark::State& state) {
  if (!g_breakdown) return;
  using engine::journal::RecordType;
  const std::pair<const char*, int> parts[] = {
      {"s_communities", static_cast<int>(RecordType::kCommunityImported)},
      {"s_round_created", static_cast<int>(RecordType::kRoundCreated)},
      {"s_plan", static_cast<int>(RecordType::kRoundPlanned)},
      {"s_tubes", static_cast<int>(RecordType::kTubeRacked)},
      {"s_check_ins", static_cast<int>(RecordType::kCheckIn)},
      {"s_community_images", static_cast<int>(RecordType::kCommunityImage)},
      {"s_round_images", static_cast<int>(RecordType::kRoundImage)},
      {"s_desk_rebuild", 0}};
  for (const auto& [name, index] : parts) {
    state.counters[name] = absl::ToDoubleSeconds(g_apply_time[index]);
  }
}

// Builds the journal directory once per process.
void BuildJournal() {
  if (!g_dir.empty()) return;
  g_dir = absl::StrCat(g_base_dir, "/swabwave-recovery-bench-", getpid());
  fs::remove_all(g_dir);
  engine::Registry registry;
  std::unique_ptr<engine::journal::Journal> journal = OpenJournal(registry, nullptr);
  registry.AttachStore(journal.get());
  engine::GeneratorOptions options;
  options.preset = "city";
  options.residents = g_residents;
  std::vector<engine::Community> communities = *engine::GenerateCommunities(options);
  engine::RoundConfig config;
  config.id = "city";
  config.start = absl::FromUnixSeconds(1795737600);
  config.pool_ratio = 10;
  config.duration = absl::Hours(72);
  for (engine::Community& c : communities) {
    config.community_ids.push_back(c.id);
    if (!registry.ImportCommunity(std::move(c)).ok()) abort();
  }
  engine::Round& round = **registry.CreateRound(config);
  if (!round.MakePlan(engine::plan::GreedyPlanner(), {}).ok()) abort();
  if (!round.Open().ok()) abort();
  const uint32_t residents = round.layout().resident_count();
  const uint32_t desks = round.layout().desk_count();
  // Enough tubes at every desk for an even share, and some.
  for (engine::DeskIndex d = 0; d < desks; ++d) {
    for (uint32_t t = 0; t < residents / desks / 10 + 8; ++t) {
      if (!round.RackTube(d, absl::StrCat("T", d, "-", t)).ok()) abort();
    }
  }
  std::vector<uint32_t> order(residents);
  for (uint32_t r = 0; r < residents; ++r) order[r] = r;
  std::shuffle(order.begin(), order.end(), std::mt19937_64(7));
  CheckIn(round, order, 0, residents, *journal);
}

// Recovers g_dir into a fresh registry per iteration and reports what the
// last recovery replayed.
void TimeRecovery(benchmark::State& state) {
  // Freed after the timed loop: freeing the state is not recovery.
  std::vector<std::unique_ptr<engine::Registry>> registries;
  std::vector<std::unique_ptr<engine::journal::Journal>> journals;
  engine::journal::RecoveryReport report;
  for (auto _ : state) {
    registries.push_back(std::make_unique<engine::Registry>());
    journals.push_back(OpenJournal(*registries.back(), &report));
  }
  state.counters["snapshot_records"] = static_cast<double>(report.snapshot_records);
  state.counters["records"] = static_cast<double>(report.records);
  state.counters["segments"] = static_cast<double>(report.segments);
  ReportApplyTimes(state);
}

void BM_RecoverJournal(benchmark::State& state) {
  BuildJournal();
  TimeRecovery(state);
}

// Reading and verifying the frames alone (replay applies nothing).
void BM_ScanJournalOnly(benchmark::State& state) {
  BuildJournal();
  for (auto _ : state) {
    engine::journal::JournalOptions options;
    options.dir = g_dir;
    uint64_t bytes = 0;
    auto journal = engine::journal::Journal::Open(
        options,
        [&](uint64_t, absl::string_view record) {
          bytes += record.size();
          return absl::OkStatus();
        },
        nullptr);
    if (!journal.ok()) abort();
    state.counters["payload_MB"] = static_cast<double>(bytes) / 1e6;
  }
}

// Replaces the directory's snapshot with one of `style` (recovering first:
// the state to write is the one the directory holds). Reports how long the
// write took and how large the file is.
void WriteSnapshotOf(engine::SnapshotStyle style, benchmark::State& state) {
  engine::Registry registry;
  auto journal = OpenJournal(registry, nullptr);
  const absl::Time start = absl::Now();
  if (!journal->WriteSnapshot([&](engine::journal::SnapshotSink& sink) {
        return registry.WriteSnapshot(sink, style);
      }).ok()) {
    abort();
  }
  state.counters["write_s"] = absl::ToDoubleSeconds(absl::Now() - start);
  for (const fs::directory_entry& entry : fs::directory_iterator(g_dir)) {
    if (entry.path().extension() == ".snap") {
      state.counters["snapshot_MB"] = static_cast<double>(entry.file_size()) / 1e6;
    }
  }
}

// The snapshot made of ordinary records (rebuilt through the builders).
void BM_RecoverRecordSnapshot(benchmark::State& state) {
  BuildJournal();
  WriteSnapshotOf(engine::SnapshotStyle::kRecords, state);
  TimeRecovery(state);
}

// The dense snapshot (images of the state's arrays).
void BM_RecoverDenseSnapshot(benchmark::State& state) {
  BuildJournal();
  WriteSnapshotOf(engine::SnapshotStyle::kDense, state);
  TimeRecovery(state);
}

void Register() {
  benchmark::RegisterBenchmark("BM_RecoverJournal", BM_RecoverJournal)
      ->Iterations(1)
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime();
  benchmark::RegisterBenchmark("BM_ScanJournalOnly", BM_ScanJournalOnly)
      ->Iterations(1)
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime();
  // After the journal-only runs: a snapshot deletes the segments it covers.
  benchmark::RegisterBenchmark("BM_RecoverRecordSnapshot", BM_RecoverRecordSnapshot)
      ->Iterations(1)
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime();
  benchmark::RegisterBenchmark("BM_RecoverDenseSnapshot", BM_RecoverDenseSnapshot)
      ->Iterations(1)
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
    if (std::strcmp(argv[i], "--breakdown") == 0) swabwave::bench::g_breakdown = true;
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
