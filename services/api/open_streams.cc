#include "services/api/open_streams.h"

#include <utility>
#include <vector>

namespace swabwave::services {

OpenStreams::Id OpenStreams::Add(std::shared_ptr<const Principal> caller,
                                 absl::AnyInvocable<void()> end) {
  absl::MutexLock lock(&mu_);
  // Checked under the lock: a revocation that set the flag before this
  // point ends the stream here, one after it finds the stream registered.
  if (caller->revoked()) {
    end();
    return 0;
  }
  const Id id = next_id_++;
  streams_.emplace(id, Stream{std::move(caller), std::move(end)});
  return id;
}

void OpenStreams::Remove(Id id) {
  if (id == 0) return;
  absl::MutexLock lock(&mu_);
  streams_.erase(id);
}

int OpenStreams::EndRevoked() {
  absl::MutexLock lock(&mu_);
  std::vector<Id> ended;
  for (auto& [id, stream] : streams_) {
    if (!stream.caller->revoked()) continue;
    stream.end();
    ended.push_back(id);
  }
  for (Id id : ended) streams_.erase(id);
  return static_cast<int>(ended.size());
}

size_t OpenStreams::size() const {
  absl::MutexLock lock(&mu_);
  return streams_.size();
}

}  // namespace swabwave::services
