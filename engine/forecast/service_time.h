// ServiceTimeModel: how long one resident takes at a desk (scan, swab,
// into the tube). The mean is 3600 / per-desk rate seconds; the spread
// around it is fixed (every swab alike: hand-checkable), lognormal or gamma
// with a given coefficient of variation (standard deviation / mean).
//
// The rate is the forecast's own, not necessarily the plan's: forecasting
// a plan made for 110 people an hour with desks that manage 90 shows what
// a slow day does to the queues.
//
// Thread-safety: immutable; Draw may be called from any thread, each with
// its own Random.
#ifndef SWABWAVE_ENGINE_FORECAST_SERVICE_TIME_H_
#define SWABWAVE_ENGINE_FORECAST_SERVICE_TIME_H_

#include <cstdint>

#include "absl/status/status.h"
#include "engine/forecast/random.h"

namespace swabwave::engine::forecast {

enum class ServiceTimeShape : uint8_t { kFixed, kLognormal, kGamma };

inline constexpr double kMaxServiceCv = 3;

struct ServiceTimeOptions {
  double per_desk_rate_per_hour = 110;  // as PlanOptions: the field sees 110-120
  ServiceTimeShape shape = ServiceTimeShape::kLognormal;
  double cv = 0.3;  // ignored for kFixed
};

// INVALID_ARGUMENT naming the field: a rate outside [1, 1000] an hour, a
// cv outside [0, kMaxServiceCv], an unknown shape.
[[nodiscard]] absl::Status ValidateServiceTimeOptions(const ServiceTimeOptions& options);

class ServiceTimeModel {
 public:
  // REQUIRES: ValidateServiceTimeOptions(options).ok().
  explicit ServiceTimeModel(const ServiceTimeOptions& options);

  double mean_s() const { return mean_s_; }
  // One resident's service time in seconds, > 0 (0 only if cv is huge and
  // the draw underflows, which the queue handles).
  double Draw(Random& random) const;

 private:
  ServiceTimeShape shape_;
  double mean_s_;
  // kLognormal: log of the time is normal(mu_, sigma_).
  double mu_ = 0, sigma_ = 0;
  // kGamma: shape k = 1 / cv^2, scale = mean / k.
  double gamma_shape_ = 1, gamma_scale_ = 0;
};

}  // namespace swabwave::engine::forecast

#endif  // SWABWAVE_ENGINE_FORECAST_SERVICE_TIME_H_
