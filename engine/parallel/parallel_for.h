// ParallelFor: runs a function once for each index of a range on a few
// threads that take the next index from a shared counter; the calling
// thread works too. The engine's one parallel loop: the planner's parts
// (communities), the forecast's sites and the generator's communities.
// Callers write each index's result into its own slot, so results do not
// depend on the thread count or on scheduling.
//
// Example:
//   std::vector<Totals> per_worker(ParallelWorkers(sites.size(), threads));
//   ParallelFor(sites.size(), threads, [&](size_t worker, size_t s) {
//     Forecast(sites[s], per_worker[worker]);
//   });
//
// Thread-safety: `fn` is called concurrently for distinct indices; it must
// only touch state owned by its index or its worker (or read shared
// immutable state).
#ifndef SWABWAVE_ENGINE_PARALLEL_PARALLEL_FOR_H_
#define SWABWAVE_ENGINE_PARALLEL_PARALLEL_FOR_H_

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <system_error>
#include <thread>
#include <type_traits>
#include <vector>

namespace swabwave::engine {

// The workers ParallelFor(count, threads, ...) uses at most: `threads`
// (0: one per core), no more than `count`, at least 1.
inline size_t ParallelWorkers(size_t count, int threads) {
  const size_t wanted = threads > 0 ? static_cast<size_t>(threads)
                                    : std::max(1u, std::thread::hardware_concurrency());
  return std::max<size_t>(1, std::min(wanted, count));
}

// Calls fn(index), or fn(worker, index) with worker in
// [0, ParallelWorkers(count, threads)), once for each index in [0, count).
// Returns when every index has run. A thread the system cannot start
// leaves its share to the others (the calling thread always works).
template <typename Fn>
void ParallelFor(size_t count, int threads, const Fn& fn) {
  const auto call = [&fn](size_t worker, size_t index) {
    if constexpr (std::is_invocable_v<const Fn&, size_t, size_t>) {
      fn(worker, index);
    } else {
      fn(index);
    }
  };
  const size_t workers = ParallelWorkers(count, threads);
  if (workers <= 1) {
    for (size_t i = 0; i < count; ++i) call(0, i);
    return;
  }
  // Relaxed is enough: the counter only hands out indices; the results are
  // published to the caller by the threads' join.
  std::atomic<size_t> next{0};
  const auto work = [&](size_t worker) {
    for (size_t i = next.fetch_add(1, std::memory_order_relaxed); i < count;
         i = next.fetch_add(1, std::memory_order_relaxed)) {
      call(worker, i);
    }
  };
  std::vector<std::thread> pool;
  pool.reserve(workers - 1);
  for (size_t worker = 1; worker < workers; ++worker) {
    try {
      pool.emplace_back(work, worker);
    } catch (const std::system_error&) {
      break;  // out of threads: fewer helpers
    }
  }
  work(0);
  for (std::thread& thread : pool) thread.join();
}

}  // namespace swabwave::engine

#endif  // SWABWAVE_ENGINE_PARALLEL_PARALLEL_FOR_H_
