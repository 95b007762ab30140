// Journal: the embedded default Store (DESIGN.md §5). Append-only segment
// files in one directory, group commit, recovery and snapshots.
//
// Files:
//   LOCK                                      held (flock) while a Journal is
//                                             open: one process per directory
//                                             (dir_lock.h)
//   journal-<first sequence, 20 digits>.log   segments (frame.h), in order
//   snapshot-<covered sequence>.snap          the state as of a sequence, as
//                                             records in the same framing:
//                                             a header frame with the record
//                                             count, then the producer's
//                                             records (images of the state's
//                                             arrays: community_image.h,
//                                             round_image.h)
//
// Group commit: appenders frame their records into a shared buffer under a
// short lock; one writer thread swaps the buffer out, writes it, calls
// fdatasync and advances durable(); a completer thread runs the callbacks
// that were waiting for it while the writer goes on with the next batch.
// Appenders never touch the disk.
//
// Records larger than JournalOptions::fragment_bytes are written as several
// frames (fragments.h), in segments and snapshots alike, so no frame comes
// near the reader's limit; a record past max_record_bytes is never written.
//
// Recovery (Open): replays the newest snapshot, then every segment record
// after it, verifying every frame. A torn tail of the last segment is
// truncated (and reported), and so are the fragments of a record whose last
// fragment is missing there (it was never durable, so never acknowledged); a bad frame anywhere else, a sequence gap or a
// missing segment is DATA_LOSS naming the file and offset: the operator
// decides, the server does not guess. In a snapshot, any bad frame, fewer
// records than its header announces, or a record the replay refuses is
// DATA_LOSS naming the file and offset (a snapshot written before the
// header existed loads without the count check).
//
// Snapshots: WriteSnapshot writes the engine's state while appends go on.
// It records `covered` = last_appended() first; every record up to it is
// reflected in the state written, and later records may be too (replaying
// them again must be harmless: records are idempotent on replay). Segments
// whose records are all covered are deleted once the snapshot is durable.
//
// Thread-safety: Append, Accepting, WhenDurable and the accessors may be
// called from any thread; WriteSnapshot from one thread at a time.
#ifndef SWABWAVE_ENGINE_JOURNAL_JOURNAL_H_
#define SWABWAVE_ENGINE_JOURNAL_JOURNAL_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "engine/journal/dir_lock.h"
#include "engine/journal/fragments.h"
#include "engine/journal/store.h"

namespace swabwave::engine::journal {

struct JournalOptions {
  std::string dir;
  // A segment is closed and a new one started past this size.
  uint64_t segment_bytes = uint64_t{64} << 20;
  // Records appended but not yet durable past which Accepting says no
  // (about 40 bytes each for a check-in: 1M is ~40 MB).
  uint64_t max_pending_records = uint64_t{1} << 20;
  // Recovery maps each file; a snapshot at least this large has its pages
  // touched ahead of the scan by a second thread, which also unmaps it
  // afterwards (journal.cc, MappedFile). Tests set 0 to take that path for
  // every snapshot.
  uint64_t read_ahead_bytes = uint64_t{64} << 20;
  // Group commit under streaming load: once a batch carries at least
  // kPaceFromRecords records, the next sync starts no sooner than this
  // after the last one started (or once kFullBatchRecords are waiting).
  // A sync costs the CPU about the same whatever it carries (about 90 us
  // on a virtual disk, bench/RESULTS.md), and back-to-back syncs under load
  // spent that on hundreds of small batches a second. Small batches (a few
  // tablets, one call each) are never held. Zero: sync back to back.
  absl::Duration min_sync_interval = absl::Milliseconds(2);
  // Records longer than this are written as fragments of at most this many
  // bytes (fragments.h). 1 .. kMaxPayloadBytes - kFragmentHeaderBytes.
  uint64_t fragment_bytes = kDefaultFragmentBytes;
  // The largest record Append takes (Store::CheckRecordSize).
  // 1 .. kMaxRecordBytes; tests set it small.
  uint64_t max_record_bytes = kMaxRecordBytes;
};

struct RecoveryReport {
  uint64_t snapshot_sequence = 0;  // what the snapshot covered; 0: none
  uint64_t snapshot_records = 0;
  uint64_t segments = 0;
  uint64_t records = 0;  // segment records replayed (after the snapshot)
  uint64_t last_sequence = 0;
  uint64_t torn_bytes = 0;  // dropped from the tail of the last segment
  std::string torn_detail;  // file, offset and why, when torn_bytes > 0
  absl::Duration elapsed;
};

// Called for every record recovery replays, in sequence order.
using ReplayFn = std::function<absl::Status(uint64_t sequence, absl::string_view payload)>;

// Where WriteSnapshot's producer puts the records of the state.
class SnapshotSink {
 public:
  virtual ~SnapshotSink() = default;
  virtual absl::Status Add(absl::string_view payload) = 0;
};

class Journal final : public Store {
 public:
  // Opens (creating if needed) the journal in options.dir, locks it for
  // this Journal's life, replays it through `replay`, and starts the
  // writer. INVALID_ARGUMENT for bad options, FAILED_PRECONDITION naming
  // the holder's PID when another open Journal (any process) holds the
  // directory, DATA_LOSS for corruption that is not a torn tail, INTERNAL
  // for I/O errors; errors from `replay` pass through.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Journal>> Open(const JournalOptions& options,
                                                                     const ReplayFn& replay,
                                                                     RecoveryReport* report);
  // Makes everything appended durable, then stops the writer.
  ~Journal() override;

  uint64_t Append(absl::Span<const absl::string_view> payloads) override;
  using Store::Append;
  bool Accepting(uint64_t records) const override;
  uint64_t max_record_bytes() const override { return options_.max_record_bytes; }
  uint64_t last_appended() const override {
    return last_appended_.load(std::memory_order_acquire);
  }
  uint64_t durable() const override { return durable_.load(std::memory_order_acquire); }
  void WhenDurable(uint64_t sequence, DurableCallback done) override;
  absl::Status health() const override;

  // Writes a snapshot through `produce` and drops the segments it covers.
  // Returns the sequence it covers.
  [[nodiscard]] absl::StatusOr<uint64_t> WriteSnapshot(
      const std::function<absl::Status(SnapshotSink&)>& produce);

  // Segment files currently on disk (for tests and the log).
  size_t segment_count() const;
  // fdatasync calls that made records durable so far (group commit: many
  // records each).
  uint64_t syncs() const { return syncs_.load(std::memory_order_relaxed); }
  // Time the writer has spent in write + fdatasync so far. Against the wall
  // clock it says how busy the journal keeps the disk: the rest of the time
  // the disk waits for the journal (benchmarks report it).
  absl::Duration time_writing() const {
    return absl::Nanoseconds(writing_nanos_.load(std::memory_order_relaxed));
  }

 private:
  struct Segment {
    uint64_t first_sequence = 0;
    std::string path;
  };
  // Up to this many waiting callbacks the writer runs itself (and any
  // number when nothing else is waiting to be written).
  static constexpr size_t kInlineCallbacks = 4;
  // Pacing (JournalOptions::min_sync_interval): from what batch size on,
  // and what batch is worth syncing at once.
  static constexpr uint64_t kPaceFromRecords = 64;
  static constexpr uint64_t kFullBatchRecords = 4096;

  struct Waiter {
    uint64_t sequence;
    DurableCallback done;
  };

  explicit Journal(JournalOptions options);

  absl::Status Recover(const ReplayFn& replay, RecoveryReport* report);
  // Creates segment `first_sequence` and makes it the one appended to.
  absl::Status StartSegment(uint64_t first_sequence) ABSL_EXCLUSIVE_LOCKS_REQUIRED(file_mu_);
  void WriterLoop();
  // Writes and syncs one batch; records the failure in failed_ on error.
  absl::Status WriteBatch(const std::string& frames, uint64_t last_sequence);
  // Stops the journal for good: failed_ = `why` (what health() says).
  absl::Status Fail(absl::Status why);
  // Runs the callbacks of records the writer made durable (or failed).
  void CompleterLoop();
  // Moves the waiters for sequences up to `durable_through` into `ready`.
  void TakeReadyLocked(uint64_t durable_through, std::vector<Waiter>* ready)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(waiters_mu_);

  const JournalOptions options_;
  std::unique_ptr<DirectoryLock> lock_;  // released last (declared first)

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
  // writes nothing more and fails the journal (Store::Append's contract).
  absl::Status refused_ ABSL_GUARDED_BY(mu_);
  std::atomic<uint64_t> last_appended_{0};
  std::atomic<uint64_t> pending_records_{0};  // appended, not yet durable

  // Writer's side.
  std::atomic<uint64_t> durable_{0};
  std::atomic<uint64_t> syncs_{0};
  std::atomic<int64_t> writing_nanos_{0};
  mutable std::mutex file_mu_;  // segments_, fd_, segment_size_, failed_
  std::vector<Segment> segments_ ABSL_GUARDED_BY(file_mu_);
  int fd_ ABSL_GUARDED_BY(file_mu_) = -1;
  uint64_t segment_size_ ABSL_GUARDED_BY(file_mu_) = 0;
  absl::Status failed_ ABSL_GUARDED_BY(file_mu_);

  std::atomic<bool> failed_flag_{false};  // failed_ is set (readable without file_mu_)

  // Completer's side.
  std::mutex waiters_mu_;
  std::condition_variable wake_completer_;
  std::vector<Waiter> waiters_ ABSL_GUARDED_BY(waiters_mu_);
  bool completion_pending_ ABSL_GUARDED_BY(waiters_mu_) = false;
  bool completer_stopping_ ABSL_GUARDED_BY(waiters_mu_) = false;
  std::thread completer_;

  std::mutex snapshot_mu_;  // one snapshot at a time
  std::thread writer_;
};

}  // namespace swabwave::engine::journal

#endif  // SWABWAVE_ENGINE_JOURNAL_JOURNAL_H_
