#include "services/api/checkin_stream.h"

#include <grpcpp/impl/codegen/proto_utils.h>

#include <map>
#include <memory>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "services/api/checkin_service.h"

namespace swabwave::services {

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
    {
      absl::MutexLock lock(&mu_);
      read_outstanding_ = true;
    }
    StartRead(&read_buffer_);
    // Registered after the read starts: a revocation from now on ends the
    // stream, even while it waits for the tablet's next message.
    stream_id_ = context_.access->streams().Add(caller_, [this] { Revoke(); });
  }

  // The stream's token was revoked: answers to messages already read still
  // go out, nothing more is read, and the stream ends UNAUTHENTICATED.
  void Revoke() {
    absl::MutexLock lock(&mu_);
    if (finished_ || revoked_) return;
    revoked_ = true;
    final_status_ = grpc::Status(
        grpc::StatusCode::UNAUTHENTICATED,
        "this stream's token was revoked when the server reloaded its tokens; the messages "
        "already answered stand, none after them was read: send them again with a current "
        "token on a new stream");
    if (read_outstanding_ || read_paused_) {
      // No message is being handled: the outstanding read (if any) is
      // abandoned; it completes, without effect, once the call is finished.
      read_paused_ = false;
      reads_done_ = true;
    }
    // Otherwise OnReadDone is handling a message; it reads no further.
    MaybeFinishLocked();
  }

  void OnReadDone(bool ok) override {
    {
      absl::MutexLock lock(&mu_);
      read_outstanding_ = false;
      if (!ok || revoked_) {
        // A message read after the revocation is dropped unanswered: the
        // stream's status tells the tablet to send it again.
        reads_done_ = true;
        MaybeFinishLocked();
        return;
      }
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
      // A revocation meanwhile made this message the last.
      MaybeFinishLocked();
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
                  grpc::Status end;
                  bool finish;
                  {
                    absl::MutexLock lock(&mu_);
                    --awaiting_durable_;
                    awaiting_outcomes_ -= count;
                    QueueInOrderLocked(message, std::move(answered));
                    if (read_paused_ && !write_failed_ && Backlog() < kMaxPendingOutcomes / 2) {
                      read_paused_ = false;
                      StartReadLocked();
                    }
                    finish = TakeFinishLocked(&end);
                  }
                  // Not a reaction (the journal's thread): gRPC may delete
                  // this reactor as soon as Finish is called, so Finish is
                  // the last use of `this`, after mu_ is released.
                  if (finish) Finish(end);
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
      StartReadLocked();
    } else if (read_paused_ && write_failed_) {
      read_paused_ = false;
      reads_done_ = true;
    }
    MaybeFinishLocked();
  }

  void OnDone() override {
    context_.access->streams().Remove(stream_id_);
    delete this;
  }

 private:
  // Checks every request of request_, hands the valid ones to the core (one
  // batch per round: a tablet sends one round, so usually one batch), and
  // describes each outcome into `answered` and its metrics label into
  // `labels`.
  void ProcessMessage(v1::CheckInStreamResponse* answered,
                      std::vector<CheckInResultLabel>* labels) {
    const absl::Time now = context_.clock.Now();
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
          // A household runs on while the check-in before it in the batch
          // names the same group (one refused before the core, say a bad
          // scan time, leaves the rest of its household together).
          const std::string& group = request_.check_ins(i).group();
          attempts_.back().with_previous =
              !group.empty() && !batch_index_.empty() &&
              request_.check_ins(batch_index_.back()).group() == group &&
              attempts_[attempts_.size() - 2].desk == attempts_.back().desk;
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
    if (revoked_) {
      reads_done_ = true;  // the message just handled was the last
    } else if (Backlog() < kMaxPendingOutcomes) {
      StartReadLocked();
    } else {
      read_paused_ = true;  // resumed once the backlog drains
    }
  }

  void StartReadLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    read_outstanding_ = true;
    StartRead(&read_buffer_);
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

  // Whether the stream is done (nothing more to read, write or wait for)
  // and not yet finished; if so, marks it finished and gives its status.
  bool TakeFinishLocked(grpc::Status* end) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_ || !reads_done_ || writing_ || awaiting_durable_ > 0 ||
        (pending_.outcomes_size() > 0 && !write_failed_)) {
      return false;
    }
    finished_ = true;
    timer_.Record(final_status_);
    *end = final_status_;
    return true;
  }

  // Finishes under mu_: only from a reaction, the constructor or Revoke
  // (gRPC runs OnDone only after the reaction returns; Revoke's caller
  // holds the registry lock that OnDone's Remove waits for).
  void MaybeFinishLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    grpc::Status end;
    if (TakeFinishLocked(&end)) Finish(end);
  }

  ServiceContext context_;
  const RpcTimer timer_;
  Caller caller_;
  OpenStreams::Id stream_id_ = 0;      // set in the constructor, before any reaction runs
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
  bool read_outstanding_ ABSL_GUARDED_BY(mu_) = false;  // a StartRead not yet done
  bool revoked_ ABSL_GUARDED_BY(mu_) = false;
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

grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* NewCheckInStream(
    ServiceContext context, absl::StatusOr<Caller> caller) {
  return new CheckInStreamReactor(context, std::move(caller));
}

}  // namespace swabwave::services
