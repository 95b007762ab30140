#include "services/api/progress_service.h"

#include <grpcpp/alarm.h>

#include <algorithm>
#include <limits>

#include "absl/strings/str_cat.h"
#include "engine/model/names.h"
#include "services/api/lab_convert.h"
#include "services/api/proto_convert.h"

namespace swabwave::services {

namespace {

constexpr absl::Duration kMinWatchInterval = absl::Milliseconds(100);
constexpr absl::Duration kDefaultWatchInterval = absl::Seconds(1);

void CountsToProto(const engine::ProgressCounts& c, v1::Counts* out) {
  out->set_due(c.due);
  out->set_sampled(c.sampled);
  out->set_remaining(c.remaining);
  out->set_exempt(c.exempt);
  out->set_door_to_door(c.door_to_door);
  out->set_not_home(c.not_home);
  out->set_refused(c.refused);
  out->set_in_hospital(c.in_hospital);
  out->set_moved_away(c.moved_away);
  out->set_walk_ins(c.walk_ins);
  out->set_unaccounted(c.unaccounted());
}

absl::StatusOr<engine::ProgressLevel> LevelFromProto(v1::ProgressLevel level) {
  switch (level) {
    case v1::PROGRESS_LEVEL_COMMUNITY:
      return engine::ProgressLevel::kCommunity;
    case v1::PROGRESS_LEVEL_COMPOUND:
      return engine::ProgressLevel::kCompound;
    case v1::PROGRESS_LEVEL_BUILDING:
      return engine::ProgressLevel::kBuilding;
    case v1::PROGRESS_LEVEL_SITE:
      return engine::ProgressLevel::kSite;
    case v1::PROGRESS_LEVEL_WAVE:
      return engine::ProgressLevel::kWave;
    case v1::PROGRESS_LEVEL_TEAM:
      return engine::ProgressLevel::kTeam;
    default:
      return absl::InvalidArgumentError(
          "level is required: COMMUNITY, COMPOUND, BUILDING, SITE, WAVE or TEAM");
  }
}

// Sends the round's totals every interval until the round closes or the
// client goes away. Raw, parsing its own request and serializing its
// updates: gRPC answers a request that does not parse UNIMPLEMENTED.
class WatchReactor final : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
 public:
  WatchReactor(ServiceContext context, const absl::StatusOr<Caller>& caller,
               const grpc::ByteBuffer& raw_request)
      : timer_(context.metrics, Rpc::kWatchProgress), clock_(context.clock) {
    v1::WatchProgressRequest request;
    grpc::ByteBuffer bytes(raw_request);  // shares the slices; parsing consumes it
    absl::StatusOr<engine::Round*> round = absl::UnknownError("not looked up");
    absl::StatusOr<StreamHold> hold =
        caller.ok() ? context.access->HoldStream(*caller, Rpc::kWatchProgress)
                    : absl::StatusOr<StreamHold>(caller.status());
    if (!caller.ok()) {
      round = caller.status();  // refused before the request is read
    } else if (!hold.ok()) {
      round = hold.status();  // the token watches too much already
    } else if (!grpc::SerializationTraits<v1::WatchProgressRequest>::Deserialize(&bytes, &request)
                    .ok()) {
      round = UnparsedRequest(Rpc::kWatchProgress,
                              v1::WatchProgressRequest::descriptor()->full_name());
    } else {
      round = LookUpRoundFor(context, **caller, Rpc::kWatchProgress, request.round());
    }
    absl::Status valid = round.status();
    if (valid.ok() && request.has_interval()) {
      absl::StatusOr<absl::Duration> interval = DurationFromRequest("interval", request.interval());
      if (interval.ok()) interval_ = *interval;
      if (!interval.ok()) {
        valid = interval.status();
      } else if (interval_ < kMinWatchInterval) {
        valid = absl::InvalidArgumentError(absl::StrCat(
            "interval ", absl::FormatDuration(interval_), " is shorter than the 100ms minimum"));
      }
    }
    if (valid.ok()) valid = (*round)->Totals().status();
    if (!valid.ok()) {
      absl::MutexLock lock(&mu_);
      FinishLocked(ToGrpcStatus(valid));
      return;
    }
    round_ = *round;
    hold_ = *std::move(hold);
    access_ = context.access;
    {
      absl::MutexLock lock(&mu_);
      WriteUpdateLocked();
    }
    // A revoked token's watch ends within its interval, not when the
    // client stops watching.
    stream_id_ = access_->streams().Add(*caller, [this] { Revoke(); });
  }

  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&mu_);
    if (!ok || cancelled_ || closed_ || revoked_) {
      FinishLocked(EndStatusLocked());
      return;
    }
    alarm_pending_ = true;
    alarm_.Set(absl::ToChronoTime(absl::Now() + interval_), [this](bool fired) {
      grpc::Status status;
      {
        absl::MutexLock alarm_lock(&mu_);
        alarm_pending_ = false;
        if (fired && !cancelled_ && !revoked_) {
          WriteUpdateLocked();
          return;
        }
        if (finished_) return;
        finished_ = true;
        status = EndStatusLocked();
      }
      // The alarm's callback is not a reaction, so gRPC may run OnDone
      // (which deletes this reactor) as soon as Finish is called: Finish is
      // the last use of `this`, made after mu_ is released.
      timer_.Record(status);
      Finish(status);
    });
  }

  // The watch's token was revoked: the update being written (if any) is
  // the last, and the watch ends UNAUTHENTICATED.
  void Revoke() {
    absl::MutexLock lock(&mu_);
    if (finished_) return;
    revoked_ = true;
    // The alarm's callback (fired = false) finishes the call; a write in
    // flight finishes it from OnWriteDone.
    if (alarm_pending_) alarm_.Cancel();
  }

  void OnCancel() override {
    absl::MutexLock lock(&mu_);
    cancelled_ = true;
    // The alarm's callback (fired = false) finishes the call.
    if (alarm_pending_) alarm_.Cancel();
  }

  void OnDone() override {
    if (access_ != nullptr) access_->streams().Remove(stream_id_);
    delete this;
  }

 private:
  grpc::Status EndStatusLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (!revoked_) return grpc::Status::OK;
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                        "this watch's token was revoked when the server reloaded its tokens; "
                        "watch again with a current token");
  }

  void WriteUpdateLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    const absl::Time now = clock_.Now();
    absl::StatusOr<engine::ProgressCounts> totals = round_->Totals();
    update_.Clear();
    ToProto(now, update_.mutable_as_of());
    if (totals.ok()) CountsToProto(*totals, update_.mutable_total());
    // Through the round's lock: a planned round may be re-planned meanwhile.
    update_.set_tubes_sealed(static_cast<int64_t>(round_->SealedTubes()));
    const int64_t sampled = totals.ok() ? totals->sampled : 0;
    if (last_time_ != absl::InfinitePast()) {
      const double seconds = absl::ToDoubleSeconds(now - last_time_);
      if (seconds > 0) update_.set_check_ins_per_second((sampled - last_sampled_) / seconds);
    }
    last_time_ = now;
    last_sampled_ = sampled;
    closed_ = round_->phase() == engine::RoundPhase::kClosed;
    update_.set_round_closed(closed_);
    bool own_buffer;
    written_.Clear();  // the last update's bytes: that write is done
    if (!grpc::SerializationTraits<v1::WatchProgressResponse>::Serialize(update_, &written_,
                                                                         &own_buffer)
             .ok()) {
      FinishLocked(grpc::Status(grpc::StatusCode::INTERNAL, "an update did not serialize"));
      return;
    }
    StartWrite(&written_);
  }

  void FinishLocked(const grpc::Status& status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_) return;
    finished_ = true;
    timer_.Record(status);
    Finish(status);
  }

  const RpcTimer timer_;
  const RoundClock clock_;
  engine::Round* round_ = nullptr;
  absl::Duration interval_ = kDefaultWatchInterval;
  const AccessControl* access_ = nullptr;  // set once a watch starts streaming
  StreamHold hold_;                        // one of the token's open watches, while this lives
  OpenStreams::Id stream_id_ = 0;          // set in the constructor, before any reaction runs

  absl::Mutex mu_;
  grpc::Alarm alarm_ ABSL_GUARDED_BY(mu_);
  v1::WatchProgressResponse update_ ABSL_GUARDED_BY(mu_);
  grpc::ByteBuffer written_ ABSL_GUARDED_BY(mu_);  // update_, serialized
  absl::Time last_time_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  int64_t last_sampled_ ABSL_GUARDED_BY(mu_) = 0;
  bool alarm_pending_ ABSL_GUARDED_BY(mu_) = false;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  bool revoked_ ABSL_GUARDED_BY(mu_) = false;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace

namespace {

// One page of the rows of `level`, and the round's totals.
absl::Status ProgressPage(const engine::Round& round, engine::ProgressLevel level,
                          const PageRequest& page, absl::Time now,
                          v1::GetProgressResponse* response) {
  absl::StatusOr<engine::ProgressReport> report = round.Progress(level, page.offset, page.size);
  if (!report.ok()) return report.status();
  CountsToProto(report->total, response->mutable_total());
  for (const engine::ProgressRow& row : report->rows) {
    v1::ProgressRow* out = response->add_rows();
    out->set_key(row.key);
    out->set_label(row.label);
    CountsToProto(row.counts, out->mutable_counts());
    out->set_check_ins_here(row.check_ins_here);
    out->set_off_plan(row.off_plan);
    out->set_visits_here(row.visits_here);
    if (row.window_start != absl::InfinitePast()) {
      ToProto(row.window_start, out->mutable_window_start());
    }
  }
  if (page.offset + report->rows.size() < report->total_rows) {
    response->set_next_page_token(page.Token(page.offset + report->rows.size()));
  }
  ToProto(now, response->mutable_as_of());
  response->set_tubes_sealed(static_cast<int64_t>(report->tubes_sealed));
  // After the swab: from the round's opening on (before it, no tube exists).
  if (absl::StatusOr<engine::Round::LabTotals> lab = round.CountLab(absl::ToUnixSeconds(now));
      lab.ok()) {
    LabCountsToProto(*lab, response->mutable_lab());
  }
  return absl::OkStatus();
}

// One page of the untested, optionally of one community or building; the
// page token is the next resident id to look at.
absl::Status UntestedPage(const engine::Round& round, const v1::ListUntestedRequest& request,
                          const PageRequest& page, v1::ListUntestedResponse* response) {
  absl::StatusOr<engine::Round::UntestedFilter> filter =
      ParseAreaFilter(round, request.community_id(), request.building_id());
  if (!filter.ok()) return filter.status();
  // The token is the next resident id to look at. Past every 32-bit id it
  // is an empty last page (truncated, it would wrap to the first page).
  if (page.offset > std::numeric_limits<uint32_t>::max()) return absl::OkStatus();
  const uint32_t after = page.offset == 0 ? engine::kNoId : static_cast<uint32_t>(page.offset - 1);
  absl::StatusOr<std::vector<engine::UntestedResident>> found =
      round.ListUntested(*filter, after, page.size + 1);
  if (!found.ok()) return found.status();
  const size_t shown = std::min(found->size(), page.size);
  for (size_t i = 0; i < shown; ++i) {
    const engine::UntestedResident& u = (*found)[i];
    v1::UntestedResident* out = response->add_residents();
    out->set_resident_id(u.resident);
    out->set_code(u.code);
    out->set_community_id(u.community_id);
    out->set_building_id(u.building_id);
    out->set_unit_id(u.unit_id);
    out->set_household_id(u.household_id);
    out->set_site_id(u.site_id);
    out->set_wave(u.wave);
    out->set_door_to_door(u.door_to_door);
    out->set_visits(static_cast<int32_t>(u.visits));
    // VisitOutcome's values are the proto's (engine/visits/visit_book.h).
    out->set_last_visit(static_cast<v1::VisitOutcome>(u.last_visit));
  }
  if (found->size() > page.size) {
    response->set_next_page_token(page.Token(uint64_t{(*found)[page.size - 1].resident} + 1));
  }
  return absl::OkStatus();
}

}  // namespace

grpc::ServerUnaryReactor* ProgressService::GetProgress(grpc::CallbackServerContext* ctx,
                                                       const grpc::ByteBuffer* request,
                                                       grpc::ByteBuffer* response) {
  return UnaryCall<v1::GetProgressRequest, v1::GetProgressResponse>::Start(
      context_, Rpc::kGetProgress, ctx, request, response, [this](auto& call) {
        absl::StatusOr<engine::Round*> round = call.LookUpRound();
        if (!round.ok()) return call.Finish(round.status());
        absl::StatusOr<engine::ProgressLevel> level = LevelFromProto(call.request().level());
        if (!level.ok()) return call.Finish(level.status());
        absl::StatusOr<PageRequest> page = call.Page(100, 5000);
        if (!page.ok()) return call.Finish(page.status());
        call.Finish(ProgressPage(**round, *level, *page, context_.clock.Now(), call.response()));
      });
}

grpc::ServerUnaryReactor* ProgressService::ListUntested(grpc::CallbackServerContext* ctx,
                                                        const grpc::ByteBuffer* request,
                                                        grpc::ByteBuffer* response) {
  return UnaryCall<v1::ListUntestedRequest, v1::ListUntestedResponse>::Start(
      context_, Rpc::kListUntested, ctx, request, response, [](auto& call) {
        absl::StatusOr<engine::Round*> round = call.LookUpRound();
        if (!round.ok()) return call.Finish(round.status());
        absl::StatusOr<PageRequest> page = call.Page(100, 5000);
        if (!page.ok()) return call.Finish(page.status());
        call.Finish(UntestedPage(**round, call.request(), *page, call.response()));
      });
}

grpc::ServerWriteReactor<grpc::ByteBuffer>* ProgressService::WatchProgress(
    grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* request) {
  return new WatchReactor(context_, context_.access->Admit(*ctx, Rpc::kWatchProgress), *request);
}

}  // namespace swabwave::services
