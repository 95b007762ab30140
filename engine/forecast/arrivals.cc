#include "engine/forecast/arrivals.h"

#include "absl/strings/str_cat.h"

namespace swabwave::engine::forecast {

namespace {

bool IsShare(double x) { return x >= 0 && x <= 1; }  // false for NaN too

}  // namespace

absl::Status ValidateArrivalOptions(const ArrivalOptions& options) {
  if (!IsShare(options.no_show_rate)) {
    return absl::InvalidArgumentError(absl::StrCat("no_show_rate ", options.no_show_rate,
                                                   " must be a share in [0, 1] (0.05 is typical)"));
  }
  if (!IsShare(options.late_share)) {
    return absl::InvalidArgumentError(absl::StrCat("late_share ", options.late_share,
                                                   " must be a share in [0, 1] (0.2 is typical)"));
  }
  if (options.lateness < absl::ZeroDuration() || options.lateness > kMaxLateness) {
    return absl::InvalidArgumentError(absl::StrCat(
        "lateness ", absl::FormatDuration(options.lateness), " must be between 0 and 24h"));
  }
  if (options.lateness_shape != LatenessShape::kUniform &&
      options.lateness_shape != LatenessShape::kExponential) {
    return absl::InvalidArgumentError("lateness_shape must be kUniform or kExponential");
  }
  if (options.spread != ArrivalSpread::kUniform && options.spread != ArrivalSpread::kEvenlySpaced) {
    return absl::InvalidArgumentError("spread must be kUniform or kEvenlySpaced");
  }
  return absl::OkStatus();
}

ArrivalModel::ArrivalModel(const ArrivalOptions& options, absl::Duration wave_length)
    : options_(options),
      wave_length_s_(absl::ToDoubleSeconds(wave_length)),
      lateness_s_(absl::ToDoubleSeconds(options.lateness)) {}

PartyArrival ArrivalModel::Draw(int party_size, int index_in_wave, int parties_in_wave,
                                Random& random) const {
  PartyArrival arrival;
  for (int member = 0; member < party_size; ++member) {
    if (!random.Bernoulli(options_.no_show_rate)) ++arrival.shows;
  }
  // Draw every number whether or not it is used (see the file comment).
  const double position = random.Uniform();
  const bool late = random.Bernoulli(options_.late_share);
  const double lateness_s = options_.lateness_shape == LatenessShape::kUniform
                                ? lateness_s_ * random.Uniform()
                                : random.Exponential(lateness_s_);
  const double share_of_wave =
      options_.spread == ArrivalSpread::kUniform
          ? position
          : static_cast<double>(index_in_wave) / static_cast<double>(parties_in_wave);
  arrival.after_wave_start_s = share_of_wave * wave_length_s_ + (late ? lateness_s : 0.0);
  return arrival;
}

}  // namespace swabwave::engine::forecast
