#include "engine/model/round_config.h"

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "engine/model/ids.h"
#include "engine/model/names.h"

namespace swabwave::engine {

absl::Status ValidateRoundConfig(const RoundConfig& config) {
  if (absl::Status s = CheckId("round_id", config.id); !s.ok()) return s;
  if (config.community_ids.empty()) {
    return absl::InvalidArgumentError("community_ids: a round needs at least one community");
  }
  absl::flat_hash_set<std::string> seen;
  for (const std::string& community : config.community_ids) {
    if (absl::Status s = CheckId("community_ids[]", community); !s.ok()) return s;
    if (!seen.insert(community).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("community_ids: '", community, "' is listed twice"));
    }
  }
  if (config.start == absl::InfinitePast() || config.start == absl::InfiniteFuture() ||
      config.start < absl::FromUnixSeconds(0)) {
    return absl::InvalidArgumentError("start_time is required and must be after 1970");
  }
  if (!IsValidPoolRatio(config.pool_ratio)) {
    return absl::InvalidArgumentError(absl::StrCat("pool_ratio ", config.pool_ratio,
                                                   " is not one of 1, 5, 10 or 20 swabs per tube"));
  }
  if (config.wave_length < kMinWaveLength || config.wave_length > kMaxWaveLength ||
      config.wave_length % absl::Minutes(1) != absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrCat("wave_length ",
                                                   absl::FormatDuration(config.wave_length),
                                                   " must be whole minutes between 5m and 4h"));
  }
  if (config.duration < config.wave_length || config.duration > kMaxRoundDuration) {
    return absl::InvalidArgumentError(
        absl::StrCat("duration ", absl::FormatDuration(config.duration),
                     " must be at least one wave and at most 7 days"));
  }
  if (config.door_to_door_teams < 1 || config.door_to_door_teams > kMaxDoorToDoorTeams) {
    return absl::InvalidArgumentError(
        absl::StrCat("door_to_door_teams ", config.door_to_door_teams, " must be between 1 and ",
                     kMaxDoorToDoorTeams, " per community"));
  }
  if (config.box_capacity < 1 || config.box_capacity > kMaxBoxCapacity) {
    return absl::InvalidArgumentError(absl::StrCat("box_capacity ", config.box_capacity,
                                                   " must be between 1 and ", kMaxBoxCapacity,
                                                   " tubes per box"));
  }
  const RoundTarget& t = config.target;
  if (t.compound_ids.size() + t.building_ids.size() + t.unit_ids.size() + t.resident_codes.size() >
      kMaxTargetIds) {
    return absl::InvalidArgumentError(absl::StrCat(
        "target: more than ", kMaxTargetIds, " ids and codes; target compounds or buildings"));
  }
  for (const auto& [what, ids] : {std::pair{"target.compound_ids[]", &t.compound_ids},
                                  {"target.building_ids[]", &t.building_ids},
                                  {"target.unit_ids[]", &t.unit_ids}}) {
    for (const std::string& id : *ids) {
      if (absl::Status s = CheckId(what, id); !s.ok()) return s;
    }
  }
  for (size_t i = 0; i < t.resident_codes.size(); ++i) {
    // CheckCode names the entry, never what it holds (personal data).
    if (absl::Status s = CheckCode(absl::StrCat("target.resident_codes[", i, "]"),
                                   t.resident_codes[i]);
        !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

}  // namespace swabwave::engine
