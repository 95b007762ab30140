// CommunityImage: a whole community as one dense snapshot record
// (RecordType::kCommunityImage), read back into its arrays directly.
//
// The record-style snapshot replays a CommunityImported record through
// CommunityBuilder, which hashes every id and code to check uniqueness
// (2 s for a 10-million-resident city). An image was written from a
// community that was already validated, and its frame's CRC-32C vouches for
// every byte, so decoding copies the arrays and checks only what keeps
// later reads in bounds: every parent index, enum value, site setting and
// arena offset. Uniqueness of ids and codes is not re-checked: a duplicate
// could only come from a forged record with a valid CRC, and it cannot
// make a lookup read out of bounds.
//
// Layout after the type byte (byte_codec.h):
//   version (fixed32) | id | name | utc offset
//   compounds, buildings, units: count, then each as in CommunityImported
//   households: count | id arena offsets (array) | id bytes | units (array)
//   residents: count | households (array) | flags (array of u8) |
//              code arena offsets (array) | code bytes
//   sites, staff: count, then each as in CommunityImported
//
// Thread-safety: pure functions.
#ifndef SWABWAVE_ENGINE_JOURNAL_COMMUNITY_IMAGE_H_
#define SWABWAVE_ENGINE_JOURNAL_COMMUNITY_IMAGE_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "engine/model/community.h"

namespace swabwave::engine::journal {

inline constexpr uint32_t kCommunityImageVersion = 3;
// Version 2, from before roster versions (the zone ends it), and version 1,
// from before time zones (no zone after the staff), still read.
inline constexpr uint32_t kCommunityImageVersionBeforeVersions = 2;
inline constexpr uint32_t kCommunityImageVersionBeforeZones = 1;

void EncodeCommunityImage(const Community& community, std::string* out);

// DATA_LOSS naming what is wrong (and the byte offset in the record) for a
// record that is short, of another version, or whose indices or values are
// out of range.
[[nodiscard]] absl::StatusOr<Community> DecodeCommunityImage(absl::string_view record);

}  // namespace swabwave::engine::journal

#endif  // SWABWAVE_ENGINE_JOURNAL_COMMUNITY_IMAGE_H_
