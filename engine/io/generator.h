// The synthetic community and city generator: realistic rosters for tests,
// benchmarks, the replay tool and demos, without anyone's personal data.
//
// Preset "kangcheng" is the reference community of DESIGN.md §2: 17,000
// residents in 6,558 households, 12 residential compounds of 6-storey
// walk-ups (about 600 stairwells in about 200 buildings) plus 2 office
// compounds, on about 930 m x 930 m; 6 sampling sites of 4 desks open
// 07:00-22:00; 34 community staff (scanners, some also marshals) and 48
// medical samplers (population / 360). About 2% of residents are
// mobility-limited, 1% exempt (infant or medical) and 2% away.
//
// Preset "city" with `residents` = N makes ceil(N / 17,000) communities
// "d0001", "d0002", ... of as equal a size as possible (summing exactly to
// N), each laid out like kangcheng on its own local plane and scaled to its
// share, with about one sampling site per 2,000 residents overall (at least
// one per community). Site and staff ids carry the community id
// ("d0001-s03") and resident codes are unique across the whole city.
//
// Output is a pure function of the options: the generator uses its own
// PRNG (xoshiro256**, seeded through splitmix64), never <random>'s
// distributions, so the same seed gives byte-identical CSV on every
// platform and standard library. Resident codes are "SW" followed by 14
// characters of Crockford's base32 alphabet (no I, L, O, U), unique by
// construction (a keyed bijection of the resident's index in the city).
//
// Example:
//   absl::StatusOr<std::vector<Community>> city =
//       GenerateCommunities({.preset = "city", .residents = 10'000'000});
//
// Callers: the swabwave CLI ("generate"), tests, bench/ and swabwave-replay.
//
// Thread-safety: GenerateCommunities may be called concurrently; a city is
// generated on several internal threads (one community per task), which
// does not change the output.
#ifndef SWABWAVE_ENGINE_IO_GENERATOR_H_
#define SWABWAVE_ENGINE_IO_GENERATOR_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/model/community.h"

namespace swabwave::engine {

// The reference community's field numbers (DESIGN.md §2).
inline constexpr int64_t kKangchengResidents = 17'000;
inline constexpr int64_t kKangchengHouseholds = 6'558;
inline constexpr int kKangchengSites = 6;
inline constexpr int kKangchengCommunityStaff = 34;

// The smallest and largest city the "city" preset makes. The upper bound
// keeps a generated city within a few GiB of memory.
inline constexpr int64_t kMinCityResidents = 1'000;
inline constexpr int64_t kMaxCityResidents = 50'000'000;

struct GeneratorOptions {
  // "kangcheng" (one reference community) or "city".
  std::string preset = "kangcheng";
  // "city": total residents, kMinCityResidents..kMaxCityResidents.
  // "kangcheng": 0 or 17,000 (the reference community has a fixed size).
  int64_t residents = 0;
  uint64_t seed = 1;
};

// Generates the communities `options` describe, in id order.
// Returns INVALID_ARGUMENT for an unknown preset or a resident count the
// preset does not take (the message says what it takes); INTERNAL only if
// the generator made a community CommunityBuilder rejects (a bug).
[[nodiscard]] absl::StatusOr<std::vector<Community>> GenerateCommunities(
    const GeneratorOptions& options);

}  // namespace swabwave::engine

#endif  // SWABWAVE_ENGINE_IO_GENERATOR_H_
