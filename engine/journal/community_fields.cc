#include "engine/journal/community_fields.h"

namespace swabwave::engine::journal {

void PutCommunityHousing(ByteWriter& w, const Community& c) {
  w.String(c.id);
  w.String(c.name);
  w.SignedVarint(c.utc_offset_minutes);
  w.Varint(c.compounds.size());
  for (const Compound& x : c.compounds) {
    w.String(x.id);
    w.String(x.name);
    w.U8(static_cast<uint8_t>(x.kind));
  }
  w.Varint(c.buildings.size());
  for (const Building& x : c.buildings) {
    w.String(x.id);
    w.Varint(x.compound);
    w.String(x.name);
    w.Double(x.location.x_m);
    w.Double(x.location.y_m);
  }
  w.Varint(c.units.size());
  for (const Unit& x : c.units) {
    w.String(x.id);
    w.Varint(x.building);
    w.String(x.name);
  }
}

void PutCommunitySitesAndStaff(ByteWriter& w, const Community& c) {
  w.Varint(c.sites.size());
  for (const Site& x : c.sites) {
    w.String(x.id);
    w.String(x.name);
    w.Double(x.location.x_m);
    w.Double(x.location.y_m);
    w.SignedVarint(x.desks);
    w.SignedVarint(x.opens_at_minute);
    w.SignedVarint(x.closes_at_minute);
  }
  w.Varint(c.staff.size());
  for (const StaffMember& x : c.staff) {
    w.String(x.id);
    w.U8(x.roles);
    w.Varint(x.home_site);
  }
}

void PutCommunityTrailer(ByteWriter& w, const Community& c) {
  w.String(c.time_zone);
  w.Varint(c.version);
  PutWalkInsTakenIn(w, c);
}

void PutWalkInsTakenIn(ByteWriter& w, const Community& c) {
  w.Varint(c.walk_ins_taken_in.size());
  for (const uint64_t key : c.walk_ins_taken_in) w.Fixed64(key);
}

bool GetWalkInsTakenIn(ByteReader& in, Community& c) {
  uint64_t count = 0;
  if (!in.Varint(&count) || count > in.remaining() / 8) return false;
  c.walk_ins_taken_in.resize(count);
  for (uint64_t& key : c.walk_ins_taken_in) {
    if (!in.Fixed64(&key)) return false;
  }
  return true;
}

bool GetCommunityTrailer(ByteReader& in, Community& c) {
  c.version = 1;
  if (in.empty()) return true;
  if (!in.String(&c.time_zone) || c.time_zone.size() > 64) return false;
  // Records from before roster versions end after the zone: version 1.
  if (in.empty()) return true;
  uint64_t version = 0;
  if (!in.Varint(&version) || version == 0 || version > UINT32_MAX) return false;
  c.version = static_cast<uint32_t>(version);
  return GetWalkInsTakenIn(in, c);
}

uint8_t ResidentFlags(const Resident& resident) {
  return static_cast<uint8_t>((resident.mobility_limited ? 1 : 0) |
                              (static_cast<uint8_t>(resident.exemption) << 1));
}

}  // namespace swabwave::engine::journal
