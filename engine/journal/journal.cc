#include "engine/journal/journal.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <optional>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/strip.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "engine/journal/frame.h"

namespace swabwave::engine::journal {

namespace {

namespace fs = std::filesystem;

constexpr absl::string_view kSegmentPrefix = "journal-";
constexpr absl::string_view kSegmentSuffix = ".log";
constexpr absl::string_view kSnapshotPrefix = "snapshot-";
constexpr absl::string_view kSnapshotSuffix = ".snap";
// A snapshot's records are flushed to its file in pieces of about this size.
constexpr size_t kSnapshotChunk = size_t{8} << 20;

absl::Status IoError(absl::string_view what, const std::string& path) {
  return absl::InternalError(absl::StrCat(what, " ", path, ": ", std::strerror(errno)));
}

std::string NumberedName(absl::string_view prefix, uint64_t number, absl::string_view suffix) {
  return absl::StrFormat("%s%020d%s", prefix, number, suffix);
}

// The number in "<prefix><digits><suffix>", or false for other names.
bool ParseNumberedName(absl::string_view name, absl::string_view prefix, absl::string_view suffix,
                       uint64_t* number) {
  if (!absl::ConsumePrefix(&name, prefix) || !absl::ConsumeSuffix(&name, suffix)) return false;
  return !name.empty() && absl::SimpleAtoi(name, number);
}

// A whole file mapped read-only: recovery reads segments straight from the
// page cache, without copying (or zero-filling) hundreds of megabytes.
//
// On the VMs we run on, the first touch of each mapped page costs about
// 1.6 µs even for a file already in the page cache and mapped with
// MAP_POPULATE (the hypervisor's fault, not the guest's): 0.4 s for a 1 GB
// snapshot. A second thread touches the pages ahead of the scan, so those
// faults overlap the CRC checks and decoding instead of adding to them; and
// the unmapping (another 0.06-0.1 s per GB) happens on that thread too,
// after recovery has moved on.
class MappedFile {
 public:
  // A file of at least `read_ahead_bytes` has its pages touched on a
  // second thread, and is unmapped there.
  static absl::StatusOr<std::unique_ptr<MappedFile>> Open(const std::string& path,
                                                          uint64_t read_ahead_bytes) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return IoError("cannot open", path);
    struct stat info;
    if (::fstat(fd, &info) != 0) {
      ::close(fd);
      return IoError("cannot stat", path);
    }
    auto file = std::unique_ptr<MappedFile>(new MappedFile());
    file->size_ = static_cast<size_t>(info.st_size);
    if (file->size_ > 0) {
      void* data = ::mmap(nullptr, file->size_, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
      if (data == MAP_FAILED) {
        ::close(fd);
        return IoError("cannot map", path);
      }
      file->data_ = static_cast<const char*>(data);
      ::madvise(const_cast<char*>(file->data_), file->size_, MADV_SEQUENTIAL);
    }
    ::close(fd);
    if (file->size_ > 0 && file->size_ >= read_ahead_bytes) {
      file->released_ = std::make_shared<Release>();
      std::thread(TouchThenUnmap, file->data_, file->size_, file->released_).detach();
    }
    return file;
  }
  ~MappedFile() {
    if (released_ == nullptr) {
      if (data_ != nullptr) ::munmap(const_cast<char*>(data_), size_);
      return;
    }
    // The helper unmaps once told the mapping is no longer read: off the
    // recovery's path, which is why it is detached rather than joined.
    {
      std::lock_guard lock(released_->mu);
      released_->done = true;
    }
    released_->cv.notify_one();
  }
  absl::string_view view() const { return absl::string_view(data_, size_); }
  size_t size() const { return size_; }

 private:
  // Shared by the file and its helper, which may outlive the file.
  struct Release {
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
  };

  MappedFile() = default;

  static void TouchThenUnmap(const char* data, size_t size, std::shared_ptr<Release> release) {
    const long page = ::sysconf(_SC_PAGESIZE);
    const size_t step = page > 0 ? static_cast<size_t>(page) : 4096;
    constexpr size_t kCheckEvery = size_t{16} << 20;  // bytes between looks at `done`
    for (size_t offset = 0; offset < size; offset += step) {
      // A read the compiler must keep: the fault is the point.
      static_cast<void>(*static_cast<const volatile char*>(data + offset));
      if (offset % kCheckEvery == 0) {
        std::lock_guard lock(release->mu);
        if (release->done) break;  // recovery finished (or failed) first
      }
    }
    {
      std::unique_lock lock(release->mu);
      release->cv.wait(lock, [&] { return release->done; });
    }
    ::munmap(const_cast<char*>(data), size);
  }

  const char* data_ = nullptr;
  size_t size_ = 0;
  std::shared_ptr<Release> released_;  // null: no helper, unmapped here
};

absl::Status WriteAll(int fd, absl::string_view data, const std::string& path) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return IoError("cannot write", path);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

// A new file's name is durable only once its directory is synced.
absl::Status SyncDirectory(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return IoError("cannot open directory", dir);
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return IoError("cannot sync directory", dir);
  return absl::OkStatus();
}

// A snapshot's first frame says how many records follow it, so that a
// snapshot cut short at a frame boundary (which scans clean) is still found
// out. It starts with a zero byte, which no record does (TypeOf): snapshots
// written before it existed have no header and load as they did.
constexpr absl::string_view kSnapshotMagic = absl::string_view("\0SWBWSNAP", 9);
constexpr uint32_t kSnapshotHeaderVersion = 1;
constexpr size_t kSnapshotHeaderBytes = 9 + 4 + 8;

std::string SnapshotHeader(uint64_t records) {
  std::string header(kSnapshotMagic);
  header.append(reinterpret_cast<const char*>(&kSnapshotHeaderVersion), 4);
  header.append(reinterpret_cast<const char*>(&records), 8);  // little-endian hosts only
  return header;
}

bool IsSnapshotHeader(absl::string_view payload) {
  return absl::StartsWith(payload, kSnapshotMagic);
}

// The record count of a header, or false for a damaged one.
bool ParseSnapshotHeader(absl::string_view payload, uint64_t* records) {
  uint32_t version;
  if (payload.size() != kSnapshotHeaderBytes) return false;
  std::memcpy(&version, payload.data() + 9, 4);
  std::memcpy(records, payload.data() + 13, 8);
  return version == kSnapshotHeaderVersion;
}

// Writes a snapshot's frames to its file as they come: the header frame
// first (with a count of zero), rewritten with the real count by Finish.
// Records past `fragment_bytes` go in as fragments, as in segments; the
// header's count is of frames.
class FileSnapshotSink final : public SnapshotSink {
 public:
  FileSnapshotSink(int fd, std::string path, uint64_t fragment_bytes, uint64_t max_record_bytes)
      : fd_(fd),
        path_(std::move(path)),
        fragment_bytes_(fragment_bytes),
        max_record_bytes_(max_record_bytes) {
    AppendSegmentHeader(1, &buffer_);
    AppendFrame(++sequence_, SnapshotHeader(0), &buffer_);
  }
  absl::Status Add(absl::string_view payload) override {
    if (payload.size() > max_record_bytes_) {
      return absl::ResourceExhaustedError(
          absl::StrCat("a snapshot record of ", payload.size(), " bytes is past the journal's "
                       "record limit of ", max_record_bytes_, " bytes; no snapshot written"));
    }
    AppendRecordFrames(payload, fragment_bytes_, &sequence_, &buffer_);
    if (buffer_.size() >= kSnapshotChunk) return Flush();
    return absl::OkStatus();
  }
  absl::Status Flush() {
    absl::Status status = WriteAll(fd_, buffer_, path_);
    buffer_.clear();
    return status;
  }
  // Flushes, then writes the header frame again with the record count (the
  // same size: fixed-width fields).
  absl::Status Finish() {
    if (absl::Status s = Flush(); !s.ok()) return s;
    std::string header;
    AppendFrame(1, SnapshotHeader(sequence_ - 1), &header);
    if (::pwrite(fd_, header.data(), header.size(), static_cast<off_t>(kSegmentHeaderSize)) !=
        static_cast<ssize_t>(header.size())) {
      return IoError("cannot write", path_);
    }
    return absl::OkStatus();
  }

 private:
  int fd_;
  std::string path_;
  const uint64_t fragment_bytes_;
  const uint64_t max_record_bytes_;
  std::string buffer_;
  uint64_t sequence_ = 0;
};

}  // namespace

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
  std::error_code error;
  fs::create_directories(options.dir, error);
  if (error) {
    return absl::InternalError(
        absl::StrCat("cannot create data directory ", options.dir, ": ", error.message()));
  }
  absl::StatusOr<std::unique_ptr<DirectoryLock>> lock = DirectoryLock::Acquire(options.dir);
  if (!lock.ok()) return lock.status();
  std::unique_ptr<Journal> journal(new Journal(options));
  journal->lock_ = *std::move(lock);
  RecoveryReport local;
  if (report == nullptr) report = &local;
  if (absl::Status s = journal->Recover(replay, report); !s.ok()) return s;
  journal->completer_ = std::thread([j = journal.get()] { j->CompleterLoop(); });
  journal->writer_ = std::thread([j = journal.get()] { j->WriterLoop(); });
  return journal;
}

absl::Status Journal::Recover(const ReplayFn& replay, RecoveryReport* report) {
  const absl::Time start = absl::Now();
  *report = RecoveryReport();
  std::vector<Segment> segments;
  uint64_t snapshot = 0;
  for (const fs::directory_entry& entry : fs::directory_iterator(options_.dir)) {
    const std::string name = entry.path().filename().string();
    uint64_t number;
    if (ParseNumberedName(name, kSegmentPrefix, kSegmentSuffix, &number)) {
      segments.push_back({number, entry.path().string()});
    } else if (ParseNumberedName(name, kSnapshotPrefix, kSnapshotSuffix, &number)) {
      snapshot = std::max(snapshot, number);
    }
  }
  std::sort(segments.begin(), segments.end(),
            [](const Segment& a, const Segment& b) { return a.first_sequence < b.first_sequence; });

  if (snapshot > 0) {
    const std::string path =
        (fs::path(options_.dir) / NumberedName(kSnapshotPrefix, snapshot, kSnapshotSuffix)).string();
    absl::StatusOr<std::unique_ptr<MappedFile>> data =
        MappedFile::Open(path, options_.read_ahead_bytes);
    if (!data.ok()) return data.status();
    ScanResult scan;
    const absl::string_view file = (*data)->view();
    // Records announced by the header frame; unknown for an older snapshot.
    std::optional<uint64_t> announced;
    RecordAssembler assembler;
    // Snapshot records are numbered from 1 in their own file. A record that
    // passed its CRC but does not apply (a damaged image, a record from a
    // newer format) is data loss too: say where it sits.
    absl::Status s = ScanSegment(
        file, 1,
        [&](uint64_t sequence, absl::string_view payload) -> absl::Status {
          const size_t offset = payload.data() - file.data() - kFrameHeaderSize;
          if (sequence == 1 && IsSnapshotHeader(payload)) {
            uint64_t records;
            if (!ParseSnapshotHeader(payload, &records)) {
              return absl::DataLossError(absl::StrCat("snapshot ", path, ": header frame at offset ",
                                                      offset, " is of an unknown version"));
            }
            announced = records;
            return absl::OkStatus();
          }
          absl::Status applied = assembler.Add(sequence, payload, replay);
          if (applied.ok()) return applied;
          return absl::DataLossError(absl::StrCat("snapshot ", path, ": record ", sequence,
                                                  " at offset ", offset,
                                                  " does not apply: ", applied.message()));
        },
        &scan);
    if (!s.ok()) return s;
    if (assembler.pending()) {
      return absl::DataLossError(absl::StrCat(
          "snapshot ", path, " ends inside a record written as fragments (from record ",
          assembler.pending_first_sequence(), ")"));
    }
    if (scan.end != ScanEnd::kClean) {
      // Snapshots are renamed into place only once complete and synced.
      return absl::DataLossError(absl::StrCat("snapshot ", path, " is damaged: ", scan.problem));
    }
    if (scan.frames == 0) {
      return absl::DataLossError(absl::StrCat("snapshot ", path,
                                              " holds no records (it ends at offset ",
                                              scan.good_bytes, ")"));
    }
    const uint64_t records = announced.has_value() ? scan.frames - 1 : scan.frames;
    if (announced.has_value() && records != *announced) {
      return absl::DataLossError(absl::StrCat("snapshot ", path, " is cut short: its header "
                                              "announces ", *announced, " records, it holds ",
                                              records, " and ends at offset ", scan.good_bytes));
    }
    report->snapshot_sequence = snapshot;
    report->snapshot_records = records;
  }

  uint64_t next = snapshot + 1;  // the sequence the next record must have
  // A record's fragments never span segments (a batch is written to one).
  RecordAssembler assembler;
  for (size_t i = 0; i < segments.size(); ++i) {
    const Segment& segment = segments[i];
    const bool last = i + 1 == segments.size();
    // Segments wholly covered by the snapshot may linger if a crash came
    // between the snapshot's rename and their deletion.
    if (!last && segments[i + 1].first_sequence <= next) continue;
    if (segment.first_sequence > next) {
      return absl::DataLossError(absl::StrCat(
          "journal segment with sequence ", next, " is missing: the next file, ", segment.path,
          ", starts at ", segment.first_sequence, "; restore the missing segment from a backup"));
    }
    // No read-ahead helper for segments: a torn tail is truncated while the
    // file is mapped, and a helper touching past the new end would fault.
    absl::StatusOr<std::unique_ptr<MappedFile>> data = MappedFile::Open(segment.path, UINT64_MAX);
    if (!data.ok()) return data.status();
    ScanResult scan;
    const absl::string_view file = (*data)->view();
    uint64_t unfinished_offset = 0;  // where the pending record's first fragment sits
    absl::Status s = ScanSegment(
        file, segment.first_sequence,
        [&](uint64_t sequence, absl::string_view payload) -> absl::Status {
          if (sequence < next) return absl::OkStatus();  // covered by the snapshot
          if (!assembler.pending()) {
            unfinished_offset = payload.data() - file.data() - kFrameHeaderSize;
          }
          return assembler.Add(sequence, payload,
                               [&](uint64_t record_sequence, absl::string_view record) {
                                 ++report->records;
                                 return replay(record_sequence, record);
                               });
        },
        &scan);
    if (!s.ok()) return s;
    ++report->segments;
    if (assembler.pending()) {
      if (!last || scan.end == ScanEnd::kCorrupt) {
        return absl::DataLossError(absl::StrCat(
            "journal segment ", segment.path, " ends inside a record written as fragments (from "
            "record ", assembler.pending_first_sequence(), "); records after it exist, so this "
            "is not a torn write: restore from a backup"));
      }
      // The record's last fragment never reached the disk, so it was never
      // acknowledged: drop its fragments as a torn tail.
      scan.end = ScanEnd::kTornTail;
      scan.problem = absl::StrCat("a record written as fragments from record ",
                                  assembler.pending_first_sequence(), " lacks its last fragment",
                                  scan.problem.empty() ? "" : "; then ", scan.problem);
      scan.good_bytes = unfinished_offset;
      scan.last_sequence = assembler.pending_first_sequence() - 1;
      assembler.Reset();
    }
    if (scan.end == ScanEnd::kCorrupt || (scan.end == ScanEnd::kTornTail && !last)) {
      return absl::DataLossError(absl::StrCat("journal segment ", segment.path, " is corrupt (",
                                              scan.problem, "); records after it exist, so this "
                                              "is not a torn write: restore from a backup"));
    }
    if (scan.end == ScanEnd::kTornTail) {
      report->torn_bytes = (*data)->size() - scan.good_bytes;
      report->torn_detail = absl::StrCat(segment.path, ": ", scan.problem);
      if (scan.good_bytes < kSegmentHeaderSize) {
        if (::unlink(segment.path.c_str()) != 0) return IoError("cannot remove", segment.path);
        segments.pop_back();
      } else if (::truncate(segment.path.c_str(), static_cast<off_t>(scan.good_bytes)) != 0) {
        return IoError("cannot truncate", segment.path);
      }
    }
    next = std::max(next, scan.last_sequence + 1);
  }
  report->last_sequence = next - 1;
  last_appended_.store(next - 1, std::memory_order_release);
  durable_.store(next - 1, std::memory_order_release);

  std::lock_guard lock(file_mu_);
  segments_ = std::move(segments);
  // Appends go to a fresh segment: a recovered file is never reopened for
  // writing, so a torn tail cannot hide behind new records.
  if (absl::Status s = StartSegment(next); !s.ok()) return s;
  report->elapsed = absl::Now() - start;
  return absl::OkStatus();
}

absl::Status Journal::StartSegment(uint64_t first_sequence) {
  const std::string path =
      (fs::path(options_.dir) / NumberedName(kSegmentPrefix, first_sequence, kSegmentSuffix))
          .string();
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
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

Journal::~Journal() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_writer_.notify_one();
  if (writer_.joinable()) writer_.join();
  // The writer made everything durable and told the completer; let it run
  // the last callbacks, then stop.
  {
    std::lock_guard lock(waiters_mu_);
    completer_stopping_ = true;
  }
  wake_completer_.notify_one();
  if (completer_.joinable()) completer_.join();
  std::lock_guard lock(file_mu_);
  if (fd_ >= 0) ::close(fd_);
}

uint64_t Journal::Append(absl::Span<const absl::string_view> payloads) {
  uint64_t last;
  bool wake;
  {
    std::lock_guard lock(mu_);
    last = last_appended_.load(std::memory_order_relaxed);
    uint64_t frames = 0;
    for (absl::string_view payload : payloads) {
      if (payload.size() > options_.max_record_bytes) {
        // A caller skipped CheckRecordSize. Writing the record would make
        // the journal unrecoverable, and skipping it would leave a gap in
        // the sequences: fail instead (the writer sees refused_).
        if (refused_.ok()) {
          refused_ = absl::InternalError(absl::StrCat(
              "a record of ", payload.size(), " bytes, past the limit of ",
              options_.max_record_bytes, ", reached the journal unchecked; it was not written"));
        }
        ++last;
        ++frames;
        continue;
      }
      frames += AppendRecordFrames(payload, options_.fragment_bytes, &last, &pending_);
    }
    pending_count_ += frames;
    // Release inside the lock: sequences become visible in order.
    last_appended_.store(last, std::memory_order_release);
    wake = pending_count_ >= wake_writer_at_;
    // Counted before the writer can take these records (it takes them under
    // this lock): counted after, an appender delayed past a whole write
    // would let the writer subtract them first and wrap the count, and
    // Accepting would refuse check-ins for a moment.
    pending_records_.fetch_add(frames, std::memory_order_relaxed);
  }
  if (wake) wake_writer_.notify_one();
  return last;
}

bool Journal::Accepting(uint64_t records) const {
  return pending_records_.load(std::memory_order_relaxed) + records <=
         options_.max_pending_records;
}

absl::Status Journal::health() const {
  std::lock_guard lock(file_mu_);
  return failed_;
}

void Journal::WhenDurable(uint64_t sequence, DurableCallback done) {
  {
    std::lock_guard lock(waiters_mu_);
    // Both checked under waiters_mu_: the writer publishes durable_ and
    // failure before it takes this lock to wake the completer, so a waiter
    // pushed here is always seen by a later sweep.
    if (!failed_flag_.load(std::memory_order_acquire) &&
        sequence > durable_.load(std::memory_order_acquire)) {
      waiters_.push_back({sequence, std::move(done)});
      return;
    }
  }
  done(failed_flag_.load(std::memory_order_acquire) ? health() : absl::OkStatus());
}

void Journal::WriterLoop() {
  std::string batch;
  std::vector<Waiter> run_here;  // callbacks this thread runs itself
  uint64_t last_count = 0;                              // records in the last batch
  absl::Duration last_sync = absl::ZeroDuration();      // how long it took
  absl::Time last_start = absl::InfinitePast();        // when it began
  for (;;) {
    uint64_t last;
    uint64_t count;
    bool stopping;
    absl::Status refused;
    {
      std::unique_lock lock(mu_);
      wake_writer_at_ = 1;
      wake_writer_.wait(lock, [&] { return stopping_ || pending_count_ > 0; });
      // Gather: the callers of the last batch are still waking up and will
      // append again within microseconds. Syncing now would sync a fraction
      // of them and make the rest wait a whole extra fsync; waiting up to
      // one fsync's time (at most 1 ms) for as many records as last time
      // fills the batch. Under steady load this costs nothing (the batch is
      // already full); when load drops, one batch waits up to that long.
      if (!stopping_ && pending_count_ < last_count) {
        const absl::Duration gather =
            std::clamp(last_sync, absl::Microseconds(20), absl::Milliseconds(1));
        wake_writer_at_ = last_count;
        wake_writer_.wait_for(lock, absl::ToChronoMicroseconds(gather), [&] {
          return stopping_ || pending_count_ >= last_count;
        });
      }
      // Pace: the last batch was a big one, so records are streaming in;
      // syncing the moment the last sync ended would spend a sync's CPU on
      // whatever arrived meanwhile. Wait out the interval (or a full batch).
      if (!stopping_ && last_count >= kPaceFromRecords &&
          options_.min_sync_interval > absl::ZeroDuration()) {
        const absl::Duration wait = last_start + options_.min_sync_interval - absl::Now();
        if (wait > absl::ZeroDuration() && pending_count_ < kFullBatchRecords) {
          wake_writer_at_ = kFullBatchRecords;
          wake_writer_.wait_for(lock, absl::ToChronoMicroseconds(wait), [&] {
            return stopping_ || pending_count_ >= kFullBatchRecords;
          });
        }
      }
      last_start = absl::Now();
      wake_writer_at_ = UINT64_MAX;  // writing: the loop looks at pending_ again
      stopping = stopping_;
      refused = refused_;
      batch.clear();
      batch.swap(pending_);
      count = pending_count_;
      pending_count_ = 0;
      last = last_appended_.load(std::memory_order_relaxed);
    }
    if (count > 0) {
      const absl::Time sync_start = absl::Now();
      const absl::Status status = refused.ok() ? WriteBatch(batch, last) : Fail(refused);
      last_sync = absl::Now() - sync_start;
      writing_nanos_.fetch_add(absl::ToInt64Nanoseconds(last_sync), std::memory_order_relaxed);
      last_count = count;
      pending_records_.fetch_sub(count, std::memory_order_relaxed);
      if (status.ok()) durable_.store(last, std::memory_order_release);
      if (!status.ok()) failed_flag_.store(true, std::memory_order_release);
      // The completer runs the callbacks while this thread goes on to the
      // next write: waking many waiters costs as much as an fdatasync. This
      // thread runs them itself when there are only a few, or when nothing
      // was appended during this write, so there is no next write to go on
      // to: every producer is waiting on this batch, and handing off would
      // only add the completer's wake-up, and then this thread's, before the
      // callbacks' appends could be written.
      const bool more_to_write = pending_records_.load(std::memory_order_relaxed) > 0;
      bool hand_off;
      {
        std::lock_guard lock(waiters_mu_);
        hand_off = !status.ok() || (waiters_.size() > kInlineCallbacks && more_to_write);
        if (hand_off) {
          completion_pending_ = true;
        } else {
          TakeReadyLocked(last, &run_here);
        }
      }
      if (hand_off) wake_completer_.notify_one();
      for (Waiter& waiter : run_here) waiter.done(absl::OkStatus());
      run_here.clear();
    }
    if (stopping && count == 0) return;
    // Keep the buffer's capacity for the next batch, but not a huge one.
    if (batch.capacity() > (size_t{64} << 20)) std::string().swap(batch);
  }
}

absl::Status Journal::WriteBatch(const std::string& frames, uint64_t last_sequence) {
  std::lock_guard lock(file_mu_);
  if (!failed_.ok()) return failed_;
  const Segment& segment = segments_.back();
  absl::Status status = WriteAll(fd_, frames, segment.path);
  if (status.ok() && ::fdatasync(fd_) != 0) status = IoError("cannot sync", segment.path);
  if (status.ok()) {
    syncs_.fetch_add(1, std::memory_order_relaxed);
    segment_size_ += frames.size();
    if (segment_size_ >= options_.segment_bytes) status = StartSegment(last_sequence + 1);
  }
  if (!status.ok()) {
    // After a failed write or fsync the file's state is unknown (and Linux
    // may have dropped the dirty pages): stop, rather than acknowledge
    // anything more. A restart recovers what is on disk.
    failed_ = absl::UnavailableError(absl::StrCat(
        "the journal cannot write (", status.message(),
        "); the server takes no more changes until it is restarted with a working disk"));
    return failed_;
  }
  return absl::OkStatus();
}

absl::Status Journal::Fail(absl::Status why) {
  std::lock_guard lock(file_mu_);
  if (failed_.ok()) {
    failed_ = absl::UnavailableError(absl::StrCat(
        "the journal stopped (", why.message(),
        "); the server takes no more changes until it is restarted"));
  }
  return failed_;
}

void Journal::TakeReadyLocked(uint64_t durable_through, std::vector<Waiter>* ready) {
  // Keeps the order the waiters came in (the order their records were
  // appended, near enough): a stream's answers then complete in the order
  // it must send them, without parking early ones.
  size_t kept = 0;
  for (Waiter& waiter : waiters_) {
    if (waiter.sequence <= durable_through) {
      ready->push_back(std::move(waiter));
    } else {
      if (&waiters_[kept] != &waiter) waiters_[kept] = std::move(waiter);
      ++kept;
    }
  }
  waiters_.erase(waiters_.begin() + static_cast<ptrdiff_t>(kept), waiters_.end());
}

void Journal::CompleterLoop() {
  std::vector<Waiter> ready;
  std::unique_lock lock(waiters_mu_);
  for (;;) {
    wake_completer_.wait(lock, [&] { return completion_pending_ || completer_stopping_; });
    const bool stopping = completer_stopping_ && !completion_pending_;
    completion_pending_ = false;
    const bool failed = failed_flag_.load(std::memory_order_acquire);
    const uint64_t durable_through = durable_.load(std::memory_order_acquire);
    TakeReadyLocked(failed ? UINT64_MAX : durable_through, &ready);
    lock.unlock();
    const absl::Status status = failed ? health() : absl::OkStatus();
    for (Waiter& waiter : ready) waiter.done(status);
    ready.clear();
    lock.lock();
    if (stopping) return;
  }
}

absl::StatusOr<uint64_t> Journal::WriteSnapshot(
    const std::function<absl::Status(SnapshotSink&)>& produce) {
  std::lock_guard snapshot_lock(snapshot_mu_);
  const uint64_t covered = last_appended();
  const std::string final_path =
      (fs::path(options_.dir) / NumberedName(kSnapshotPrefix, covered, kSnapshotSuffix)).string();
  const std::string temp_path = final_path + ".tmp";
  const int fd = ::open(temp_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
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
