// swabwaved: the swabwave server. Serves the gRPC API (planning, check-in,
// progress, health, reflection) and an HTTP side port with /healthz and
// /metrics. Every change is journaled in --data_dir (engine/journal) and
// acknowledged only once durable; a restart replays it. SIGTERM or SIGINT
// drains the server gracefully, writes a snapshot and exits 0. Every call
// needs a bearer token from --tokens_file (re-read on SIGHUP); TLS with
// --tls_cert and --tls_key.
#include <signal.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/str_cat.h"
#include "absl/flags/usage.h"
#include "absl/synchronization/mutex.h"
#include "services/api/server.h"
#include "services/log/logging.h"
#include "services/net/descriptor_limit.h"
#include "services/swabwaved/flag_file.h"
#include "services/swabwaved/service_manager.h"
#include "swabwave/version.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:50051",
          "gRPC listen address, host:port (port 0 picks a free port)");
ABSL_FLAG(std::string, http_listen, "127.0.0.1:9090",
          "HTTP side port for /healthz and /metrics; empty to turn off");
ABSL_FLAG(int, threads, 2,
          "threads for the server's own slow work: finishing imports, indexing and planning "
          "rounds (gRPC runs its callbacks on its own pool, sized to the machine)");
ABSL_FLAG(absl::Duration, shutdown_grace, absl::Seconds(10),
          "how long calls in flight may take to finish after SIGTERM/SIGINT");
ABSL_FLAG(std::string, data_dir, "",
          "directory of the embedded journal (created if missing); every change is written and "
          "fsynced there before it is acknowledged, and replayed from there on start");
ABSL_FLAG(std::string, durability, "journal",
          "\"journal\" (the default: needs --data_dir) or \"none\" (keep nothing on disk; for "
          "measuring what durability costs, never for a real round)");
ABSL_FLAG(uint64_t, snapshot_every, 5'000'000,
          "write a snapshot after this many journal records (and at shutdown), bounding the "
          "time a restart takes");
ABSL_FLAG(absl::Duration, sync_interval, absl::Milliseconds(2),
          "under streaming load, the least time between two journal syncs (group commit: each "
          "sync costs CPU whatever it carries); small batches are never held; 0: back to back, "
          "at most 100ms");
ABSL_FLAG(std::string, tokens_file, "",
          "bearer tokens and their roles (command, tablet, lab), one per line by SHA-256; "
          "`swabwave new-token` makes one. Re-read on SIGHUP. Required unless --auth=none");
ABSL_FLAG(std::string, auth, "tokens",
          "\"tokens\" (the default: every call needs a bearer token from --tokens_file) or "
          "\"none\" (anyone may do anything; only on a closed network, for tests)");
ABSL_FLAG(double, token_rate, 200,
          "requests per second each token may make (bursts of twice that) where its line in "
          "the tokens file sets no rate=; 0 for no limit");
ABSL_FLAG(std::string, tls_cert, "", "PEM certificate chain: serve gRPC over TLS (with --tls_key)");
ABSL_FLAG(std::string, tls_key, "", "PEM private key of --tls_cert");
ABSL_FLAG(std::string, tls_client_ca, "",
          "PEM CA certificates: with it, clients must present a certificate it signed (mutual "
          "TLS)");
ABSL_FLAG(bool, insecure, false,
          "allow plaintext off loopback: gRPC without --tls_cert, or the HTTP port (which has no "
          "TLS), on an address other than 127.0.0.1 / [::1]; tokens and resident codes then "
          "cross the network in clear. Without it such a server refuses to start");
ABSL_FLAG(int, max_imports_per_token, 2,
          "community imports one token may stream at once (more are RESOURCE_EXHAUSTED); 0: no "
          "cap");
ABSL_FLAG(int, max_watches_per_token, 16,
          "WatchProgress streams one token may hold open at once; 0: no cap");
ABSL_FLAG(int64_t, max_grpc_memory_bytes, int64_t{4} << 30,
          "memory gRPC may hold for all connections and requests being read (a ResourceQuota); "
          "past it the server stops reading instead of growing");
ABSL_FLAG(int, max_message_bytes, 16 * 1024 * 1024,
          "largest request message the server reads, for every method (an import chunk of "
          "20,000 entities, as the swabwave tools send them, is at most 8.4 MB)");
ABSL_FLAG(uint64_t, max_import_entities, 50'000'000,
          "most entities (compounds, buildings, units, households, residents, sites, staff) one "
          "community import may carry");
ABSL_FLAG(uint64_t, max_grpc_connections, 0,
          "most connections the gRPC port holds at once (more are closed as they come); 0: "
          "8192, or fewer so that both ports leave 64 of the process's descriptors free");
ABSL_FLAG(uint64_t, max_http_connections, 0,
          "most connections the HTTP port holds at once; 0: 256, or fewer to fit the process's "
          "descriptors as --max_grpc_connections");
ABSL_FLAG(absl::Duration, rehearsal_clock_shift, absl::ZeroDuration(),
          "a rehearsal only: rounds run by the wall clock shifted this far (e.g. 13h25m), so "
          "tomorrow's 07:00 round takes check-ins today; logged as a warning. Never in a real "
          "round");
ABSL_FLAG(std::string, log_level, "",
          "least level logged: trace, debug, info, warning, error, critical or off (default: "
          "$SWABWAVE_LOG_LEVEL, else info); gRPC's own lines follow it too");
ABSL_FLAG(bool, print_flag_file, false,
          "print a flag file (for --flagfile) with every flag, its help and its default, the "
          "flags given with this one set, and exit; the package's /etc/swabwave/swabwaved.flags "
          "is written so");
ABSL_FLAG(std::string, port_file, "",
          "if set, write the bound gRPC and HTTP ports here (\"grpc http\") once listening");

int main(int argc, char** argv) {
  // --version: the version and the source revision built (cmake/Version.cmake).
  absl::FlagsUsageConfig usage_config;
  usage_config.version_string = [] {
    return absl::StrCat("swabwaved ", swabwave::kVersion, " (revision ", swabwave::kRevision,
                        ")\n");
  };
  absl::SetFlagsUsageConfig(usage_config);
  absl::SetProgramUsageMessage("swabwaved: the swabwave mass-testing server");
  absl::ParseCommandLine(argc, argv);
  if (absl::GetFlag(FLAGS_print_flag_file)) {
    std::fputs(swabwave::services::DocumentedFlagFile(
                   absl::StrCat("swabwaved's flags, read with --flagfile: one --name=value a "
                                "line; a line that starts with '#' is a comment. "
                                "Every flag is here with its help and its default. Uncomment a "
                                "line to set it; the settings below are the package's.\n"
                                "Written by `swabwaved --print_flag_file` (swabwaved ",
                                swabwave::kVersion, ")."),
                   "swabwaved/main.cc", "print_flag_file")
                   .c_str(),
               stdout);
    return EXIT_SUCCESS;
  }
  namespace log = swabwave::services::log;
  const absl::StatusOr<spdlog::level::level_enum> log_level =
      log::LevelFrom(absl::GetFlag(FLAGS_log_level), std::getenv(log::kLogLevelVariable));
  if (!log_level.ok()) {
    fprintf(stderr, "swabwaved: %s\n", std::string(log_level.status().message()).c_str());
    return EXIT_FAILURE;
  }
  log::StartLogging("swabwaved", *log_level);
  // Debian's Abseil is built with mutex deadlock detection on: it keeps a
  // graph of every lock order, which a server creating a mutex per stream
  // pays for on every call (1.7% of the profile). The tests keep it.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);

  // Block the signals in every thread; this thread waits for them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  swabwave::services::ServerOptions options;
  options.listen = absl::GetFlag(FLAGS_listen);
  options.http_listen = absl::GetFlag(FLAGS_http_listen);
  options.slow_path_threads = absl::GetFlag(FLAGS_threads);
  if (options.slow_path_threads < 1 || options.slow_path_threads > 256) {
    spdlog::error("--threads must be between 1 and 256");
    return EXIT_FAILURE;
  }
  const std::string durability = absl::GetFlag(FLAGS_durability);
  options.data_dir = absl::GetFlag(FLAGS_data_dir);
  options.snapshot_every = absl::GetFlag(FLAGS_snapshot_every);
  options.sync_interval = absl::GetFlag(FLAGS_sync_interval);
  if (durability == "none") {
    if (!options.data_dir.empty()) {
      spdlog::error("--durability=none keeps nothing on disk: drop --data_dir, or drop "
                    "--durability=none to use the journal there");
      return EXIT_FAILURE;
    }
  } else if (durability != "journal") {
    spdlog::error("--durability must be \"journal\" or \"none\", not \"{}\"", durability);
    return EXIT_FAILURE;
  } else if (options.data_dir.empty()) {
    spdlog::error("--data_dir is required: the journal needs a directory (or pass "
                  "--durability=none to benchmark without durability)");
    return EXIT_FAILURE;
  }
  const std::string auth = absl::GetFlag(FLAGS_auth);
  options.tokens_file = absl::GetFlag(FLAGS_tokens_file);
  options.default_token_rate = absl::GetFlag(FLAGS_token_rate);
  if (auth == "none") {
    if (!options.tokens_file.empty()) {
      spdlog::error("--auth=none takes no --tokens_file: drop one of them");
      return EXIT_FAILURE;
    }
  } else if (auth != "tokens") {
    spdlog::error("--auth must be \"tokens\" or \"none\", not \"{}\"", auth);
    return EXIT_FAILURE;
  } else if (options.tokens_file.empty()) {
    spdlog::error("--tokens_file is required: every call needs a bearer token (make tokens with "
                  "`swabwave new-token`), or pass --auth=none on a closed test network");
    return EXIT_FAILURE;
  }
  if (!(options.default_token_rate >= 0)) {
    spdlog::error("--token_rate must be 0 (no limit) or more");
    return EXIT_FAILURE;
  }
  options.tls_cert_file = absl::GetFlag(FLAGS_tls_cert);
  options.tls_key_file = absl::GetFlag(FLAGS_tls_key);
  options.tls_client_ca_file = absl::GetFlag(FLAGS_tls_client_ca);
  options.insecure = absl::GetFlag(FLAGS_insecure);
  options.rehearsal_clock_shift = absl::GetFlag(FLAGS_rehearsal_clock_shift);
  options.max_imports_per_token = absl::GetFlag(FLAGS_max_imports_per_token);
  options.max_watches_per_token = absl::GetFlag(FLAGS_max_watches_per_token);
  options.max_grpc_memory_bytes = absl::GetFlag(FLAGS_max_grpc_memory_bytes);
  if (options.max_imports_per_token < 0 || options.max_watches_per_token < 0 ||
      options.max_grpc_memory_bytes < (int64_t{64} << 20)) {
    spdlog::error("--max_imports_per_token and --max_watches_per_token must be 0 (no cap) or "
                  "more, and --max_grpc_memory_bytes at least 64 MiB");
    return EXIT_FAILURE;
  }
  options.max_message_bytes = absl::GetFlag(FLAGS_max_message_bytes);
  options.max_import_entities = absl::GetFlag(FLAGS_max_import_entities);
  if (options.max_message_bytes < 64 * 1024) {
    spdlog::error("--max_message_bytes must be at least 65536");
    return EXIT_FAILURE;
  }
  if (options.snapshot_every == 0) {
    spdlog::error("--snapshot_every must be at least 1");
    return EXIT_FAILURE;
  }
  if (options.sync_interval < absl::ZeroDuration() ||
      options.sync_interval > absl::Milliseconds(100)) {
    spdlog::error("--sync_interval must be between 0 and 100ms (answers wait up to that long)");
    return EXIT_FAILURE;
  }
  // Every connection costs a descriptor: take all the kernel allows, and
  // cap the ports under it (services/net/descriptor_limit.h).
  const uint64_t open_files = swabwave::services::net::RaiseOpenFileLimit();
  const swabwave::services::net::ConnectionCaps caps = swabwave::services::net::FitConnectionCaps(
      open_files, absl::GetFlag(FLAGS_max_grpc_connections),
      absl::GetFlag(FLAGS_max_http_connections));
  options.max_grpc_connections = caps.grpc;
  options.max_http_connections = caps.http;
  spdlog::info("open descriptors: at most {}", open_files);
  if (caps.past_limit) {
    spdlog::warn("--max_grpc_connections {} and --max_http_connections {} leave fewer than {} of "
                 "the {} descriptors this process may open: past them, accepts fail and are "
                 "retried until descriptors come free (raise the limit, e.g. LimitNOFILE= in "
                 "the service unit, or lower the caps)",
                 caps.grpc, caps.http, swabwave::services::net::kReservedDescriptors, open_files);
  }
  auto server = swabwave::services::SwabwaveServer::Start(options);
  if (!server.ok()) {
    spdlog::error("{}", std::string(server.status().message()));
    return EXIT_FAILURE;
  }
  if (const std::string port_file = absl::GetFlag(FLAGS_port_file); !port_file.empty()) {
    const std::string tmp = port_file + ".tmp";
    if (FILE* f = fopen(tmp.c_str(), "w")) {
      fprintf(f, "%d %d\n", (*server)->port(), (*server)->http_port());
      fclose(f);
      rename(tmp.c_str(), port_file.c_str());
    }
  }
  // Recovery is done and both ports listen: a Type=notify unit is started.
  swabwave::services::NotifyReady((*server)->port(), (*server)->http_port());

  int signal_number = 0;
  for (;;) {
    sigwait(&signals, &signal_number);
    if (signal_number != SIGHUP) break;
    spdlog::info("received SIGHUP: reloading the tokens file");
    swabwave::services::NotifyReloading();
    (void)(*server)->ReloadTokens();  // logged; on an error the old tokens stay
    swabwave::services::NotifyReady((*server)->port(), (*server)->http_port());
  }
  spdlog::info("received {}", signal_number == SIGTERM ? "SIGTERM" : "SIGINT");
  swabwave::services::NotifyStopping();
  (*server)->Shutdown(absl::GetFlag(FLAGS_shutdown_grace));
  return EXIT_SUCCESS;
}
