#include "services/log/logging.h"

#include <grpc/support/log.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/sinks/systemd_sink.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace swabwave::services::log {
namespace {

constexpr char kLevelNames[] = "trace, debug, info, warning, error, critical or off";

absl::StatusOr<spdlog::level::level_enum> ParseLevel(absl::string_view text,
                                                     absl::string_view source) {
  const std::string name = absl::AsciiStrToLower(text);
  if (name == "trace") return spdlog::level::trace;
  if (name == "debug") return spdlog::level::debug;
  if (name == "info") return spdlog::level::info;
  if (name == "warning" || name == "warn") return spdlog::level::warn;
  if (name == "error") return spdlog::level::err;
  if (name == "critical") return spdlog::level::critical;
  if (name == "off") return spdlog::level::off;
  return absl::InvalidArgumentError(
      absl::StrCat(source, " is \"", text, "\": give one of ", kLevelNames));
}

// gRPC's INFO lines describe its own machinery (its epoll descriptor, its
// pollers): an operator's info level is for the round, so they are debug.
spdlog::level::level_enum SpdlogLevel(gpr_log_severity severity) {
  switch (severity) {
    case GPR_LOG_SEVERITY_DEBUG:
      return spdlog::level::trace;
    case GPR_LOG_SEVERITY_INFO:
      return spdlog::level::debug;
    case GPR_LOG_SEVERITY_ERROR:
      return spdlog::level::err;
  }
  return spdlog::level::err;
}

// gRPC's lines keep their source place, which names gRPC's file, not ours.
void LogGrpcLine(gpr_log_func_args* args) {
  spdlog::default_logger_raw()->log(SpdlogLevel(args->severity), "grpc: {} ({}:{})",
                                    args->message, args->file, args->line);
}

// gRPC drops lines below its verbosity before formatting them; keep it at
// the logger's level so nothing is formatted to be thrown away.
gpr_log_severity GrpcVerbosity(spdlog::level::level_enum level) {
  if (level <= spdlog::level::trace) return GPR_LOG_SEVERITY_DEBUG;
  if (level <= spdlog::level::debug) return GPR_LOG_SEVERITY_INFO;
  return GPR_LOG_SEVERITY_ERROR;
}

}  // namespace

absl::StatusOr<spdlog::level::level_enum> LevelFrom(absl::string_view flag,
                                                    const char* environment) {
  if (!flag.empty()) return ParseLevel(flag, "--log_level");
  if (environment != nullptr && *environment != '\0') {
    return ParseLevel(environment, absl::StrCat("$", kLogLevelVariable));
  }
  return spdlog::level::info;
}

bool StderrIsJournal() {
  const char* stream = std::getenv("JOURNAL_STREAM");
  if (stream == nullptr) return false;
  const std::vector<absl::string_view> parts = absl::StrSplit(stream, ':');
  uint64_t device = 0;
  uint64_t inode = 0;
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &device) ||
      !absl::SimpleAtoi(parts[1], &inode)) {
    return false;
  }
  struct stat status;
  if (fstat(STDERR_FILENO, &status) != 0) return false;
  return static_cast<uint64_t>(status.st_dev) == device &&
         static_cast<uint64_t>(status.st_ino) == inode;
}

void StartLogging(const std::string& program, spdlog::level::level_enum level,
                  std::shared_ptr<spdlog::sinks::sink> sink) {
  std::shared_ptr<spdlog::logger> logger;
  if (sink != nullptr) {
    logger = std::make_shared<spdlog::logger>(program, std::move(sink));
    logger->set_pattern("[%l] %v");
  } else if (StderrIsJournal()) {
    // The journal stamps time, process and priority itself.
    logger = std::make_shared<spdlog::logger>(
        program, std::make_shared<spdlog::sinks::systemd_sink_mt>(program));
  } else {
    logger = std::make_shared<spdlog::logger>(program,
                                              std::make_shared<spdlog::sinks::stderr_sink_mt>());
    logger->set_pattern("[%Y-%m-%d %H:%M:%S.%e] [%l] %v");
  }
  logger->set_level(level);
  spdlog::set_default_logger(std::move(logger));
  gpr_set_log_verbosity(GrpcVerbosity(level));
  gpr_set_log_function(LogGrpcLine);
}

}  // namespace swabwave::services::log
