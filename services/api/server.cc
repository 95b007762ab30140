#include "services/api/server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/resource_quota.h>
#include <spdlog/spdlog.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "engine/io/csv.h"
#include "engine/journal/memory_store.h"
#include "services/api/token_admission.h"
#include "services/net/listener.h"
#include "services/net/loopback.h"

namespace swabwave::services {

// Issue 25 item 6: tokens and resident codes cross the network in clear
// only where the operator said so.
absl::Status CheckPlaintext(const ServerOptions& options) {
  // A malformed address is the first thing to fix.
  for (const std::string* address : {&options.listen, &options.http_listen}) {
    if (address->empty()) continue;
    if (absl::StatusOr<net::tcp::endpoint> parsed = net::ParseListenAddress(*address);
        !parsed.ok()) {
      return parsed.status();
    }
  }
  std::vector<std::string> plaintext;  // "gRPC on ADDRESS", off loopback and without TLS
  if (options.tls_cert_file.empty() && !net::IsLoopbackAddress(options.listen)) {
    plaintext.push_back(absl::StrCat("gRPC on ", options.listen));
  }
  // The HTTP side port has no TLS: off loopback it is always plaintext.
  if (!options.http_listen.empty() && !net::IsLoopbackAddress(options.http_listen)) {
    plaintext.push_back(absl::StrCat("HTTP on ", options.http_listen));
  }
  if (plaintext.empty()) return absl::OkStatus();
  const std::string where = absl::StrJoin(plaintext, " and ");
  if (!options.insecure) {
    return absl::FailedPreconditionError(absl::StrCat(
        "refusing to serve ", where,
        " in plaintext off loopback: bearer tokens and resident codes would cross the network "
        "in clear. Serve gRPC with --tls_cert and --tls_key, listen on 127.0.0.1 or [::1] "
        "(the HTTP port has no TLS: keep it on loopback, or turn it off with --http_listen=), "
        "or pass --insecure on a network you trust"));
  }
  spdlog::warn("INSECURE: serving {} in plaintext off loopback (--insecure): tokens and "
               "resident codes cross the network in clear",
               where);
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<SwabwaveServer>> SwabwaveServer::Start(
    const ServerOptions& options) {
  std::unique_ptr<SwabwaveServer> server(new SwabwaveServer());
  if (options.tokens_file.empty()) {
    server->access_ = std::make_unique<AccessControl>();
  } else {
    absl::StatusOr<std::unique_ptr<AccessControl>> access =
        AccessControl::Load(options.tokens_file, options.default_token_rate);
    if (!access.ok()) return access.status();
    server->access_ = *std::move(access);
  }
  server->access_->set_stream_caps(options.max_imports_per_token, options.max_watches_per_token);
  server->admission_ = std::make_shared<TokenAdmission>(server->access_.get());
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials =
      server->Credentials(options);
  if (!credentials.ok()) return credentials.status();
  if (absl::Status s = CheckPlaintext(options); !s.ok()) return s;
  if (absl::Status s = server->OpenStore(options); !s.ok()) return s;
  server->slow_ = std::make_unique<SlowPathExecutor>(options.slow_path_threads);
  ServiceContext context{&server->registry_, server->store_.get(), &server->metrics_,
                         &server->cache_, server->slow_.get(), server->access_.get()};
  context.max_import_entities = options.max_import_entities;
  context.clock = RoundClock(options.rehearsal_clock_shift);
  if (options.rehearsal_clock_shift != absl::ZeroDuration()) {
    spdlog::warn("REHEARSAL CLOCK: rounds run by the wall clock shifted by {} (it reads {} UTC); "
                 "check-ins and visits are stamped and checked by it. Never in a real round.",
                 absl::FormatDuration(options.rehearsal_clock_shift),
                 absl::FormatTime("%Y-%m-%d %H:%M:%S", context.clock.Now(), absl::UTCTimeZone()));
  }
  server->planning_ = std::make_unique<PlanningService>(context);
  server->checkin_ = std::make_unique<CheckInService>(context);
  server->progress_ = std::make_unique<ProgressService>(context);
  server->custody_ = std::make_unique<CustodyService>(context);
  server->lab_ = std::make_unique<LabService>(context);

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  // gRPC sets SO_REUSEPORT by default: a second server on the same port
  // would start and the kernel would split connections between two
  // separate states (a resident sampled once in each). Refuse the port.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  // The port is accepted by a net::Listener, not by gRPC (net/grpc_port.h):
  // it survives running out of descriptors and caps the connections.
  absl::StatusOr<std::unique_ptr<net::GrpcPort>> port = net::GrpcPort::Bind(
      options.listen, options.max_grpc_connections, *credentials, builder);
  if (!port.ok()) return port.status();
  server->grpc_port_ = *std::move(port);
  builder.RegisterService(server->planning_.get());
  builder.RegisterService(server->checkin_.get());
  builder.RegisterService(server->progress_.get());
  builder.RegisterService(server->custody_.get());
  builder.RegisterService(server->lab_.get());
  builder.SetMaxReceiveMessageSize(options.max_message_bytes);
  // Bounds what gRPC holds for every connection and call together: past it
  // gRPC stops reading and refuses new calls instead of growing.
  grpc::ResourceQuota quota("swabwaved");
  quota.Resize(static_cast<size_t>(options.max_grpc_memory_bytes));
  builder.SetResourceQuota(quota);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS, options.max_concurrent_streams);
  // Find clients that vanished without closing (a tablet out of range, a
  // crashed process): ping an idle connection every minute and drop it
  // when 20 s pass without an answer, ending its calls.
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, 60'000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 20'000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  server->server_ = builder.BuildAndStart();
  if (server->server_ == nullptr) {
    return absl::UnavailableError(absl::StrCat("cannot start the gRPC server on ", options.listen));
  }
  server->server_->GetHealthCheckService()->SetServingStatus(true);
  server->grpc_port_->Start();

  if (!options.http_listen.empty()) {
    SwabwaveServer* raw = server.get();
    absl::StatusOr<std::unique_ptr<HttpServer>> http = HttpServer::Start(
        options.http_listen,
        [raw](const std::string& path, const std::string& authorization) {
          return raw->ServeHttp(path, authorization);
        },
        options.max_http_connections);
    if (!http.ok()) {
      server->Shutdown(absl::ZeroDuration());
      return http.status();
    }
    server->http_ = *std::move(http);
  }
  if (!server->access_->enabled()) {
    spdlog::warn("ACCESS CONTROL IS OFF: no tokens file, every caller may do everything. Use "
                 "this only on a closed network for tests and benchmarks.");
  }
  spdlog::info("swabwaved listening: gRPC on port {} (at most {} connections), HTTP on port {} "
               "(at most {})",
               server->port(), options.max_grpc_connections, server->http_port(),
               options.max_http_connections);
  return server;
}

namespace {

absl::StatusOr<std::string> ReadPem(const std::string& path, absl::string_view what) {
  absl::StatusOr<std::string> text = engine::ReadFileToString(path);
  if (!text.ok() || text->empty()) {
    return absl::NotFoundError(absl::StrCat("cannot read the ", what, " ", path));
  }
  return *std::move(text);
}

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> SwabwaveServer::Credentials(
    const ServerOptions& options) const {
  if (options.tls_cert_file.empty() != options.tls_key_file.empty()) {
    return absl::InvalidArgumentError("TLS needs both a certificate and its key (--tls_cert, "
                                      "--tls_key)");
  }
  if (options.tls_cert_file.empty()) {
    if (!options.tls_client_ca_file.empty()) {
      return absl::InvalidArgumentError("--tls_client_ca needs --tls_cert and --tls_key");
    }
    return grpc::InsecureServerCredentials();
  }
  absl::StatusOr<std::string> cert = ReadPem(options.tls_cert_file, "TLS certificate");
  if (!cert.ok()) return cert.status();
  absl::StatusOr<std::string> key = ReadPem(options.tls_key_file, "TLS key");
  if (!key.ok()) return key.status();
  grpc::SslServerCredentialsOptions ssl;
  ssl.pem_key_cert_pairs.push_back({*std::move(key), *std::move(cert)});
  if (!options.tls_client_ca_file.empty()) {
    absl::StatusOr<std::string> ca = ReadPem(options.tls_client_ca_file, "client CA");
    if (!ca.ok()) return ca.status();
    ssl.pem_root_certs = *std::move(ca);
    ssl.client_certificate_request = GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  spdlog::info("TLS on{}", options.tls_client_ca_file.empty() ? "" : ", client certificates "
                                                                     "required");
  std::shared_ptr<grpc::ServerCredentials> credentials = grpc::SslServerCredentials(ssl);
  // Calls without a valid token are refused before their message is read
  // (token_admission.h); gRPC runs the processor on TLS credentials only.
  credentials->SetAuthMetadataProcessor(admission_);
  return credentials;
}

absl::Status SwabwaveServer::OpenStore(const ServerOptions& options) {
  if (options.data_dir.empty()) {
    spdlog::warn("DURABILITY IS OFF: no data directory, nothing is written to disk; a restart "
                 "loses every check-in. Use this only to measure what durability costs.");
    store_ = std::make_unique<engine::journal::MemoryStore>();
    return absl::OkStatus();
  }
  engine::journal::JournalOptions journal_options;
  journal_options.dir = options.data_dir;
  journal_options.max_pending_records = options.max_pending_records;
  journal_options.min_sync_interval = options.sync_interval;
  absl::StatusOr<std::unique_ptr<engine::journal::Journal>> journal =
      engine::journal::Journal::Open(
          journal_options,
          [this](uint64_t, absl::string_view record) { return registry_.ApplyRecord(record); },
          &recovery_);
  if (!journal.ok()) {
    return absl::Status(journal.status().code(),
                        absl::StrCat("cannot recover the journal in ", options.data_dir, ": ",
                                     journal.status().message()));
  }
  registry_.FinishRecovery();
  if (recovery_.torn_bytes > 0) {
    spdlog::warn("journal: dropped a torn tail of {} bytes ({}); those records were never "
                 "acknowledged",
                 recovery_.torn_bytes, recovery_.torn_detail);
  }
  spdlog::info("journal {}: recovered {} records from {} segments after a snapshot covering "
               "sequence {} ({} records) in {}; resuming at sequence {}",
               options.data_dir, recovery_.records, recovery_.segments,
               recovery_.snapshot_sequence, recovery_.snapshot_records,
               absl::FormatDuration(recovery_.elapsed), recovery_.last_sequence + 1);
  journal_ = journal->get();
  store_ = *std::move(journal);
  registry_.AttachStore(store_.get());
  snapshot_covered_ = recovery_.last_sequence;
  snapshotter_ = std::thread([this, every = options.snapshot_every] { SnapshotLoop(every); });
  return absl::OkStatus();
}

absl::Status SwabwaveServer::Snapshot() {
  if (journal_ == nullptr) return absl::OkStatus();
  const absl::Time start = absl::Now();
  absl::StatusOr<uint64_t> covered = journal_->WriteSnapshot(
      [this](engine::journal::SnapshotSink& sink) { return registry_.WriteSnapshot(sink); });
  if (!covered.ok()) {
    spdlog::error("snapshot failed: {}", std::string(covered.status().message()));
    return covered.status();
  }
  {
    std::lock_guard lock(snapshot_mu_);
    snapshot_covered_ = *covered;
  }
  spdlog::info("snapshot covering sequence {} written in {}", *covered,
               absl::FormatDuration(absl::Now() - start));
  return absl::OkStatus();
}

void SwabwaveServer::SnapshotLoop(uint64_t every) {
  std::unique_lock lock(snapshot_mu_);
  for (;;) {
    snapshot_wake_.wait_for(lock, std::chrono::seconds(5));
    if (snapshot_stop_) return;
    if (journal_->last_appended() - snapshot_covered_ < every) continue;
    lock.unlock();
    (void)Snapshot();  // logged; the journal still holds everything
    lock.lock();
  }
}

HttpResponse SwabwaveServer::ServeHttp(const std::string& path,
                                       const std::string& authorization) {
  if (path == "/healthz") {
    if (draining_.load(std::memory_order_acquire)) return {503, "text/plain", "draining\n"};
    return {200, "text/plain", "ok\n"};
  }
  if (path == "/metrics") {
    // Anyone who reaches the port sees totals; round and site ids only a
    // token that may see the round (issue 25 item 9).
    const Caller caller = access_->FindBearer(authorization);
    std::string text = metrics_.Render(registry_, [&caller](const engine::Round& round) {
      return caller != nullptr && AccessControl::MaySee(*caller, round);
    });
    access_->RenderMetrics(text);
    absl::StrAppend(&text,
                    "# HELP swabwave_access_refused_before_read_total Calls refused for their "
                    "token before their message was read (TLS only).\n"
                    "# TYPE swabwave_access_refused_before_read_total counter\n"
                    "swabwave_access_refused_before_read_total ",
                    admission_ != nullptr ? admission_->refused() : 0, "\n");
    const engine::journal::Store& store = *store_;
    absl::StrAppend(&text,
                    "# HELP swabwave_journal_appended_records Records appended to the store.\n"
                    "# TYPE swabwave_journal_appended_records counter\n"
                    "swabwave_journal_appended_records ",
                    store.last_appended(),
                    "\n# HELP swabwave_journal_durable_records Records the store made durable.\n"
                    "# TYPE swabwave_journal_durable_records counter\n"
                    "swabwave_journal_durable_records ",
                    store.durable(), "\n");
    if (journal_ != nullptr) {
      absl::StrAppend(&text,
                      "# HELP swabwave_journal_fsyncs_total fdatasync calls (group commits).\n"
                      "# TYPE swabwave_journal_fsyncs_total counter\n"
                      "swabwave_journal_fsyncs_total ",
                      journal_->syncs(),
                      "\n# HELP swabwave_journal_segments Segment files on disk.\n"
                      "# TYPE swabwave_journal_segments gauge\n"
                      "swabwave_journal_segments ",
                      journal_->segment_count(), "\n");
    }
    absl::StrAppend(&text,
                    "# HELP swabwave_journal_healthy Whether the store accepts writes (1) or "
                    "failed (0).\n# TYPE swabwave_journal_healthy gauge\nswabwave_journal_healthy ",
                    store.health().ok() ? 1 : 0, "\n");
    std::vector<std::pair<std::string, const net::ListenerStats*>> listeners;
    if (grpc_port_ != nullptr) listeners.emplace_back("grpc", grpc_port_->stats().get());
    if (http_ != nullptr) listeners.emplace_back("http", http_->stats().get());
    net::AppendListenerMetrics(listeners, &text);
    return {200, "text/plain; version=0.0.4; charset=utf-8", std::move(text)};
  }
  return {404, "text/plain", "not found: try /healthz or /metrics\n"};
}

void SwabwaveServer::Shutdown(absl::Duration grace) {
  if (draining_.exchange(true)) return;
  spdlog::info("swabwaved draining (grace {})", absl::FormatDuration(grace));
  if (grpc_port_ != nullptr) grpc_port_->Stop();
  if (server_ != nullptr) {
    server_->GetHealthCheckService()->SetServingStatus(false);
    server_->Shutdown(absl::ToChronoTime(absl::Now() + grace));
  }
  // Slow-path work still queued finishes its calls (they were accepted).
  slow_.reset();
  if (http_ != nullptr) http_->Stop();
  if (snapshotter_.joinable()) {
    {
      std::lock_guard lock(snapshot_mu_);
      snapshot_stop_ = true;
    }
    snapshot_wake_.notify_one();
    snapshotter_.join();
    // A snapshot at exit makes the next start quick.
    bool behind;
    {
      std::lock_guard lock(snapshot_mu_);
      behind = journal_->last_appended() > snapshot_covered_;
    }
    if (behind) (void)Snapshot();
  }
  spdlog::info("swabwaved stopped");
}

void SwabwaveServer::Wait() {
  if (server_ != nullptr) server_->Wait();
}

SwabwaveServer::~SwabwaveServer() { Shutdown(absl::ZeroDuration()); }

}  // namespace swabwave::services
