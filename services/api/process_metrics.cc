#include "services/api/process_metrics.h"

#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "swabwave/version.h"

namespace swabwave::services {
namespace {

// The process's start, in seconds since the epoch: /proc/self/stat's start
// (clock ticks after boot) plus /proc/stat's boot time; 0 if unreadable.
double StartTimeSeconds() {
  std::ifstream stat("/proc/self/stat");
  std::string line;
  std::getline(stat, line);
  // Fields after the command name, which may hold spaces: from the last ')'.
  const size_t close = line.rfind(')');
  if (close == std::string::npos) return 0;
  const std::vector<std::string> fields =
      absl::StrSplit(line.substr(close + 2), ' ', absl::SkipEmpty());
  // starttime is field 22 of the whole line, 20 after the state (field 3).
  if (fields.size() < 20) return 0;
  double ticks = 0;
  if (!absl::SimpleAtod(fields[19], &ticks)) return 0;
  std::ifstream boot("/proc/stat");
  std::string key;
  double boot_time = 0;
  while (boot >> key) {
    if (key == "btime") {
      boot >> boot_time;
      break;
    }
    std::getline(boot, line);
  }
  return boot_time + ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

}  // namespace

void RenderProcessMetrics(std::string& out) {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const double cpu = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                     static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
  long pages = 0, resident = 0;
  std::ifstream("/proc/self/statm") >> pages >> resident;
  const long page = sysconf(_SC_PAGESIZE);
  int64_t fds = 0;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    ++fds;
  }
  rlimit limit{};
  getrlimit(RLIMIT_NOFILE, &limit);
  absl::StrAppendFormat(
      &out,
      "# HELP process_cpu_seconds_total User and system CPU time spent, in seconds.\n"
      "# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total %.3f\n"
      "# HELP process_resident_memory_bytes Resident memory size, in bytes.\n"
      "# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes %d\n"
      "# HELP process_virtual_memory_bytes Virtual memory size, in bytes.\n"
      "# TYPE process_virtual_memory_bytes gauge\nprocess_virtual_memory_bytes %d\n"
      "# HELP process_open_fds Open file descriptors.\n"
      "# TYPE process_open_fds gauge\nprocess_open_fds %d\n"
      "# HELP process_max_fds The most file descriptors the process may open.\n"
      "# TYPE process_max_fds gauge\nprocess_max_fds %d\n"
      "# HELP process_start_time_seconds Start of the process since the epoch, in seconds.\n"
      "# TYPE process_start_time_seconds gauge\nprocess_start_time_seconds %.2f\n"
      "# HELP swabwave_build_info The version and source revision running (always 1).\n"
      "# TYPE swabwave_build_info gauge\n"
      "swabwave_build_info{version=\"%s\",revision=\"%s\"} 1\n",
      cpu, static_cast<int64_t>(resident) * page, static_cast<int64_t>(pages) * page,
      fds - 1,  // the directory iterator's own descriptor
      static_cast<int64_t>(limit.rlim_cur), StartTimeSeconds(), kVersion, kRevision);
}

}  // namespace swabwave::services
