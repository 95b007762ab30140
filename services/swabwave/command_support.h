// What every CLI subcommand shares: reporting a failed call, naming a
// round, and showing its times in its community's zone.
//
// Thread-safety: pure functions.
#ifndef SWABWAVE_SERVICES_SWABWAVE_COMMAND_SUPPORT_H_
#define SWABWAVE_SERVICES_SWABWAVE_COMMAND_SUPPORT_H_

#include <grpcpp/grpcpp.h>

#include <iostream>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "engine/io/csv.h"
#include "engine/model/local_time.h"
#include "services/api/resource_names.h"
#include "services/swabwave/client.h"

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

// The round (GetRound), for its time zone and the like.
inline grpc::Status FetchRound(Client& client, const std::string& round, v1::Round* out) {
  v1::GetRoundRequest request;
  request.set_round(RoundArg(round));
  v1::GetRoundResponse response;
  const grpc::Status status = Client::Call([&](grpc::ClientContext& context) {
    return client.planning().GetRound(&context, request, &response);
  });
  if (status.ok()) *out = response.round();
  return status;
}

// Where people read the round's times (engine/model/local_time.h); a
// server from before zones sends none: UTC.
inline absl::TimeZone RoundZone(const v1::Round& round) {
  return engine::ZoneFor(round.time_zone(), 0);
}

// "2026-12-06 07:00" in `zone`.
inline std::string LocalClock(absl::Time t, absl::TimeZone zone) {
  return absl::FormatTime("%Y-%m-%d %H:%M", t, zone);
}

}  // namespace swabwave::services::cli

#endif  // SWABWAVE_SERVICES_SWABWAVE_COMMAND_SUPPORT_H_
