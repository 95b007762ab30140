// Translation between swabwave.v1 messages and engine types: timestamps,
// communities (both ways: the CLI sends a community as import chunks, the
// server rebuilds it), rounds and plans. Validation that belongs to the
// engine (ids, codes, references) happens in engine::CommunityBuilder;
// what is checked here is only what the wire format adds (chunk order).
//
// Thread-safety: pure functions; ImportAssembler is single-threaded (one
// per import stream).
#ifndef SWABWAVE_SERVICES_API_PROTO_CONVERT_H_
#define SWABWAVE_SERVICES_API_PROTO_CONVERT_H_

#include <google/protobuf/duration.pb.h>
#include <google/protobuf/timestamp.pb.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "engine/model/community.h"
#include "engine/plan/plan.h"
#include "engine/round/round.h"
#include "swabwave/v1/planning.pb.h"

namespace swabwave::services {

namespace v1 = ::swabwave::v1;

// Times and durations the server wrote itself (clients reading answers).
absl::Time FromProto(const google::protobuf::Timestamp& t);
void ToProto(absl::Time t, google::protobuf::Timestamp* out);
absl::Duration FromProto(const google::protobuf::Duration& d);
void ToProto(absl::Duration d, google::protobuf::Duration* out);

// Every time and duration a request carries comes in through these:
// INVALID_ARGUMENT naming `field` when it is not what google.protobuf says
// it must be (seconds 0001-01-01..9999-12-31 and nanos 0..999,999,999 for a
// Timestamp; seconds within ±10,000 years and nanos of the same sign within
// ±999,999,999 for a Duration), rather than a time silently off by the
// excess nanos.
[[nodiscard]] absl::StatusOr<absl::Time> TimeFromRequest(absl::string_view field,
                                                         const google::protobuf::Timestamp& t);
[[nodiscard]] absl::StatusOr<absl::Duration> DurationFromRequest(
    absl::string_view field, const google::protobuf::Duration& d);

// Splits a community into import chunks of at most `entities_per_chunk`
// entities each, in dependency order. The first chunk carries the header
// and `request_id`. An entity is at most about 420 bytes on the wire (ids
// of 64 bytes, names of 256), so the default chunk is at most 8.4 MB:
// under swabwaved's 16 MiB message limit with room to spare.
std::vector<v1::ImportCommunityRequest> CommunityToChunks(const engine::Community& community,
                                                          const std::string& request_id,
                                                          size_t entities_per_chunk = 20000);

// Rebuilds a community from a stream of import chunks.
v1::ExemptionReason ExemptionToProto(engine::ExemptionReason reason);

class ImportAssembler {
 public:
  // Adds chunk number `index` (0-based). INVALID_ARGUMENT naming the chunk
  // and entity on the first problem; the assembler is unusable afterwards.
  [[nodiscard]] absl::Status Add(const v1::ImportCommunityRequest& chunk, size_t index);
  // INVALID_ARGUMENT if no chunk came, or the community is incomplete.
  [[nodiscard]] absl::StatusOr<engine::Community> Finish();
  const std::string& request_id() const { return request_id_; }
  // The first chunk's mode and base version (checked by Add).
  v1::ImportMode mode() const { return mode_; }
  uint32_t base_version() const { return base_version_; }

 private:
  std::string request_id_;
  v1::ImportMode mode_ = v1::IMPORT_MODE_UNSPECIFIED;
  uint32_t base_version_ = 0;
  bool saw_last_ = false;
  std::unique_ptr<engine::CommunityBuilder> builder_;
};

v1::Round RoundToProto(const engine::Round& round);
v1::PlanSummary PlanSummaryToProto(const engine::RoundLayout& layout,
                                   const engine::plan::Plan& plan);
v1::RoundState PhaseToProto(engine::RoundPhase phase);

}  // namespace swabwave::services

#endif  // SWABWAVE_SERVICES_API_PROTO_CONVERT_H_
