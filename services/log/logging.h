// Where swabwaved's log lines go, and from what level.
//
// Under systemd, stderr is a stream to journald; each line then goes to the
// journal as its own entry with its syslog priority (sd_journal_send), so
// `journalctl -u swabwaved -p warning` shows the warnings and worse. From a
// terminal or a test, lines go to stderr with their level spelled out.
// gRPC's own log lines (gpr_log) are routed through the same logger, so one
// --log_level governs both: its errors as errors, its INFO lines (its own
// machinery) as debug, its DEBUG lines as trace.
//
// Example:
//   absl::StatusOr<spdlog::level::level_enum> level =
//       log::LevelFrom(absl::GetFlag(FLAGS_log_level), std::getenv("SWABWAVE_LOG_LEVEL"));
//   if (!level.ok()) ...;
//   log::StartLogging("swabwaved", *level);
//
// Thread-safety: call StartLogging once, in main, before any thread logs.
#ifndef SWABWAVE_SERVICES_LOG_LOGGING_H_
#define SWABWAVE_SERVICES_LOG_LOGGING_H_

#include <spdlog/common.h>
#include <spdlog/sinks/sink.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace swabwave::services::log {

// The environment variable that sets the level when --log_level is empty.
inline constexpr char kLogLevelVariable[] = "SWABWAVE_LOG_LEVEL";

// The level named by `flag`, or by `environment` (may be null) when the
// flag is empty, or info when both are. Names: trace, debug, info, warning
// (or warn), error, critical, off. INVALID_ARGUMENT names the bad value,
// where it came from, and the names allowed.
[[nodiscard]] absl::StatusOr<spdlog::level::level_enum> LevelFrom(absl::string_view flag,
                                                                  const char* environment);

// Whether stderr is the journal stream systemd connected (the documented
// test: $JOURNAL_STREAM names stderr's device and inode).
bool StderrIsJournal();

// Sets spdlog's default logger: into `sink` when given (tests), else the
// journal when StderrIsJournal(), else stderr; lines below `level` are
// dropped. Routes gRPC's log lines through it, and tells gRPC to drop what
// the level would.
void StartLogging(const std::string& program, spdlog::level::level_enum level,
                  std::shared_ptr<spdlog::sinks::sink> sink = nullptr);

}  // namespace swabwave::services::log

#endif  // SWABWAVE_SERVICES_LOG_LOGGING_H_
