// What every CLI subcommand shares: reporting a failed call and naming a
// round.
//
// Thread-safety: pure functions.
#ifndef SWABWAVE_SERVICES_SWABWAVE_COMMAND_SUPPORT_H_
#define SWABWAVE_SERVICES_SWABWAVE_COMMAND_SUPPORT_H_

#include <grpcpp/grpcpp.h>

#include <iostream>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "engine/io/csv.h"
#include "services/api/resource_names.h"

namespace swabwave::services::cli {

// Prints why `what` failed; exit code 3 when the server is unreachable
// (scripts retry those), 1 otherwise.
inline int Fail(const grpc::Status& status, absl::string_view what) {
  std::cerr << "swabwave: " << what << " failed: " << status.error_message() << " (code "
            << status.error_code() << ")\n";
  return status.error_code() == grpc::StatusCode::UNAVAILABLE ? 3 : 1;
}

inline int Fail(const absl::Status& status, absl::string_view what) {
  std::cerr << "swabwave: " << what << " failed: " << status.message() << "\n";
  return 1;
}

// Writes an export (a CSV of residents, units or staff) owner-only (0600)
// and whole; 0, or 1 after saying why it could not.
inline int WriteExport(absl::string_view command, const std::string& path,
                       const std::string& text) {
  if (absl::Status s = engine::WriteFileAtomically(path, text); !s.ok()) {
    std::cerr << "swabwave " << command << ": cannot write " << path << ": " << s.message()
              << "\n";
    return 1;
  }
  return 0;
}

// "R" or "rounds/R" on the command line; "rounds/R" on the wire.
inline std::string RoundArg(const std::string& round) {
  return round.rfind("rounds/", 0) == 0 ? round : RoundName(round);
}

}  // namespace swabwave::services::cli

#endif  // SWABWAVE_SERVICES_SWABWAVE_COMMAND_SUPPORT_H_
