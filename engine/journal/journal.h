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
// The journal is three parts with one job each: GroupCommit
// (group_commit.h) frames appends and batches their syncs, not knowing
// about files; this class writes its batches into segment files
// (segment_files.h, frame.h) and takes snapshots (snapshot_file.h); and
// RecoverDirectory (recovery.h) replays the directory when it opens. A
// record past JournalOptions::fragment_bytes is written as several frames
// (fragments.h), in segments and snapshots alike; a record past
// max_record_bytes is never written.
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

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "engine/journal/dir_lock.h"
#include "engine/journal/fragments.h"
#include "engine/journal/group_commit.h"
#include "engine/journal/recovery.h"
#include "engine/journal/segment_files.h"
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
  // afterwards (segment_files.h, MappedFile). Tests set 0 to take that path for
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

class Journal final : public Store, private BatchWriter {
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
  uint64_t last_appended() const override { return commit_->last_appended(); }
  uint64_t durable() const override { return commit_->durable(); }
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
  uint64_t syncs() const { return commit_->writes(); }
  // Time the writer has spent in write + fdatasync so far. Against the wall
  // clock it says how busy the journal keeps the disk: the rest of the time
  // the disk waits for the journal (benchmarks report it).
  absl::Duration time_writing() const { return commit_->time_writing(); }

 private:
  explicit Journal(JournalOptions options);

  // Creates segment `first_sequence` and makes it the one appended to.
  absl::Status StartSegment(uint64_t first_sequence) ABSL_EXCLUSIVE_LOCKS_REQUIRED(file_mu_);
  // BatchWriter: writes and fdatasyncs one batch into the current segment,
  // starting the next one past segment_bytes. Called by commit_'s writer.
  absl::Status WriteBatch(const std::string& frames, uint64_t last_sequence) override;

  const JournalOptions options_;
  std::unique_ptr<DirectoryLock> lock_;  // released last (declared first)

  mutable std::mutex file_mu_;  // segments_, fd_, segment_size_
  std::vector<SegmentFile> segments_ ABSL_GUARDED_BY(file_mu_);
  int fd_ ABSL_GUARDED_BY(file_mu_) = -1;
  uint64_t segment_size_ ABSL_GUARDED_BY(file_mu_) = 0;

  std::mutex snapshot_mu_;  // one snapshot at a time
  // Declared last: destroyed (drained, its threads joined) before the
  // files it writes into.
  std::unique_ptr<GroupCommit> commit_;
};

}  // namespace swabwave::engine::journal

#endif  // SWABWAVE_ENGINE_JOURNAL_JOURNAL_H_
