// The forecast's options and report between the API (ForecastRound) and
// the engine (engine/forecast/forecast.h).
//
// Thread-safety: pure functions.
#ifndef SWABWAVE_SERVICES_API_FORECAST_CONVERT_H_
#define SWABWAVE_SERVICES_API_FORECAST_CONVERT_H_

#include <cstddef>

#include "absl/status/statusor.h"
#include "engine/forecast/forecast.h"
#include "swabwave/v1/planning.pb.h"

namespace swabwave::services {

// Most replications one call may ask for: a city's forecast costs about
// 2 s of CPU per replication.
inline constexpr int kMaxForecastReplications = 1000;

// The engine's options: the API's defaults for what is unset, and at most
// `threads` threads (the server keeps cores for check-ins).
// INVALID_ARGUMENT naming the field when one is out of range.
[[nodiscard]] absl::StatusOr<engine::forecast::ForecastOptions> ForecastOptionsFromProto(
    const v1::ForecastOptions& options, int threads);

// The round's figures, the sites [first_site, end_site) and every crowded
// wave.
void ForecastToProto(const engine::forecast::RoundForecast& forecast, size_t first_site,
                     size_t end_site, v1::ForecastRoundResponse* out);

}  // namespace swabwave::services

#endif  // SWABWAVE_SERVICES_API_FORECAST_CONVERT_H_
