// A real past day as a day trace: the check-ins of one round, read from a
// server's journal directory (engine/journal), in the order they were
// scanned, at the desks where they were taken. The capacity team replays
// it against a test server (`swabwave-replay export`, then `play`).
//
// The journal is copied to a scratch directory and recovered there, so a
// running server's files are never touched (recovery truncates a torn
// tail and starts a new segment). Request ids are new ("j-<n>"): the
// journal keeps only their hashes.
//
// Thread-safety: a plain function.
#ifndef SWABWAVE_SERVICES_REPLAY_JOURNAL_EXPORT_H_
#define SWABWAVE_SERVICES_REPLAY_JOURNAL_EXPORT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/replay/day_trace.h"

namespace swabwave::services {

// NOT_FOUND for a round the journal does not hold; the journal's own
// errors (DATA_LOSS for damage) as they are.
[[nodiscard]] absl::StatusOr<std::vector<TraceRow>> ExportDay(const std::string& data_dir,
                                                             const std::string& round_id);

}  // namespace swabwave::services

#endif  // SWABWAVE_SERVICES_REPLAY_JOURNAL_EXPORT_H_
