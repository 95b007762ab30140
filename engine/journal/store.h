// Store: where the engine's state changes become durable (DESIGN.md §5).
//
// The engine appends one record per state change, in the order the changes
// took effect, and answers a caller only once the store says the records
// up to a sequence number are durable. The embedded Journal (journal.h) is
// the default; MemoryStore keeps nothing (benchmarks only). A database
// backend for several instances implements the same interface.
//
// Sequence numbers start at 1 and have no gaps. Records become durable in
// sequence order, so "durable up to S" covers every record appended before
// the one numbered S.
//
// Thread-safety: every method may be called from any thread.
#ifndef SWABWAVE_ENGINE_JOURNAL_STORE_H_
#define SWABWAVE_ENGINE_JOURNAL_STORE_H_

#include <cstdint>
#include <functional>
#include <string>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "engine/journal/fragments.h"

namespace swabwave::engine::journal {

// Called for every record recovery replays, in sequence order; an error
// stops recovery and is returned (wrapped as DATA_LOSS where the store
// names where the record sits).
using ReplayFn = std::function<absl::Status(uint64_t sequence, absl::string_view payload)>;

// Where a snapshot's producer (Registry::WriteSnapshot) puts the records of
// the state. Used by one thread.
class SnapshotSink {
 public:
  virtual ~SnapshotSink() = default;
  // Takes the next record; an error ends the snapshot (nothing replaced).
  virtual absl::Status Add(absl::string_view payload) = 0;
};

class Store {
 public:
  using DurableCallback = absl::AnyInvocable<void(absl::Status)>;

  virtual ~Store() = default;

  // Appends records (payloads, in order) and returns the last one's
  // sequence. Never waits for the disk, never fails: admission is decided
  // before (Accepting, CheckRecordSize), so an append inside a check-in
  // cannot be refused after the check-in took effect in memory. A record
  // may take several sequence numbers (fragments.h); the one returned is
  // its last. A record past max_record_bytes() that reaches Append anyway
  // is not written: the store fails (health()), so that nothing is
  // acknowledged that recovery would refuse.
  virtual uint64_t Append(absl::Span<const absl::string_view> payloads) = 0;
  uint64_t Append(absl::string_view payload) { return Append({&payload, 1}); }

  // Whether `records` more appends fit in the bounded queue. A caller that
  // gets false refuses its work with RESOURCE_EXHAUSTED. Concurrent callers
  // may overshoot the bound by what they admitted at the same instant.
  virtual bool Accepting(uint64_t records) const = 0;

  // The largest record Append takes.
  virtual uint64_t max_record_bytes() const { return kMaxRecordBytes; }
  // RESOURCE_EXHAUSTED naming `what` and both sizes when a record of
  // `bytes` is past max_record_bytes(). Callers of a rare path whose record
  // grows with its input (an import, a plan) check before they change any
  // state, and refuse with this: nothing changed, nothing written.
  [[nodiscard]] absl::Status CheckRecordSize(absl::string_view what, uint64_t bytes) const;

  // The sequence of the last record appended (0 before the first).
  virtual uint64_t last_appended() const = 0;
  // Every record up to this sequence is durable.
  virtual uint64_t durable() const = 0;

  // Calls `done` once every record up to `sequence` is durable (OK), or the
  // store has failed (its error). May call it inline (already durable), or
  // later from the store's writer thread: `done` must be quick and must not
  // append and wait.
  virtual void WhenDurable(uint64_t sequence, DurableCallback done) = 0;

  // OK, or why the store stopped accepting writes.
  virtual absl::Status health() const = 0;

  // Blocks until `sequence` is durable. For rare paths on threads that may
  // block (never a gRPC callback thread).
  absl::Status WaitDurable(uint64_t sequence);
  // Appends and waits.
  absl::Status AppendDurably(absl::string_view payload) { return WaitDurable(Append(payload)); }
};

}  // namespace swabwave::engine::journal

#endif  // SWABWAVE_ENGINE_JOURNAL_STORE_H_
