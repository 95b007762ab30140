// The engine's one parallel loop (issue 26 folded three copies into it).
#include "engine/parallel/parallel_for.h"

#include <atomic>
#include <vector>

#include "gtest/gtest.h"

namespace swabwave::engine {
namespace {

TEST(ParallelForTest, EveryIndexRunsOnceWhateverTheThreads) {
  for (const int threads : {0, 1, 3, 64}) {
    for (const size_t count : {size_t{0}, size_t{1}, size_t{7}, size_t{1000}}) {
      std::vector<std::atomic<int>> runs(count);
      ParallelFor(count, threads, [&](size_t i) { runs[i].fetch_add(1); });
      for (size_t i = 0; i < count; ++i) {
        EXPECT_EQ(runs[i].load(), 1) << "index " << i << " of " << count << ", threads " << threads;
      }
    }
  }
}

TEST(ParallelForTest, EachWorkerOwnsItsSlotAndTheSumsAddUp) {
  constexpr size_t kCount = 10'000;
  const size_t workers = ParallelWorkers(kCount, 4);
  EXPECT_EQ(workers, 4u);
  // Per-worker state without a lock: a worker index is never shared.
  std::vector<int64_t> sum_of_worker(workers, 0);
  std::vector<std::atomic<size_t>> worker_of_index(kCount);
  ParallelFor(kCount, 4, [&](size_t worker, size_t i) {
    ASSERT_LT(worker, workers);
    sum_of_worker[worker] += static_cast<int64_t>(i);
    worker_of_index[i].store(worker);
  });
  int64_t sum = 0;
  for (int64_t s : sum_of_worker) sum += s;
  EXPECT_EQ(sum, static_cast<int64_t>(kCount * (kCount - 1) / 2));
}

TEST(ParallelForTest, WorkersAreCappedByTheCountAndAtLeastOne) {
  EXPECT_EQ(ParallelWorkers(3, 8), 3u);
  EXPECT_EQ(ParallelWorkers(0, 8), 1u);
  EXPECT_EQ(ParallelWorkers(100, 1), 1u);
  EXPECT_GE(ParallelWorkers(100, 0), 1u);  // one per core
}

}  // namespace
}  // namespace swabwave::engine
