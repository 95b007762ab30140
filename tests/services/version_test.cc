// What an operations team reads first (issue 26): every tool's --version
// names the version and the source revision, and /metrics carries the
// process metrics every exporter has and the build's version.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "swabwave/version.h"
#include "tests/services/test_server.h"

namespace swabwave::services {
namespace {

using ::testing::ContainsRegex;
using ::testing::HasSubstr;

// The tool's output and exit status.
std::pair<std::string, int> RunTool(const std::string& command) {
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  std::string out;
  char buffer[256];
  while (pipe != nullptr && std::fgets(buffer, sizeof(buffer), pipe) != nullptr) out += buffer;
  const int status = pipe == nullptr ? -1 : ::pclose(pipe);
  return {out, status};
}

TEST(VersionTest, EveryToolSaysItsVersionAndRevision) {
  for (const std::string& tool : {std::string(SWABWAVED_PATH), std::string(SWABWAVE_PATH),
                                  std::string(SWABWAVE_REPLAY_PATH)}) {
    const auto [out, status] = RunTool(tool + " --version");
    EXPECT_EQ(status, 0) << tool;
    EXPECT_THAT(out, HasSubstr(absl::StrCat(" ", kVersion, " (revision ", kRevision, ")")))
        << tool;
  }
  EXPECT_THAT(std::string(kRevision), ContainsRegex("^([0-9a-f]{12}(-modified)?|unknown)$"));
}

using MetricsTest = testing::ServerTest;

TEST_F(MetricsTest, MetricsCarryTheProcessAndTheBuild) {
  const std::string metrics = testing::HttpGet(server_->http_port(), "/metrics").body;
  for (const char* family :
       {"process_cpu_seconds_total", "process_resident_memory_bytes", "process_open_fds",
        "process_max_fds", "process_start_time_seconds", "process_virtual_memory_bytes"}) {
    EXPECT_THAT(metrics, HasSubstr(absl::StrCat("# TYPE ", family, " "))) << family;
  }
  EXPECT_THAT(metrics, ContainsRegex("process_resident_memory_bytes [1-9][0-9]{5,}\n"));
  EXPECT_THAT(metrics, ContainsRegex("process_open_fds [1-9][0-9]*\n"));
  // Started within the last day, by the clock.
  EXPECT_THAT(metrics, ContainsRegex("process_start_time_seconds 1[7-9][0-9]{8}\\.[0-9]+\n"));
  EXPECT_THAT(metrics, HasSubstr(absl::StrCat("swabwave_build_info{version=\"", kVersion,
                                              "\",revision=\"", kRevision, "\"} 1\n")));
}

}  // namespace
}  // namespace swabwave::services
