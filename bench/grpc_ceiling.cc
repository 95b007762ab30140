// grpc_ceiling: how close the real check-in path comes to gRPC's own
// ceiling on this machine (issue 5). In one process and one run it starts
//   - an echo server: CheckInService with empty handlers that answer each
//     check-in with a response of the same shape and size as a real one
//     (tube barcode, position, scan time), nothing else;
//   - the real server: SwabwaveServer with the journal on (a temporary
//     data directory), a generated community imported and a round open;
// and drives both with the same load client, alternating: the replay
// tool's tablet fleet (services/replay/tablet_fleet.h: one CheckInStream
// per desk, `batch` per message, `window` in flight) and two unary clients:
// one thread per desk with one CheckIn call at a time (shaped like the
// tablets: latency-bound), and `unary_in_flight` calls in flight through
// the callback client (flat out: the unary ceiling). Every real run gets a
// fresh round over the same community, so every check-in is a new swab.
// Each run also prints the journal's syncs and, for streams, the CPU the
// process used per check-in.
//
//   grpc_ceiling [--preset kangcheng|city] [--residents N] [--runs 3] [--unary=false]
//
// Prints the check-ins per second of each and the real/echo ratios.
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <sys/resource.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "engine/io/generator.h"
#include "engine/plan/greedy_planner.h"
#include "services/api/proto_convert.h"
#include "services/api/server.h"
#include "services/replay/tablet_fleet.h"
#include "swabwave/v1/checkin.grpc.pb.h"
#include "swabwave/v1/planning.grpc.pb.h"

ABSL_FLAG(std::string, preset, "kangcheng", "the community: kangcheng (17,000) or city");
ABSL_FLAG(int64_t, residents, 0, "residents for --preset city (e.g. 1000000)");
ABSL_FLAG(int, runs, 3, "runs of each configuration (medians are reported)");
ABSL_FLAG(int, batch, 32, "check-ins per stream message");
ABSL_FLAG(int, window, 256, "check-ins in flight per desk (streams)");
ABSL_FLAG(bool, journal, true,
          "the real server keeps its journal (false: nothing on disk, to see what durability "
          "costs; never a figure for the goal)");
ABSL_FLAG(absl::Duration, sync_interval, absl::Milliseconds(2),
          "the real server's journal sync interval under load (swabwaved --sync_interval)");
ABSL_FLAG(bool, streams, true, "measure the tablet fleet's streams");
ABSL_FLAG(bool, echo, true,
          "measure the echo service too (false: the real server only, for profiling it)");
ABSL_FLAG(bool, unary, true,
          "also measure unary CheckIn (one thread per desk: leave it off for a city)");
ABSL_FLAG(int, unary_in_flight, 256,
          "unary CheckIn calls in flight in the flat-out unary runs (0: skip them)");

namespace swabwave::bench {
namespace {

using services::Client;
using services::DeskWork;
using services::FleetOptions;

constexpr int kPoolRatio = 10;

// Answers like a real sampled check-in, doing nothing else.
void EchoAnswer(int32_t position, v1::CheckInResponse* out) {
  out->set_resident_id(12345);
  out->set_tube_barcode("T-echo-0000-0000");
  out->set_position(position);
  out->set_capacity(kPoolRatio);
  out->set_tube_full(position == kPoolRatio);
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  out->mutable_scan_time()->set_seconds(now);
}

class EchoStream final
    : public grpc::ServerBidiReactor<v1::CheckInStreamRequest, v1::CheckInStreamResponse> {
 public:
  EchoStream() { StartRead(&request_); }

  void OnReadDone(bool ok) override {
    absl::MutexLock lock(&mu_);
    if (!ok) {
      reads_done_ = true;
      MaybeFinishLocked();
      return;
    }
    for (const v1::CheckInRequest& check_in : request_.check_ins()) {
      v1::CheckInOutcome* outcome = pending_.add_outcomes();
      outcome->set_request_id(check_in.request_id());
      position_ = position_ % kPoolRatio + 1;
      EchoAnswer(position_, outcome->mutable_result());
    }
    MaybeWriteLocked();
    StartRead(&request_);
  }

  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&mu_);
    writing_ = false;
    if (!ok) failed_ = true;
    MaybeWriteLocked();
    MaybeFinishLocked();
  }

  void OnDone() override { delete this; }

 private:
  void MaybeWriteLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (writing_ || failed_ || pending_.outcomes_size() == 0) return;
    in_flight_.Clear();
    in_flight_.Swap(&pending_);
    writing_ = true;
    StartWrite(&in_flight_);
  }
  void MaybeFinishLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_ || !reads_done_ || writing_ || (pending_.outcomes_size() > 0 && !failed_)) return;
    finished_ = true;
    Finish(grpc::Status::OK);
  }

  v1::CheckInStreamRequest request_;
  absl::Mutex mu_;
  v1::CheckInStreamResponse pending_ ABSL_GUARDED_BY(mu_);
  v1::CheckInStreamResponse in_flight_ ABSL_GUARDED_BY(mu_);
  int32_t position_ ABSL_GUARDED_BY(mu_) = 0;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool failed_ ABSL_GUARDED_BY(mu_) = false;
  bool reads_done_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

class EchoCheckIn final : public v1::CheckInService::CallbackService {
  grpc::ServerUnaryReactor* OpenTube(grpc::CallbackServerContext* ctx,
                                     const v1::OpenTubeRequest* request,
                                     v1::OpenTubeResponse* response) override {
    response->mutable_tube()->set_barcode(request->tube_barcode());
    grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
  grpc::ServerUnaryReactor* CheckIn(grpc::CallbackServerContext* ctx, const v1::CheckInRequest*,
                                    v1::CheckInResponse* response) override {
    EchoAnswer(1 + static_cast<int32_t>(calls_.fetch_add(1, std::memory_order_relaxed) %
                                        kPoolRatio),
               response);
    grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
  grpc::ServerBidiReactor<v1::CheckInStreamRequest, v1::CheckInStreamResponse>* CheckInStream(
      grpc::CallbackServerContext*) override {
    return new EchoStream();
  }
  grpc::ServerUnaryReactor* SealTube(grpc::CallbackServerContext* ctx,
                                     const v1::SealTubeRequest* request,
                                     v1::SealTubeResponse* response) override {
    response->mutable_tube()->set_barcode(request->tube_barcode());
    grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

  std::atomic<uint64_t> calls_{0};
};

// The fleet asks for the round's pool ratio first.
class EchoPlanning final : public v1::PlanningService::CallbackService {
  grpc::ServerUnaryReactor* GetRound(grpc::CallbackServerContext* ctx,
                                     const v1::GetRoundRequest* request,
                                     v1::GetRoundResponse* response) override {
    response->mutable_round()->set_name(request->round());
    response->mutable_round()->set_pool_ratio(kPoolRatio);
    grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
};

// Check-ins per second of one run of the tablet fleet.
// The journal's counters, to say per run how many records each fdatasync
// carried and how long the disk took per sync.
struct JournalUse {
  uint64_t records = 0;
  uint64_t syncs = 0;
  absl::Duration writing;
  absl::Time at;

  static JournalUse Of(const engine::journal::Journal* journal) {
    if (journal == nullptr) return {};
    return {journal->durable(), journal->syncs(), journal->time_writing(), absl::Now()};
  }
  void Print(absl::string_view what, const JournalUse& before) const {
    const double syncs_in_run = static_cast<double>(syncs - before.syncs);
    if (syncs_in_run == 0) return;
    absl::PrintF("  journal on %s: %.0f syncs, %.1f records each, %.0f us writing each, disk busy "
                 "%.0f%%\n",
                 what, syncs_in_run, (records - before.records) / syncs_in_run,
                 absl::ToDoubleMicroseconds(writing - before.writing) / syncs_in_run,
                 100 * absl::FDivDuration(writing - before.writing, at - before.at));
  }
};

double StreamRun(Client& client, const std::vector<DeskWork>& work, const std::string& round,
                 int series, const engine::journal::Journal* journal = nullptr) {
  FleetOptions options;
  options.round = round;
  options.batch = absl::GetFlag(FLAGS_batch);
  options.window = absl::GetFlag(FLAGS_window);
  options.tube_series = series;
  const JournalUse before = JournalUse::Of(journal);
  absl::StatusOr<services::FleetReport> report = services::RunFleet(client, work, options);
  JournalUse::Of(journal).Print(round, before);
  if (!report.ok() || report->errors > 0 || report->already_sampled > 0) {
    std::string what = report.ok() ? absl::StrCat(report->errors, " errors (") : "";
    if (report.ok()) {
      for (size_t code = 0; code < report->by_code.size(); ++code) {
        if (code != 0 && report->by_code[code] > 0) {
          absl::StrAppend(&what, "code ", code, ": ", report->by_code[code], "; ");
        }
      }
      absl::StrAppend(&what, "first: ", report->first_error, ")");
    }
    absl::FPrintF(stderr, "stream run on %s failed: %s\n", round,
                  report.ok() ? what : report.status().ToString());
    std::exit(1);
  }
  // Client and server share this process: CPU per check-in, all told.
  const double sent = static_cast<double>(std::max<int64_t>(1, report->sent));
  absl::PrintF("  streams on %s: %.2f us of CPU per check-in (user %.2f, kernel %.2f), %.0f%% of "
               "%u CPUs busy\n",
               round, absl::ToDoubleMicroseconds(report->cpu_user + report->cpu_kernel) / sent,
               absl::ToDoubleMicroseconds(report->cpu_user) / sent,
               absl::ToDoubleMicroseconds(report->cpu_kernel) / sent,
               100 * absl::FDivDuration(report->cpu_user + report->cpu_kernel, report->elapsed) /
                   std::thread::hardware_concurrency(),
               std::thread::hardware_concurrency());
  return report->check_ins_per_second();
}

// User and system CPU time of this whole process so far.
double ProcessCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const auto seconds = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// Ends a unary run that started at `start`: prints how busy the process
// kept the machine (client, servers and journal share it: busy says
// whether unary is CPU-bound or waits), exits on failures, and returns the
// check-ins per second.
double UnaryRunRate(const std::vector<DeskWork>& work, const std::string& what, absl::Time start,
                    double cpu_before, const std::atomic<int64_t>& failures) {
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  absl::PrintF("  %s: %.0f%% of %u CPUs busy\n", what,
               100 * (ProcessCpuSeconds() - cpu_before) /
                   (seconds * std::thread::hardware_concurrency()),
               std::thread::hardware_concurrency());
  if (failures > 0) {
    absl::FPrintF(stderr, "%s: %d failures\n", what, failures.load());
    std::exit(1);
  }
  size_t total = 0;
  for (const DeskWork& desk : work) total += desk.scans.size();
  return static_cast<double>(total) / seconds;
}

// Opens enough tubes at every desk for its scans (off the clock: a unary
// check-in takes a position in a tube the desk has open).
void RackTubes(Client& client, const std::vector<DeskWork>& work, const std::string& round,
               int series) {
  for (size_t d = 0; d < work.size(); ++d) {
    const size_t tubes = (work[d].scans.size() + kPoolRatio - 1) / kPoolRatio;
    for (size_t n = 0; n < tubes; ++n) {
      v1::OpenTubeRequest open;
      open.set_request_id(Client::NewRequestId("rack"));
      open.set_round(round);
      open.set_desk(work[d].desk);
      open.set_tube_barcode(absl::StrFormat("U%d-%d-%d", series, d, n));
      v1::OpenTubeResponse opened;
      grpc::ClientContext context;
      if (grpc::Status s = client.checkin().OpenTube(&context, open, &opened); !s.ok()) {
        absl::FPrintF(stderr, "racking failed: %s\n", s.error_message());
        std::exit(1);
      }
    }
  }
}

// Check-ins per second of one desk thread per desk, one CheckIn at a time
// (tubes racked first, off the clock).
double UnaryRun(Client& client, const std::vector<DeskWork>& work, const std::string& round,
                int series, const engine::journal::Journal* journal = nullptr) {
  RackTubes(client, work, round, series);
  std::atomic<int64_t> failures{0};
  std::vector<std::thread> desks;
  const double cpu_before = ProcessCpuSeconds();
  const JournalUse journal_before = JournalUse::Of(journal);
  const absl::Time start = absl::Now();
  for (size_t d = 0; d < work.size(); ++d) {
    desks.emplace_back([&, d] {
      for (size_t i = 0; i < work[d].scans.size(); ++i) {
        v1::CheckInRequest request;
        request.set_request_id(absl::StrCat("u", series, "-", d, "-", i));
        request.set_round(round);
        request.set_desk(work[d].desk);
        request.set_resident_code(work[d].scans[i].code);
        v1::CheckInResponse response;
        grpc::ClientContext context;
        context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
        if (!client.checkin().CheckIn(&context, request, &response).ok()) ++failures;
      }
    });
  }
  for (std::thread& desk : desks) desk.join();
  JournalUse::Of(journal).Print(round, journal_before);
  return UnaryRunRate(work, absl::StrCat("unary on ", round), start, cpu_before, failures);
}

// Check-ins per second of unary CheckIn calls kept `in_flight` at a time
// over all desks (the callback client API: no thread per call). Where
// UnaryRun is shaped like the tablets (one call per desk at a time, so it
// measures latency as much as capacity and leaves the machine partly
// idle), this saturates the server: the unary ceiling and the real path's
// capacity. Each desk's scans are split over in_flight / desks lanes.
double UnaryFlatOutRun(Client& client, const std::vector<DeskWork>& work, const std::string& round,
                       int series, const engine::journal::Journal* journal = nullptr) {
  RackTubes(client, work, round, series);
  const int lanes_per_desk =
      std::max<int>(1, absl::GetFlag(FLAGS_unary_in_flight) / static_cast<int>(work.size()));
  struct Lane {
    const DeskWork* desk = nullptr;
    std::string request_prefix;
    size_t next = 0;  // index into desk->scans
    v1::CheckInRequest request;
    v1::CheckInResponse response;
    std::unique_ptr<grpc::ClientContext> context;
    // The last call's context: its completion is running when the next
    // call starts, so it is destroyed one call later.
    std::unique_ptr<grpc::ClientContext> finished;
  };
  std::vector<Lane> lanes;
  for (size_t d = 0; d < work.size(); ++d) {
    for (int k = 0; k < lanes_per_desk && static_cast<size_t>(k) < work[d].scans.size(); ++k) {
      Lane& lane = lanes.emplace_back();
      lane.desk = &work[d];
      lane.request_prefix = absl::StrCat("f", series, "-", d, "-");
      lane.next = static_cast<size_t>(k);
      lane.request.set_round(round);
      lane.request.set_desk(work[d].desk);
    }
  }
  absl::Mutex mu;
  size_t lanes_running = lanes.size();
  std::atomic<int64_t> failures{0};
  // Sends the lane's next scan, or retires the lane; called again from the
  // call's completion.
  std::function<void(Lane&)> send_next = [&](Lane& lane) {
    if (lane.next >= lane.desk->scans.size()) {
      absl::MutexLock lock(&mu);
      --lanes_running;
      return;
    }
    lane.request.set_request_id(absl::StrCat(lane.request_prefix, lane.next));
    lane.request.set_resident_code(lane.desk->scans[lane.next].code);
    lane.next += static_cast<size_t>(lanes_per_desk);
    lane.finished = std::move(lane.context);
    lane.context = std::make_unique<grpc::ClientContext>();
    lane.context->set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
    client.checkin().async()->CheckIn(lane.context.get(), &lane.request, &lane.response,
                                      [&](grpc::Status status) {
                                        if (!status.ok()) ++failures;
                                        send_next(lane);
                                      });
  };
  const double cpu_before = ProcessCpuSeconds();
  const JournalUse journal_before = JournalUse::Of(journal);
  const absl::Time start = absl::Now();
  for (Lane& lane : lanes) send_next(lane);
  {
    absl::MutexLock lock(&mu);
    mu.Await(absl::Condition(+[](size_t* running) { return *running == 0; }, &lanes_running));
  }
  JournalUse::Of(journal).Print(round, journal_before);
  return UnaryRunRate(work, absl::StrFormat("unary flat out (%d in flight) on %s", lanes.size(), round),
                      start, cpu_before, failures);
}

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

int Main() {
  const int runs = absl::GetFlag(FLAGS_runs);
  engine::GeneratorOptions generator;
  generator.preset = absl::GetFlag(FLAGS_preset);
  generator.residents = absl::GetFlag(FLAGS_residents);
  absl::StatusOr<std::vector<engine::Community>> communities =
      engine::GenerateCommunities(generator);
  if (!communities.ok()) {
    absl::FPrintF(stderr, "%s\n", communities.status().ToString());
    return 1;
  }
  std::vector<std::string> community_ids;
  const std::string dir =
      (std::filesystem::temp_directory_path() / absl::StrCat("swabwave-ceiling-", getpid()))
          .string();
  services::ServerOptions real_options{.listen = "127.0.0.1:0", .http_listen = ""};
  // The journal on: every answer waits for fdatasync. Off only to see what
  // durability costs (--journal=false).
  if (absl::GetFlag(FLAGS_journal)) real_options.data_dir = dir;
  real_options.sync_interval = absl::GetFlag(FLAGS_sync_interval);
  absl::StatusOr<std::unique_ptr<services::SwabwaveServer>> real =
      services::SwabwaveServer::Start(real_options);
  if (!real.ok()) {
    absl::FPrintF(stderr, "%s\n", real.status().ToString());
    return 1;
  }
  int64_t residents = 0;
  for (engine::Community& c : *communities) {
    community_ids.push_back(c.id);
    residents += static_cast<int64_t>(c.residents.size());
    if (absl::StatusOr<const engine::Community*> s =
            (*real)->registry().ImportCommunity(std::move(c));
        !s.ok()) {
      absl::FPrintF(stderr, "%s\n", s.status().ToString());
      return 1;
    }
  }
  Client real_client(absl::StrCat("127.0.0.1:", (*real)->port()));

  EchoCheckIn echo_checkin;
  EchoPlanning echo_planning;
  grpc::ServerBuilder builder;
  int echo_port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &echo_port);
  builder.RegisterService(&echo_checkin);
  builder.RegisterService(&echo_planning);
  std::unique_ptr<grpc::Server> echo = builder.BuildAndStart();
  Client echo_client(absl::StrCat("127.0.0.1:", echo_port));

  // A fresh open round over the same communities for every real run.
  int rounds = 0;
  const auto fresh_round = [&]() -> std::string {
    engine::RoundConfig config;
    config.id = absl::StrCat("ceiling-", rounds++);
    config.community_ids = community_ids;
    config.start = absl::Now() - absl::Minutes(10);
    config.pool_ratio = kPoolRatio;
    absl::StatusOr<engine::Round*> round = (*real)->registry().CreateRound(config);
    if (!round.ok() || !(*round)->MakePlan(engine::plan::GreedyPlanner(), {}).ok() ||
        !(*round)->Open().ok()) {
      absl::FPrintF(stderr, "could not open a round\n");
      std::exit(1);
    }
    return absl::StrCat("rounds/", config.id);
  };
  absl::StatusOr<std::vector<DeskWork>> work = services::WorkFromServer(real_client, fresh_round());
  if (!work.ok()) {
    absl::FPrintF(stderr, "%s\n", work.status().ToString());
    return 1;
  }
  size_t check_ins = 0;
  for (const DeskWork& desk : *work) check_ins += desk.scans.size();
  absl::PrintF("%d residents, %d desks, %d check-ins per run; journal in %s\n", residents,
               work->size(), check_ins, dir);

  std::vector<double> echo_stream, real_stream, echo_unary, real_unary, echo_flat, real_flat;
  const bool measure_echo = absl::GetFlag(FLAGS_echo);
  const bool flat_out = absl::GetFlag(FLAGS_unary) && absl::GetFlag(FLAGS_unary_in_flight) > 0;
  for (int run = 0; run < runs; ++run) {
    if (absl::GetFlag(FLAGS_streams)) {
      echo_stream.push_back(measure_echo ? StreamRun(echo_client, *work, "rounds/echo", run) : 0);
      real_stream.push_back(StreamRun(real_client, *work, fresh_round(), run, (*real)->journal()));
    }
    if (absl::GetFlag(FLAGS_unary)) {
      echo_unary.push_back(measure_echo ? UnaryRun(echo_client, *work, "rounds/echo", run) : 0);
      real_unary.push_back(UnaryRun(real_client, *work, fresh_round(), run, (*real)->journal()));
    }
    if (flat_out) {
      echo_flat.push_back(
          measure_echo ? UnaryFlatOutRun(echo_client, *work, "rounds/echo", run) : 0);
      real_flat.push_back(
          UnaryFlatOutRun(real_client, *work, fresh_round(), run, (*real)->journal()));
    }
    const auto last = [](const std::vector<double>& v) { return v.empty() ? 0.0 : v.back(); };
    absl::PrintF(
        "run %d: stream echo %.0f real %.0f; unary echo %.0f real %.0f; unary flat out echo %.0f "
        "real %.0f check-ins/s\n",
        run + 1, last(echo_stream), last(real_stream), last(echo_unary), last(real_unary),
        last(echo_flat), last(real_flat));
  }
  const auto report = [&](const char* what, const std::vector<double>& echo_runs,
                          const std::vector<double>& real_runs) {
    if (real_runs.empty()) return;
    const double e = Median(echo_runs), r = Median(real_runs);
    absl::PrintF("%s echo %.0f, real %.0f check-ins/s (medians of %d): real/echo %.2f\n", what, e,
                 r, runs, r / e);
  };
  report("stream:         ", echo_stream, real_stream);
  report("unary:          ", echo_unary, real_unary);
  report("unary flat out: ", echo_flat, real_flat);
  echo->Shutdown();
  (*real)->Shutdown(absl::Seconds(1));
  real->reset();
  std::filesystem::remove_all(dir);
  return 0;
}

}  // namespace
}  // namespace swabwave::bench

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  // Debian's Abseil is built with mutex deadlock detection on: it keeps a
  // graph of every lock order, which a server creating a mutex per stream
  // pays for on every call (1.7% of the profile). The tests keep it.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  return swabwave::bench::Main();
}
