// PlanOptions between the API and the engine (engine/plan/plan.h): what
// PlanRound, ForecastRound and AdviseFinish read from a request's options,
// and which planner it names.
//
// Thread-safety: pure functions; PlannerFor's planners are stateless.
#ifndef SWABWAVE_SERVICES_API_PLAN_OPTIONS_CONVERT_H_
#define SWABWAVE_SERVICES_API_PLAN_OPTIONS_CONVERT_H_

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "engine/model/round_config.h"
#include "engine/plan/plan.h"
#include "swabwave/v1/planning.pb.h"

namespace swabwave::services {

// The engine's options, defaults where the request leaves 0 (finish_by
// aside: see ApplyFinishBy).
engine::plan::PlanOptions PlanOptionsFromProto(const v1::PlanOptions& o);

// With options.finish_by set, only the waves of `config` that end by then
// take anyone (PlanOptions::max_waves). INVALID_ARGUMENT when that is
// before the first wave ends (times in the message read in `zone`).
[[nodiscard]] absl::Status ApplyFinishBy(const v1::PlanOptions& o,
                                         const engine::RoundConfig& config, absl::TimeZone zone,
                                         engine::plan::PlanOptions& options);

// INVALID_ARGUMENT for a planner this server does not know (proto3 keeps
// unknown enum numbers).
[[nodiscard]] absl::Status CheckPlanner(const v1::PlanOptions& o);

// The optimal planner unless the request asks for the first one.
const engine::plan::Planner& PlannerFor(const v1::PlanOptions& o);

}  // namespace swabwave::services

#endif  // SWABWAVE_SERVICES_API_PLAN_OPTIONS_CONVERT_H_
