// The journal directory's files: their names, whole writes, directory
// syncs, and read-only mappings for recovery. Nothing here knows what a
// record is (frame.h frames them; recovery.h and snapshot_file.h read them).
//
// Files in a data directory:
//   LOCK                                      held (flock) while a Journal is
//                                             open (dir_lock.h)
//   journal-<first sequence, 20 digits>.log   segments (frame.h), in order
//   snapshot-<covered sequence>.snap          snapshots (snapshot_file.h)
//
// Thread-safety: free functions are thread-safe; a MappedFile is read by
// one thread at a time (its read-ahead helper only touches pages).
#ifndef SWABWAVE_ENGINE_JOURNAL_SEGMENT_FILES_H_
#define SWABWAVE_ENGINE_JOURNAL_SEGMENT_FILES_H_

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace swabwave::engine::journal {

inline constexpr absl::string_view kSegmentPrefix = "journal-";
inline constexpr absl::string_view kSegmentSuffix = ".log";
inline constexpr absl::string_view kSnapshotPrefix = "snapshot-";
inline constexpr absl::string_view kSnapshotSuffix = ".snap";

// A segment file of the journal: the records from first_sequence on.
struct SegmentFile {
  uint64_t first_sequence = 0;
  std::string path;
};

// "<dir>/<prefix><number, 20 digits><suffix>".
std::string NumberedPath(const std::string& dir, absl::string_view prefix, uint64_t number,
                         absl::string_view suffix);
// The number in "<prefix><digits><suffix>", or false for other names.
bool ParseNumberedName(absl::string_view name, absl::string_view prefix, absl::string_view suffix,
                       uint64_t* number);

// INTERNAL: "<what> <path>: <errno's text>".
absl::Status IoError(absl::string_view what, const std::string& path);
// Writes all of `data` (retrying short writes); INTERNAL naming `path`.
absl::Status WriteAll(int fd, absl::string_view data, const std::string& path);
// A new file's name is durable only once its directory is synced.
absl::Status SyncDirectory(const std::string& dir);

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
  // second thread, and is unmapped there. INTERNAL naming the file when it
  // cannot be opened or mapped.
  static absl::StatusOr<std::unique_ptr<MappedFile>> Open(const std::string& path,
                                                          uint64_t read_ahead_bytes);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
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
  static void TouchThenUnmap(const char* data, size_t size, std::shared_ptr<Release> release);

  const char* data_ = nullptr;
  size_t size_ = 0;
  std::shared_ptr<Release> released_;  // null: no helper, unmapped here
};

}  // namespace swabwave::engine::journal

#endif  // SWABWAVE_ENGINE_JOURNAL_SEGMENT_FILES_H_
