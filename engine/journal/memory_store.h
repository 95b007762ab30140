// MemoryStore: a Store that keeps nothing. Every record is "durable" the
// moment it is appended. Only for measuring what durability costs
// (swabwaved --durability=none, which says so loudly) and for tests of
// in-memory behaviour.
//
// Thread-safety: lock-free; any thread.
#ifndef SWABWAVE_ENGINE_JOURNAL_MEMORY_STORE_H_
#define SWABWAVE_ENGINE_JOURNAL_MEMORY_STORE_H_

#include <atomic>

#include "engine/journal/store.h"

namespace swabwave::engine::journal {

class MemoryStore final : public Store {
 public:
  uint64_t Append(absl::Span<const absl::string_view> payloads) override {
    return next_.fetch_add(payloads.size(), std::memory_order_acq_rel) + payloads.size();
  }
  using Store::Append;
  bool Accepting(uint64_t) const override { return true; }
  uint64_t last_appended() const override { return next_.load(std::memory_order_acquire); }
  uint64_t durable() const override { return last_appended(); }
  void WhenDurable(uint64_t, DurableCallback done) override { done(absl::OkStatus()); }
  absl::Status health() const override { return absl::OkStatus(); }

 private:
  std::atomic<uint64_t> next_{0};
};

}  // namespace swabwave::engine::journal

#endif  // SWABWAVE_ENGINE_JOURNAL_MEMORY_STORE_H_
