// ArrivalModel: when the people of a wave turn up at their site. A party
// (a household, or one resident) is told a wave; each member may not come
// at all (no-show), those who come arrive together at one moment spread
// across the wave's window, and some parties come late.
//
// The forecast draws a party per household; the replay tool's day
// generator (services/replay/day_trace.cc) can draw a party of one per
// resident instead of its own inline model. No gRPC in here.
//
// Every Draw consumes the same random numbers whatever the options say, so
// two forecasts that differ only in, say, the no-show rate see the same
// arrival times for the people who do come (common random numbers).
//
// Example:
//   ArrivalModel model(ArrivalOptions{.no_show_rate = 0.05}, absl::Minutes(30));
//   Random random(7);
//   PartyArrival party = model.Draw(/*party_size=*/3, /*index_in_wave=*/0,
//                                   /*parties_in_wave=*/40, random);
//
// Thread-safety: an ArrivalModel is immutable; Draw may be called from any
// thread, each with its own Random.
#ifndef SWABWAVE_ENGINE_FORECAST_ARRIVALS_H_
#define SWABWAVE_ENGINE_FORECAST_ARRIVALS_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "engine/forecast/random.h"

namespace swabwave::engine::forecast {

// Where in its wave's window a party arrives.
enum class ArrivalSpread : uint8_t {
  kUniform,       // anywhere in [wave start, wave end), at random
  kEvenlySpaced,  // party k of n at wave start + k / n of the wave (hand-checkable)
};

// How late a late party is.
enum class LatenessShape : uint8_t {
  kUniform,      // uniform in [0, lateness)
  kExponential,  // exponential with mean `lateness` (a few very late)
};

inline constexpr absl::Duration kMaxLateness = absl::Hours(24);

struct ArrivalOptions {
  double no_show_rate = 0.05;  // share of residents who never come, each on their own
  double late_share = 0.2;     // share of parties that come late ...
  absl::Duration lateness = absl::Minutes(15);  // ... by this much (see lateness_shape)
  LatenessShape lateness_shape = LatenessShape::kUniform;
  ArrivalSpread spread = ArrivalSpread::kUniform;
};

// INVALID_ARGUMENT naming the field: rates outside [0, 1], a negative
// lateness or one over kMaxLateness, an unknown enum value.
[[nodiscard]] absl::Status ValidateArrivalOptions(const ArrivalOptions& options);

struct PartyArrival {
  int shows = 0;                  // members who come; 0 when nobody does
  double after_wave_start_s = 0;  // when they arrive, seconds after the wave starts
};

class ArrivalModel {
 public:
  // REQUIRES: ValidateArrivalOptions(options).ok(), wave_length > 0.
  ArrivalModel(const ArrivalOptions& options, absl::Duration wave_length);

  // The arrival of a party of `party_size` told to come in a wave, the
  // `index_in_wave`-th of `parties_in_wave` parties told that wave (the
  // index matters only for ArrivalSpread::kEvenlySpaced).
  // REQUIRES: party_size >= 0, 0 <= index_in_wave < parties_in_wave.
  PartyArrival Draw(int party_size, int index_in_wave, int parties_in_wave, Random& random) const;

 private:
  ArrivalOptions options_;
  double wave_length_s_;
  double lateness_s_;
};

}  // namespace swabwave::engine::forecast

#endif  // SWABWAVE_ENGINE_FORECAST_ARRIVALS_H_
