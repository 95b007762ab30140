#include "engine/journal/journal.h"

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <system_error>
#include <utility>

#include "absl/strings/str_cat.h"
#include "engine/journal/frame.h"
#include "engine/journal/private_dir.h"
#include "engine/journal/snapshot_file.h"

namespace swabwave::engine::journal {

namespace fs = std::filesystem;

Journal::Journal(JournalOptions options) : options_(std::move(options)) {}

absl::StatusOr<std::unique_ptr<Journal>> Journal::Open(const JournalOptions& options,
                                                       const ReplayFn& replay,
                                                       RecoveryReport* report) {
  if (options.dir.empty()) return absl::InvalidArgumentError("the journal needs a data directory");
  if (options.segment_bytes < 4096 || options.max_pending_records == 0) {
    return absl::InvalidArgumentError(
        "journal segments must be at least 4096 bytes and the queue at least one record");
  }
  if (options.min_sync_interval < absl::ZeroDuration() ||
      options.min_sync_interval > absl::Milliseconds(100)) {
    return absl::InvalidArgumentError(
        absl::StrCat("the sync interval must be between 0 and 100ms (it delays answers under "
                     "load by up to that much), not ",
                     absl::FormatDuration(options.min_sync_interval)));
  }
  if (options.fragment_bytes == 0 ||
      options.fragment_bytes > kMaxPayloadBytes - kFragmentHeaderBytes ||
      options.max_record_bytes == 0 || options.max_record_bytes > kMaxRecordBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "journal fragments must be 1..", kMaxPayloadBytes - kFragmentHeaderBytes,
        " bytes and the record limit 1..", kMaxRecordBytes, " bytes"));
  }
  if (absl::Status s = OpenPrivateDirectory(options.dir); !s.ok()) return s;
  absl::StatusOr<std::unique_ptr<DirectoryLock>> lock = DirectoryLock::Acquire(options.dir);
  if (!lock.ok()) return lock.status();
  std::unique_ptr<Journal> journal(new Journal(options));
  journal->lock_ = *std::move(lock);
  RecoveryReport local;
  if (report == nullptr) report = &local;
  absl::StatusOr<RecoveredFiles> recovered =
      RecoverDirectory(options.dir, options.read_ahead_bytes, replay, report);
  if (!recovered.ok()) return recovered.status();
  {
    std::lock_guard files(journal->file_mu_);
    journal->segments_ = std::move(recovered->segments);
    // Appends go to a fresh segment: a recovered file is never reopened for
    // writing, so a torn tail cannot hide behind new records.
    if (absl::Status s = journal->StartSegment(recovered->last_sequence + 1); !s.ok()) return s;
  }
  GroupCommitOptions commit;
  commit.max_pending_records = options.max_pending_records;
  commit.min_sync_interval = options.min_sync_interval;
  commit.fragment_bytes = options.fragment_bytes;
  commit.max_record_bytes = options.max_record_bytes;
  BatchWriter* segments = journal.get();  // the journal's private side
  journal->commit_ = std::make_unique<GroupCommit>(commit, segments, recovered->last_sequence);
  journal->commit_->Start();
  return journal;
}

Journal::~Journal() {
  // Drains the commit first: its writer writes into the segment below.
  commit_.reset();
  std::lock_guard lock(file_mu_);
  if (fd_ >= 0) ::close(fd_);
}

absl::Status Journal::StartSegment(uint64_t first_sequence) {
  const std::string path = NumberedPath(options_.dir, kSegmentPrefix, first_sequence,
                                        kSegmentSuffix);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, kPrivateFileMode);
  if (fd < 0) return IoError("cannot create", path);
  std::string header;
  AppendSegmentHeader(first_sequence, &header);
  absl::Status status = WriteAll(fd, header, path);
  if (status.ok() && ::fdatasync(fd) != 0) status = IoError("cannot sync", path);
  if (status.ok()) status = SyncDirectory(options_.dir);
  if (!status.ok()) {
    ::close(fd);
    return status;
  }
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
  segment_size_ = header.size();
  segments_.push_back({first_sequence, path});
  return absl::OkStatus();
}

uint64_t Journal::Append(absl::Span<const absl::string_view> payloads) {
  return commit_->Append(payloads);
}

bool Journal::Accepting(uint64_t records) const { return commit_->Accepting(records); }

absl::Status Journal::health() const { return commit_->health(); }

void Journal::WhenDurable(uint64_t sequence, DurableCallback done) {
  commit_->WhenDurable(sequence, std::move(done));
}

absl::Status Journal::WriteBatch(const std::string& frames, uint64_t last_sequence) {
  std::lock_guard lock(file_mu_);
  const SegmentFile& segment = segments_.back();
  absl::Status status = WriteAll(fd_, frames, segment.path);
  if (status.ok() && ::fdatasync(fd_) != 0) status = IoError("cannot sync", segment.path);
  if (!status.ok()) return status;
  segment_size_ += frames.size();
  if (segment_size_ >= options_.segment_bytes) return StartSegment(last_sequence + 1);
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> Journal::WriteSnapshot(
    const std::function<absl::Status(SnapshotSink&)>& produce) {
  std::lock_guard snapshot_lock(snapshot_mu_);
  const uint64_t covered = last_appended();
  const std::string final_path =
      NumberedPath(options_.dir, kSnapshotPrefix, covered, kSnapshotSuffix);
  const std::string temp_path = final_path + ".tmp";
  const int fd =
      ::open(temp_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, kPrivateFileMode);
  if (fd < 0) return IoError("cannot create", temp_path);
  FileSnapshotSink sink(fd, temp_path, options_.fragment_bytes, options_.max_record_bytes);
  absl::Status status = produce(sink);
  if (status.ok()) status = sink.Finish();
  // Everything the snapshot shows must be durable in the journal before the
  // snapshot may replace the journal: a check-in seen in memory may still
  // be waiting for its fsync.
  if (status.ok()) status = WaitDurable(last_appended());
  if (status.ok() && ::fsync(fd) != 0) status = IoError("cannot sync", temp_path);
  ::close(fd);
  if (status.ok() && ::rename(temp_path.c_str(), final_path.c_str()) != 0) {
    status = IoError("cannot rename", temp_path);
  }
  if (status.ok()) status = SyncDirectory(options_.dir);
  if (!status.ok()) {
    ::unlink(temp_path.c_str());
    return status;
  }

  // The snapshot is in place: drop older snapshots and covered segments.
  for (const fs::directory_entry& entry : fs::directory_iterator(options_.dir)) {
    uint64_t number;
    if (ParseNumberedName(entry.path().filename().string(), kSnapshotPrefix, kSnapshotSuffix,
                          &number) &&
        number < covered) {
      ::unlink(entry.path().c_str());
    }
  }
  std::lock_guard lock(file_mu_);
  // Segment i holds [first_i, first_{i+1}); never drop the one being written.
  size_t drop = 0;
  while (drop + 1 < segments_.size() && segments_[drop + 1].first_sequence <= covered + 1) {
    ::unlink(segments_[drop].path.c_str());
    ++drop;
  }
  segments_.erase(segments_.begin(), segments_.begin() + static_cast<ptrdiff_t>(drop));
  return covered;
}

size_t Journal::segment_count() const {
  std::lock_guard lock(file_mu_);
  return segments_.size();
}

}  // namespace swabwave::engine::journal
