// RoundConfig: what a testing round is (DESIGN.md §3): which communities,
// when it starts, how many swabs go into a tube, how long a wave is and how
// long the round may last. Waves are numbered from 0 at the start time.
//
// Thread-safety: a plain value.
#ifndef SWABWAVE_ENGINE_MODEL_ROUND_CONFIG_H_
#define SWABWAVE_ENGINE_MODEL_ROUND_CONFIG_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace swabwave::engine {

inline constexpr absl::Duration kDefaultWaveLength = absl::Minutes(30);
inline constexpr absl::Duration kDefaultRoundDuration = absl::Hours(24);
inline constexpr absl::Duration kMinWaveLength = absl::Minutes(5);
inline constexpr absl::Duration kMaxWaveLength = absl::Hours(4);
inline constexpr absl::Duration kMaxRoundDuration = absl::Hours(24 * 7);
// Door-to-door teams per community: each is a mobile desk of the round
// (Round::ResolveTeam), numbered from 1.
inline constexpr int kDefaultDoorToDoorTeams = 2;
inline constexpr int kMaxDoorToDoorTeams = 64;

// What a targeted round covers (a sealed building tested daily, a recall):
// the residents of the listed compounds, buildings and units, and the
// listed residents, in any of the round's communities. Empty: everyone.
// The ids are the communities' own; a resident outside the target is not
// due and cannot be checked in (engine/model/round_target.h).
inline constexpr size_t kMaxTargetIds = 100'000;
// Tubes a transport box holds: a cold box in the field takes about 200.
inline constexpr int kDefaultBoxCapacity = 200;
inline constexpr int kMaxBoxCapacity = 1000;

struct RoundTarget {
  std::vector<std::string> compound_ids;
  std::vector<std::string> building_ids;
  std::vector<std::string> unit_ids;
  std::vector<std::string> resident_codes;

  bool whole() const {
    return compound_ids.empty() && building_ids.empty() && unit_ids.empty() &&
           resident_codes.empty();
  }
};

struct RoundConfig {
  std::string id;
  std::vector<std::string> community_ids;
  absl::Time start;
  int pool_ratio = 10;
  absl::Duration wave_length = kDefaultWaveLength;
  absl::Duration duration = kDefaultRoundDuration;
  int door_to_door_teams = kDefaultDoorToDoorTeams;  // per community
  int box_capacity = kDefaultBoxCapacity;           // tubes per transport box
  RoundTarget target;

  int WaveCount() const {
    absl::Duration rest;  // IDivDuration requires somewhere to put it
    return static_cast<int>(absl::IDivDuration(duration, wave_length, &rest));
  }
  absl::Time WaveStart(int wave) const { return start + wave * wave_length; }
  absl::Time WaveEnd(int wave) const { return WaveStart(wave + 1); }
};

// INVALID_ARGUMENT naming the field when the config breaks a rule in
// CreateRoundRequest's documentation (planning.proto).
[[nodiscard]] absl::Status ValidateRoundConfig(const RoundConfig& config);

}  // namespace swabwave::engine

#endif  // SWABWAVE_ENGINE_MODEL_ROUND_CONFIG_H_
