#include "engine/core/resident_board.h"

#include <thread>

namespace swabwave::engine::core {

void BackoffPause(int& attempt) {
  if (++attempt < 64) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
  } else {
    std::this_thread::yield();
  }
}

ResidentWord ResidentBoard::Read(uint32_t resident) const {
  int attempt = 0;
  for (;;) {
    // Acquire pairs with the release store that published kSampled.
    const ResidentWord word(slots_[resident].word.load(std::memory_order_acquire));
    if (word.state() != ResidentState::kClaimed) return word;
    BackoffPause(attempt);
  }
}

}  // namespace swabwave::engine::core
