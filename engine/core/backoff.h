// BackoffPause: how a lock-free retry loop waits for another thread's next
// few instructions (a claim about to be published, a tube about to rotate):
// spin with a pause hint, then yield so a preempted peer can run on a busy
// machine.
//
// Thread-safety: `attempt` is the caller's own counter.
#ifndef SWABWAVE_ENGINE_CORE_BACKOFF_H_
#define SWABWAVE_ENGINE_CORE_BACKOFF_H_

#include <thread>

namespace swabwave::engine::core {

inline void BackoffPause(int& attempt) {
  if (++attempt < 64) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
  } else {
    std::this_thread::yield();
  }
}

}  // namespace swabwave::engine::core

#endif  // SWABWAVE_ENGINE_CORE_BACKOFF_H_
