// GroupCommit: the part of a Store that is not about files. Appenders
// frame their records into a shared buffer under a short lock and get
// their sequence numbers; one writer thread swaps the buffer out, hands it
// to a BatchWriter (the journal's segment files; a database later), and
// advances durable(); a completer thread runs the callbacks that were
// waiting while the writer goes on with the next batch. Appenders never
// touch the disk.
//
// Batching: the writer gathers for up to one write's time when fewer
// records are waiting than last time, and under streaming load paces its
// writes to one per min_sync_interval (see the options).
//
// Failure: the first write that fails (or a record past max_record_bytes
// that reached Append) stops the commit for good: every waiting and later
// callback gets the failure, health() says why, and nothing more is
// written. A restart recovers what is durable.
//
// Thread-safety: every public method may be called from any thread, after
// Start and before destruction. The destructor writes what was appended,
// runs the last callbacks and joins both threads.
#ifndef SWABWAVE_ENGINE_JOURNAL_GROUP_COMMIT_H_
#define SWABWAVE_ENGINE_JOURNAL_GROUP_COMMIT_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "engine/journal/fragments.h"
#include "engine/journal/store.h"

namespace swabwave::engine::journal {

// Where a group commit's batches go. Called from the writer thread only,
// one batch at a time, in sequence order.
class BatchWriter {
 public:
  virtual ~BatchWriter() = default;
  // Makes `frames` (frame.h framing; the records up to `last_sequence`)
  // durable, or says why not: INTERNAL naming what failed. After an error
  // it is not called again.
  virtual absl::Status WriteBatch(const std::string& frames, uint64_t last_sequence) = 0;
};

struct GroupCommitOptions {
  // Records appended but not yet durable past which Accepting says no.
  uint64_t max_pending_records = uint64_t{1} << 20;
  // Once a batch carries at least kPaceFromRecords records, the next write
  // starts no sooner than this after the last one started (or once
  // kFullBatchRecords are waiting). Zero: write back to back.
  absl::Duration min_sync_interval = absl::Milliseconds(2);
  // Records longer than this are framed as fragments (fragments.h).
  uint64_t fragment_bytes = kDefaultFragmentBytes;
  // A record past this reaching Append fails the commit (Store::Append).
  uint64_t max_record_bytes = kMaxRecordBytes;
};

class GroupCommit {
 public:
  // Batches go to `writer`, which must outlive this. Sequences continue
  // after `last_sequence` (what recovery found durable).
  GroupCommit(GroupCommitOptions options, BatchWriter* writer, uint64_t last_sequence);
  // Writes everything appended, runs the last callbacks, joins the threads.
  ~GroupCommit();
  GroupCommit(const GroupCommit&) = delete;
  GroupCommit& operator=(const GroupCommit&) = delete;

  // Starts the writer and completer threads.
  void Start();

  // Store's contract (store.h).
  uint64_t Append(absl::Span<const absl::string_view> payloads);
  bool Accepting(uint64_t records) const;
  uint64_t last_appended() const { return last_appended_.load(std::memory_order_acquire); }
  uint64_t durable() const { return durable_.load(std::memory_order_acquire); }
  void WhenDurable(uint64_t sequence, Store::DurableCallback done);
  absl::Status health() const;

  // Batches written so far (each one fdatasync for the file journal).
  uint64_t writes() const { return writes_.load(std::memory_order_relaxed); }
  // Time spent in BatchWriter::WriteBatch so far.
  absl::Duration time_writing() const {
    return absl::Nanoseconds(writing_nanos_.load(std::memory_order_relaxed));
  }

 private:
  // Up to this many waiting callbacks the writer runs itself (and any
  // number when nothing else is waiting to be written).
  static constexpr size_t kInlineCallbacks = 4;
  // Pacing (min_sync_interval): from what batch size on, and what batch is
  // worth writing at once.
  static constexpr uint64_t kPaceFromRecords = 64;
  static constexpr uint64_t kFullBatchRecords = 4096;

  struct Waiter {
    uint64_t sequence;
    Store::DurableCallback done;
  };

  void WriterLoop();
  // Writes one batch through writer_, or fails it when the commit has
  // already stopped (or `refused` says why it must).
  absl::Status Write(const std::string& frames, uint64_t last_sequence, const absl::Status& refused);
  // Runs the callbacks of records the writer made durable (or failed).
  void CompleterLoop();
  // Moves the waiters for sequences up to `durable_through` into `ready`.
  void TakeReadyLocked(uint64_t durable_through, std::vector<Waiter>* ready)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(waiters_mu_);

  const GroupCommitOptions options_;
  BatchWriter* const writer_;

  // Appenders' side.
  mutable std::mutex mu_;
  std::condition_variable wake_writer_;
  std::string pending_ ABSL_GUARDED_BY(mu_);  // framed, not yet written
  uint64_t pending_count_ ABSL_GUARDED_BY(mu_) = 0;
  // Append wakes the writer only once pending_count_ reaches this: 1 while
  // it sleeps idle, the batch it gathers for while it gathers, never while
  // it writes (it looks at pending_ again before it sleeps). One wake-up
  // per batch instead of one per append: with 64 producers the writer used
  // to wake, find the batch not yet full and sleep again 63 times a batch.
  uint64_t wake_writer_at_ ABSL_GUARDED_BY(mu_) = 1;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  // Set when a record past max_record_bytes reached Append: the writer then
  // writes nothing more and fails the commit (Store::Append's contract).
  absl::Status refused_ ABSL_GUARDED_BY(mu_);
  std::atomic<uint64_t> last_appended_;
  std::atomic<uint64_t> pending_records_{0};  // appended, not yet durable

  // Writer's side.
  std::atomic<uint64_t> durable_;
  std::atomic<uint64_t> writes_{0};
  std::atomic<int64_t> writing_nanos_{0};
  mutable std::mutex failed_mu_;
  absl::Status failed_ ABSL_GUARDED_BY(failed_mu_);
  std::atomic<bool> failed_flag_{false};  // failed_ is set (readable without failed_mu_)

  // Completer's side.
  std::mutex waiters_mu_;
  std::condition_variable wake_completer_;
  std::vector<Waiter> waiters_ ABSL_GUARDED_BY(waiters_mu_);
  bool completion_pending_ ABSL_GUARDED_BY(waiters_mu_) = false;
  bool completer_stopping_ ABSL_GUARDED_BY(waiters_mu_) = false;

  std::thread completer_;
  std::thread writer_thread_;
};

}  // namespace swabwave::engine::journal

#endif  // SWABWAVE_ENGINE_JOURNAL_GROUP_COMMIT_H_
