#include "engine/journal/records.h"


#include <utility>

#include "absl/strings/str_cat.h"
#include "engine/journal/byte_codec.h"
#include "engine/model/names.h"
#include "engine/journal/community_fields.h"
#include "engine/journal/plan_fields.h"

namespace swabwave::engine::journal {

namespace {

// Largest count a record may announce before its elements are read: no
// round or community is bigger, so a larger one is a damaged record.
constexpr uint64_t kMaxCount = uint64_t{1} << 31;

absl::Status Malformed(RecordType type, absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("malformed ", RecordTypeName(type), " record: ", what));
}

// Consumes the type byte; false unless it is `type`.
bool Begin(RecordType type, ByteReader* reader) {
  uint8_t found;
  return reader->U8(&found) && found == static_cast<uint8_t>(type);
}

void Header(RecordType type, std::string* out) {
  out->push_back(static_cast<char>(type));
}

// A count of elements that follow. Every element takes at least one byte,
// so a count past the bytes left is a damaged record: refusing it here keeps
// a 20-byte record from making recovery allocate gigabytes (found by
// journal_record_fuzzer).
bool Count(ByteReader& in, uint64_t* count) {
  if (!in.Varint(count)) return false;
  if (*count > kMaxCount || *count > in.remaining()) return in.Fail();
  return true;
}

void PutTime(ByteWriter& out, absl::Time t) { out.SignedVarint(absl::ToUnixNanos(t)); }
bool GetTime(ByteReader& in, absl::Time* t) {
  int64_t nanos;
  if (!in.SignedVarint(&nanos)) return false;
  *t = absl::FromUnixNanos(nanos);
  return true;
}
void PutDuration(ByteWriter& out, absl::Duration d) {
  out.SignedVarint(absl::ToInt64Nanoseconds(d));
}
bool GetDuration(ByteReader& in, absl::Duration* d) {
  int64_t nanos;
  if (!in.SignedVarint(&nanos)) return false;
  *d = absl::Nanoseconds(nanos);
  return true;
}

template <typename T>
void PutInts(ByteWriter& out, const std::vector<T>& values) {
  out.Varint(values.size());
  for (T v : values) out.SignedVarint(static_cast<int64_t>(v));
}
template <typename T>
bool GetInts(ByteReader& in, std::vector<T>* values) {
  uint64_t count;
  if (!Count(in, &count)) return false;
  values->clear();
  values->reserve(count);
  for (uint64_t i = 0; i < count; ++i) {
    int64_t v;
    if (!in.SignedVarint(&v)) return false;
    values->push_back(static_cast<T>(v));
  }
  return true;
}

// An index into a vector of `size`, or kNoId.
bool IndexOrNone(uint32_t index, size_t size) { return index == kNoId || index < size; }

}  // namespace

absl::string_view RecordTypeName(RecordType type) {
  switch (type) {
    case RecordType::kCommunityImported:
      return "CommunityImported";
    case RecordType::kRoundCreated:
      return "RoundCreated";
    case RecordType::kRoundPlanned:
      return "RoundPlanned";
    case RecordType::kRoundOpened:
      return "RoundOpened";
    case RecordType::kRoundClosed:
      return "RoundClosed";
    case RecordType::kTubeRacked:
      return "TubeRacked";
    case RecordType::kTubeSealed:
      return "TubeSealed";
    case RecordType::kCheckIn:
      return "CheckIn";
    case RecordType::kCheckInBeforeRequestIndex:
      return "CheckInBeforeRequestIndex";
    case RecordType::kRoundReplanned:
      return "RoundReplanned";
    case RecordType::kCommunityImage:
      return "CommunityImage";
    case RecordType::kRoundImage:
      return "RoundImage";
    case RecordType::kVisit:
      return "Visit";
    case RecordType::kWalkIn:
      return "WalkIn";
    case RecordType::kBoxPacked:
      return "BoxPacked";
    case RecordType::kBoxPickedUp:
      return "BoxPickedUp";
    case RecordType::kBoxReceived:
      return "BoxReceived";
    case RecordType::kTubeResult:
      return "TubeResult";
    case RecordType::kFollowUp:
      return "FollowUp";
  }
  return "unknown";
}

absl::StatusOr<RecordType> TypeOf(absl::string_view record) {
  if (record.empty()) return absl::InvalidArgumentError("empty journal record");
  const uint8_t type = static_cast<uint8_t>(record[0]);
  if (type < static_cast<uint8_t>(RecordType::kCommunityImported) ||
      type > static_cast<uint8_t>(RecordType::kLast)) {
    return absl::InvalidArgumentError(absl::StrCat("unknown journal record type ", type));
  }
  return static_cast<RecordType>(type);
}

// ---------------------------------------------------------------- community

void EncodeCommunity(const Community& c, std::string* out) {
  Header(RecordType::kCommunityImported, out);
  ByteWriter w(out);
  PutCommunityHousing(w, c);
  w.Varint(c.households.size());
  for (const Household& x : c.households) {
    w.String(x.id);
    w.Varint(x.unit);
  }
  w.Varint(c.residents.size());
  for (ResidentId r = 0; r < c.residents.size(); ++r) {
    const Resident& x = c.residents[r];
    w.String(c.resident_code(r));
    w.Varint(x.household);
    w.U8(ResidentFlags(x));
  }
  PutCommunitySitesAndStaff(w, c);
  PutCommunityTrailer(w, c);
}

absl::StatusOr<Community> DecodeCommunity(absl::string_view record) {
  constexpr RecordType kType = RecordType::kCommunityImported;
  ByteReader in(record);
  if (!Begin(kType, &in)) return Malformed(kType, "wrong type");
  std::string id, name;
  int64_t offset = 0;
  if (!in.String(&id) || !in.String(&name) || !in.SignedVarint(&offset)) {
    return Malformed(kType, "header");
  }
  CommunityBuilder builder(id, name, static_cast<int>(offset));
  // Ids as strings, to name parents the way the builder expects.
  std::vector<std::string> compounds, buildings, units, households, sites;
  uint64_t count;
  if (!Count(in, &count)) return Malformed(kType, "compound count");
  for (uint64_t i = 0; i < count; ++i) {
    std::string cid, cname;
    uint8_t kind;
    if (!in.String(&cid) || !in.String(&cname) || !in.U8(&kind) || kind > 2) {
      return Malformed(kType, "compound");
    }
    compounds.push_back(cid);
    if (absl::Status s =
            builder.AddCompound(std::move(cid), std::move(cname), static_cast<CompoundKind>(kind));
        !s.ok()) {
      return s;
    }
  }
  if (!Count(in, &count)) return Malformed(kType, "building count");
  for (uint64_t i = 0; i < count; ++i) {
    std::string bid, bname;
    uint32_t parent;
    Location at;
    if (!in.String(&bid) || !in.Varint32(&parent) || !in.String(&bname) || !in.Double(&at.x_m) ||
        !in.Double(&at.y_m) || parent >= compounds.size()) {
      return Malformed(kType, "building");
    }
    buildings.push_back(bid);
    if (absl::Status s = builder.AddBuilding(std::move(bid), compounds[parent], std::move(bname), at);
        !s.ok()) {
      return s;
    }
  }
  if (!Count(in, &count)) return Malformed(kType, "unit count");
  for (uint64_t i = 0; i < count; ++i) {
    std::string uid, uname;
    uint32_t parent;
    if (!in.String(&uid) || !in.Varint32(&parent) || !in.String(&uname) ||
        parent >= buildings.size()) {
      return Malformed(kType, "unit");
    }
    units.push_back(uid);
    if (absl::Status s = builder.AddUnit(std::move(uid), buildings[parent], std::move(uname));
        !s.ok()) {
      return s;
    }
  }
  if (!Count(in, &count)) return Malformed(kType, "household count");
  for (uint64_t i = 0; i < count; ++i) {
    std::string hid;
    uint32_t parent;
    if (!in.String(&hid) || !in.Varint32(&parent) || parent >= units.size()) {
      return Malformed(kType, "household");
    }
    households.push_back(hid);
    if (absl::Status s = builder.AddHousehold(std::move(hid), units[parent]); !s.ok()) return s;
  }
  if (!Count(in, &count)) return Malformed(kType, "resident count");
  for (uint64_t i = 0; i < count; ++i) {
    absl::string_view code;
    uint32_t parent;
    uint8_t flags;
    if (!in.StringView(&code) || !in.Varint32(&parent) || !in.U8(&flags) ||
        parent >= households.size() || (flags >> 1) > 4) {
      return Malformed(kType, "resident");
    }
    if (absl::Status s = builder.AddResident(code, households[parent], (flags & 1) != 0,
                                             static_cast<ExemptionReason>(flags >> 1));
        !s.ok()) {
      return s;
    }
  }
  if (!Count(in, &count)) return Malformed(kType, "site count");
  for (uint64_t i = 0; i < count; ++i) {
    Site site;
    int64_t desks, opens, closes;
    if (!in.String(&site.id) || !in.String(&site.name) || !in.Double(&site.location.x_m) ||
        !in.Double(&site.location.y_m) || !in.SignedVarint(&desks) || !in.SignedVarint(&opens) ||
        !in.SignedVarint(&closes)) {
      return Malformed(kType, "site");
    }
    site.desks = static_cast<int>(desks);
    site.opens_at_minute = static_cast<int>(opens);
    site.closes_at_minute = static_cast<int>(closes);
    sites.push_back(site.id);
    if (absl::Status s = builder.AddSite(std::move(site)); !s.ok()) return s;
  }
  if (!Count(in, &count)) return Malformed(kType, "staff count");
  for (uint64_t i = 0; i < count; ++i) {
    std::string sid;
    uint8_t roles;
    uint32_t home;
    if (!in.String(&sid) || !in.U8(&roles) || !in.Varint32(&home) ||
        !IndexOrNone(home, sites.size())) {
      return Malformed(kType, "staff member");
    }
    if (absl::Status s =
            builder.AddStaff(std::move(sid), roles, home == kNoId ? "" : sites[home]);
        !s.ok()) {
      return s;
    }
  }
  Community trailer;
  if (!GetCommunityTrailer(in, trailer)) return Malformed(kType, "time zone");
  if (!in.ok() || !in.empty()) return Malformed(kType, "trailing bytes");
  absl::StatusOr<Community> community = std::move(builder).Finish();
  if (community.ok()) {
    community->time_zone = std::move(trailer.time_zone);
    community->version = trailer.version;
    community->walk_ins_taken_in = std::move(trailer.walk_ins_taken_in);
  }
  return community;
}

// ---------------------------------------------------------------- rounds

void EncodeRoundCreated(const RoundCreated& event, std::string* out) {
  Header(RecordType::kRoundCreated, out);
  ByteWriter w(out);
  const RoundConfig& c = event.config;
  w.String(c.id);
  w.Varint(c.community_ids.size());
  for (const std::string& id : c.community_ids) w.String(id);
  PutTime(w, c.start);
  w.SignedVarint(c.pool_ratio);
  PutDuration(w, c.wave_length);
  PutDuration(w, c.duration);
  PutTime(w, event.created);
  w.SignedVarint(c.door_to_door_teams);  // since issue 18; absent before: the default
  // A targeted round's target, after the teams (absent: the whole round,
  // and the default box capacity; empty: the whole round, a capacity follows).
  const bool default_boxes = c.box_capacity == kDefaultBoxCapacity;
  if (c.target.whole() && default_boxes) return;
  for (const std::vector<std::string>* ids : {&c.target.compound_ids, &c.target.building_ids,
                                              &c.target.unit_ids, &c.target.resident_codes}) {
    w.Varint(ids->size());
    for (const std::string& id : *ids) w.String(id);
  }
  if (!default_boxes) w.SignedVarint(c.box_capacity);  // since issue 17
}

absl::StatusOr<RoundCreated> DecodeRoundCreated(absl::string_view record) {
  constexpr RecordType kType = RecordType::kRoundCreated;
  ByteReader in(record);
  RoundCreated event;
  RoundConfig& c = event.config;
  uint64_t count;
  int64_t ratio;
  if (!Begin(kType, &in) || !in.String(&c.id) || !Count(in, &count)) {
    return Malformed(kType, "header");
  }
  for (uint64_t i = 0; i < count; ++i) {
    if (!in.String(&c.community_ids.emplace_back())) return Malformed(kType, "community id");
  }
  if (!GetTime(in, &c.start) || !in.SignedVarint(&ratio) || !GetDuration(in, &c.wave_length) ||
      !GetDuration(in, &c.duration) || !GetTime(in, &event.created)) {
    return Malformed(kType, "fields");
  }
  int64_t teams = kDefaultDoorToDoorTeams;
  if (!in.empty() && !in.SignedVarint(&teams)) return Malformed(kType, "teams");
  if (!in.empty()) {
    for (std::vector<std::string>* ids : {&c.target.compound_ids, &c.target.building_ids,
                                          &c.target.unit_ids, &c.target.resident_codes}) {
      if (!Count(in, &count) || count > kMaxTargetIds) return Malformed(kType, "target");
      ids->resize(count);
      for (std::string& id : *ids) {
        if (!in.String(&id)) return Malformed(kType, "target id");
      }
    }
    int64_t boxes = kDefaultBoxCapacity;
    if (!in.empty() && !in.SignedVarint(&boxes)) return Malformed(kType, "box capacity");
    if (c.target.whole() && boxes == kDefaultBoxCapacity) return Malformed(kType, "an empty target");
    if (boxes < 1 || boxes > kMaxBoxCapacity) return Malformed(kType, "box capacity");
    c.box_capacity = static_cast<int>(boxes);
  }
  if (!in.empty()) return Malformed(kType, "trailing bytes");
  c.pool_ratio = static_cast<int>(ratio);
  if (teams < 1 || teams > kMaxDoorToDoorTeams) return Malformed(kType, "teams out of range");
  c.door_to_door_teams = static_cast<int>(teams);
  if (absl::Status s = ValidateRoundConfig(c); !s.ok()) return Malformed(kType, s.message());
  return event;
}

void EncodeRoundPlanned(absl::string_view round_id, const plan::Plan& p, std::string* out,
                        RecordType type) {
  Header(type, out);
  ByteWriter w(out);
  w.String(round_id);
  w.String(p.planner);
  w.SignedVarint(p.wave_count);
  w.SignedVarint(p.waves_used);
  w.SignedVarint(p.waves_lower_bound);
  w.Varint(p.site_count);
  PutInts(w, p.cell_capacity);
  PutInts(w, p.cell_load);
  w.Varint(p.resident_standing.size());
  for (Standing s : p.resident_standing) w.U8(static_cast<uint8_t>(s));
  // kNoId + 1 wraps to 0: unassigned residents cost one byte.
  w.Varint(p.resident_cell.size());
  for (CellIndex cell : p.resident_cell) w.Varint(static_cast<uint32_t>(cell + 1));
  w.Varint(p.assignments.size());
  for (const plan::UnitAssignment& a : p.assignments) {
    w.Varint(a.unit);
    w.Varint(a.site);
    w.SignedVarint(a.wave);
    w.SignedVarint(a.residents);
    w.Varint(a.households.size());
    for (uint32_t h : a.households) w.Varint(h);
  }
  w.Varint(p.door_to_door.size());
  for (uint32_t r : p.door_to_door) w.Varint(r);
  w.SignedVarint(p.residents);
  w.SignedVarint(p.due_at_sites);
  w.SignedVarint(p.door_to_door_count);
  w.SignedVarint(p.exempt);
  w.SignedVarint(p.units);
  w.SignedVarint(p.split_units);
  w.Double(p.total_walking_m);
  w.SignedVarint(p.overloaded_cells);
  // The optimal planner's gaps (added with it: older records end above).
  w.SignedVarint(p.waves_optimum);
  w.Double(p.flow_walking_m);
  w.SignedVarint(p.scattered_buildings);
  // Staffing (added with planning within the staff on hand: older records
  // end above).
  PutPlanStaffing(w, p);
}

absl::StatusOr<RoundPlanned> DecodeRoundPlanned(absl::string_view record) {
  const RecordType kType = !record.empty() && static_cast<uint8_t>(record[0]) ==
                                                   static_cast<uint8_t>(RecordType::kRoundReplanned)
                               ? RecordType::kRoundReplanned
                               : RecordType::kRoundPlanned;
  ByteReader in(record);
  RoundPlanned event;
  plan::Plan& p = event.plan;
  int64_t wave_count, waves_used, lower_bound;
  if (!Begin(kType, &in) || !in.String(&event.round_id) || !in.String(&p.planner) ||
      !in.SignedVarint(&wave_count) || !in.SignedVarint(&waves_used) ||
      !in.SignedVarint(&lower_bound) || !in.Varint32(&p.site_count) ||
      !NarrowToInt(wave_count, &p.wave_count) || !NarrowToInt(waves_used, &p.waves_used) ||
      !NarrowToInt(lower_bound, &p.waves_lower_bound)) {
    return Malformed(kType, "header");
  }
  if (!GetInts(in, &p.cell_capacity) || !GetInts(in, &p.cell_load)) {
    return Malformed(kType, "cells");
  }
  uint64_t count;
  if (!Count(in, &count)) return Malformed(kType, "standings");
  p.resident_standing.resize(count);
  for (Standing& s : p.resident_standing) {
    uint8_t v;
    if (!in.U8(&v)) return Malformed(kType, "standing");
    s = static_cast<Standing>(v);
  }
  if (!Count(in, &count)) return Malformed(kType, "cells");
  p.resident_cell.resize(count);
  for (CellIndex& cell : p.resident_cell) {
    uint32_t v;
    if (!in.Varint32(&v)) return Malformed(kType, "resident cell");
    cell = static_cast<CellIndex>(v - 1);  // 0 was kNoId
  }
  if (!Count(in, &count)) return Malformed(kType, "assignments");
  p.assignments.resize(count);
  for (plan::UnitAssignment& a : p.assignments) {
    int64_t wave, residents;
    uint64_t households;
    if (!in.Varint32(&a.unit) || !in.Varint32(&a.site) || !in.SignedVarint(&wave) ||
        !in.SignedVarint(&residents) || !Count(in, &households) ||
        !NarrowToInt(wave, &a.wave) || !NarrowToInt(residents, &a.residents)) {
      return Malformed(kType, "assignment");
    }
    a.households.resize(households);
    for (uint32_t& h : a.households) {
      if (!in.Varint32(&h)) return Malformed(kType, "assignment household");
    }
  }
  if (!Count(in, &count)) return Malformed(kType, "door-to-door");
  p.door_to_door.resize(count);
  for (uint32_t& r : p.door_to_door) {
    if (!in.Varint32(&r)) return Malformed(kType, "visit");
  }
  if (!in.SignedVarint(&p.residents) || !in.SignedVarint(&p.due_at_sites) ||
      !in.SignedVarint(&p.door_to_door_count) || !in.SignedVarint(&p.exempt) ||
      !in.SignedVarint(&p.units) || !in.SignedVarint(&p.split_units) ||
      !in.Double(&p.total_walking_m) || !in.SignedVarint(&p.overloaded_cells)) {
    return Malformed(kType, "totals");
  }
  if (!in.empty()) {
    int64_t waves_optimum;
    if (!in.SignedVarint(&waves_optimum) || !NarrowToInt(waves_optimum, &p.waves_optimum) ||
        !in.Double(&p.flow_walking_m) || !in.SignedVarint(&p.scattered_buildings)) {
      return Malformed(kType, "optimal planner's totals");
    }
  }
  // Staffing reads per-cell desks: only once the cells are known good.
  if (absl::Status s = CheckDecodedPlan(p); !s.ok()) return Malformed(kType, s.message());
  if (!in.empty() && !GetPlanStaffing(in, p)) return Malformed(kType, "staffing");
  if (!in.empty()) return Malformed(kType, "trailing bytes");
  return event;
}

void EncodeRoundPhase(RecordType type, absl::string_view round_id, std::string* out) {
  Header(type, out);
  ByteWriter(out).String(round_id);
}

absl::StatusOr<std::string> DecodeRoundPhase(absl::string_view record) {
  absl::StatusOr<RecordType> type = TypeOf(record);
  if (!type.ok()) return type.status();
  ByteReader in(record);
  std::string id;
  uint8_t skip;
  if ((*type != RecordType::kRoundOpened && *type != RecordType::kRoundClosed) || !in.U8(&skip) ||
      !in.String(&id) || !in.empty()) {
    return Malformed(*type, "round id");
  }
  return id;
}

// ---------------------------------------------------------------- tubes

void EncodeTubeEvent(RecordType type, const TubeEvent& event, std::string* out) {
  Header(type, out);
  ByteWriter w(out);
  w.String(event.round_id);
  w.Varint(event.desk);
  w.Varint(event.tube);
  w.String(event.barcode);
}

absl::StatusOr<TubeEvent> DecodeTubeEvent(absl::string_view record) {
  absl::StatusOr<RecordType> type = TypeOf(record);
  if (!type.ok()) return type.status();
  ByteReader in(record);
  TubeEvent event;
  uint8_t skip;
  if ((*type != RecordType::kTubeRacked && *type != RecordType::kTubeSealed) || !in.U8(&skip) ||
      !in.String(&event.round_id) || !in.Varint32(&event.desk) || !in.Varint32(&event.tube) ||
      !in.String(&event.barcode) || !in.empty()) {
    return Malformed(*type, "fields");
  }
  return event;
}

// ---------------------------------------------------------------- check-ins

void EncodeCheckIn(const CheckInRecord& r, std::string* out) {
  Header(r.request_whole ? RecordType::kCheckIn : RecordType::kCheckInBeforeRequestIndex, out);
  ByteWriter w(out);
  w.Varint(r.round);
  w.Varint(r.resident);
  w.Varint(r.tube);
  w.U8(static_cast<uint8_t>(r.slot));
  w.SignedVarint(r.scan_unix_seconds);
  if (r.request_whole) {
    w.Fixed64(r.request);
  } else {
    w.Fixed32(static_cast<uint32_t>(r.request));
  }
}

absl::StatusOr<CheckInRecord> DecodeCheckIn(absl::string_view record) {
  absl::StatusOr<RecordType> type = TypeOf(record);
  if (!type.ok()) return type.status();
  const RecordType kType = *type;
  ByteReader in(record);
  CheckInRecord r;
  uint8_t skip;
  uint8_t slot;
  if ((kType != RecordType::kCheckIn && kType != RecordType::kCheckInBeforeRequestIndex) ||
      !in.U8(&skip) || !in.Varint32(&r.round) || !in.Varint32(&r.resident) ||
      !in.Varint32(&r.tube) || !in.U8(&slot) || !in.SignedVarint(&r.scan_unix_seconds)) {
    return Malformed(kType, "fields");
  }
  r.request_whole = kType == RecordType::kCheckIn;
  uint32_t low = 0;
  if (r.request_whole ? !in.Fixed64(&r.request) : !in.Fixed32(&low)) {
    return Malformed(kType, "fields");
  }
  if (!r.request_whole) r.request = low;
  if (!in.empty()) return Malformed(kType, "fields");
  r.slot = slot;
  return r;
}

// ------------------------------------------------------------------- visits

void EncodeVisit(const VisitRecord& r, std::string* out) {
  Header(RecordType::kVisit, out);
  ByteWriter w(out);
  w.Varint(r.round);
  w.Varint(r.visit.resident);
  w.Varint(r.visit.desk);
  w.U8(static_cast<uint8_t>(r.visit.outcome));
  w.SignedVarint(r.visit.at_unix_seconds);
  w.Fixed64(r.visit.request);
  w.String(r.visit.reason);
}

absl::StatusOr<VisitRecord> DecodeVisit(absl::string_view record) {
  constexpr RecordType kType = RecordType::kVisit;
  ByteReader in(record);
  VisitRecord r;
  uint8_t outcome;
  if (!Begin(kType, &in) || !in.Varint32(&r.round) || !in.Varint32(&r.visit.resident) ||
      !in.Varint32(&r.visit.desk) || !in.U8(&outcome) ||
      !in.SignedVarint(&r.visit.at_unix_seconds) || !in.Fixed64(&r.visit.request) ||
      !in.String(&r.visit.reason) || !in.empty()) {
    return Malformed(kType, "fields");
  }
  r.visit.outcome = static_cast<visits::VisitOutcome>(outcome);
  if (absl::Status s = visits::ValidateVisit(r.visit); !s.ok()) return Malformed(kType, s.message());
  return r;
}

// ----------------------------------------------------------------- walk-ins

void EncodeWalkIn(const WalkInRecord& r, std::string* out) {
  Header(RecordType::kWalkIn, out);
  ByteWriter w(out);
  const roster::WalkIn& x = r.walk_in;
  w.Varint(r.round);
  w.Varint(x.community);
  w.String(x.code);
  w.String(x.unit_id);
  w.String(x.household_id);
  w.U8(x.new_household ? 1 : 0);
  w.Varint(x.desk);
  w.Varint(x.tube);
  w.Varint(x.slot);
  w.SignedVarint(x.scan_unix_seconds);
  w.Fixed64(x.request);
}

absl::StatusOr<WalkInRecord> DecodeWalkIn(absl::string_view record) {
  constexpr RecordType kType = RecordType::kWalkIn;
  ByteReader in(record);
  WalkInRecord r;
  roster::WalkIn& x = r.walk_in;
  uint8_t new_household;
  if (!Begin(kType, &in) || !in.Varint32(&r.round) || !in.Varint32(&x.community) ||
      !in.String(&x.code) || !in.String(&x.unit_id) || !in.String(&x.household_id) ||
      !in.U8(&new_household) || new_household > 1 || !in.Varint32(&x.desk) ||
      !in.Varint32(&x.tube) || !in.Varint32(&x.slot) || !in.SignedVarint(&x.scan_unix_seconds) ||
      !in.Fixed64(&x.request) || !in.empty()) {
    return Malformed(kType, "fields");
  }
  x.new_household = new_household == 1;
  if (!IsValidCode(x.code) || !IsValidId(x.unit_id) || !IsValidId(x.household_id)) {
    return Malformed(kType, "code or ids");
  }
  return r;
}

// -------------------------------------------------------------------- boxes

namespace {

void PutSignature(ByteWriter& w, const custody::Signature& s) {
  w.String(s.by);
  w.SignedVarint(s.at_unix_seconds);
}

bool GetSignature(ByteReader& in, custody::Signature* s) {
  return in.String(&s->by) && s->by.size() <= custody::kMaxSignerBytes &&
         in.SignedVarint(&s->at_unix_seconds);
}

RecordType BoxRecordType(custody::BoxState state) {
  switch (state) {
    case custody::BoxState::kPacked: return RecordType::kBoxPacked;
    case custody::BoxState::kPickedUp: return RecordType::kBoxPickedUp;
    case custody::BoxState::kReceived: return RecordType::kBoxReceived;
  }
  return RecordType::kBoxPacked;
}

}  // namespace

void EncodeBox(const BoxRecord& r, std::string* out) {
  const custody::Box& b = r.box;
  Header(BoxRecordType(b.state), out);
  ByteWriter w(out);
  w.Varint(r.round);
  w.String(b.barcode);
  w.Varint(b.desk);
  w.Varint(b.tubes.size());
  for (TubeIndex tube : b.tubes) w.Varint(tube);
  w.SignedVarint(b.oldest_swab_unix_seconds);
  PutSignature(w, b.packed);
  if (b.state == custody::BoxState::kPacked) return;
  PutSignature(w, b.picked_up);
  if (b.state == custody::BoxState::kPickedUp) return;
  PutSignature(w, b.received);
  w.String(b.lab_id);
  w.Varint(b.missing.size());
  for (TubeIndex tube : b.missing) w.Varint(tube);
  w.Varint(b.unexpected.size());
  for (const std::string& barcode : b.unexpected) w.String(barcode);
}

absl::StatusOr<BoxRecord> DecodeBox(absl::string_view record) {
  absl::StatusOr<RecordType> type = TypeOf(record);
  if (!type.ok()) return type.status();
  const RecordType kType = *type;
  if (kType != RecordType::kBoxPacked && kType != RecordType::kBoxPickedUp &&
      kType != RecordType::kBoxReceived) {
    return Malformed(kType, "not a box");
  }
  ByteReader in(record);
  BoxRecord r;
  custody::Box& b = r.box;
  uint8_t skip;
  uint64_t count;
  if (!in.U8(&skip) || !in.Varint32(&r.round) || !in.String(&b.barcode) ||
      !in.Varint32(&b.desk) || !Count(in, &count) || count == 0 || count > kMaxBoxCapacity) {
    return Malformed(kType, "header");
  }
  b.tubes.resize(count);
  for (TubeIndex& tube : b.tubes) {
    if (!in.Varint32(&tube)) return Malformed(kType, "tubes");
  }
  if (!in.SignedVarint(&b.oldest_swab_unix_seconds) || !GetSignature(in, &b.packed)) {
    return Malformed(kType, "packing");
  }
  b.state = custody::BoxState::kPacked;
  if (kType != RecordType::kBoxPacked) {
    if (!GetSignature(in, &b.picked_up)) return Malformed(kType, "pick-up");
    b.state = custody::BoxState::kPickedUp;
  }
  if (kType == RecordType::kBoxReceived) {
    if (!GetSignature(in, &b.received) || !in.String(&b.lab_id) || !IsValidId(b.lab_id) ||
        !Count(in, &count) || count > b.tubes.size()) {
      return Malformed(kType, "receipt");
    }
    b.missing.resize(count);
    for (TubeIndex& tube : b.missing) {
      if (!in.Varint32(&tube)) return Malformed(kType, "missing tubes");
    }
    if (!Count(in, &count) || count > kMaxBoxCapacity) return Malformed(kType, "unexpected tubes");
    b.unexpected.resize(count);
    for (std::string& barcode : b.unexpected) {
      if (!in.String(&barcode) || !IsValidCode(barcode)) return Malformed(kType, "unexpected tube");
    }
    b.state = custody::BoxState::kReceived;
  }
  if (!in.empty()) return Malformed(kType, "trailing bytes");
  if (!IsValidCode(b.barcode)) return Malformed(kType, "box barcode");
  return r;
}

// ------------------------------------------------------------------ results

void EncodeResult(const ResultRecord& r, std::string* out) {
  EncodeResult(r.round, r.report, out);
}

void EncodeResult(uint32_t round, const lab::Report& x, std::string* out) {
  Header(RecordType::kTubeResult, out);
  ByteWriter w(out);
  w.Varint(round);
  w.Varint(x.tube);
  w.U8(static_cast<uint8_t>(x.result));
  w.U8(x.ct.has_value() ? 1 : 0);
  if (x.ct.has_value()) w.Double(*x.ct);
  w.String(x.run_id);
  w.String(x.lab_id);
  w.String(x.by);
  w.SignedVarint(x.at_unix_seconds);
  w.String(x.correction_reason);
  w.Fixed64(x.request);
}

absl::StatusOr<ResultRecord> DecodeResult(absl::string_view record) {
  constexpr RecordType kType = RecordType::kTubeResult;
  ByteReader in(record);
  ResultRecord r;
  lab::Report& x = r.report;
  uint8_t result;
  uint8_t has_ct;
  if (!Begin(kType, &in) || !in.Varint32(&r.round) || !in.Varint32(&x.tube) ||
      !in.U8(&result) || !in.U8(&has_ct) || has_ct > 1) {
    return Malformed(kType, "fields");
  }
  if (has_ct == 1) {
    double ct;
    if (!in.Double(&ct)) return Malformed(kType, "ct");
    x.ct = ct;
  }
  if (!in.String(&x.run_id) || !in.String(&x.lab_id) || !in.String(&x.by) ||
      !in.SignedVarint(&x.at_unix_seconds) || !in.String(&x.correction_reason) ||
      !in.Fixed64(&x.request) || !in.empty()) {
    return Malformed(kType, "fields");
  }
  x.result = static_cast<lab::TubeResult>(result);
  if (absl::Status s = lab::ValidateReport(x); !s.ok()) return Malformed(kType, s.message());
  if (!IsValidId(x.lab_id) || x.by.size() > custody::kMaxSignerBytes) {
    return Malformed(kType, "lab");
  }
  return r;
}

// --------------------------------------------------------------- follow-ups

void EncodeFollowUp(const FollowUpRecord& r, std::string* out) {
  Header(RecordType::kFollowUp, out);
  ByteWriter w(out);
  const lab::Retest& x = r.retest;
  w.Varint(r.round);
  w.Varint(x.member);
  w.U8(static_cast<uint8_t>(x.reason));
  w.String(x.tube_barcode);
  w.Varint(x.desk);
  w.SignedVarint(x.at_unix_seconds);
  w.Fixed64(x.request);
}

absl::StatusOr<FollowUpRecord> DecodeFollowUp(absl::string_view record) {
  constexpr RecordType kType = RecordType::kFollowUp;
  ByteReader in(record);
  FollowUpRecord r;
  lab::Retest& x = r.retest;
  uint8_t reason;
  if (!Begin(kType, &in) || !in.Varint32(&r.round) || !in.Varint32(&x.member) ||
      !in.U8(&reason) || !in.String(&x.tube_barcode) || !in.Varint32(&x.desk) ||
      !in.SignedVarint(&x.at_unix_seconds) || !in.Fixed64(&x.request) || !in.empty()) {
    return Malformed(kType, "fields");
  }
  if (reason != static_cast<uint8_t>(lab::FollowUpReason::kRecall) &&
      reason != static_cast<uint8_t>(lab::FollowUpReason::kResample)) {
    return Malformed(kType, "reason");
  }
  x.reason = static_cast<lab::FollowUpReason>(reason);
  if (!IsValidCode(x.tube_barcode)) return Malformed(kType, "tube barcode");
  return r;
}

}  // namespace swabwave::engine::journal
