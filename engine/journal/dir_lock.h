// DirectoryLock: one process owns a data directory at a time (DESIGN.md
// invariant 3). Two servers appending to one journal would interleave
// their frames and corrupt it, so Journal::Open takes this lock before it
// reads anything and holds it for the journal's life.
//
// The lock is a flock(2) on the directory's LOCK file, as LevelDB's LOCK,
// RocksDB's and PostgreSQL's postmaster.pid do: the kernel releases it when
// the holder exits, kill -9 included, so no stale lock survives a crash.
// The holder writes its PID into the file so that a refused process can name
// it. flock locks belong to an open file description: a second Acquire of
// the same directory is refused even within one process.
//
// Thread-safety: Acquire may be called from any thread; a DirectoryLock is
// released by its destructor.
#ifndef SWABWAVE_ENGINE_JOURNAL_DIR_LOCK_H_
#define SWABWAVE_ENGINE_JOURNAL_DIR_LOCK_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace swabwave::engine::journal {

class DirectoryLock {
 public:
  // Locks `dir` (which must exist). FAILED_PRECONDITION naming the holder's
  // PID when another open holds it; INTERNAL for I/O errors.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<DirectoryLock>> Acquire(
      const std::string& dir);
  ~DirectoryLock();
  DirectoryLock(const DirectoryLock&) = delete;
  DirectoryLock& operator=(const DirectoryLock&) = delete;

  // The LOCK file's name inside a data directory.
  static constexpr const char* kFileName = "LOCK";

 private:
  explicit DirectoryLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace swabwave::engine::journal

#endif  // SWABWAVE_ENGINE_JOURNAL_DIR_LOCK_H_
