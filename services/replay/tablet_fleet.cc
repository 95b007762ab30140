#include "services/replay/tablet_fleet.h"

#include <sys/resource.h>

#include <algorithm>
#include <map>
#include <atomic>
#include <memory>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "services/api/status.h"
#include "services/replay/round_reader.h"

namespace swabwave::services {

namespace {

// CPU time this process has used so far.
struct ProcessCpu {
  absl::Duration user;
  absl::Duration kernel;
  static ProcessCpu Now() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return {absl::DurationFromTimeval(usage.ru_utime), absl::DurationFromTimeval(usage.ru_stime)};
  }
};

// Desks racking their tubes at once before the day starts.
constexpr size_t kRackingThreads = 32;

bool HasGroups(const DeskWork& work) {
  return std::any_of(work.scans.begin(), work.scans.end(),
                     [](const Scan& scan) { return !scan.group.empty(); });
}

std::string TubeBarcode(const FleetOptions& options, size_t desk, int64_t n) {
  // Round ids are at most 64 characters; keep barcodes within 64 too.
  const std::string id = options.round.substr(options.round.find('/') + 1);
  const std::string prefix = options.tube_prefix.substr(0, 8);
  if (options.tube_series == 0) return absl::StrFormat("%s%.24s-%d-%d", prefix, id, desk, n);
  return absl::StrFormat("%s%.24s-s%d-%d-%d", prefix, id, options.tube_series, desk, n);
}

// One desk's tablet: a bidirectional stream with up to `window` check-ins
// in flight, `batch` per message.
class DeskStream final
    : public grpc::ClientBidiReactor<v1::CheckInStreamRequest, v1::CheckInStreamResponse> {
 public:
  DeskStream(Client& client, const DeskWork& work, size_t desk_index, const FleetOptions& options,
             absl::Time start, const std::string& run_id)
      : work_(work),
        desk_index_(desk_index),
        run_id_(run_id),
        options_(options),
        start_(start),
        sent_at_(work.scans.size()),
        outcomes_(work.scans.size()) {
    context_.set_deadline(absl::ToChronoTime(absl::Now() + options.timeout));
    client.AuthorizeAtSite(context_, work.site_id);
    client.checkin().async()->CheckInStream(&context_, this);
  }

  void Start() {
    StartRead(&response_);
    {
      absl::MutexLock lock(&mu_);
      MaybeWriteLocked();
    }
    StartCall();
  }

  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&mu_);
    writing_ = false;
    if (!ok) return;  // the stream broke; OnDone reports it
    MaybeWriteLocked();
  }

  void OnReadDone(bool ok) override {
    if (!ok) return;
    absl::MutexLock lock(&mu_);
    const absl::Time now = absl::Now();
    for (const v1::CheckInOutcome& outcome : response_.outcomes()) {
      // The server answers in message order: outcomes match scans sent.
      if (answered_ < next_) {
        const size_t index = answered_++;
        report_.latency.Record(now - sent_at_[index]);
        ScanOutcome& kept = outcomes_[index];
        kept.code = outcome.status().code();
        kept.replayed = outcome.result().replayed();
        kept.tube_barcode = outcome.result().tube_barcode();
        kept.position = outcome.result().position();
      }
      const int code = outcome.status().code();
      ++report_.by_code[std::clamp(code, 0, 16)];
      if (code == 0) {
        ++report_.sampled;
        if (outcome.result().replayed()) ++report_.replayed;
      } else if (code == static_cast<int>(grpc::StatusCode::ALREADY_EXISTS)) {
        ++report_.already_sampled;
      } else {
        ++report_.errors;
        if (first_error_.empty()) first_error_ = outcome.status().message();
      }
    }
    in_flight_ -= response_.outcomes_size();
    StartRead(&response_);
    MaybeWriteLocked();
  }

  void OnDone(const grpc::Status& status) override {
    absl::MutexLock lock(&mu_);
    status_ = status;
    done_ = true;
  }

  // Blocks until the stream has finished.
  grpc::Status Await() {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(&done_));
    return status_;
  }

  // Sends what has become due (paced runs call this as time passes).
  void Poke() {
    absl::MutexLock lock(&mu_);
    MaybeWriteLocked();
  }
  bool Done() {
    absl::MutexLock lock(&mu_);
    return done_;
  }
  int64_t Answered() {
    absl::MutexLock lock(&mu_);
    return static_cast<int64_t>(answered_);
  }

  FleetReport report() {
    absl::MutexLock lock(&mu_);
    return report_;
  }
  std::vector<ScanOutcome> outcomes() {
    absl::MutexLock lock(&mu_);
    return outcomes_;
  }
  std::string first_error() {
    absl::MutexLock lock(&mu_);
    return first_error_;
  }

 private:
  void MaybeWriteLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (writing_ || writes_done_) return;
    const std::vector<Scan>& scans = work_.scans;
    if (next_ == scans.size()) {
      writes_done_ = true;
      StartWritesDone();
      return;
    }
    const absl::Time now = absl::Now();
    const size_t room = static_cast<size_t>(std::max<int64_t>(0, options_.window - in_flight_));
    size_t count = std::min({room, static_cast<size_t>(options_.batch), scans.size() - next_});
    if (options_.speed > 0) {
      // Only what is due by now; the fleet pokes again as time passes.
      size_t due = 0;
      while (due < count && start_ + scans[next_ + due].send_at / options_.speed <= now) ++due;
      count = due;
    }
    if (count == 0) return;  // window full (a read makes room) or nothing due yet
    if (options_.send_groups) {
      // A household goes in one message: end it before a household it
      // would cut, unless the message is that household alone and still
      // too long for one (longer than --batch: it goes in parts).
      size_t cut = count;
      while (cut > 0 && next_ + cut < scans.size() && !scans[next_ + cut].group.empty() &&
             scans[next_ + cut].group == scans[next_ + cut - 1].group) {
        --cut;
      }
      if (cut > 0) {
        count = cut;
      } else if (count < static_cast<size_t>(options_.batch)) {
        return;  // the household waits for room in the window
      }
    }
    request_.Clear();
    for (size_t i = 0; i < count; ++i, ++next_) {
      const Scan& scan = scans[next_];
      sent_at_[next_] = now;
      v1::CheckInRequest* check_in = request_.add_check_ins();
      check_in->set_request_id(scan.request_id.empty()
                                   ? absl::StrCat(run_id_, "-d", desk_index_, "-", next_)
                                   : scan.request_id);
      check_in->set_round(options_.round);
      check_in->set_desk(work_.desk);
      check_in->set_resident_code(scan.code);
      if (options_.send_groups) check_in->set_group(scan.group);
      if (options_.speed > 0) {
        // The moment it was scanned, compressed like the rest of the day:
        // a batch held offline carries its real, earlier scan times.
        const absl::Time scanned = start_ + scan.scanned_at / options_.speed;
        check_in->mutable_scan_time()->set_seconds(absl::ToUnixSeconds(scanned));
      }
    }
    in_flight_ += static_cast<int64_t>(count);
    report_.sent += static_cast<int64_t>(count);
    writing_ = true;
    StartWrite(&request_);
  }

  const DeskWork& work_;
  const size_t desk_index_;
  const std::string& run_id_;
  const FleetOptions& options_;
  const absl::Time start_;
  grpc::ClientContext context_;
  v1::CheckInStreamResponse response_;  // owned by the read in flight

  absl::Mutex mu_;
  v1::CheckInStreamRequest request_ ABSL_GUARDED_BY(mu_);
  size_t next_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool writes_done_ ABSL_GUARDED_BY(mu_) = false;
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  grpc::Status status_ ABSL_GUARDED_BY(mu_);
  FleetReport report_ ABSL_GUARDED_BY(mu_);
  std::string first_error_ ABSL_GUARDED_BY(mu_);
  std::vector<absl::Time> sent_at_ ABSL_GUARDED_BY(mu_);  // per scan of the work
  std::vector<ScanOutcome> outcomes_ ABSL_GUARDED_BY(mu_);
  size_t answered_ ABSL_GUARDED_BY(mu_) = 0;  // scans answered, in send order
};

}  // namespace

absl::StatusOr<std::vector<DeskWork>> WorkFromServer(Client& client, const std::string& round) {
  absl::StatusOr<std::map<std::string, int>> desks_of_site = DesksOfSites(client, round);
  if (!desks_of_site.ok()) return desks_of_site.status();
  std::map<std::string, std::vector<std::string>> codes_of_site;
  if (absl::Status s = ForEachUntested(client, round,
                                       [&](const v1::UntestedResident& u) {
                                         if (!u.door_to_door()) {
                                           codes_of_site[u.site_id()].push_back(u.code());
                                         }
                                       });
      !s.ok()) {
    return s;
  }

  std::vector<DeskWork> work;
  for (auto& [site, codes] : codes_of_site) {
    const int desks = std::max(1, (*desks_of_site)[site]);
    const size_t first = work.size();
    for (int d = 1; d <= desks; ++d) {
      work.push_back(DeskWork{absl::StrCat("sites/", site, "/desks/", d), site, {}});
    }
    for (size_t i = 0; i < codes.size(); ++i) {
      work[first + i % desks].scans.push_back(Scan{.code = std::move(codes[i])});
    }
  }
  return work;
}

absl::StatusOr<FleetReport> RunFleet(Client& client, const std::vector<DeskWork>& work,
                                     const FleetOptions& options) {
  v1::GetRoundRequest get_round;
  get_round.set_round(options.round);
  v1::GetRoundResponse round;
  grpc::Status status = Client::Call([&](grpc::ClientContext& context) {
    return client.planning().GetRound(&context, get_round, &round);
  });
  if (!status.ok()) return FromGrpcStatus(status);
  const int ratio = round.round().pool_ratio();

  FleetReport report;
  report.desks = static_cast<int>(work.size());
  // A box of labelled tubes per desk, scanned into its rack: the desks rack
  // theirs at the same time, as sites do before opening (one at a time, a
  // city's 100,000 tubes would take minutes of fsyncs).
  std::atomic<size_t> next_desk{0};
  std::atomic<int64_t> racked{0};
  absl::Mutex failure_mu;
  grpc::Status failure;
  std::vector<std::thread> rackers;
  for (size_t t = 0; t < std::min<size_t>(work.size(), kRackingThreads); ++t) {
    rackers.emplace_back([&] {
      for (size_t d = next_desk++; d < work.size(); d = next_desk++) {
        // Enough for every scan to be a new swab (double scans and retries
        // need none, so some tubes stay racked and unused); twice that and
        // one for households sent together: a tube sealed early and the
        // next one hold more than the ratio between them, so at most twice
        // as many tubes are used.
        int64_t tubes = (static_cast<int64_t>(work[d].scans.size()) + ratio - 1) / ratio;
        if (options.send_groups && HasGroups(work[d])) tubes = 2 * tubes + 1;
        for (int64_t n = 0; n < tubes; ++n) {
          v1::OpenTubeRequest open;
          open.set_request_id(Client::NewRequestId("rack"));
          open.set_round(options.round);
          open.set_desk(work[d].desk);
          open.set_tube_barcode(TubeBarcode(options, d, n));
          v1::OpenTubeResponse opened;
          const grpc::Status racked_one = Client::Call([&](grpc::ClientContext& context) {
            client.AuthorizeAtSite(context, work[d].site_id);
            return client.checkin().OpenTube(&context, open, &opened);
          });
          if (!racked_one.ok()) {
            absl::MutexLock lock(&failure_mu);
            failure = racked_one;
            next_desk = work.size();  // the others stop too
            return;
          }
          ++racked;
        }
      }
    });
  }
  for (std::thread& racker : rackers) racker.join();
  if (!failure.ok()) return FromGrpcStatus(failure);
  report.tubes_racked = racked;

  // The ids the fleet makes are unique to this run: a request id names one
  // attempt, and a second run over the same round sends new attempts (the
  // server refuses an id already used for another resident).
  const std::string run_id = Client::NewRequestId("fleet");
  std::vector<std::unique_ptr<DeskStream>> streams;
  const ProcessCpu cpu_before = ProcessCpu::Now();
  const absl::Time start = absl::Now();
  for (size_t d = 0; d < work.size(); ++d) {
    streams.push_back(std::make_unique<DeskStream>(client, work[d], d, options, start, run_id));
  }
  for (auto& stream : streams) stream->Start();
  // The pacer (every millisecond each desk sends what has become due) and
  // the progress line, until every stream has finished.
  size_t total = 0;
  for (const DeskWork& desk : work) total += desk.scans.size();
  absl::Time shown = start;
  int64_t shown_answered = 0;
  for (bool running = true; running;) {
    absl::SleepFor(options.speed > 0 ? absl::Milliseconds(1) : absl::Milliseconds(20));
    running = false;
    int64_t answered = 0;
    for (auto& stream : streams) {
      if (options.speed > 0) stream->Poke();
      running = running || !stream->Done();
      answered += stream->Answered();
    }
    const absl::Time now = absl::Now();
    if (options.progress != nullptr && (now - shown >= absl::Milliseconds(500) || !running)) {
      options.progress(answered, static_cast<int64_t>(total),
                       static_cast<double>(answered - shown_answered) /
                           std::max(1e-9, absl::ToDoubleSeconds(now - shown)));
      shown = now;
      shown_answered = answered;
    }
  }
  report.outcomes.resize(streams.size());
  // Per desk, the tube of its last fresh swab and where in it (the stream
  // answers in order, so it is the desk's open tube).
  std::vector<std::pair<std::string, int>> last_swab(work.size());
  std::string first_error;
  for (size_t d = 0; d < streams.size(); ++d) {
    const grpc::Status stream_status = streams[d]->Await();
    const FleetReport desk = streams[d]->report();
    if (!stream_status.ok()) {
      ++report.stream_failures;
      if (first_error.empty()) first_error = stream_status.error_message();
    }
    if (first_error.empty()) first_error = streams[d]->first_error();
    report.sent += desk.sent;
    report.sampled += desk.sampled;
    report.replayed += desk.replayed;
    report.already_sampled += desk.already_sampled;
    report.errors += desk.errors;
    report.latency.Merge(desk.latency);
    for (size_t c = 0; c < report.by_code.size(); ++c) report.by_code[c] += desk.by_code[c];
    report.outcomes[d] = streams[d]->outcomes();
    for (const ScanOutcome& outcome : report.outcomes[d]) {
      if (outcome.code == 0 && !outcome.replayed) {
        last_swab[d] = {outcome.tube_barcode, outcome.position};
      }
    }
  }
  report.elapsed = absl::Now() - start;
  report.first_error = first_error;
  const ProcessCpu cpu_after = ProcessCpu::Now();
  report.cpu_user = cpu_after.user - cpu_before.user;
  report.cpu_kernel = cpu_after.kernel - cpu_before.kernel;

  // Each desk's last tube is partly filled unless its last swab filled it.
  for (size_t d = 0; d < work.size(); ++d) {
    const auto& [last_tube, last_position] = last_swab[d];
    if (last_tube.empty() || last_position == ratio) continue;
    v1::SealTubeRequest seal;
    seal.set_request_id(Client::NewRequestId("seal"));
    seal.set_round(options.round);
    seal.set_desk(work[d].desk);
    seal.set_tube_barcode(last_tube);
    v1::SealTubeResponse sealed;
    status = Client::Call([&](grpc::ClientContext& context) {
      client.AuthorizeAtSite(context, work[d].site_id);
      return client.checkin().SealTube(&context, seal, &sealed);
    });
    if (!status.ok()) return FromGrpcStatus(status);
    ++report.tubes_sealed_by_hand;
  }
  if (report.stream_failures > 0) {
    return absl::UnavailableError(
        absl::StrCat(report.stream_failures, " desk streams failed; first: ", first_error));
  }
  return report;
}

}  // namespace swabwave::services
