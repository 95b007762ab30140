#include "services/api/request_cache.h"

#include <google/protobuf/message.h>

#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"

namespace swabwave::services {

grpc::Status RequestCache::Run(absl::string_view method, absl::string_view request_id,
                               const google::protobuf::Message& request,
                               google::protobuf::Message* response,
                               const std::function<grpc::Status()>& work) {
  return Run(method, request_id, ChainFingerprint(0, request), response, work);
}

uint64_t RequestCache::ChainFingerprint(uint64_t so_far, const google::protobuf::Message& part) {
  std::string serialized;
  part.SerializeToString(&serialized);
  return absl::HashOf(so_far, serialized);
}

grpc::Status RequestCache::Run(absl::string_view method, absl::string_view request_id,
                               uint64_t fingerprint, google::protobuf::Message* response,
                               const std::function<grpc::Status()>& work) {
  const std::string key = absl::StrCat(method, "\n", request_id);
  {
    absl::MutexLock lock(&mu_);
    auto it = entries_.find(key);
    if (it != entries_.end()) {
      // Wait for a concurrent first attempt to finish.
      const auto finished = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        auto found = entries_.find(key);
        return found == entries_.end() || found->second.done;
      };
      mu_.Await(absl::Condition(&finished));
      it = entries_.find(key);
    }
    if (it != entries_.end()) {
      if (it->second.fingerprint != fingerprint) {
        return grpc::Status(
            grpc::StatusCode::INVALID_ARGUMENT,
            absl::StrCat("request_id '", request_id, "' was already used for a different ", method,
                         " request; use a new request_id"));
      }
      response->ParseFromString(it->second.response);
      return it->second.status;
    }
    entries_.emplace(key, Entry{false, fingerprint, grpc::Status::OK, {}});
    order_.push_back(key);
  }
  const grpc::Status status = work();
  absl::MutexLock lock(&mu_);
  if (!status.ok()) {
    // Only successes are remembered: a retry after a failure (a cut import
    // stream, a round not yet planned) runs again, and the engine answers it
    // from the state it finds. Waiters see the entry gone and run their own.
    entries_.erase(key);
    return status;
  }
  Entry& entry = entries_[key];
  entry.done = true;
  entry.status = status;
  response->SerializeToString(&entry.response);
  while (order_.size() > capacity_) {
    auto oldest = entries_.find(order_.front());
    if (oldest != entries_.end() && oldest->second.done) entries_.erase(oldest);
    order_.pop_front();
  }
  return status;
}

size_t RequestCache::size() const {
  absl::MutexLock lock(&mu_);
  return entries_.size();
}

}  // namespace swabwave::services
