// Log levels from --log_level and $SWABWAVE_LOG_LEVEL, the journal test on
// stderr, and gRPC's own lines through the same logger (issue 26).
#include "services/log/logging.h"

#include <grpc/support/log.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace swabwave::services::log {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(LogLevelTest, TheFlagWinsOverTheEnvironmentWhichWinsOverInfo) {
  EXPECT_EQ(*LevelFrom("debug", "error"), spdlog::level::debug);
  EXPECT_EQ(*LevelFrom("", "error"), spdlog::level::err);
  EXPECT_EQ(*LevelFrom("", ""), spdlog::level::info);
  EXPECT_EQ(*LevelFrom("", nullptr), spdlog::level::info);
  EXPECT_EQ(*LevelFrom("WARNING", nullptr), spdlog::level::warn);
  EXPECT_EQ(*LevelFrom("warn", nullptr), spdlog::level::warn);
  EXPECT_EQ(*LevelFrom("off", nullptr), spdlog::level::off);
}

TEST(LogLevelTest, ABadLevelNamesWhereItCameFromAndTheLevelsAllowed) {
  const auto from_flag = LevelFrom("verbose", nullptr);
  ASSERT_FALSE(from_flag.ok());
  EXPECT_EQ(from_flag.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(from_flag.status().message(), HasSubstr("--log_level is \"verbose\""));
  EXPECT_THAT(from_flag.status().message(), HasSubstr("warning"));
  const auto from_environment = LevelFrom("", "loud");
  ASSERT_FALSE(from_environment.ok());
  EXPECT_THAT(from_environment.status().message(), HasSubstr("$SWABWAVE_LOG_LEVEL is \"loud\""));
}

TEST(JournalTest, StderrIsTheJournalOnlyWhenJournalStreamNamesIt) {
  struct stat status;
  ASSERT_EQ(fstat(STDERR_FILENO, &status), 0);
  const std::string mine = absl::StrCat(status.st_dev, ":", status.st_ino);
  ::unsetenv("JOURNAL_STREAM");
  EXPECT_FALSE(StderrIsJournal());
  ::setenv("JOURNAL_STREAM", mine.c_str(), 1);
  EXPECT_TRUE(StderrIsJournal());
  // A child of a service whose stderr was redirected inherits the variable.
  ::setenv("JOURNAL_STREAM", absl::StrCat(status.st_dev, ":", status.st_ino + 1).c_str(), 1);
  EXPECT_FALSE(StderrIsJournal());
  ::setenv("JOURNAL_STREAM", "garbage", 1);
  EXPECT_FALSE(StderrIsJournal());
  ::unsetenv("JOURNAL_STREAM");
}

TEST(GrpcLogTest, GrpcLinesGoThroughTheSameLoggerAtItsLevel) {
  std::ostringstream lines;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(lines);
  StartLogging("logging_test", spdlog::level::info, sink);
  gpr_log(__FILE__, __LINE__, GPR_LOG_SEVERITY_ERROR, "an error of gRPC's %d", 7);
  gpr_log(__FILE__, __LINE__, GPR_LOG_SEVERITY_INFO, "gRPC's machinery");
  spdlog::info("ours");
  spdlog::debug("our detail");
  EXPECT_THAT(lines.str(), HasSubstr("[error] grpc: an error of gRPC's 7"));
  EXPECT_THAT(lines.str(), HasSubstr("[info] ours"));
  EXPECT_THAT(lines.str(), Not(HasSubstr("machinery")));
  EXPECT_THAT(lines.str(), Not(HasSubstr("our detail")));

  lines.str("");
  StartLogging("logging_test", spdlog::level::debug, sink);
  gpr_log(__FILE__, __LINE__, GPR_LOG_SEVERITY_INFO, "gRPC's machinery");
  gpr_log(__FILE__, __LINE__, GPR_LOG_SEVERITY_DEBUG, "gRPC's fine print");
  EXPECT_THAT(lines.str(), HasSubstr("[debug] grpc: gRPC's machinery"));
  EXPECT_THAT(lines.str(), Not(HasSubstr("fine print")));

  // Back to a logger on stderr, so later tests do not write into `lines`.
  StartLogging("logging_test", spdlog::level::info);
}

}  // namespace
}  // namespace swabwave::services::log
