#include "services/api/checkin_service.h"

#include <google/protobuf/any.pb.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "engine/model/local_time.h"
#include "engine/model/names.h"
#include "services/api/checkin_stream.h"
#include "services/api/proto_convert.h"
#include "swabwave/v1/common.pb.h"

namespace swabwave::services {

namespace {

// How far ahead of the server's clock a tablet's scan time may be.
constexpr absl::Duration kScanFutureTolerance = absl::Minutes(10);
// The longest household label (CheckInRequest.group) a tablet may send.
constexpr size_t kMaxGroupBytes = 64;

grpc::Status Error(grpc::StatusCode code, std::string message) {
  return grpc::Status(code, std::move(message));
}

// The time as the community reads it (the first community's offset).
std::string LocalTime(const engine::Round& round, absl::Time t) {
  const absl::TimeZone zone = engine::ZoneOf(round.layout().community(0));
  return absl::FormatTime("%Y-%m-%d %H:%M:%S %Ez", t, zone);
}

v1::TubeState TubeStateToProto(engine::core::TubeState state) {
  switch (state) {
    case engine::core::TubeState::kRacked:
      return v1::TUBE_STATE_RACKED;
    case engine::core::TubeState::kOpen:
      return v1::TUBE_STATE_OPEN;
    case engine::core::TubeState::kSealed:
      return v1::TUBE_STATE_SEALED;
  }
  return v1::TUBE_STATE_UNSPECIFIED;
}

void TubeToProto(const engine::Round& round, const engine::core::TubeView& view, v1::Tube* out) {
  out->set_name(absl::StrCat(RoundName(round.config().id), "/tubes/", view.barcode));
  out->set_barcode(view.barcode);
  out->set_desk(round.DeskName(view.desk));
  out->set_capacity(round.config().pool_ratio);
  out->set_swabs(static_cast<int32_t>(view.swabs));
  out->set_state(TubeStateToProto(view.state));
}

absl::StatusOr<engine::Round*> MemoRound(const engine::Registry& registry, const std::string& name,
                                         CheckInMemo* memo) {
  if (memo != nullptr && memo->round != nullptr && memo->round_name == name) return memo->round;
  absl::StatusOr<engine::Round*> round = LookUpRound(registry, name);
  if (round.ok() && memo != nullptr) {
    memo->round_name = name;
    memo->round = *round;
    memo->desk_name.clear();
    memo->desk = engine::kNoId;
  }
  return round;
}

// Round and desk of a tube request.
struct TubeTarget {
  engine::Round* round = nullptr;
  engine::DeskIndex desk = engine::kNoId;
};

absl::StatusOr<TubeTarget> ResolveTubeTarget(const ServiceContext& context,
                                             const Principal& caller, Rpc rpc,
                                             const std::string& request_id,
                                             const std::string& round_name,
                                             const std::string& desk_name,
                                             const std::string& barcode) {
  if (absl::Status s = CheckRequestId(request_id); !s.ok()) return s;
  absl::StatusOr<engine::Round*> round = LookUpRound(*context.registry, round_name);
  if (!round.ok()) return round.status();
  absl::StatusOr<engine::DeskIndex> desk =
      ResolveDeskFor(context, caller, rpc, **round, desk_name, nullptr);
  if (!desk.ok()) return desk.status();
  if (!engine::IsValidCode(barcode)) {
    return absl::InvalidArgumentError(
        absl::StrCat("tube_barcode '", barcode.substr(0, 80),
                     "' is not a barcode: use 4-64 printable ASCII characters without spaces, "
                     "commas or quotes"));
  }
  return TubeTarget{*round, *desk};
}

}  // namespace

absl::StatusOr<engine::DeskIndex> ResolveDeskFor(const ServiceContext& context,
                                                 const Principal& caller, Rpc rpc,
                                                 const engine::Round& round,
                                                 const std::string& name, CheckInMemo* memo) {
  if (memo != nullptr && memo->desk != engine::kNoId && memo->desk_name == name) return memo->desk;
  absl::StatusOr<DeskName> parsed = ParseDeskName(name);
  if (!parsed.ok()) return parsed.status();
  if (absl::Status s = context.access->CheckDesk(caller, rpc, *parsed); !s.ok()) return s;
  absl::StatusOr<engine::DeskIndex> desk =
      parsed->team() ? round.ResolveTeam(parsed->community_id, parsed->number)
                     : round.ResolveDesk(parsed->site_id, parsed->number);
  if (desk.ok() && memo != nullptr) {
    memo->desk_name = name;
    memo->desk = *desk;
  }
  return desk;
}

absl::StatusOr<absl::Time> MomentFromRequest(const engine::Round& round,
                                             absl::string_view field,
                                             const google::protobuf::Timestamp* given,
                                             absl::Time now) {
  absl::StatusOr<absl::Time> at = given != nullptr ? TimeFromRequest(field, *given) : now;
  if (!at.ok()) return at.status();
  if (absl::Status s = CheckMomentInRound(round, field, *at, now); !s.ok()) return s;
  return at;
}

absl::Status CheckMomentInRound(const engine::Round& round, absl::string_view field,
                                absl::Time at, absl::Time now) {
  if (at < round.config().start - engine::kScanBeforeStartTolerance) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, " ", LocalTime(round, at), " is more than 1 h before round ", round.config().id,
        " starts (", LocalTime(round, round.config().start), "); check the tablet's clock"));
  }
  if (at > now + kScanFutureTolerance) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " ", LocalTime(round, at), " is in the future by the server's clock (",
                     LocalTime(round, now), "); check the tablet's clock"));
  }
  return absl::OkStatus();
}

PreparedCheckIn PrepareCheckIn(const ServiceContext& context, const Principal& caller, Rpc rpc,
                               const v1::CheckInRequest& request, absl::Time now,
                               CheckInMemo* memo) {
  PreparedCheckIn prepared;
  CheckInAnswer& answer = prepared.answer;
  if (absl::Status s = CheckRequestId(request.request_id()); !s.ok()) {
    answer.status = ToGrpcStatus(s);
    return prepared;
  }
  absl::StatusOr<engine::Round*> round = MemoRound(*context.registry, request.round(), memo);
  if (!round.ok()) {
    answer.status = ToGrpcStatus(round.status());
    return prepared;
  }
  engine::Round& r = **round;
  prepared.round = &r;
  absl::StatusOr<engine::DeskIndex> desk = ResolveDeskFor(context, caller, rpc, r, request.desk(), memo);
  if (!desk.ok()) {
    answer.status = ToGrpcStatus(desk.status());
    switch (desk.status().code()) {
      case absl::StatusCode::kNotFound:
        answer.label = CheckInResultLabel::kUnknownDesk;
        break;
      case absl::StatusCode::kPermissionDenied:
        answer.label = CheckInResultLabel::kPermissionDenied;
        break;
      default:
        answer.label = CheckInResultLabel::kInvalidRequest;
    }
    return prepared;
  }
  if (absl::Status s = engine::CheckCode("resident_code", request.resident_code()); !s.ok()) {
    answer.status = ToGrpcStatus(s);
    return prepared;
  }
  if (request.group().size() > kMaxGroupBytes) {
    answer.status = Error(grpc::StatusCode::INVALID_ARGUMENT,
                          absl::StrCat("group is ", request.group().size(),
                                       " bytes; a household's label is at most ", kMaxGroupBytes));
    return prepared;
  }
  absl::StatusOr<absl::Time> scan_time =
      request.has_scan_time() ? TimeFromRequest("scan_time", request.scan_time()) : now;
  if (!scan_time.ok()) {
    answer.status = ToGrpcStatus(scan_time.status());
    answer.label = CheckInResultLabel::kBadScanTime;
    return prepared;
  }
  const absl::Time scan = *scan_time;
  if (absl::Status s = CheckMomentInRound(r, "scan_time", scan, now); !s.ok()) {
    answer.status = ToGrpcStatus(s);
    answer.label = CheckInResultLabel::kBadScanTime;
    return prepared;
  }

  prepared.attempt = {*desk, request.resident_code(), absl::ToUnixSeconds(scan),
                      engine::core::RequestFingerprint(request.request_id())};
  prepared.valid = true;
  return prepared;
}

CheckInAnswer DescribeCheckIn(const engine::Round& r, const engine::core::CheckInAttempt& attempt,
                              const engine::core::CheckInResult& outcome,
                              v1::CheckInResponse* result, v1::ExistingCheckIn* existing) {
  using engine::core::CheckInVerdict;
  CheckInAnswer answer;
  answer.label = LabelOf(outcome.verdict);
  switch (outcome.verdict) {
    case CheckInVerdict::kSampled:
    case CheckInVerdict::kReplayed: {
      result->set_resident_id(outcome.resident);
      const absl::string_view barcode = r.TubeBarcode(outcome.tube);
      result->set_tube_barcode(barcode.data(), barcode.size());
      result->set_position(static_cast<int32_t>(outcome.slot) + 1);
      result->set_capacity(r.config().pool_ratio);
      result->set_tube_full(outcome.tube_full);
      ToProto(absl::FromUnixSeconds(outcome.scan_unix_seconds), result->mutable_scan_time());
      result->set_replayed(outcome.verdict == CheckInVerdict::kReplayed);
      answer.status = grpc::Status::OK;
      break;
    }
    case CheckInVerdict::kAlreadySampled: {
      const std::string where = r.DeskName(outcome.desk);
      const std::string barcode = r.Tube(outcome.tube).barcode;
      const absl::Time when = absl::FromUnixSeconds(outcome.scan_unix_seconds);
      existing->set_resident_id(outcome.resident);
      existing->set_desk(where);
      existing->set_tube_barcode(barcode);
      existing->set_position(static_cast<int32_t>(outcome.slot) + 1);
      ToProto(when, existing->mutable_scan_time());
      answer.status = Error(
          grpc::StatusCode::ALREADY_EXISTS,
          absl::StrCat("resident ", outcome.resident, " was already sampled in round ",
                       r.config().id, " at ", where, " at ", LocalTime(r, when), " (tube ", barcode,
                       ", ", outcome.slot + 1, "/", r.config().pool_ratio, "); do not swab again"));
      break;
    }
    case CheckInVerdict::kRequestReused:
      answer.status = Error(
          grpc::StatusCode::INVALID_ARGUMENT,
          absl::StrCat("request_id was already used for the check-in of resident ",
                       outcome.resident, " in round ", r.config().id,
                       "; a request_id names one attempt: send this check-in with a new one "
                       "(nothing was recorded)"));
      break;
    case CheckInVerdict::kUnknownResident:
      // Not on the round's roster: maybe registered here as a walk-in (a
      // rare path: the book's lock, never on a sampled check-in's way).
      if (const std::optional<engine::roster::WalkInBook::Recorded> walk_in =
              r.FindWalkIn(attempt.code)) {
        const engine::roster::WalkIn& w = walk_in->walk_in;
        const std::string where = r.DeskName(w.desk);
        const std::string barcode(r.TubeBarcode(w.tube));
        const absl::Time when = absl::FromUnixSeconds(w.scan_unix_seconds);
        existing->set_resident_id(r.walk_in_member(walk_in->index));
        existing->set_desk(where);
        existing->set_tube_barcode(barcode);
        existing->set_position(static_cast<int32_t>(w.slot) + 1);
        ToProto(when, existing->mutable_scan_time());
        answer.label = CheckInResultLabel::kAlreadySampled;
        answer.status = Error(
            grpc::StatusCode::ALREADY_EXISTS,
            absl::StrCat("this person registered as a walk-in in round ", r.config().id,
                         " and was sampled at ", where, " at ", LocalTime(r, when), " (tube ",
                         barcode, ", ", w.slot + 1, "/", r.config().pool_ratio,
                         "); do not swab again"));
        break;
      }
      answer.status =
          Error(grpc::StatusCode::NOT_FOUND,
                absl::StrCat("the resident code is not registered in round ", r.config().id,
                             "'s communities; check the QR code, or send the "
                             "person to the registration desk"));
      break;
    case CheckInVerdict::kUnknownDesk:
      answer.status = Error(grpc::StatusCode::NOT_FOUND, "no such desk in this round");
      break;
    case CheckInVerdict::kNoOpenTube:
      answer.status = Error(grpc::StatusCode::FAILED_PRECONDITION,
                            absl::StrCat(r.DeskName(attempt.desk),
                                         " has no open tube; scan a new tube (OpenTube), then "
                                         "retry this check-in with the same request_id"));
      break;
    case CheckInVerdict::kScanTimeOutOfRange:
      answer.status = Error(grpc::StatusCode::INVALID_ARGUMENT,
                            "scan_time is outside the range this round can record");
      break;
    case CheckInVerdict::kNotTargeted:
      answer.status = Error(
          grpc::StatusCode::FAILED_PRECONDITION,
          absl::StrCat("round ", r.config().id,
                       " is targeted and does not cover this resident (see the round's target); "
                       "nothing was recorded: they are tested in a round over their building"));
      break;
    case CheckInVerdict::kRoundNotOpen:
      answer.status =
          Error(grpc::StatusCode::FAILED_PRECONDITION,
                absl::StrCat("round ", r.config().id, " is ", engine::PhaseName(r.phase()),
                             "; check-ins are taken only while it is open"));
      break;
  }
  return answer;
}

CheckInAnswer ProcessCheckIn(const ServiceContext& context, const Principal& caller,
                             const v1::CheckInRequest& request, absl::Time now, CheckInMemo* memo,
                             v1::CheckInResponse* result, v1::ExistingCheckIn* existing) {
  PreparedCheckIn prepared = PrepareCheckIn(context, caller, Rpc::kCheckIn, request, now, memo);
  if (!prepared.valid) return prepared.answer;
  const engine::core::CheckInAttempt& a = prepared.attempt;
  const engine::core::CheckInResult outcome =
      prepared.round->CheckIn(a.desk, a.code, a.scan_unix_seconds, a.request);
  return DescribeCheckIn(*prepared.round, a, outcome, result, existing);
}

grpc::ServerUnaryReactor* CheckInService::CheckIn(grpc::CallbackServerContext* ctx,
                                                  const grpc::ByteBuffer* request,
                                                  grpc::ByteBuffer* response) {
  return UnaryCall<v1::CheckInRequest, v1::CheckInResponse>::Start(
      context_, Rpc::kCheckIn, ctx, request, response, [this](auto& call) {
        const absl::Time start = absl::Now();
        if (grpc::Status admission = StoreAdmission(*context_.store, 1); !admission.ok()) {
          context_.metrics->RecordCheckIn(CheckInResultLabel::kNotAdmitted, absl::Now() - start);
          return call.Finish(admission);
        }
        v1::ExistingCheckIn existing;
        CheckInAnswer answer =
            ProcessCheckIn(context_, call.caller(), call.request(), context_.clock.Now(), nullptr,
                           call.response(), &existing);
        if (answer.status.error_code() == grpc::StatusCode::ALREADY_EXISTS) {
          // The detail travels as a google.rpc.Status-compatible ErrorStatus
          // in grpc-status-details-bin.
          v1::ErrorStatus details;
          details.set_code(grpc::StatusCode::ALREADY_EXISTS);
          details.set_message(answer.status.error_message());
          details.add_details()->PackFrom(existing);
          answer.status = grpc::Status(answer.status.error_code(), answer.status.error_message(),
                                       details.SerializeAsString());
        }
        // Whatever the answer says (sampled, replayed, already sampled) must
        // be durable before the tablet hears it; the latency counts that wait.
        WhenDurable(*context_.store, answer.status,
                    [this, c = &call, start, label = answer.label](const grpc::Status& status) {
                      context_.metrics->RecordCheckIn(label, absl::Now() - start);
                      c->Finish(status);
                    });
      });
}


grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* CheckInService::CheckInStream(
    grpc::CallbackServerContext* ctx) {
  return NewCheckInStream(context_, context_.access->Admit(*ctx, Rpc::kCheckInStream));
}

namespace {

// OpenTube and SealTube: one path; only the engine's change differs.
template <class Call>
void ChangeTube(Call& call, absl::string_view method,
                absl::StatusOr<engine::core::TubeView> (engine::Round::*change)(
                    engine::DeskIndex, absl::string_view)) {
  const auto& r = call.request();
  absl::StatusOr<TubeTarget> target = ResolveTubeTarget(
      call.context(), call.caller(), call.rpc(), r.request_id(), r.round(), r.desk(),
      r.tube_barcode());
  if (!target.ok()) return call.Finish(target.status());
  if (grpc::Status admission = StoreAdmission(*call.context().store, 1); !admission.ok()) {
    return call.Finish(admission);
  }
  call.RunIdempotent(method, [&] {
    absl::StatusOr<engine::core::TubeView> tube =
        (target->round->*change)(target->desk, r.tube_barcode());
    if (!tube.ok()) return ToGrpcStatus(tube.status());
    TubeToProto(*target->round, *tube, call.response()->mutable_tube());
    return grpc::Status::OK;
  });
}

}  // namespace

grpc::ServerUnaryReactor* CheckInService::OpenTube(grpc::CallbackServerContext* ctx,
                                                   const grpc::ByteBuffer* request,
                                                   grpc::ByteBuffer* response) {
  return UnaryCall<v1::OpenTubeRequest, v1::OpenTubeResponse>::Start(
      context_, Rpc::kOpenTube, ctx, request, response,
      [](auto& call) { ChangeTube(call, "OpenTube", &engine::Round::RackTube); });
}

grpc::ServerUnaryReactor* CheckInService::SealTube(grpc::CallbackServerContext* ctx,
                                                   const grpc::ByteBuffer* request,
                                                   grpc::ByteBuffer* response) {
  return UnaryCall<v1::SealTubeRequest, v1::SealTubeResponse>::Start(
      context_, Rpc::kSealTube, ctx, request, response,
      [](auto& call) { ChangeTube(call, "SealTube", &engine::Round::SealTube); });
}

}  // namespace swabwave::services
