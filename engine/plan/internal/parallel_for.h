// ParallelFor: runs a function once for each index of a range on a few
// threads that take the next index from a shared counter. The planner's
// parts (communities) are independent and each writes only its own slots,
// so results do not depend on the thread count or on scheduling.
//
// Thread-safety: `fn` is called concurrently for distinct indices; it must
// only touch state owned by its index (or read shared immutable state).
#ifndef SWABWAVE_ENGINE_PLAN_INTERNAL_PARALLEL_FOR_H_
#define SWABWAVE_ENGINE_PLAN_INTERNAL_PARALLEL_FOR_H_

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <thread>
#include <vector>

namespace swabwave::engine::plan::internal {

// `threads` 0 means one per core. Returns when every index has run.
template <typename Fn>
void ParallelFor(size_t count, int threads, const Fn& fn) {
  size_t workers = threads > 0 ? static_cast<size_t>(threads)
                               : std::max(1u, std::thread::hardware_concurrency());
  workers = std::min(workers, count);
  if (workers <= 1) {
    for (size_t i = 0; i < count; ++i) fn(i);
    return;
  }
  // Relaxed is enough: the counter only hands out indices; the results are
  // published to the caller by the threads' join.
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i = next.fetch_add(1, std::memory_order_relaxed); i < count;
         i = next.fetch_add(1, std::memory_order_relaxed)) {
      fn(i);
    }
  };
  std::vector<std::thread> pool;
  pool.reserve(workers - 1);
  for (size_t t = 1; t < workers; ++t) pool.emplace_back(work);
  work();  // the calling thread works too
  for (std::thread& thread : pool) thread.join();
}

}  // namespace swabwave::engine::plan::internal

#endif  // SWABWAVE_ENGINE_PLAN_INTERNAL_PARALLEL_FOR_H_
