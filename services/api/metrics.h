// ServerMetrics: the server's counters and latency histograms, rendered in
// the Prometheus text format for /metrics (services/http). Round-level
// figures (per-site check-ins, tubes sealed, progress) are read from the
// engine at scrape time, so the check-in path only bumps relaxed atomics.
//
// Thread-safety: every member function is thread-safe and lock-free except
// Render, which reads the registry (and so takes its rare-path locks).
#ifndef SWABWAVE_SERVICES_API_METRICS_H_
#define SWABWAVE_SERVICES_API_METRICS_H_

#include <grpcpp/support/status_code_enum.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "engine/core/live_round.h"
#include "engine/registry/registry.h"

namespace swabwave::services {

enum class Rpc : uint8_t {
  kImportCommunity,
  kCreateRound,
  kGetRound,
  kListRounds,
  kPlanRound,
  kGetPlan,
  kListAssignments,
  kListDoorToDoor,
  kOpenRound,
  kCloseRound,
  kOpenTube,
  kCheckIn,
  kCheckInStream,
  kSealTube,
  kGetProgress,
  kListUntested,
  kWatchProgress,
  kReplanRound,
  kForecastRound,
  kGetRoster,
  kListDoorToDoorRoutes,
  kRecordVisit,
  kAdviseFinish,
  kGetResidentHistory,
  kListMissed,
  kRegisterWalkIn,
  kPackBox,
  kPickUpBox,
  kReceiveBox,
  kListBoxes,
  kReportResults,
  kListRecalls,
  kTakeFollowUpSwab,
  kListTubesToPack,
  kCount,
};

// What happened to one check-in, as counted and labelled.
enum class CheckInResultLabel : uint8_t {
  kSampled,
  kReplayed,
  kAlreadySampled,
  kUnknownResident,
  kUnknownDesk,
  kNoOpenTube,
  kBadScanTime,
  kRoundNotOpen,
  kInvalidRequest,
  kNotAdmitted,  // refused before the core: journal queue full or failed
  kPermissionDenied,  // a tablet token at another site's desk
  kRequestReused,     // the request id sampled another resident
  kNotTargeted,       // the resident is outside a targeted round
  kCount,
};

// The RPC's method name, e.g. "CheckIn".
absl::string_view RpcName(Rpc rpc);

CheckInResultLabel LabelOf(engine::core::CheckInVerdict verdict);

// Latency histogram with fixed buckets from 25 µs to 10 s.
class LatencyHistogram {
 public:
  static constexpr std::array<double, 17> kBoundsSeconds = {
      25e-6, 50e-6, 100e-6, 250e-6, 500e-6, 1e-3, 2.5e-3, 5e-3, 10e-3,
      25e-3, 50e-3, 100e-3, 250e-3, 500e-3, 1.0,  2.5,    10.0};

  void Record(absl::Duration latency);
  // Appends "<name>_bucket{<labels>,le=...}" lines and _sum/_count.
  void Render(const std::string& name, const std::string& labels, std::string& out) const;

 private:
  std::array<std::atomic<uint64_t>, kBoundsSeconds.size() + 1> buckets_{};
  std::atomic<uint64_t> sum_nanos_{0};
  std::atomic<uint64_t> count_{0};
};

class ServerMetrics {
 public:
  void RecordRpc(Rpc rpc, grpc::StatusCode code, absl::Duration latency);
  void RecordCheckIn(CheckInResultLabel result, absl::Duration latency);

  uint64_t check_ins(CheckInResultLabel result) const {
    return check_ins_[static_cast<size_t>(result)].value.load(std::memory_order_relaxed);
  }

  // The whole Prometheus text page: totals over every round for anyone,
  // and per-round (and per-site) series for the rounds `shown` accepts
  // (ids are for those who may see the round).
  std::string Render(const engine::Registry& registry,
                     const std::function<bool(const engine::Round&)>& shown) const;

 private:
  struct alignas(64) PaddedCounter {
    std::atomic<uint64_t> value{0};
  };
  static constexpr size_t kCodes = 17;  // grpc::StatusCode 0..16

  std::array<std::array<std::atomic<uint64_t>, kCodes>, static_cast<size_t>(Rpc::kCount)>
      rpc_codes_{};
  std::array<LatencyHistogram, static_cast<size_t>(Rpc::kCount)> rpc_latency_;
  std::array<PaddedCounter, static_cast<size_t>(CheckInResultLabel::kCount)> check_ins_{};
  LatencyHistogram check_in_latency_;
};

}  // namespace swabwave::services

#endif  // SWABWAVE_SERVICES_API_METRICS_H_
