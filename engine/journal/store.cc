#include "engine/journal/store.h"

#include <condition_variable>
#include <mutex>
#include <utility>

#include "absl/strings/str_cat.h"

namespace swabwave::engine::journal {

absl::Status Store::WaitDurable(uint64_t sequence) {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  absl::Status result;
  WhenDurable(sequence, [&](absl::Status status) {
    std::lock_guard lock(mu);
    result = std::move(status);
    done = true;
    cv.notify_one();
  });
  std::unique_lock lock(mu);
  cv.wait(lock, [&] { return done; });
  return result;
}

absl::Status Store::CheckRecordSize(absl::string_view what, uint64_t bytes) const {
  if (bytes <= max_record_bytes()) return absl::OkStatus();
  return absl::ResourceExhaustedError(absl::StrCat(
      what, " encodes to a record of ", bytes, " bytes, more than the ", max_record_bytes(),
      " bytes the store takes in one record; nothing was changed or written (split it)"));
}

}  // namespace swabwave::engine::journal
