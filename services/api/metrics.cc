#include "services/api/metrics.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "services/api/process_metrics.h"

namespace swabwave::services {

namespace {

constexpr std::array<const char*, static_cast<size_t>(Rpc::kCount)> kRpcNames = {
    "ImportCommunity", "CreateRound",    "GetRound",    "ListRounds",   "PlanRound",    "GetPlan",
    "ListAssignments", "ListDoorToDoor", "OpenRound",   "CloseRound",   "OpenTube",     "CheckIn",
    "CheckInStream",   "SealTube",       "GetProgress", "ListUntested", "WatchProgress",
    "ReplanRound",     "ForecastRound",  "GetRoster",   "ListDoorToDoorRoutes", "RecordVisit",
    "AdviseFinish", "GetResidentHistory", "ListMissed", "RegisterWalkIn",
    "PackBox",      "PickUpBox",       "ReceiveBox",  "ListBoxes",    "ReportResults",
    "ListRecalls",  "TakeFollowUpSwab", "ListTubesToPack"};

constexpr std::array<const char*, static_cast<size_t>(CheckInResultLabel::kCount)> kResultNames = {
    "sampled",      "replayed",      "already_sampled", "unknown_resident", "unknown_desk",
    "no_open_tube", "bad_scan_time", "round_not_open",  "invalid_request", "not_admitted",
    "permission_denied", "request_reused", "not_targeted"};

constexpr std::array<const char*, 17> kCodeNames = {
    "OK",        "CANCELLED",      "UNKNOWN",           "INVALID_ARGUMENT",   "DEADLINE_EXCEEDED",
    "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
    "ABORTED",   "OUT_OF_RANGE",   "UNIMPLEMENTED",     "INTERNAL",           "UNAVAILABLE",
    "DATA_LOSS", "UNAUTHENTICATED"};

}  // namespace

absl::string_view RpcName(Rpc rpc) { return kRpcNames[static_cast<size_t>(rpc)]; }

CheckInResultLabel LabelOf(engine::core::CheckInVerdict verdict) {
  using engine::core::CheckInVerdict;
  switch (verdict) {
    case CheckInVerdict::kSampled:
      return CheckInResultLabel::kSampled;
    case CheckInVerdict::kReplayed:
      return CheckInResultLabel::kReplayed;
    case CheckInVerdict::kAlreadySampled:
      return CheckInResultLabel::kAlreadySampled;
    case CheckInVerdict::kRequestReused:
      return CheckInResultLabel::kRequestReused;
    case CheckInVerdict::kUnknownResident:
      return CheckInResultLabel::kUnknownResident;
    case CheckInVerdict::kUnknownDesk:
      return CheckInResultLabel::kUnknownDesk;
    case CheckInVerdict::kNoOpenTube:
      return CheckInResultLabel::kNoOpenTube;
    case CheckInVerdict::kScanTimeOutOfRange:
      return CheckInResultLabel::kBadScanTime;
    case CheckInVerdict::kRoundNotOpen:
      return CheckInResultLabel::kRoundNotOpen;
    case CheckInVerdict::kNotTargeted:
      return CheckInResultLabel::kNotTargeted;
  }
  return CheckInResultLabel::kInvalidRequest;
}

void LatencyHistogram::Record(absl::Duration latency) {
  const double seconds = absl::ToDoubleSeconds(latency);
  size_t bucket = 0;
  while (bucket < kBoundsSeconds.size() && seconds > kBoundsSeconds[bucket]) ++bucket;
  // Relaxed: independent counters, read only for display.
  buckets_[bucket].fetch_add(1, std::memory_order_relaxed);
  sum_nanos_.fetch_add(static_cast<uint64_t>(absl::ToInt64Nanoseconds(latency)),
                       std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
}

void LatencyHistogram::Render(const std::string& name, const std::string& labels,
                              std::string& out) const {
  const std::string prefix = labels.empty() ? "" : absl::StrCat(labels, ",");
  uint64_t cumulative = 0;
  for (size_t i = 0; i < kBoundsSeconds.size(); ++i) {
    cumulative += buckets_[i].load(std::memory_order_relaxed);
    absl::StrAppendFormat(&out, "%s_bucket{%sle=\"%g\"} %d\n", name, prefix, kBoundsSeconds[i],
                          cumulative);
  }
  cumulative += buckets_[kBoundsSeconds.size()].load(std::memory_order_relaxed);
  absl::StrAppendFormat(&out, "%s_bucket{%sle=\"+Inf\"} %d\n", name, prefix, cumulative);
  const std::string braces = labels.empty() ? "" : absl::StrCat("{", labels, "}");
  absl::StrAppendFormat(&out, "%s_sum%s %.9f\n", name, braces,
                        static_cast<double>(sum_nanos_.load(std::memory_order_relaxed)) / 1e9);
  absl::StrAppendFormat(&out, "%s_count%s %d\n", name, braces,
                        count_.load(std::memory_order_relaxed));
}

void ServerMetrics::RecordRpc(Rpc rpc, grpc::StatusCode code, absl::Duration latency) {
  const size_t code_index = static_cast<size_t>(code) < kCodes ? static_cast<size_t>(code) : 2;
  rpc_codes_[static_cast<size_t>(rpc)][code_index].fetch_add(1, std::memory_order_relaxed);
  rpc_latency_[static_cast<size_t>(rpc)].Record(latency);
}

void ServerMetrics::RecordCheckIn(CheckInResultLabel result, absl::Duration latency) {
  check_ins_[static_cast<size_t>(result)].value.fetch_add(1, std::memory_order_relaxed);
  check_in_latency_.Record(latency);
}

std::string ServerMetrics::Render(const engine::Registry& registry,
                                  const std::function<bool(const engine::Round&)>& shown) const {
  std::string out;
  out += "# HELP swabwave_check_ins_total Check-ins by result.\n";
  out += "# TYPE swabwave_check_ins_total counter\n";
  for (size_t i = 0; i < kResultNames.size(); ++i) {
    absl::StrAppendFormat(&out, "swabwave_check_ins_total{result=\"%s\"} %d\n", kResultNames[i],
                          check_ins_[i].value.load(std::memory_order_relaxed));
  }
  out += "# HELP swabwave_check_in_seconds Time from receiving a check-in to its answer.\n";
  out += "# TYPE swabwave_check_in_seconds histogram\n";
  check_in_latency_.Render("swabwave_check_in_seconds", "", out);

  out += "# HELP swabwave_rpcs_total Finished RPCs by method and status code.\n";
  out += "# TYPE swabwave_rpcs_total counter\n";
  for (size_t r = 0; r < kRpcNames.size(); ++r) {
    for (size_t c = 0; c < kCodes; ++c) {
      const uint64_t n = rpc_codes_[r][c].load(std::memory_order_relaxed);
      if (n == 0) continue;
      absl::StrAppendFormat(&out, "swabwave_rpcs_total{method=\"%s\",code=\"%s\"} %d\n",
                            kRpcNames[r], kCodeNames[c], n);
    }
  }
  out += "# HELP swabwave_rpc_seconds RPC latency by method (streams: their whole life).\n";
  out += "# TYPE swabwave_rpc_seconds histogram\n";
  for (size_t r = 0; r < kRpcNames.size(); ++r) {
    rpc_latency_[r].Render("swabwave_rpc_seconds", absl::StrCat("method=\"", kRpcNames[r], "\""),
                           out);
  }

  RenderProcessMetrics(out);

  // Totals over every round: no ids, for anyone who reaches the port.
  int64_t rounds_open = 0, tubes_sealed = 0, sampled_all = 0, remaining_all = 0;
  // Per round: state, tubes, progress and check-ins per site (rate() of the
  // latter is the per-site rate), for the rounds shown.
  std::string open, tubes, sampled, remaining, sites;
  for (engine::Round* round : registry.ListRounds()) {
    const bool is_open = round->phase() == engine::RoundPhase::kOpen;
    const bool show = shown(*round);
    const std::string& id = round->config().id;
    rounds_open += is_open ? 1 : 0;
    if (show) absl::StrAppendFormat(&open, "swabwave_round_open{round=\"%s\"} %d\n", id, is_open);
    if (round->phase() == engine::RoundPhase::kDraft) continue;
    const uint64_t sealed = round->SealedTubes();
    tubes_sealed += static_cast<int64_t>(sealed);
    if (show) {
      absl::StrAppendFormat(&tubes, "swabwave_tubes_sealed_total{round=\"%s\"} %d\n", id, sealed);
    }
    if (absl::StatusOr<engine::ProgressCounts> totals = round->Totals(); totals.ok()) {
      sampled_all += totals->sampled;
      remaining_all += totals->remaining;
      if (show) {
        absl::StrAppendFormat(&sampled, "swabwave_round_sampled{round=\"%s\"} %d\n", id,
                              totals->sampled);
        absl::StrAppendFormat(&remaining, "swabwave_round_remaining{round=\"%s\"} %d\n", id,
                              totals->remaining);
      }
    }
    if (!show) continue;
    const std::vector<uint64_t> per_site = round->CheckInsPerSite();
    for (uint32_t s = 0; s < per_site.size(); ++s) {
      absl::StrAppendFormat(&sites, "swabwave_site_check_ins_total{round=\"%s\",site=\"%s\"} %d\n",
                            id, round->layout().site(s).id, per_site[s]);
    }
  }
  absl::StrAppendFormat(&out,
                        "# HELP swabwave_rounds_open Rounds open now.\n"
                        "# TYPE swabwave_rounds_open gauge\nswabwave_rounds_open %d\n"
                        "# HELP swabwave_tubes_sealed_all Tubes sealed in every round.\n"
                        "# TYPE swabwave_tubes_sealed_all counter\nswabwave_tubes_sealed_all %d\n"
                        "# HELP swabwave_residents_sampled Residents due and sampled, every round.\n"
                        "# TYPE swabwave_residents_sampled gauge\nswabwave_residents_sampled %d\n"
                        "# HELP swabwave_residents_remaining Residents due and not yet sampled, "
                        "every round.\n# TYPE swabwave_residents_remaining gauge\n"
                        "swabwave_residents_remaining %d\n",
                        rounds_open, tubes_sealed, sampled_all, remaining_all);
  out += "# HELP swabwave_round_open Whether a round is open (1) or not (0).\n";
  out += "# TYPE swabwave_round_open gauge\n" + open;
  out += "# HELP swabwave_tubes_sealed_total Tubes sealed (full or by hand).\n";
  out += "# TYPE swabwave_tubes_sealed_total counter\n" + tubes;
  out += "# HELP swabwave_round_sampled Residents due and sampled.\n";
  out += "# TYPE swabwave_round_sampled gauge\n" + sampled;
  out += "# HELP swabwave_round_remaining Residents due and not yet sampled.\n";
  out += "# TYPE swabwave_round_remaining gauge\n" + remaining;
  out += "# HELP swabwave_site_check_ins_total Check-ins performed at each site.\n";
  out += "# TYPE swabwave_site_check_ins_total counter\n" + sites;
  return out;
}

}  // namespace swabwave::services
