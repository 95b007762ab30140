#include "services/api/checkin_service.h"

#include <google/protobuf/any.pb.h>

#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "engine/model/names.h"
#include "services/api/proto_convert.h"
#include "swabwave/v1/common.pb.h"

namespace swabwave::services {

namespace {

// How far ahead of the server's clock a tablet's scan time may be.
constexpr absl::Duration kScanFutureTolerance = absl::Minutes(10);

grpc::Status Error(grpc::StatusCode code, std::string message) {
  return grpc::Status(code, std::move(message));
}

// The time as the community reads it (the first community's offset).
std::string LocalTime(const engine::Round& round, absl::Time t) {
  const absl::TimeZone zone =
      absl::FixedTimeZone(round.layout().community(0).utc_offset_minutes * 60);
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

// The desk `name` names, if the caller may act at its site.
absl::StatusOr<engine::DeskIndex> MemoDesk(const ServiceContext& context, const Principal& caller,
                                           Rpc rpc, const engine::Round& round,
                                           const std::string& name, CheckInMemo* memo) {
  if (memo != nullptr && memo->desk != engine::kNoId && memo->desk_name == name) return memo->desk;
  absl::StatusOr<DeskName> parsed = ParseDeskName(name);
  if (!parsed.ok()) return parsed.status();
  if (absl::Status s = context.access->CheckSite(caller, rpc, parsed->site_id); !s.ok()) return s;
  absl::StatusOr<engine::DeskIndex> desk = round.ResolveDesk(parsed->site_id, parsed->number);
  if (desk.ok() && memo != nullptr) {
    memo->desk_name = name;
    memo->desk = *desk;
  }
  return desk;
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
      MemoDesk(context, caller, rpc, **round, desk_name, nullptr);
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
  absl::StatusOr<engine::DeskIndex> desk = MemoDesk(context, caller, rpc, r, request.desk(), memo);
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
  absl::StatusOr<absl::Time> scan_time =
      request.has_scan_time() ? TimeFromRequest("scan_time", request.scan_time()) : now;
  if (!scan_time.ok()) {
    answer.status = ToGrpcStatus(scan_time.status());
    answer.label = CheckInResultLabel::kBadScanTime;
    return prepared;
  }
  const absl::Time scan = *scan_time;
  if (scan < r.config().start - engine::kScanBeforeStartTolerance) {
    answer.status =
        Error(grpc::StatusCode::INVALID_ARGUMENT,
              absl::StrCat("scan_time ", LocalTime(r, scan), " is more than 1 h before round ",
                           r.config().id, " starts (", LocalTime(r, r.config().start),
                           "); check the tablet's clock"));
    answer.label = CheckInResultLabel::kBadScanTime;
    return prepared;
  }
  if (scan > now + kScanFutureTolerance) {
    answer.status = Error(
        grpc::StatusCode::INVALID_ARGUMENT,
        absl::StrCat("scan_time ", LocalTime(r, scan), " is in the future by the server's clock (",
                     LocalTime(r, now), "); check the tablet's clock"));
    answer.label = CheckInResultLabel::kBadScanTime;
    return prepared;
  }

  prepared.attempt = {*desk, request.resident_code(), absl::ToUnixSeconds(scan),
                      engine::core::RequestTag(request.request_id())};
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
    case CheckInVerdict::kUnknownResident:
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
      prepared.round->CheckIn(a.desk, a.code, a.scan_unix_seconds, a.request_tag);
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
        CheckInAnswer answer = ProcessCheckIn(context_, call.caller(), call.request(), start,
                                              nullptr, call.response(), &existing);
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

namespace {

// Reads and writes serialized messages and parses them itself: gRPC reports
// a message that does not parse like the client's half-close, and the
// stream would end OK with the check-ins after it never answered.
class CheckInStreamReactor final
    : public grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  // Outcomes waiting to be written past which the stream stops reading.
  static constexpr int kMaxPendingOutcomes = 4096;
  // Recycled answer messages kept per stream (one per message in flight).
  static constexpr size_t kMaxSpares = 16;

  CheckInStreamReactor(ServiceContext context, absl::StatusOr<Caller> caller)
      : context_(context), timer_(context.metrics, Rpc::kCheckInStream) {
    if (!caller.ok()) {
      absl::MutexLock lock(&mu_);
      reads_done_ = true;
      final_status_ = ToGrpcStatus(caller.status());
      MaybeFinishLocked();
      return;
    }
    caller_ = *std::move(caller);
    StartRead(&read_buffer_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      absl::MutexLock lock(&mu_);
      reads_done_ = true;
      MaybeFinishLocked();
      return;
    }
    ++messages_read_;
    if (!grpc::SerializationTraits<v1::CheckInStreamRequest>::Deserialize(&read_buffer_, &request_)
             .ok()) {
      // Answers to earlier messages still go out; nothing after this one is
      // read, and the tablet is told which message to look at.
      absl::MutexLock lock(&mu_);
      reads_done_ = true;
      final_status_ = grpc::Status(
          grpc::StatusCode::INVALID_ARGUMENT,
          absl::StrCat("stream message ", messages_read_,
                       " (counting from 1) does not parse as a CheckInStreamRequest: a string "
                       "field holds invalid UTF-8 (a resident_code straight from a QR reader?) "
                       "or the bytes are not that message; the messages before it were "
                       "answered, none after it was read: send them again on a new stream"));
      MaybeFinishLocked();
      return;
    }
    if (request_.check_ins_size() > kMaxCheckInsPerMessage) {
      absl::MutexLock lock(&mu_);
      reads_done_ = true;
      final_status_ =
          grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                       absl::StrCat("a stream message carried ", request_.check_ins_size(),
                                    " check-ins; at most ", kMaxCheckInsPerMessage,
                                    " per message: split the batch"));
      MaybeFinishLocked();
      return;
    }
    const int count = request_.check_ins_size();
    // Built in a recycled message: its cleared outcomes keep their
    // allocations, so a stream in steady state allocates nothing per answer.
    std::unique_ptr<v1::CheckInStreamResponse> answered = TakeSpare();
    // Admission is for the whole message: none of it touches the core when
    // the token is over its rate or the journal cannot take it.
    grpc::Status admission = ToGrpcStatus(context_.access->Charge(caller_, Rpc::kCheckInStream));
    if (admission.ok()) admission = StoreAdmission(*context_.store, count);
    if (!admission.ok()) {
      for (const v1::CheckInRequest& check_in : request_.check_ins()) {
        v1::CheckInOutcome* outcome = answered->add_outcomes();
        outcome->set_request_id(check_in.request_id());
        outcome->mutable_status()->set_code(admission.error_code());
        outcome->mutable_status()->set_message(admission.error_message());
        context_.metrics->RecordCheckIn(CheckInResultLabel::kNotAdmitted, absl::ZeroDuration());
      }
      absl::MutexLock lock(&mu_);
      QueueInOrderLocked(next_message_++, std::move(answered));
      ContinueReadingLocked();
      return;
    }
    const absl::Time received = absl::Now();
    std::vector<CheckInResultLabel> labels;
    labels.reserve(count);
    ProcessMessage(answered.get(), &labels);
    uint64_t message;
    {
      absl::MutexLock lock(&mu_);
      message = next_message_++;
      ++awaiting_durable_;
      awaiting_outcomes_ += count;
      // Read the next message while this one's records are written: group
      // commit needs several messages in flight to fill a batch.
      ContinueReadingLocked();
    }
    // Every answer waits for everything appended so far: this message's
    // records, and those of check-ins it reported as already done.
    WhenDurable(*context_.store, grpc::Status::OK,
                [this, answered = std::move(answered), labels = std::move(labels), count,
                 message, received](const grpc::Status& durable) mutable {
                  if (!durable.ok()) Unavailable(durable, answered.get());
                  // From the message's arrival to its answers being ready.
                  const absl::Duration latency = absl::Now() - received;
                  for (CheckInResultLabel label : labels) {
                    context_.metrics->RecordCheckIn(label, latency);
                  }
                  absl::MutexLock lock(&mu_);
                  --awaiting_durable_;
                  awaiting_outcomes_ -= count;
                  QueueInOrderLocked(message, std::move(answered));
                  if (read_paused_ && !write_failed_ && Backlog() < kMaxPendingOutcomes / 2) {
                    read_paused_ = false;
                    StartRead(&read_buffer_);
                  }
                  MaybeFinishLocked();
                });
  }

  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&mu_);
    writing_ = false;
    if (!ok) {
      // The client is gone; nothing more can be delivered.
      write_failed_ = true;
      pending_.Clear();
    }
    MaybeWriteLocked();
    if (read_paused_ && Backlog() < kMaxPendingOutcomes / 2 && !write_failed_) {
      read_paused_ = false;
      StartRead(&read_buffer_);
    } else if (read_paused_ && write_failed_) {
      read_paused_ = false;
      reads_done_ = true;
    }
    MaybeFinishLocked();
  }

  void OnDone() override { delete this; }

 private:
  // Checks every request of request_, hands the valid ones to the core (one
  // batch per round: a tablet sends one round, so usually one batch), and
  // describes each outcome into `answered` and its metrics label into
  // `labels`.
  void ProcessMessage(v1::CheckInStreamResponse* answered,
                      std::vector<CheckInResultLabel>* labels) {
    const absl::Time now = absl::Now();
    const int count = request_.check_ins_size();
    prepared_.clear();
    for (const v1::CheckInRequest& check_in : request_.check_ins()) {
      prepared_.push_back(
          PrepareCheckIn(context_, *caller_, Rpc::kCheckInStream, check_in, now, &memo_));
    }
    results_.assign(count, engine::core::CheckInResult());
    for (int first = 0; first < count; ++first) {
      engine::Round* round = prepared_[first].round;
      if (!prepared_[first].valid || prepared_[first].batched) continue;
      attempts_.clear();
      batch_index_.clear();
      for (int i = first; i < count; ++i) {
        if (prepared_[i].valid && !prepared_[i].batched && prepared_[i].round == round) {
          attempts_.push_back(prepared_[i].attempt);
          batch_index_.push_back(i);
          prepared_[i].batched = true;
        }
      }
      batch_results_.resize(attempts_.size());
      round->CheckInBatch(attempts_, absl::MakeSpan(batch_results_));
      for (size_t b = 0; b < batch_index_.size(); ++b) {
        results_[batch_index_[b]] = batch_results_[b];
      }
    }
    for (int i = 0; i < count; ++i) {
      v1::CheckInOutcome* outcome = answered->add_outcomes();
      outcome->set_request_id(request_.check_ins(i).request_id());
      CheckInAnswer answer = prepared_[i].answer;
      if (prepared_[i].valid) {
        // `existing_` is filled only for ALREADY_EXISTS: the outcome's own
        // field is not allocated for every answer.
        answer = DescribeCheckIn(*prepared_[i].round, prepared_[i].attempt, results_[i],
                                 outcome->mutable_result(), &existing_);
      }
      if (!answer.status.ok()) {
        outcome->clear_result();
        v1::ErrorStatus* status = outcome->mutable_status();
        status->set_code(answer.status.error_code());
        status->set_message(answer.status.error_message());
        if (answer.status.error_code() == grpc::StatusCode::ALREADY_EXISTS) {
          status->add_details()->PackFrom(existing_);
          outcome->mutable_existing()->Swap(&existing_);
        }
      }
      existing_.Clear();
      labels->push_back(answer.label);
    }
  }

  std::unique_ptr<v1::CheckInStreamResponse> TakeSpare() {
    absl::MutexLock lock(&mu_);
    if (spare_.empty()) return std::make_unique<v1::CheckInStreamResponse>();
    std::unique_ptr<v1::CheckInStreamResponse> message = std::move(spare_.back());
    spare_.pop_back();
    return message;
  }
  void KeepSpareLocked(std::unique_ptr<v1::CheckInStreamResponse> message)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (spare_.size() >= kMaxSpares) return;
    message->Clear();  // keeps the cleared outcomes for reuse
    spare_.push_back(std::move(message));
  }

  // The journal failed before these answers were durable: none may say OK.
  static void Unavailable(const grpc::Status& durable, v1::CheckInStreamResponse* answered) {
    for (v1::CheckInOutcome& outcome : *answered->mutable_outcomes()) {
      outcome.clear_result();
      outcome.clear_existing();
      outcome.mutable_status()->Clear();
      outcome.mutable_status()->set_code(durable.error_code());
      outcome.mutable_status()->set_message(durable.error_message());
    }
  }

  // Outcomes written or waiting, and outcomes waiting for the journal.
  int Backlog() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return pending_.outcomes_size() + awaiting_outcomes_;
  }

  // Queues message `message`'s outcomes for writing once every earlier
  // message's are queued: answers leave in the order their messages came,
  // so a retry's answer follows the original's even though the journal may
  // complete them in another order. An early message waits whole (its
  // outcomes keep their allocations for the spare it becomes).
  void QueueInOrderLocked(uint64_t message, std::unique_ptr<v1::CheckInStreamResponse> answered)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (message != next_to_queue_) {
      ready_.emplace(message, std::move(answered));
      return;
    }
    Queue(std::move(answered));
    ++next_to_queue_;
    for (auto it = ready_.begin(); it != ready_.end() && it->first == next_to_queue_;
         it = ready_.erase(it)) {
      Queue(std::move(it->second));
      ++next_to_queue_;
    }
    MaybeWriteLocked();
  }

  // Moves the answers into pending_ and keeps the emptied message as a spare.
  void Queue(std::unique_ptr<v1::CheckInStreamResponse> answered)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (write_failed_) {
      // Nothing more can be delivered.
    } else if (pending_.outcomes_size() == 0) {
      // The usual case (nothing waits to be written): the whole message
      // changes places, without touching its outcomes.
      pending_.Swap(answered.get());
    } else {
      for (v1::CheckInOutcome& outcome : *answered->mutable_outcomes()) {
        pending_.add_outcomes()->Swap(&outcome);
      }
    }
    KeepSpareLocked(std::move(answered));
  }

  // Reads the next message unless too many outcomes are waiting (a slow
  // reader or a slow disk cannot make the server buffer without bound).
  void ContinueReadingLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (Backlog() < kMaxPendingOutcomes) {
      StartRead(&read_buffer_);
    } else {
      read_paused_ = true;  // resumed once the backlog drains
    }
  }

  void MaybeWriteLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (writing_ || write_failed_ || pending_.outcomes_size() == 0) return;
    in_flight_.Clear();
    in_flight_.Swap(&pending_);
    bool own_buffer;
    write_buffer_.Clear();  // the last write's bytes: that write is done
    if (!grpc::SerializationTraits<v1::CheckInStreamResponse>::Serialize(in_flight_,
                                                                         &write_buffer_,
                                                                         &own_buffer)
             .ok()) {
      // Only a message past 2 GiB fails to serialize, and the backlog is
      // bounded far below that: treat it as a write that failed.
      write_failed_ = true;
      pending_.Clear();
      return;
    }
    writing_ = true;
    StartWrite(&write_buffer_);
  }

  void MaybeFinishLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_ || !reads_done_ || writing_ || awaiting_durable_ > 0 ||
        (pending_.outcomes_size() > 0 && !write_failed_)) {
      return;
    }
    finished_ = true;
    timer_.Record(final_status_);
    Finish(final_status_);
  }

  ServiceContext context_;
  const RpcTimer timer_;
  Caller caller_;
  grpc::ByteBuffer read_buffer_;       // owned by the read in flight
  v1::CheckInStreamRequest request_;   // the last message read, parsed
  uint64_t messages_read_ = 0;         // touched only by OnReadDone
  // Touched only by OnReadDone (one read at a time); kept to reuse storage.
  CheckInMemo memo_;
  std::vector<PreparedCheckIn> prepared_;
  std::vector<engine::core::CheckInAttempt> attempts_;
  std::vector<int> batch_index_;
  std::vector<engine::core::CheckInResult> batch_results_;
  std::vector<engine::core::CheckInResult> results_;
  v1::ExistingCheckIn existing_;

  absl::Mutex mu_;
  v1::CheckInStreamResponse pending_ ABSL_GUARDED_BY(mu_);
  v1::CheckInStreamResponse in_flight_ ABSL_GUARDED_BY(mu_);
  grpc::ByteBuffer write_buffer_ ABSL_GUARDED_BY(mu_);  // in_flight_, serialized
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool write_failed_ ABSL_GUARDED_BY(mu_) = false;
  bool read_paused_ ABSL_GUARDED_BY(mu_) = false;
  bool reads_done_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  int awaiting_durable_ ABSL_GUARDED_BY(mu_) = 0;   // messages waiting for the journal
  int awaiting_outcomes_ ABSL_GUARDED_BY(mu_) = 0;  // their outcomes
  uint64_t next_message_ ABSL_GUARDED_BY(mu_) = 0;   // number of the next message read
  uint64_t next_to_queue_ ABSL_GUARDED_BY(mu_) = 0;  // next message whose answers go out
  // Durable, but earlier messages are not yet.
  std::map<uint64_t, std::unique_ptr<v1::CheckInStreamResponse>> ready_ ABSL_GUARDED_BY(mu_);
  std::vector<std::unique_ptr<v1::CheckInStreamResponse>> spare_ ABSL_GUARDED_BY(mu_);
  grpc::Status final_status_ ABSL_GUARDED_BY(mu_) = grpc::Status::OK;
};

}  // namespace

grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* CheckInService::CheckInStream(
    grpc::CallbackServerContext* ctx) {
  return new CheckInStreamReactor(context_, context_.access->Admit(*ctx, Rpc::kCheckInStream));
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
