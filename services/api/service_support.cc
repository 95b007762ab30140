#include "services/api/service_support.h"

#include "absl/strings/str_cat.h"
#include "engine/model/names.h"

namespace swabwave::services {

SlowPathExecutor::SlowPathExecutor(int threads) {
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { Loop(); });
}

SlowPathExecutor::~SlowPathExecutor() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  for (std::thread& thread : threads_) thread.join();
}

void SlowPathExecutor::Submit(std::function<void()> work) {
  absl::MutexLock lock(&mu_);
  queue_.push_back(std::move(work));
}

void SlowPathExecutor::Loop() {
  for (;;) {
    std::function<void()> work;
    {
      absl::MutexLock lock(&mu_);
      const auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stopping_ || !queue_.empty();
      };
      mu_.Await(absl::Condition(&ready));
      if (queue_.empty()) return;  // stopping, and nothing left to run
      work = std::move(queue_.front());
      queue_.erase(queue_.begin());
    }
    work();
  }
}

void WhenDurable(engine::journal::Store& store, grpc::Status status,
                 absl::AnyInvocable<void(const grpc::Status&)> finish) {
  store.WhenDurable(store.last_appended(), [status = std::move(status), finish = std::move(finish)](
                                               absl::Status durable) mutable {
    if (durable.ok() || !status.ok()) {
      finish(status);
      return;
    }
    finish(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                        absl::StrCat("the change was not made durable: ", durable.message())));
  });
}

grpc::Status StoreAdmission(const engine::journal::Store& store, uint64_t records) {
  if (absl::Status health = store.health(); !health.ok()) {
    return grpc::Status(grpc::StatusCode::UNAVAILABLE, std::string(health.message()));
  }
  if (!store.Accepting(records)) {
    return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                        "the server's journal queue is full (the disk is behind); retry in 100 ms "
                        "with the same request_id");
  }
  return grpc::Status::OK;
}

absl::StatusOr<engine::Round*> LookUpRound(const engine::Registry& registry,
                                           absl::string_view name) {
  absl::StatusOr<std::string> id = ParseRoundName(name);
  if (!id.ok()) return id.status();
  engine::Round* round = registry.FindRound(*id);
  if (round == nullptr) {
    return absl::NotFoundError(absl::StrCat("round '", *id, "' does not exist"));
  }
  return round;
}

absl::StatusOr<engine::Round*> LookUpRoundFor(const ServiceContext& context,
                                              const Principal& caller, Rpc rpc,
                                              absl::string_view name) {
  absl::StatusOr<engine::Round*> round = LookUpRound(*context.registry, name);
  if (!round.ok()) return round;
  if (absl::Status s = context.access->CheckRound(caller, rpc, **round); !s.ok()) return s;
  return round;
}

absl::StatusOr<engine::Round::UntestedFilter> ParseAreaFilter(const engine::Round& round,
                                                              absl::string_view community_id,
                                                              absl::string_view building_id) {
  engine::Round::UntestedFilter filter;
  if (!building_id.empty() && community_id.empty()) {
    return absl::InvalidArgumentError("building_id needs community_id (ids are per community)");
  }
  if (!building_id.empty()) {
    if (absl::Status s = engine::CheckId("building_id", building_id); !s.ok()) return s;
  }
  if (community_id.empty()) return filter;
  if (absl::Status s = engine::CheckId("community_id", community_id); !s.ok()) return s;
  absl::StatusOr<uint32_t> community = round.FindCommunity(community_id);
  if (!community.ok()) return community.status();
  filter.community = *community;
  if (building_id.empty()) return filter;
  absl::StatusOr<uint32_t> building = round.FindBuilding(*community, building_id);
  if (!building.ok()) return building.status();
  filter.building = *building;
  return filter;
}

grpc::Status CallerStillWaits(grpc::CallbackServerContext* ctx) {
  if (ctx->IsCancelled()) {
    return grpc::Status(grpc::StatusCode::CANCELLED, "the caller cancelled the call");
  }
  if (ctx->deadline() <= std::chrono::system_clock::now()) {
    return grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED,
                        "the call's deadline passed while it waited for the server's slow-path "
                        "threads; nothing was done: retry with the same request_id and a longer "
                        "deadline");
  }
  return grpc::Status::OK;
}

}  // namespace swabwave::services
