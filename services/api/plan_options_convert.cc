#include "services/api/plan_options_convert.h"

#include "absl/strings/str_cat.h"
#include "engine/plan/finish_by.h"
#include "engine/plan/flow_planner.h"
#include "engine/plan/greedy_planner.h"
#include "services/api/proto_convert.h"

namespace swabwave::services {

engine::plan::PlanOptions PlanOptionsFromProto(const v1::PlanOptions& o) {
  engine::plan::PlanOptions options;
  if (o.per_desk_rate_per_hour() != 0) options.per_desk_rate_per_hour = o.per_desk_rate_per_hour();
  if (o.utilization() != 0) options.utilization = o.utilization();
  if (o.nearest_sites() != 0) options.nearest_sites = o.nearest_sites();
  options.walking_m_per_wave = o.walking_m_per_wave();
  return options;
}

absl::Status CheckPlanner(const v1::PlanOptions& o) {
  if (v1::Planner_IsValid(o.planner())) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("options.planner ", o.planner(),
                   " is not a planner: use PLANNER_OPTIMAL (the default) or PLANNER_GREEDY"));
}

const engine::plan::Planner& PlannerFor(const v1::PlanOptions& o) {
  static const engine::plan::FlowPlanner optimal;
  static const engine::plan::GreedyPlanner greedy;
  if (o.planner() == v1::PLANNER_GREEDY) return greedy;
  return optimal;
}

absl::Status ApplyFinishBy(const v1::PlanOptions& o, const engine::RoundConfig& config,
                           absl::TimeZone zone, engine::plan::PlanOptions& options) {
  if (!o.has_finish_by()) return absl::OkStatus();
  absl::StatusOr<absl::Time> finish_by = TimeFromRequest("options.finish_by", o.finish_by());
  if (!finish_by.ok()) return finish_by.status();
  options.max_waves = engine::plan::WavesEndingBy(config, *finish_by);
  if (options.max_waves == 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "options.finish_by ", absl::FormatTime("%Y-%m-%d %H:%M %Ez", *finish_by, zone),
        " is before round ", config.id, "'s first wave ends (",
        absl::FormatTime("%H:%M", config.WaveEnd(0), zone), "): nothing can be done by then"));
  }
  return absl::OkStatus();
}

}  // namespace swabwave::services
