// Recovery of a journal directory (journal.h): replays the newest snapshot,
// then every segment record after it, verifying every frame.
//
// A torn tail of the last segment is truncated (and reported), and so are
// the fragments of a record whose last fragment is missing there (it was
// never durable, so never acknowledged). A bad frame anywhere else, a
// sequence gap or a missing segment is DATA_LOSS naming the file and
// offset: the operator decides, the server does not guess. A snapshot is
// checked as snapshot_file.h says.
//
// Thread-safety: one recovery per directory at a time (the caller holds
// its DirectoryLock).
#ifndef SWABWAVE_ENGINE_JOURNAL_RECOVERY_H_
#define SWABWAVE_ENGINE_JOURNAL_RECOVERY_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "engine/journal/segment_files.h"
#include "engine/journal/store.h"

namespace swabwave::engine::journal {

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

// What recovery leaves for the journal to append after.
struct RecoveredFiles {
  std::vector<SegmentFile> segments;  // in sequence order, torn tail cut
  uint64_t last_sequence = 0;         // of the last record recovered
};

// Recovers the journal in `dir` through `replay`, truncating a torn tail,
// and fills `report`. Snapshots of at least `read_ahead_bytes` are read
// with a read-ahead helper (segment_files.h MappedFile). DATA_LOSS as the
// header says; INTERNAL for I/O errors; errors from `replay` pass through.
[[nodiscard]] absl::StatusOr<RecoveredFiles> RecoverDirectory(const std::string& dir,
                                                              uint64_t read_ahead_bytes,
                                                              const ReplayFn& replay,
                                                              RecoveryReport* report);

}  // namespace swabwave::engine::journal

#endif  // SWABWAVE_ENGINE_JOURNAL_RECOVERY_H_
