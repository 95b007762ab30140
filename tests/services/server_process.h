// ServerProcess: one real swabwaved child process on loopback ports it
// picks itself (--listen=127.0.0.1:0, --port_file), for the tests that
// need a whole process: kill -9, two servers on one directory, descriptor
// limits. Its output goes to a log file in the test's work directory.
//
// Example:
//   ServerProcess server(SWABWAVED_PATH, {"--data_dir=" + dir, "--auth=none"}, log_path);
//   const int port = server.WaitForPort();
//   ...
//   EXPECT_EQ(server.Stop(), 0);
//
// Thread-safety: one thread.
#ifndef SWABWAVE_TESTS_SERVICES_SERVER_PROCESS_H_
#define SWABWAVE_TESTS_SERVICES_SERVER_PROCESS_H_

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace swabwave::services::testing {

// An empty directory "<TempDir>/<prefix>-<pid>" for a test's server
// processes (their data directory, logs and port files).
inline std::string FreshWorkDir(const std::string& prefix) {
  const std::string dir =
      (std::filesystem::path(::testing::TempDir()) / (prefix + "-" + std::to_string(getpid())))
          .string();
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

struct ServerProcessOptions {
  // Soft and hard RLIMIT_NOFILE of the child; 0 leaves the test's own.
  rlim_t open_files = 0;
  // NAME=value pairs added to the child's environment (LD_PRELOAD, ...).
  std::vector<std::string> environment;
};

class ServerProcess {
 public:
  // Starts `binary` with `flags` plus --listen=127.0.0.1:0 and a port file
  // next to `log` (unless `flags` name their own --listen).
  ServerProcess(const std::string& binary, std::vector<std::string> flags, const std::string& log,
                ServerProcessOptions options = {})
      : port_file_(log + ".ports"), log_(log) {
    ::unlink(port_file_.c_str());
    flags.insert(flags.begin(), "--port_file=" + port_file_);
    bool listen = false;
    for (const std::string& flag : flags) listen |= flag.rfind("--listen=", 0) == 0;
    if (!listen) flags.insert(flags.begin(), "--listen=127.0.0.1:0");
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(binary.c_str()));
    for (std::string& flag : flags) argv.push_back(flag.data());
    argv.push_back(nullptr);
    pid_ = ::fork();
    if (pid_ == 0) {
      const int out = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      ::dup2(out, 1);
      ::dup2(out, 2);
      if (options.open_files > 0) {
        const rlimit limit{options.open_files, options.open_files};
        ::setrlimit(RLIMIT_NOFILE, &limit);
      }
      for (std::string& variable : options.environment) ::putenv(variable.data());
      ::execv(binary.c_str(), argv.data());
      _exit(127);
    }
  }
  ~ServerProcess() {
    if (pid_ > 0) Kill();
  }
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  // The gRPC port once listening (recovery done), or 0 after `timeout` or
  // if the process died (exit_code() then says how).
  int WaitForPort(absl::Duration timeout = absl::Seconds(60)) {
    const absl::Time deadline = absl::Now() + timeout;
    while (absl::Now() < deadline) {
      std::ifstream in(port_file_);
      if (in >> grpc_port_ >> http_port_ && grpc_port_ > 0) return grpc_port_;
      if (Exited()) return 0;
      absl::SleepFor(absl::Milliseconds(20));
    }
    return 0;
  }
  int http_port() const { return http_port_; }
  pid_t pid() const { return pid_; }

  // Whether the process has exited (reaping it); exit_code() is then set.
  bool Exited() {
    if (pid_ <= 0) return true;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) != pid_) return false;
    pid_ = -1;
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return true;
  }
  // Waits up to `timeout` for the process to exit by itself; its exit
  // code, or -2 if it is still running.
  int WaitForExit(absl::Duration timeout) {
    const absl::Time deadline = absl::Now() + timeout;
    while (absl::Now() < deadline) {
      if (Exited()) return exit_code_;
      absl::SleepFor(absl::Milliseconds(20));
    }
    return -2;
  }
  int exit_code() const { return exit_code_; }

  void Kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    int status;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }

  // SIGTERM: a graceful stop must exit 0.
  int Stop() {
    if (pid_ <= 0) return exit_code_;
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return exit_code_;
  }

  std::string Log() const {
    std::ifstream in(log_);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }

 private:
  std::string port_file_;
  std::string log_;
  pid_t pid_ = -1;
  int grpc_port_ = 0;
  int http_port_ = 0;
  int exit_code_ = -1;
};

}  // namespace swabwave::services::testing

#endif  // SWABWAVE_TESTS_SERVICES_SERVER_PROCESS_H_
