#include "engine/journal/community_image.h"

#include <cmath>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/journal/byte_codec.h"
#include "engine/journal/community_fields.h"
#include "engine/journal/records.h"

namespace swabwave::engine::journal {

namespace {

// No community holds more of anything (ids are 32-bit, kNoId excluded).
constexpr uint64_t kMaxEntities = uint64_t{1} << 31;

absl::Status Damaged(size_t offset, absl::string_view what) {
  return absl::DataLossError(
      absl::StrCat("damaged CommunityImage record: ", what, " (at byte ", offset, ")"));
}

// A count of entities, each of which takes at least one byte.
bool Count(ByteReader& in, uint64_t* count) {
  if (!in.Varint(count)) return false;
  if (*count > kMaxEntities || *count > in.remaining()) return in.Fail();
  return true;
}

void PutArena(ByteWriter& w, const CodeArena& arena) {
  w.Array(arena.offsets());
  w.String(arena.bytes());
}

bool GetArena(ByteReader& in, uint64_t count, CodeArena* arena) {
  std::vector<uint32_t> offsets;
  std::string bytes;
  if (!in.Array(&offsets, count) || offsets.size() != count || !in.String(&bytes)) return false;
  return CodeArena::FromParts(std::move(bytes), std::move(offsets), arena) || in.Fail();
}

}  // namespace

void EncodeCommunityImage(const Community& c, std::string* out) {
  out->push_back(static_cast<char>(RecordType::kCommunityImage));
  ByteWriter w(out);
  w.Fixed32(kCommunityImageVersion);
  PutCommunityHousing(w, c);
  // The big arrays: households and residents.
  w.Varint(c.households.size());
  {
    CodeArena ids;
    std::vector<uint32_t> units;
    units.reserve(c.households.size());
    for (const Household& x : c.households) {
      ids.Append(x.id);
      units.push_back(x.unit);
    }
    PutArena(w, ids);
    w.Array(units);
  }
  w.Varint(c.residents.size());
  {
    std::vector<uint32_t> households;
    std::vector<uint8_t> flags;
    households.reserve(c.residents.size());
    flags.reserve(c.residents.size());
    for (const Resident& x : c.residents) {
      households.push_back(x.household);
      flags.push_back(ResidentFlags(x));
    }
    w.Array(households);
    w.Array(flags);
    PutArena(w, c.resident_codes);
  }
  PutCommunitySitesAndStaff(w, c);
  PutCommunityTrailer(w, c);
}

absl::StatusOr<Community> DecodeCommunityImage(absl::string_view record) {
  ByteReader in(record);
  Community c;
  uint8_t type;
  uint32_t version;
  int64_t utc_offset;
  if (!in.U8(&type) || type != static_cast<uint8_t>(RecordType::kCommunityImage) ||
      !in.Fixed32(&version)) {
    return Damaged(0, "header");
  }
  if (version != kCommunityImageVersion && version != kCommunityImageVersionBeforeVersions &&
      version != kCommunityImageVersionBeforeZones) {
    return absl::DataLossError(absl::StrCat("CommunityImage record of format version ", version,
                                            "; this server reads version ",
                                            kCommunityImageVersion));
  }
  if (!in.String(&c.id) || !in.String(&c.name) || !in.SignedVarint(&utc_offset) ||
      utc_offset < -24 * 60 || utc_offset > 24 * 60) {
    return Damaged(0, "header");
  }
  c.utc_offset_minutes = static_cast<int>(utc_offset);

  size_t at = in.offset();
  uint64_t count;
  if (!Count(in, &count)) return Damaged(at, "compound count");
  c.compounds.resize(count);
  for (Compound& x : c.compounds) {
    uint8_t kind;
    if (!in.String(&x.id) || !in.String(&x.name) || !in.U8(&kind) ||
        kind > static_cast<uint8_t>(CompoundKind::kSchool)) {
      return Damaged(at, "compound");
    }
    x.kind = static_cast<CompoundKind>(kind);
  }

  at = in.offset();
  if (!Count(in, &count)) return Damaged(at, "building count");
  c.buildings.resize(count);
  for (Building& x : c.buildings) {
    if (!in.String(&x.id) || !in.Varint32(&x.compound) || !in.String(&x.name) ||
        !in.Double(&x.location.x_m) || !in.Double(&x.location.y_m) ||
        x.compound >= c.compounds.size()) {
      return Damaged(at, "building");
    }
  }

  at = in.offset();
  if (!Count(in, &count)) return Damaged(at, "unit count");
  c.units.resize(count);
  for (Unit& x : c.units) {
    if (!in.String(&x.id) || !in.Varint32(&x.building) || !in.String(&x.name) ||
        x.building >= c.buildings.size()) {
      return Damaged(at, "unit");
    }
  }

  at = in.offset();
  {
    CodeArena ids;
    std::vector<uint32_t> units;
    if (!in.Varint(&count) || count > kMaxEntities || !GetArena(in, count, &ids) ||
        !in.Array(&units, count) || units.size() != count) {
      return Damaged(at, "households");
    }
    c.households.resize(count);
    for (uint32_t h = 0; h < count; ++h) {
      if (units[h] >= c.units.size()) return Damaged(at, "household's unit");
      c.households[h].id = std::string(ids.Get(h));
      c.households[h].unit = units[h];
    }
  }

  at = in.offset();
  {
    std::vector<uint32_t> households;
    std::vector<uint8_t> flags;
    if (!in.Varint(&count) || count > kMaxEntities || !in.Array(&households, count) ||
        households.size() != count || !in.Array(&flags, count) || flags.size() != count ||
        !GetArena(in, count, &c.resident_codes)) {
      return Damaged(at, "residents");
    }
    c.residents.resize(count);
    for (uint32_t r = 0; r < count; ++r) {
      if (households[r] >= c.households.size() ||
          (flags[r] >> 1) > static_cast<uint8_t>(ExemptionReason::kOther)) {
        return Damaged(at, absl::StrCat("resident #", r));
      }
      c.residents[r] = Resident{households[r], (flags[r] & 1) != 0,
                                static_cast<ExemptionReason>(flags[r] >> 1)};
    }
  }

  at = in.offset();
  if (!Count(in, &count)) return Damaged(at, "site count");
  c.sites.resize(count);
  for (Site& x : c.sites) {
    int64_t desks, opens, closes;
    if (!in.String(&x.id) || !in.String(&x.name) || !in.Double(&x.location.x_m) ||
        !in.Double(&x.location.y_m) || !in.SignedVarint(&desks) || !in.SignedVarint(&opens) ||
        !in.SignedVarint(&closes) || desks < 0 || desks > kMaxDesksPerSite ||
        std::abs(opens) > 2 * kMinutesPerDay || std::abs(closes) > 2 * kMinutesPerDay) {
      return Damaged(at, "site");
    }
    x.desks = static_cast<int>(desks);
    x.opens_at_minute = static_cast<int>(opens);
    x.closes_at_minute = static_cast<int>(closes);
    if (absl::Status s = CheckSiteSettings(x); !s.ok()) return Damaged(at, s.message());
  }

  at = in.offset();
  if (!Count(in, &count)) return Damaged(at, "staff count");
  c.staff.resize(count);
  for (StaffMember& x : c.staff) {
    if (!in.String(&x.id) || !in.U8(&x.roles) || !in.Varint32(&x.home_site) ||
        (x.home_site != kNoId && x.home_site >= c.sites.size())) {
      return Damaged(at, "staff member");
    }
  }
  at = in.offset();
  // A current image ends with the zone (maybe empty) and the roster
  // version; a version 2 image with the zone; a version 1 image here.
  if (version != kCommunityImageVersionBeforeZones &&
      (!in.String(&c.time_zone) || c.time_zone.size() > 64)) {
    return Damaged(at, "time zone");
  }
  if (version == kCommunityImageVersion) {
    at = in.offset();
    uint64_t roster_version = 0;
    if (!in.Varint(&roster_version) || roster_version == 0 || roster_version > UINT32_MAX) {
      return Damaged(at, "roster version");
    }
    c.version = static_cast<uint32_t>(roster_version);
    if (!GetWalkInsTakenIn(in, c)) return Damaged(at, "walk-ins taken in");
  }
  if (!in.ok() || !in.empty()) return Damaged(in.offset(), "trailing bytes");
  if (c.residents.empty() || c.sites.empty()) {
    return Damaged(0, "a community without residents or sites");
  }
  return c;
}

}  // namespace swabwave::engine::journal
