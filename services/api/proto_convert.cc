#include "services/api/proto_convert.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "engine/model/local_time.h"
#include "services/api/resource_names.h"

namespace swabwave::services {

absl::Time FromProto(const google::protobuf::Timestamp& t) {
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

void ToProto(absl::Time t, google::protobuf::Timestamp* out) {
  const int64_t seconds = absl::ToUnixSeconds(t);
  out->set_seconds(seconds);
  out->set_nanos(static_cast<int32_t>((t - absl::FromUnixSeconds(seconds)) / absl::Nanoseconds(1)));
}

absl::Duration FromProto(const google::protobuf::Duration& d) {
  return absl::Seconds(d.seconds()) + absl::Nanoseconds(d.nanos());
}

void ToProto(absl::Duration d, google::protobuf::Duration* out) {
  const int64_t seconds = absl::IDivDuration(d, absl::Seconds(1), &d);
  out->set_seconds(seconds);
  out->set_nanos(static_cast<int32_t>(d / absl::Nanoseconds(1)));
}

absl::StatusOr<absl::Time> TimeFromRequest(absl::string_view field,
                                           const google::protobuf::Timestamp& t) {
  // google/protobuf/timestamp.proto's range; outside it, time arithmetic on
  // the value would saturate.
  constexpr int64_t kMinSeconds = -62135596800;  // 0001-01-01T00:00:00Z
  constexpr int64_t kMaxSeconds = 253402300799;  // 9999-12-31T23:59:59Z
  if (t.seconds() < kMinSeconds || t.seconds() > kMaxSeconds || t.nanos() < 0 ||
      t.nanos() > 999999999) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, " {seconds: ", t.seconds(), ", nanos: ", t.nanos(),
        "} is not a valid timestamp: seconds from 0001-01-01 to 9999-12-31, nanos 0..999999999"));
  }
  return FromProto(t);
}

absl::StatusOr<absl::Duration> DurationFromRequest(absl::string_view field,
                                                   const google::protobuf::Duration& d) {
  // google/protobuf/duration.proto's range.
  constexpr int64_t kMaxSeconds = 315576000000;  // about 10,000 years
  const bool signs_agree = (d.seconds() >= 0 && d.nanos() >= 0) ||
                           (d.seconds() <= 0 && d.nanos() <= 0);
  if (d.seconds() < -kMaxSeconds || d.seconds() > kMaxSeconds || d.nanos() < -999999999 ||
      d.nanos() > 999999999 || !signs_agree) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, " {seconds: ", d.seconds(), ", nanos: ", d.nanos(),
        "} is not a valid duration: seconds within +-315576000000, nanos within +-999999999 and "
        "of the same sign"));
  }
  return FromProto(d);
}

namespace {

v1::CompoundKind KindToProto(engine::CompoundKind kind) {
  switch (kind) {
    case engine::CompoundKind::kResidential:
      return v1::COMPOUND_KIND_RESIDENTIAL;
    case engine::CompoundKind::kOffice:
      return v1::COMPOUND_KIND_OFFICE;
    case engine::CompoundKind::kSchool:
      return v1::COMPOUND_KIND_SCHOOL;
  }
  return v1::COMPOUND_KIND_UNSPECIFIED;
}

engine::CompoundKind KindFromProto(v1::CompoundKind kind) {
  switch (kind) {
    case v1::COMPOUND_KIND_OFFICE:
      return engine::CompoundKind::kOffice;
    case v1::COMPOUND_KIND_SCHOOL:
      return engine::CompoundKind::kSchool;
    default:
      return engine::CompoundKind::kResidential;
  }
}

}  // namespace

v1::ExemptionReason ExemptionToProto(engine::ExemptionReason reason) {
  switch (reason) {
    case engine::ExemptionReason::kNone:
      return v1::EXEMPTION_REASON_UNSPECIFIED;
    case engine::ExemptionReason::kInfant:
      return v1::EXEMPTION_REASON_INFANT;
    case engine::ExemptionReason::kMedical:
      return v1::EXEMPTION_REASON_MEDICAL;
    case engine::ExemptionReason::kAway:
      return v1::EXEMPTION_REASON_AWAY;
    case engine::ExemptionReason::kOther:
      return v1::EXEMPTION_REASON_OTHER;
  }
  return v1::EXEMPTION_REASON_UNSPECIFIED;
}

namespace {

absl::StatusOr<engine::ExemptionReason> ExemptionFromProto(v1::ExemptionReason reason) {
  switch (reason) {
    case v1::EXEMPTION_REASON_UNSPECIFIED:
      return engine::ExemptionReason::kNone;
    case v1::EXEMPTION_REASON_INFANT:
      return engine::ExemptionReason::kInfant;
    case v1::EXEMPTION_REASON_MEDICAL:
      return engine::ExemptionReason::kMedical;
    case v1::EXEMPTION_REASON_AWAY:
      return engine::ExemptionReason::kAway;
    case v1::EXEMPTION_REASON_OTHER:
      return engine::ExemptionReason::kOther;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("exemption ", static_cast<int>(reason), " is not a known reason"));
  }
}

absl::StatusOr<uint8_t> RolesFromProto(const google::protobuf::RepeatedField<int>& roles) {
  uint8_t bits = 0;
  for (int role : roles) {
    switch (role) {
      case v1::STAFF_ROLE_SAMPLER:
        bits |= engine::kRoleSampler;
        break;
      case v1::STAFF_ROLE_SCANNER:
        bits |= engine::kRoleScanner;
        break;
      case v1::STAFF_ROLE_MARSHAL:
        bits |= engine::kRoleMarshal;
        break;
      default:
        return absl::InvalidArgumentError(absl::StrCat("role ", role, " is not a known role"));
    }
  }
  return bits;
}

// Fills chunks of at most `limit` entities from a sequence of adders.
class ChunkWriter {
 public:
  ChunkWriter(std::vector<v1::ImportCommunityRequest>& chunks, size_t limit)
      : chunks_(chunks), limit_(limit) {}
  v1::ImportCommunityRequest& Next() {
    if (chunks_.empty() || count_ >= limit_) {
      chunks_.emplace_back();
      count_ = 0;
    }
    ++count_;
    return chunks_.back();
  }

 private:
  std::vector<v1::ImportCommunityRequest>& chunks_;
  const size_t limit_;
  size_t count_ = 0;
};

}  // namespace

std::vector<v1::ImportCommunityRequest> CommunityToChunks(const engine::Community& c,
                                                          const std::string& request_id,
                                                          size_t entities_per_chunk) {
  std::vector<v1::ImportCommunityRequest> chunks(1);
  chunks[0].set_request_id(request_id);
  v1::CommunityHeader* header = chunks[0].mutable_community();
  header->set_community_id(c.id);
  header->set_name(c.name);
  header->set_utc_offset_minutes(c.utc_offset_minutes);
  header->set_time_zone(c.time_zone);
  ChunkWriter out(chunks, std::max<size_t>(1, entities_per_chunk));
  for (const engine::Compound& x : c.compounds) {
    v1::Compound* p = out.Next().add_compounds();
    p->set_compound_id(x.id);
    p->set_name(x.name);
    p->set_kind(KindToProto(x.kind));
  }
  for (const engine::Building& x : c.buildings) {
    v1::Building* p = out.Next().add_buildings();
    p->set_building_id(x.id);
    p->set_compound_id(c.compounds[x.compound].id);
    p->set_name(x.name);
    p->mutable_location()->set_x_m(x.location.x_m);
    p->mutable_location()->set_y_m(x.location.y_m);
  }
  for (const engine::Unit& x : c.units) {
    v1::Unit* p = out.Next().add_units();
    p->set_unit_id(x.id);
    p->set_building_id(c.buildings[x.building].id);
    p->set_name(x.name);
  }
  for (const engine::Household& x : c.households) {
    v1::Household* p = out.Next().add_households();
    p->set_household_id(x.id);
    p->set_unit_id(c.units[x.unit].id);
  }
  for (engine::ResidentId r = 0; r < c.residents.size(); ++r) {
    const engine::Resident& x = c.residents[r];
    v1::Resident* p = out.Next().add_residents();
    const absl::string_view code = c.resident_code(r);
    p->set_code(code.data(), code.size());
    p->set_household_id(c.households[x.household].id);
    p->set_mobility_limited(x.mobility_limited);
    p->set_exemption(ExemptionToProto(x.exemption));
  }
  for (const engine::Site& x : c.sites) {
    v1::Site* p = out.Next().add_sites();
    p->set_site_id(x.id);
    p->set_name(x.name);
    p->mutable_location()->set_x_m(x.location.x_m);
    p->mutable_location()->set_y_m(x.location.y_m);
    p->set_desks(x.desks);
    p->set_opens_at_minute(x.opens_at_minute);
    p->set_closes_at_minute(x.closes_at_minute);
  }
  for (const engine::StaffMember& x : c.staff) {
    v1::StaffMember* p = out.Next().add_staff();
    p->set_staff_id(x.id);
    if (x.roles & engine::kRoleSampler) p->add_roles(v1::STAFF_ROLE_SAMPLER);
    if (x.roles & engine::kRoleScanner) p->add_roles(v1::STAFF_ROLE_SCANNER);
    if (x.roles & engine::kRoleMarshal) p->add_roles(v1::STAFF_ROLE_MARSHAL);
    if (x.home_site != engine::kNoId) p->set_home_site_id(c.sites[x.home_site].id);
  }
  chunks.back().set_last(true);
  return chunks;
}

absl::Status ImportAssembler::Add(const v1::ImportCommunityRequest& chunk, size_t index) {
  auto in_chunk = [index](absl::Status status) {
    if (status.ok()) return status;
    return absl::Status(status.code(), absl::StrCat("chunk ", index, ": ", status.message()));
  };
  if (index == 0) {
    if (absl::Status s = CheckRequestId(chunk.request_id()); !s.ok()) return in_chunk(s);
    if (!chunk.has_community()) {
      return in_chunk(absl::InvalidArgumentError(
          "the first chunk must carry the community header (community_id, name, "
          "utc_offset_minutes)"));
    }
    if (!v1::ImportMode_IsValid(chunk.mode())) {
      return in_chunk(absl::InvalidArgumentError(absl::StrCat(
          "mode ", static_cast<int>(chunk.mode()),
          " is not an import mode; leave it unset for a new community, or use "
          "IMPORT_MODE_PREVIEW or IMPORT_MODE_NEW_VERSION")));
    }
    if (chunk.base_version() < 0 ||
        (chunk.base_version() != 0 && chunk.mode() != v1::IMPORT_MODE_NEW_VERSION)) {
      return in_chunk(absl::InvalidArgumentError(absl::StrCat(
          "base_version ", chunk.base_version(),
          ": give a version (1 or more) only with IMPORT_MODE_NEW_VERSION, or 0 for none")));
    }
    mode_ = chunk.mode();
    base_version_ = static_cast<uint32_t>(chunk.base_version());
    request_id_ = chunk.request_id();
    builder_ = std::make_unique<engine::CommunityBuilder>(chunk.community().community_id(),
                                                          chunk.community().name(),
                                                          chunk.community().utc_offset_minutes());
    if (absl::Status s = builder_->SetTimeZone(chunk.community().time_zone()); !s.ok()) {
      return in_chunk(s);
    }
  } else if (chunk.has_community() || !chunk.request_id().empty() || chunk.mode() != 0 ||
             chunk.base_version() != 0) {
    return in_chunk(absl::InvalidArgumentError(
        "only the first chunk may carry request_id, the community header, mode and "
        "base_version"));
  }
  if (saw_last_) {
    return in_chunk(absl::InvalidArgumentError("a chunk came after the chunk marked last"));
  }
  saw_last_ = chunk.last();
  engine::CommunityBuilder& b = *builder_;
  for (const v1::Compound& x : chunk.compounds()) {
    if (absl::Status s = b.AddCompound(x.compound_id(), x.name(), KindFromProto(x.kind()));
        !s.ok()) {
      return in_chunk(s);
    }
  }
  for (const v1::Building& x : chunk.buildings()) {
    if (absl::Status s = b.AddBuilding(x.building_id(), x.compound_id(), x.name(),
                                       {x.location().x_m(), x.location().y_m()});
        !s.ok()) {
      return in_chunk(s);
    }
  }
  for (const v1::Unit& x : chunk.units()) {
    if (absl::Status s = b.AddUnit(x.unit_id(), x.building_id(), x.name()); !s.ok()) {
      return in_chunk(s);
    }
  }
  for (const v1::Household& x : chunk.households()) {
    if (absl::Status s = b.AddHousehold(x.household_id(), x.unit_id()); !s.ok()) {
      return in_chunk(s);
    }
  }
  for (const v1::Resident& x : chunk.residents()) {
    absl::StatusOr<engine::ExemptionReason> exemption = ExemptionFromProto(x.exemption());
    if (!exemption.ok()) return in_chunk(exemption.status());
    if (absl::Status s =
            b.AddResident(x.code(), x.household_id(), x.mobility_limited(), *exemption);
        !s.ok()) {
      return in_chunk(s);
    }
  }
  for (const v1::Site& x : chunk.sites()) {
    engine::Site site{x.site_id(),
                      x.name(),
                      {x.location().x_m(), x.location().y_m()},
                      x.desks(),
                      x.opens_at_minute(),
                      x.closes_at_minute()};
    if (absl::Status s = b.AddSite(std::move(site)); !s.ok()) return in_chunk(s);
  }
  for (const v1::StaffMember& x : chunk.staff()) {
    absl::StatusOr<uint8_t> roles = RolesFromProto(x.roles());
    if (!roles.ok()) {
      return in_chunk(absl::InvalidArgumentError(
          absl::StrCat("staff member '", x.staff_id(), "': ", roles.status().message())));
    }
    if (absl::Status s = b.AddStaff(x.staff_id(), *roles, x.home_site_id()); !s.ok()) {
      return in_chunk(s);
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<engine::Community> ImportAssembler::Finish() {
  if (builder_ == nullptr) {
    return absl::InvalidArgumentError("the import stream carried no chunks");
  }
  if (!saw_last_) {
    return absl::InvalidArgumentError(
        "the import stream ended before a chunk marked last; nothing was imported, send the "
        "whole community again");
  }
  return std::move(*builder_).Finish();
}

v1::RoundState PhaseToProto(engine::RoundPhase phase) {
  switch (phase) {
    case engine::RoundPhase::kDraft:
      return v1::ROUND_STATE_DRAFT;
    case engine::RoundPhase::kPlanned:
      return v1::ROUND_STATE_PLANNED;
    case engine::RoundPhase::kOpen:
      return v1::ROUND_STATE_OPEN;
    case engine::RoundPhase::kClosed:
      return v1::ROUND_STATE_CLOSED;
  }
  return v1::ROUND_STATE_UNSPECIFIED;
}

v1::Round RoundToProto(const engine::Round& round) {
  const engine::RoundConfig& config = round.config();
  v1::Round out;
  out.set_name(RoundName(config.id));
  for (const std::string& id : config.community_ids) out.add_community_ids(id);
  ToProto(config.start, out.mutable_start_time());
  out.set_pool_ratio(config.pool_ratio);
  ToProto(config.wave_length, out.mutable_wave_length());
  ToProto(config.duration, out.mutable_duration());
  out.set_state(PhaseToProto(round.phase()));
  out.set_residents(round.layout().resident_count());
  out.set_door_to_door_teams(round.config().door_to_door_teams);
  out.set_box_capacity(round.config().box_capacity);
  out.set_time_zone(engine::ZoneLabel(round.layout().community(0)));
  for (uint32_t c = 0; c < round.layout().community_count(); ++c) {
    out.add_community_versions(static_cast<int32_t>(round.layout().community(c).version));
  }
  out.set_targeted(round.layout().targeted_count());
  const engine::RoundTarget& target = config.target;
  if (!target.whole()) {
    v1::RoundTarget* t = out.mutable_target();
    for (const std::string& id : target.compound_ids) t->add_compound_ids(id);
    for (const std::string& id : target.building_ids) t->add_building_ids(id);
    for (const std::string& id : target.unit_ids) t->add_unit_ids(id);
    for (const std::string& code : target.resident_codes) t->add_resident_codes(code);
  }
  return out;
}

namespace {

// Desk-waves the staffed plan keeps shut: each cell's site desks less the
// desks its capacity counts.
int64_t DeskWavesClosedForStaff(const engine::RoundLayout& layout,
                                const engine::plan::Plan& plan) {
  if (!plan.within_staff || plan.cell_desks.empty()) return 0;
  int64_t closed = 0;
  for (engine::CellIndex cell = 0; cell < plan.cell_count(); ++cell) {
    closed += std::max(0, layout.site(plan.site_of_cell(cell)).desks - plan.cell_desks[cell]);
  }
  return closed;
}

}  // namespace

v1::PlanSummary PlanSummaryToProto(const engine::RoundLayout& layout,
                                   const engine::plan::Plan& plan) {
  v1::PlanSummary out;
  out.set_waves_available(plan.wave_count);
  out.set_waves_used(plan.waves_used);
  out.set_waves_lower_bound(plan.waves_lower_bound);
  out.set_residents(plan.residents);
  out.set_due_at_sites(plan.due_at_sites);
  out.set_door_to_door(plan.door_to_door_count);
  out.set_exempt(plan.exempt);
  out.set_units(plan.units);
  out.set_split_units(plan.split_units);
  out.set_total_walking_m(plan.total_walking_m);
  out.set_mean_walking_m(plan.due_at_sites > 0 ? plan.total_walking_m / plan.due_at_sites : 0);
  out.set_overloaded_cells(plan.overloaded_cells);
  out.set_planner(plan.planner);
  out.set_waves_optimum(plan.waves_optimum);
  out.set_flow_walking_m(plan.flow_walking_m);
  out.set_scattered_buildings(plan.scattered_buildings);
  out.set_within_staff(plan.within_staff);
  out.set_waves_with_every_desk(plan.within_staff ? plan.waves_with_every_desk : 0);
  out.set_desk_waves_closed_for_staff(DeskWavesClosedForStaff(layout, plan));
  return out;
}

}  // namespace swabwave::services
