// Snapshot files: the state as of a sequence, as records in the segments'
// framing (frame.h) under a segment header numbered 1.
//
//   snapshot = segment header | count frame | record frame*
//   count    = "\0SWBWSNAP" | version (u32) | frames that follow (u64)
//
// The count frame says how many frames follow it, so that a snapshot cut
// short at a frame boundary (which scans clean) is still found out. It
// starts with a zero byte, which no record does (records.h TypeOf):
// snapshots written before it existed have no count and load as they did.
// Records past the fragment size go in as fragments (fragments.h), as in
// segments; the count is of frames.
//
// Thread-safety: a FileSnapshotSink is used by one thread; the functions
// are thread-safe.
#ifndef SWABWAVE_ENGINE_JOURNAL_SNAPSHOT_FILE_H_
#define SWABWAVE_ENGINE_JOURNAL_SNAPSHOT_FILE_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "engine/journal/store.h"

namespace swabwave::engine::journal {

// Writes a snapshot's frames to an open file as they come: the count frame
// first (with a count of zero), rewritten with the real count by Finish.
// Does not sync or close the file (its owner decides when it is durable).
class FileSnapshotSink final : public SnapshotSink {
 public:
  FileSnapshotSink(int fd, std::string path, uint64_t fragment_bytes, uint64_t max_record_bytes);
  // RESOURCE_EXHAUSTED for a record past max_record_bytes; INTERNAL naming
  // the file when a write fails.
  absl::Status Add(absl::string_view payload) override;
  // Writes what is buffered, then the count frame again with the real
  // count (the same size: fixed-width fields).
  absl::Status Finish();

 private:
  absl::Status Flush();

  const int fd_;
  const std::string path_;
  const uint64_t fragment_bytes_;
  const uint64_t max_record_bytes_;
  std::string buffer_;
  uint64_t sequence_ = 0;
};

// Replays every record of the snapshot at `path` through `replay` and
// returns how many there were. The file is mapped, its pages touched ahead
// of the scan when it is at least `read_ahead_bytes` (segment_files.h).
// DATA_LOSS naming the file and offset for any bad frame, fewer frames than
// the count announces, a record cut short inside its fragments, no records
// at all, or a record `replay` refuses; INTERNAL for I/O errors.
[[nodiscard]] absl::StatusOr<uint64_t> ReplaySnapshotFile(const std::string& path,
                                                          uint64_t read_ahead_bytes,
                                                          const ReplayFn& replay);

}  // namespace swabwave::engine::journal

#endif  // SWABWAVE_ENGINE_JOURNAL_SNAPSHOT_FILE_H_
