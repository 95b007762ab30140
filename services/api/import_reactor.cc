#include "services/api/import_reactor.h"

#include <grpcpp/alarm.h>
#include <grpcpp/impl/codegen/proto_utils.h>
#include <spdlog/spdlog.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "engine/model/names.h"
#include "services/api/proto_convert.h"
#include "services/api/roster_convert.h"

namespace swabwave::services {

namespace {

size_t ChunkEntities(const v1::ImportCommunityRequest& c) {
  return c.compounds_size() + c.buildings_size() + c.units_size() + c.households_size() +
         c.residents_size() + c.sites_size() + c.staff_size();
}

// Reads an import stream chunk by chunk; imports the community at the end.
// Raw, parsing its own chunks: gRPC reports a chunk that does not parse
// like the client's half-close.
class ImportReactor final : public grpc::ServerReadReactor<grpc::ByteBuffer> {
 public:
  ImportReactor(ServiceContext context, grpc::CallbackServerContext* ctx,
                absl::StatusOr<Caller> caller, grpc::ByteBuffer* raw_response)
      : context_(context),
        ctx_(ctx),
        raw_response_(raw_response),
        timer_(context.metrics, Rpc::kImportCommunity) {
    if (!caller.ok()) {
      Fail(caller.status());
      return;
    }
    absl::StatusOr<StreamHold> hold = context_.access->HoldStream(*caller, Rpc::kImportCommunity);
    if (!hold.ok()) {
      Fail(hold.status());
      return;
    }
    hold_ = *std::move(hold);
    caller_ = *std::move(caller);
    StartRead(&raw_chunk_);  // the first chunk was charged with the call
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      // The client closed its side: the stream is complete, unless its
      // token was revoked while the last read waited.
      if (caller_->revoked()) return Fail(RevokedError());
      context_.slow->Submit([this] { Import(); });
      return;
    }
    if (!grpc::SerializationTraits<v1::ImportCommunityRequest>::Deserialize(&raw_chunk_, &chunk_)
             .ok()) {
      return Fail(absl::InvalidArgumentError(absl::StrCat(
          "import chunk ", chunks_, " (counting from 0) does not parse as an "
          "ImportCommunityRequest: a string field holds invalid UTF-8, or the bytes are not that "
          "message; nothing was imported")));
    }
    if (ChunkEntities(chunk_) > kMaxImportChunkEntities) {
      return Fail(absl::InvalidArgumentError(
          absl::StrCat("chunk ", chunks_, " holds ", ChunkEntities(chunk_), " entities; at most ",
                       kMaxImportChunkEntities, " per chunk")));
    }
    entities_ += ChunkEntities(chunk_);
    if (entities_ > context_.max_import_entities) {
      return Fail(absl::ResourceExhaustedError(absl::StrCat(
          "the import passed ", context_.max_import_entities,
          " entities at chunk ", chunks_, ", the most one community may hold on this server "
          "(swabwaved --max_import_entities); split the city into communities")));
    }
    if (chunks_ == 0 && engine::IsValidId(chunk_.community().community_id())) {
      // The first chunk names the community: refuse before reading the rest.
      // (A chunk without a valid id is refused just below, with the
      // assembler's message about the header.)
      if (absl::Status s = context_.access->CheckCommunity(*caller_, Rpc::kImportCommunity,
                                                           chunk_.community().community_id());
          !s.ok()) {
        return Fail(s);
      }
    }
    if (absl::Status s = assembler_.Add(chunk_, chunks_); !s.ok()) return Fail(s);
    // The whole stream is the request: a retry re-sends every chunk, and a
    // different stream under the same request_id is another request.
    stream_fingerprint_ = RequestCache::ChainFingerprint(stream_fingerprint_, chunk_);
    ++chunks_;
    ReadNextWhenAdmitted();
  }

  void OnCancel() override {
    absl::MutexLock lock(&mu_);
    cancelled_ = true;
    // The alarm's callback (fired = false) ends the call.
    if (pending_alarm_ != nullptr) pending_alarm_->Cancel();
  }

  void OnDone() override { delete this; }

 private:
  void Fail(const absl::Status& status) { Answer(ToGrpcStatus(status)); }

  static absl::Status RevokedError() {
    return absl::UnauthenticatedError(
        "this import's token was revoked when the server reloaded its tokens; nothing was "
        "imported: import again with a current token");
  }

  // Every chunk after the first is one request of the token's rate
  // (docs/access.md): the next chunk is read once the rate admits it, so an
  // import is paced by its token, not refused halfway through a city.
  void ReadNextWhenAdmitted() {
    if (caller_->revoked()) return Fail(RevokedError());
    const absl::Duration wait = caller_->limiter.Take(absl::Now(), 1);
    if (wait == absl::ZeroDuration()) {
      StartRead(&raw_chunk_);
      return;
    }
    {
      absl::MutexLock lock(&mu_);
      if (!cancelled_) {
        // Two alarms taking turns: this may run inside the other one's
        // callback, and an alarm is not set again from its own.
        grpc::Alarm& alarm = alarms_[next_alarm_];
        next_alarm_ ^= 1;
        pending_alarm_ = &alarm;
        alarm.Set(absl::ToChronoTime(absl::Now() + wait), [this](bool fired) {
          {
            absl::MutexLock alarm_lock(&mu_);
            pending_alarm_ = nullptr;
            fired = fired && !cancelled_;
          }
          // Not a reaction: Answer (Finish) is the last use of `this`.
          if (!fired) return Answer(grpc::Status(grpc::StatusCode::CANCELLED,
                                                 "the caller cancelled the import"));
          ReadNextWhenAdmitted();
        });
        return;
      }
    }
    Answer(grpc::Status(grpc::StatusCode::CANCELLED, "the caller cancelled the import"));
  }

  // Ends the call: the response on OK, the status alone otherwise.
  void Answer(grpc::Status status) {
    if (status.ok()) {
      bool own_buffer;
      status = grpc::SerializationTraits<v1::ImportCommunityResponse>::Serialize(
          response_, raw_response_, &own_buffer);
    }
    timer_.Record(status);
    Finish(status);
  }

  void Import() {
    if (grpc::Status waits = CallerStillWaits(ctx_); !waits.ok()) return Answer(waits);
    if (chunks_ == 0) {
      return Fail(absl::InvalidArgumentError("the import stream carried no chunks"));
    }
    const grpc::Status status = context_.cache->Run(
        "ImportCommunity", assembler_.request_id(), stream_fingerprint_, &response_, [this] {
          absl::StatusOr<engine::Community> community = assembler_.Finish();
          if (!community.ok()) return ToGrpcStatus(community.status());
          return Store(*std::move(community));
        });
    // Answer once the community's record is durable.
    WhenDurable(*context_.store, status,
                [this](const grpc::Status& durable) { Answer(durable); });
  }

  // Stores (or previews) the assembled community as the first chunk's mode
  // says, filling response_.
  grpc::Status Store(engine::Community community) {
    const v1::ImportMode mode = assembler_.mode();
    engine::Registry& registry = *context_.registry;
    if (mode == v1::IMPORT_MODE_PREVIEW) {
      const engine::Registry::VersionPreview preview = registry.PreviewVersion(community);
      RosterDiffToProto(preview.base, community, preview.diff, response_.mutable_diff());
      if (!preview.blocked.ok()) {
        response_.mutable_diff()->set_blocked(std::string(preview.blocked.message()));
      }
      Count(community, 0);
      return grpc::Status::OK;
    }
    engine::roster::RosterDiff diff;
    absl::StatusOr<const engine::Community*> stored =
        mode == v1::IMPORT_MODE_NEW_VERSION
            ? registry.ImportVersion(std::move(community), assembler_.base_version(), &diff)
            : registry.ImportCommunity(std::move(community));
    if (!stored.ok()) return ToGrpcStatus(stored.status());
    const engine::Community& c = **stored;
    if (mode == v1::IMPORT_MODE_NEW_VERSION) {
      const engine::Community* base =
          c.version == 1 ? nullptr : registry.FindCommunityVersion(c.id, c.version - 1);
      RosterDiffToProto(base, c, diff, response_.mutable_diff());
    }
    Count(c, c.version);
    spdlog::info("imported community {} version {} ({} residents, {} sites)", c.id, c.version,
                 c.residents.size(), c.sites.size());
    return grpc::Status::OK;
  }

  void Count(const engine::Community& c, uint32_t version) {
    response_.set_community(absl::StrCat("communities/", c.id));
    response_.set_compounds(c.compounds.size());
    response_.set_buildings(c.buildings.size());
    response_.set_units(c.units.size());
    response_.set_households(c.households.size());
    response_.set_residents(c.residents.size());
    response_.set_sites(c.sites.size());
    response_.set_desks(c.TotalDesks());
    response_.set_staff(c.staff.size());
    response_.set_version(static_cast<int32_t>(version));
  }

  ServiceContext context_;
  grpc::CallbackServerContext* ctx_;
  StreamHold hold_;  // one of the token's open imports, while this one lives
  Caller caller_;
  grpc::ByteBuffer* raw_response_;
  v1::ImportCommunityResponse response_;
  RpcTimer timer_;
  grpc::ByteBuffer raw_chunk_;
  v1::ImportCommunityRequest chunk_;
  ImportAssembler assembler_;
  size_t chunks_ = 0;
  size_t entities_ = 0;
  uint64_t stream_fingerprint_ = 0;  // RequestCache::ChainFingerprint of every chunk

  // Pacing by the token's rate: an alarm stands in for the next read.
  absl::Mutex mu_;
  grpc::Alarm alarms_[2];
  int next_alarm_ ABSL_GUARDED_BY(mu_) = 0;
  grpc::Alarm* pending_alarm_ ABSL_GUARDED_BY(mu_) = nullptr;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace

grpc::ServerReadReactor<grpc::ByteBuffer>* NewImportReactor(ServiceContext context,
                                                            grpc::CallbackServerContext* ctx,
                                                            absl::StatusOr<Caller> caller,
                                                            grpc::ByteBuffer* response) {
  return new ImportReactor(context, ctx, std::move(caller), response);
}

}  // namespace swabwave::services
