#include "engine/forecast/service_time.h"

#include <cmath>

#include "absl/strings/str_cat.h"

namespace swabwave::engine::forecast {

absl::Status ValidateServiceTimeOptions(const ServiceTimeOptions& options) {
  if (!(options.per_desk_rate_per_hour >= 1 && options.per_desk_rate_per_hour <= 1000)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "per_desk_rate_per_hour ", options.per_desk_rate_per_hour,
        " must be between 1 and 1000 people per desk per hour (the field sees 110-120)"));
  }
  if (!(options.cv >= 0 && options.cv <= kMaxServiceCv)) {
    return absl::InvalidArgumentError(absl::StrCat("cv ", options.cv, " must be between 0 and ",
                                                   kMaxServiceCv, " (0.3 is typical)"));
  }
  if (options.shape != ServiceTimeShape::kFixed && options.shape != ServiceTimeShape::kLognormal &&
      options.shape != ServiceTimeShape::kGamma) {
    return absl::InvalidArgumentError("shape must be kFixed, kLognormal or kGamma");
  }
  return absl::OkStatus();
}

ServiceTimeModel::ServiceTimeModel(const ServiceTimeOptions& options)
    : shape_(options.shape), mean_s_(3600.0 / options.per_desk_rate_per_hour) {
  // A spread of zero is the fixed time whatever the shape says.
  if (options.cv == 0) shape_ = ServiceTimeShape::kFixed;
  const double cv2 = options.cv * options.cv;
  if (shape_ == ServiceTimeShape::kLognormal) {
    // Chosen so the lognormal's mean is mean_s_ and its cv is options.cv.
    sigma_ = std::sqrt(std::log1p(cv2));
    mu_ = std::log(mean_s_) - sigma_ * sigma_ / 2;
  } else if (shape_ == ServiceTimeShape::kGamma) {
    gamma_shape_ = 1 / cv2;
    gamma_scale_ = mean_s_ * cv2;
  }
}

double ServiceTimeModel::Draw(Random& random) const {
  switch (shape_) {
    case ServiceTimeShape::kFixed:
      return mean_s_;
    case ServiceTimeShape::kLognormal:
      return std::exp(mu_ + sigma_ * random.Normal());
    case ServiceTimeShape::kGamma:
      return gamma_scale_ * random.Gamma(gamma_shape_);
  }
  return mean_s_;
}

}  // namespace swabwave::engine::forecast
