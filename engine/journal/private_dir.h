// The data directory holds resident codes, mobility and medical exemption
// flags (issue 25 item 5): only its owner may read it. Journal::Open makes
// it 0700 when it creates it and, as PostgreSQL does with a group- or
// world-readable PGDATA, refuses one that other users may enter, saying
// the command that fixes it. Files inside are created 0600.
//
// Thread-safety: free functions without shared state.
#ifndef SWABWAVE_ENGINE_JOURNAL_PRIVATE_DIR_H_
#define SWABWAVE_ENGINE_JOURNAL_PRIVATE_DIR_H_

#include <string>

#include "absl/status/status.h"

namespace swabwave::engine::journal {

// The mode of every file the journal writes.
inline constexpr int kPrivateFileMode = 0600;

// Creates `dir` 0700 if it does not exist (its missing parents with the
// usual mode), then checks it: FAILED_PRECONDITION when its group or
// others have any permission on it, when another user owns it (as
// PostgreSQL refuses a data directory with the wrong owner), or when it is
// not a directory; INTERNAL when it cannot be created or read.
absl::Status OpenPrivateDirectory(const std::string& dir);

}  // namespace swabwave::engine::journal

#endif  // SWABWAVE_ENGINE_JOURNAL_PRIVATE_DIR_H_
