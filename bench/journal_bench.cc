// journal_bench: durable records per second through the journal's group
// commit, against what the disk itself allows, in the same run on the same
// directory (DESIGN.md §6).
//
//   BM_BareSyncPerRecord/P  P threads, each: write one check-in-sized record
//                           and fdatasync it (its own file). What a store
//                           without group commit gets.
//   BM_BareBatched/N        one thread: write N records with one write(),
//                           then fdatasync. For N = 32 × P, the ceiling for
//                           P producers of 32 records that each wait for
//                           theirs (no more than N can be pending at once).
//   BM_Journal/P            P threads, each: Journal::Append a message of 32
//                           check-in records (a tablet's stream message),
//                           then wait until they are durable.
//   BM_JournalAsync/P       P producers as the server has them: callbacks,
//                           not threads (gRPC stream reactors); each keeps a
//                           32-record message in flight and appends the next
//                           from the callback that says the last is durable.
//   BM_JournalSingle/P      P threads with one record per append (the unary
//                           CheckIn path).
//   BM_JournalAgainstBare/P/M
//                           P reactors with M-record messages (32: streams,
//                           1: unary calls) and BM_BareBatched/M×P in
//                           alternating slices of the same records (the
//                           bare loop writing the journal's own bytes and
//                           file layout): the ratio RESULTS.md quotes, as a
//                           median of paired slices, because the disk's
//                           speed swings from one second to the next. Also
//                           says where the gap is: disk_busy (the share of
//                           the journal's time in write + fdatasync) and
//                           writes_vs_bare (its write + fdatasync time
//                           against the bare loop's for the same records).
//   BM_DurableCheckIns/P    P threads (desks), each: Round::CheckInBatch of
//                           32 residents with the journal attached, then
//                           wait until they are durable: the in-process
//                           durable check-in rate.
//
// Run: build/release/bench/journal_bench [--dir=DIR]
//        --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
//      (bench/run_journal_bench.sh does this and prints the ratios)
// DIR defaults to $TMPDIR or /tmp; the figures are only as good as its disk.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "engine/io/generator.h"
#include "engine/journal/frame.h"
#include "engine/journal/journal.h"
#include "engine/journal/records.h"
#include "engine/plan/greedy_planner.h"
#include "engine/registry/registry.h"

namespace swabwave::bench {
namespace {

namespace fs = std::filesystem;

std::string g_base_dir;

std::string FreshDir(const std::string& name) {
  const std::string dir = absl::StrCat(g_base_dir, "/swabwave-journal-bench-", getpid(), "-", name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace);  // a journal's mode
  return dir;
}

// A check-in record as the journal stores it.
std::string CheckInRecord(uint32_t i) {
  std::string record;
  engine::journal::EncodeCheckIn({0, i, i / 10, i % 10, 1795762800 + i, i * 2654435761u},
                                 &record);
  return record;
}

constexpr int kMessage = 32;  // check-ins per tablet stream message

// `count` check-in records framed as the journal writes them: the bare
// loops write the same bytes (a run of one letter syncs measurably faster
// on this VM's disk than real records do), the same records the producers
// below append.
std::string FramedRecords(int count) {
  std::string frames;
  for (int i = 0; i < count; ++i) {
    engine::journal::AppendFrame(i + 1, CheckInRecord(static_cast<uint32_t>(i % kMessage)),
                                 &frames);
  }
  return frames;
}

// ---------------------------------------------------------------- bare disk

std::string g_dir;  // the directory of the benchmark running now

void MakeDir(const benchmark::State& state) { g_dir = FreshDir(absl::StrCat("run-", state.threads())); }
void RemoveDir(const benchmark::State&) { fs::remove_all(g_dir); }

void BM_BareSyncPerRecord(benchmark::State& state) {
  const std::string path = absl::StrCat(g_dir, "/t", state.thread_index());
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
  const std::string record = FramedRecords(1);
  for (auto _ : state) {
    if (write(fd, record.data(), record.size()) != static_cast<ssize_t>(record.size()) ||
        fdatasync(fd) != 0) {
      state.SkipWithError("write or fdatasync failed");
      break;
    }
  }
  close(fd);
  state.SetItemsProcessed(state.iterations());
}

void BM_BareBatched(benchmark::State& state) {
  const int batch = static_cast<int>(state.range(0));
  const int fd = open((g_dir + "/batched").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
  const std::string records = FramedRecords(batch);
  for (auto _ : state) {
    if (write(fd, records.data(), records.size()) != static_cast<ssize_t>(records.size()) ||
        fdatasync(fd) != 0) {
      state.SkipWithError("write or fdatasync failed");
      break;
    }
  }
  close(fd);
  state.SetItemsProcessed(state.iterations() * batch);
}

// ---------------------------------------------------------------- journal

std::unique_ptr<engine::journal::Journal> g_journal;

void SetupJournal(const benchmark::State& state) {
  MakeDir(state);
  engine::journal::JournalOptions options;
  options.dir = g_dir;
  auto journal = engine::journal::Journal::Open(
      options, [](uint64_t, absl::string_view) { return absl::OkStatus(); }, nullptr);
  if (!journal.ok()) abort();
  g_journal = *std::move(journal);
}

void TeardownJournal(const benchmark::State& state) {
  g_journal.reset();
  RemoveDir(state);
}

void JournalLoop(benchmark::State& state, int per_append) {
  std::vector<std::string> records;
  for (int i = 0; i < per_append; ++i) {
    records.push_back(CheckInRecord(static_cast<uint32_t>(state.thread_index() * 1000 + i)));
  }
  const std::vector<absl::string_view> views(records.begin(), records.end());
  const uint64_t syncs_before = g_journal->syncs();
  const absl::Duration writing_before = g_journal->time_writing();
  const absl::Time start = absl::Now();
  for (auto _ : state) {
    const uint64_t sequence = g_journal->Append(views);
    if (!g_journal->WaitDurable(sequence).ok()) {
      state.SkipWithError("journal failed");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() * per_append);
  if (state.thread_index() == 0) {
    // How many records each fdatasync carried (every thread ran about as
    // many iterations as this one).
    const double syncs = static_cast<double>(g_journal->syncs() - syncs_before);
    state.counters["records_per_fsync"] =
        syncs > 0 ? static_cast<double>(state.iterations()) * per_append * state.threads() / syncs
                  : 0;
    state.counters["disk_busy"] =
        absl::FDivDuration(g_journal->time_writing() - writing_before, absl::Now() - start);
  }
}

void BM_Journal(benchmark::State& state) { JournalLoop(state, kMessage); }

// P producers as the server has them: not threads but callbacks (gRPC
// stream reactors). Each keeps one 32-record message in flight and appends
// its next one from the callback that says the last is durable.
class AsyncProducers {
 public:
  AsyncProducers(int producers, uint64_t records, int per_message = kMessage)
      : target_(records), per_message_(per_message) {
    for (int i = 0; i < per_message; ++i) records_.push_back(CheckInRecord(i));
    views_.assign(records_.begin(), records_.end());
    for (int p = 0; p < producers; ++p) Next();
  }
  void Wait() {
    std::unique_lock lock(mu_);
    done_cv_.wait(lock, [&] { return in_flight_ == 0; });
  }
  uint64_t durable() const { return durable_; }

 private:
  void Next() {
    {
      std::lock_guard lock(mu_);
      if (appended_ >= target_) return;
      appended_ += per_message_;
      ++in_flight_;
    }
    const uint64_t sequence = g_journal->Append(views_);
    g_journal->WhenDurable(sequence, [this](absl::Status) {
      {
        std::lock_guard lock(mu_);
        durable_ += per_message_;
        --in_flight_;
      }
      Next();
      std::lock_guard lock(mu_);
      if (in_flight_ == 0) done_cv_.notify_all();
    });
  }

  const uint64_t target_;
  const int per_message_;
  std::vector<std::string> records_;
  std::vector<absl::string_view> views_;
  std::mutex mu_;
  std::condition_variable done_cv_;
  uint64_t appended_ = 0;
  uint64_t durable_ = 0;
  int in_flight_ = 0;
};

void BM_JournalAsync(benchmark::State& state) {
  const int producers = static_cast<int>(state.range(0));
  const uint64_t syncs_before = g_journal->syncs();
  const absl::Duration writing_before = g_journal->time_writing();
  const absl::Time start = absl::Now();
  uint64_t records = 0;
  for (auto _ : state) {
    // About a second's worth at this machine's rates.
    AsyncProducers run(producers, 4000 * kMessage * static_cast<uint64_t>(producers));
    run.Wait();
    records += run.durable();
  }
  state.SetItemsProcessed(static_cast<int64_t>(records));
  const double syncs = static_cast<double>(g_journal->syncs() - syncs_before);
  state.counters["records_per_fsync"] = syncs > 0 ? static_cast<double>(records) / syncs : 0;
  // The share of the run the disk was busy with the journal's write +
  // fdatasync; the bare loop's is 1 by construction. Unlike the rates, it
  // does not swing with the disk's speed from one second to the next.
  state.counters["disk_busy"] =
      absl::FDivDuration(g_journal->time_writing() - writing_before, absl::Now() - start);
}
void BM_JournalSingle(benchmark::State& state) { JournalLoop(state, 1); }

// The reactors' journal against the bare batched loop of 32 × P records,
// in alternating slices of the same record count, so that both meet the
// disk in the same mood: this VM's fdatasync time swings by 2× from one
// second to the next, which made the ratio of two separate benchmarks swing
// between 0.5 and 1.4. Reports the median of the slices' ratios.
void BM_JournalAgainstBare(benchmark::State& state) {
  constexpr int kSlices = 32;
  constexpr int kSyncsPerSlice = 40;
  const int producers = static_cast<int>(state.range(0));
  const int per_message = static_cast<int>(state.range(1));
  const int batch = per_message * producers;
  // Opened and laid out as a segment is (no O_APPEND, header first), so
  // that its writes straddle page boundaries as the journal's do.
  const int fd = open((g_dir + "/bare").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::string header;
  engine::journal::AppendSegmentHeader(1, &header);
  if (write(fd, header.data(), header.size()) != static_cast<ssize_t>(header.size())) abort();
  const std::string records = FramedRecords(batch);
  std::vector<double> ratios;
  absl::Duration bare_time, journal_time, journal_writing;
  uint64_t journal_syncs = 0;
  const auto run_bare = [&]() -> absl::Duration {
    const absl::Time start = absl::Now();
    for (int i = 0; i < kSyncsPerSlice; ++i) {
      if (write(fd, records.data(), records.size()) != static_cast<ssize_t>(records.size()) ||
          fdatasync(fd) != 0) {
        abort();
      }
    }
    return absl::Now() - start;
  };
  const auto run_journal = [&]() -> absl::Duration {
    const absl::Time start = absl::Now();
    const absl::Duration writing_before = g_journal->time_writing();
    const uint64_t syncs_before = g_journal->syncs();
    AsyncProducers run(producers, static_cast<uint64_t>(kSyncsPerSlice) * batch, per_message);
    run.Wait();
    journal_writing += g_journal->time_writing() - writing_before;
    journal_syncs += g_journal->syncs() - syncs_before;
    return absl::Now() - start;
  };
  for (auto _ : state) {
    for (int slice = 0; slice < kSlices; ++slice) {
      // Alternate which goes first, so neither always follows the other.
      absl::Duration bare, journal;
      if (slice % 2 == 0) {
        bare = run_bare();
        journal = run_journal();
      } else {
        journal = run_journal();
        bare = run_bare();
      }
      bare_time += bare;
      journal_time += journal;
      ratios.push_back(absl::FDivDuration(bare, journal));  // same records: rate ratio
    }
  }
  close(fd);
  std::sort(ratios.begin(), ratios.end());
  const double slice_records = static_cast<double>(kSyncsPerSlice) * batch * kSlices;
  state.counters["ratio"] = (ratios[kSlices / 2 - 1] + ratios[kSlices / 2]) / 2;
  state.counters["bare_per_s"] = slice_records / absl::ToDoubleSeconds(bare_time);
  state.counters["journal_per_s"] = slice_records / absl::ToDoubleSeconds(journal_time);
  // Where the gap is: the journal's own write + fdatasync time against the
  // bare loop's (the disk), and the share of its slices the disk was busy.
  state.counters["writes_vs_bare"] = absl::FDivDuration(journal_writing, bare_time);
  state.counters["disk_busy"] = absl::FDivDuration(journal_writing, journal_time);
  state.counters["records_per_fsync"] = slice_records / static_cast<double>(journal_syncs);
  state.SetItemsProcessed(static_cast<int64_t>(slice_records));
}

// ---------------------------------------------------------------- check-ins

constexpr int kBatch = 32;

struct World {
  engine::Registry registry;
  engine::Round* round = nullptr;
  std::vector<std::string> codes;  // shuffled
};

std::unique_ptr<World> g_world;
std::atomic<size_t> g_next_batch{0};

void SetupCheckIns(const benchmark::State& state) {
  SetupJournal(state);
  g_world = std::make_unique<World>();
  engine::GeneratorOptions options;
  options.preset = "city";
  options.residents = 1'000'000;
  std::vector<engine::Community> communities = *engine::GenerateCommunities(options);
  engine::RoundConfig config;
  config.id = "bench";
  config.start = absl::FromUnixSeconds(1795737600);
  config.pool_ratio = 10;
  for (engine::Community& c : communities) {
    config.community_ids.push_back(c.id);
    if (!g_world->registry.ImportCommunity(std::move(c)).ok()) abort();
  }
  g_world->round = *g_world->registry.CreateRound(config);
  if (!g_world->round->MakePlan(engine::plan::GreedyPlanner(), {}).ok()) abort();
  if (!g_world->round->Open().ok()) abort();
  // Journal from here on: the check-ins and their tubes.
  g_world->registry.AttachStore(g_journal.get());
  const uint32_t residents = g_world->round->layout().resident_count();
  for (int d = 0; d < state.threads(); ++d) {
    for (uint32_t t = 0; t <= residents / 10 / state.threads() + 1; ++t) {
      if (!g_world->round->RackTube(d, absl::StrCat("B", d, "-", t)).ok()) abort();
    }
  }
  for (uint32_t r = 0; r < residents; ++r) {
    g_world->codes.emplace_back(g_world->round->resident_code(r));
  }
  std::shuffle(g_world->codes.begin(), g_world->codes.end(), std::mt19937_64(20221127));
  g_next_batch = 0;
}

void TeardownCheckIns(const benchmark::State& state) {
  g_world.reset();
  TeardownJournal(state);
}

void BM_DurableCheckIns(benchmark::State& state) {
  const engine::DeskIndex desk = state.thread_index();
  const int64_t scan = 1795737600 + 3600;
  std::vector<engine::core::CheckInAttempt> attempts(kBatch);
  std::vector<engine::core::CheckInResult> results(kBatch);
  for (auto _ : state) {
    const size_t first = g_next_batch.fetch_add(kBatch);
    if (first + kBatch > g_world->codes.size()) {
      state.SkipWithError("ran out of residents; lower the iterations");
      break;
    }
    for (int b = 0; b < kBatch; ++b) {
      attempts[b] = {desk, g_world->codes[first + b], scan, static_cast<uint32_t>(first + b)};
    }
    g_world->round->CheckInBatch(attempts, absl::MakeSpan(results));
    if (!g_journal->WaitDurable(g_journal->last_appended()).ok()) {
      state.SkipWithError("journal failed");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}

void Register() {
  for (int producers : {1, 4, 16, 64}) {
    benchmark::RegisterBenchmark("BM_BareSyncPerRecord", BM_BareSyncPerRecord)
        ->Threads(producers)
        ->MinTime(1.0)
        ->Setup(MakeDir)
        ->Teardown(RemoveDir)
        ->UseRealTime();
    benchmark::RegisterBenchmark("BM_BareBatched", BM_BareBatched)
        ->Arg(producers)
        ->Arg(producers * kMessage)
        ->MinTime(1.0)
        ->Setup(MakeDir)
        ->Teardown(RemoveDir)
        ->UseRealTime();
    benchmark::RegisterBenchmark("BM_Journal", BM_Journal)
        ->Threads(producers)
        ->MinTime(1.0)
        ->Setup(SetupJournal)
        ->Teardown(TeardownJournal)
        ->UseRealTime();
    benchmark::RegisterBenchmark("BM_JournalAsync", BM_JournalAsync)
        ->Arg(producers)
        ->Iterations(1)
        ->Setup(SetupJournal)
        ->Teardown(TeardownJournal)
        ->UseRealTime();
    benchmark::RegisterBenchmark("BM_JournalAgainstBare", BM_JournalAgainstBare)
        ->Args({producers, kMessage})
        ->Args({producers, 1})
        ->Iterations(1)
        ->Setup(SetupJournal)
        ->Teardown(TeardownJournal)
        ->UseRealTime();
    benchmark::RegisterBenchmark("BM_JournalSingle", BM_JournalSingle)
        ->Threads(producers)
        ->MinTime(1.0)
        ->Setup(SetupJournal)
        ->Teardown(TeardownJournal)
        ->UseRealTime();
  }
  for (int desks : {4, 16}) {
    // 1,000,000 residents: 30,000 batches of 32 in all, whatever the threads.
    benchmark::RegisterBenchmark("BM_DurableCheckIns", BM_DurableCheckIns)
        ->Threads(desks)
        ->Iterations(30000 / desks)
        ->Setup(SetupCheckIns)
        ->Teardown(TeardownCheckIns)
        ->UseRealTime();
  }
}

}  // namespace
}  // namespace swabwave::bench

int main(int argc, char** argv) {
  const char* tmp = std::getenv("TMPDIR");
  swabwave::bench::g_base_dir = tmp != nullptr ? tmp : "/tmp";
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--dir=", 6) == 0) swabwave::bench::g_base_dir = argv[i] + 6;
  }
  benchmark::Initialize(&argc, argv);
  swabwave::bench::Register();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
