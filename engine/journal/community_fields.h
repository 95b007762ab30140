// The parts of a community that its journal record (records.h,
// kCommunityImported) and its dense snapshot image (community_image.h)
// write alike: one writer each, so the two cannot drift apart. What
// differs between them is the bulk: the record writes households and
// residents one by one, the image as arrays.
//
// Thread-safety: pure functions.
#ifndef SWABWAVE_ENGINE_JOURNAL_COMMUNITY_FIELDS_H_
#define SWABWAVE_ENGINE_JOURNAL_COMMUNITY_FIELDS_H_

#include <cstdint>

#include "engine/journal/byte_codec.h"
#include "engine/model/community.h"

namespace swabwave::engine::journal {

// The header (id, name, UTC offset), then compounds, buildings and units.
void PutCommunityHousing(ByteWriter& w, const Community& c);
// Sites, then staff.
void PutCommunitySitesAndStaff(ByteWriter& w, const Community& c);
// Fields added after the first format, at the record's end so that older
// records (without them) still read: the time zone, then the roster
// version (engine/model/community.h; absent: version 1) with the walk-ins
// it took in.
void PutCommunityTrailer(ByteWriter& w, const Community& c);
// Reads what PutCommunityTrailer wrote into `c`, if the record has it
// (nothing left: a record from before). False on a malformed trailer. The
// zone is kept as written, even one tzdata no longer knows (local times
// then fall back to the fixed offset): recovery never fails on it.
[[nodiscard]] bool GetCommunityTrailer(ByteReader& in, Community& c);
// The walk-ins a version took in: a count, then each key (fixed64).
void PutWalkInsTakenIn(ByteWriter& w, const Community& c);
[[nodiscard]] bool GetWalkInsTakenIn(ByteReader& in, Community& c);
// A resident's flags byte: bit 0 mobility-limited, bits 1.. the exemption.
uint8_t ResidentFlags(const Resident& resident);

}  // namespace swabwave::engine::journal

#endif  // SWABWAVE_ENGINE_JOURNAL_COMMUNITY_FIELDS_H_
