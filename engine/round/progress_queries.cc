// Round's read side: progress by level, the untested and door-to-door
// lists, and the lookups they take (engine/round/progress.h).
#include "engine/round/round.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "engine/model/local_time.h"
#include "engine/model/names.h"

namespace swabwave::engine {

std::optional<Round::SampledCheckIn> Round::SampledAt(uint32_t resident) const {
  const core::LiveRound* state = live();
  if (state == nullptr || resident >= layout_.resident_count()) return std::nullopt;
  const core::ResidentWord word = state->Read(resident);
  if (!core::IsSampled(word.state()) || word.place() >= state->rack().tube_count()) {
    return std::nullopt;
  }
  return SampledCheckIn{word.place(), state->epoch_unix_seconds() + word.scan_offset()};
}

bool Round::DueAndUnsampled(uint32_t resident) const {
  const core::ResidentState state = live()->Read(resident).state();
  return state == core::ResidentState::kUntested || state == core::ResidentState::kDoorToDoor;
}

Round::ScanTallies Round::ScanWords() const {
  ScanTallies tallies;
  tallies.sampled.assign(layout_.building_count(), 0);
  tallies.exempt_sampled.assign(layout_.building_count(), 0);
  tallies.door_to_door_sampled.assign(layout_.building_count(), 0);
  tallies.cell_sampled.assign(plan_->cell_count(), 0);
  tallies.off_plan.assign(desk_total(), 0);
  const std::vector<uint32_t> desk_sites = DeskSites();
  const core::DeskRack& rack = live()->rack();
  const uint32_t tubes = rack.tube_count();
  live()->Scan([&](uint32_t, core::ResidentWord word, uint32_t building, CellIndex cell) {
    const core::ResidentState state = word.state();
    if (!core::IsSampled(state)) return;
    ++tallies.sampled[building];
    if (state == core::ResidentState::kSampledExempt) ++tallies.exempt_sampled[building];
    if (state == core::ResidentState::kSampledDoorToDoor) ++tallies.door_to_door_sampled[building];
    if (cell != kNoId) ++tallies.cell_sampled[cell];
    // A tube racked after this scan's read of the rack's size is skipped
    // here and counted by the next question.
    if (word.place() >= tubes) return;
    const DeskIndex desk = rack.DeskOf(word.place());
    if (desk >= desk_sites.size()) return;
    const auto before = static_cast<core::ResidentState>(
        static_cast<uint8_t>(state) - static_cast<uint8_t>(core::ResidentState::kSampled));
    if (OffPlan(before, cell, desk_sites[desk])) ++tallies.off_plan[desk];
  });
  // Visits: a handful of residents, read from the book (a swab outranks a
  // visit; a visit racing the scan lands in one of them).
  visits_.ForEachVisited([&](uint32_t resident, const visits::ResidentVisits& seen) {
    if (!DueAndUnsampled(resident)) return;
    if (tallies.visited.empty()) tallies.visited.resize(layout_.building_count());
    ++tallies.visited[live()->building_of(resident)][static_cast<size_t>(seen.last)];
  });
  return tallies;
}

bool Round::OffPlan(core::ResidentState before, CellIndex cell, uint32_t desk_site) const {
  const bool at_a_team = desk_site >= layout_.site_count();
  switch (before) {
    case core::ResidentState::kUntested:
      // Judged against the plan in force now: a re-plan that moved a
      // household moves where its residents are expected.
      return at_a_team || cell == kNoId || plan_->site_of_cell(cell) != desk_site;
    case core::ResidentState::kDoorToDoor:
      return !at_a_team;  // came to a site after all
    default:
      return true;  // exempt: expected nowhere
  }
}

void Round::TeamRows(const ScanTallies& tallies, std::vector<ProgressRow>& rows) const {
  const std::vector<uint64_t> swabs = live()->rack().SwabsPerDesk();
  std::vector<int64_t> visits_by_desk(desk_total(), 0);
  for (const visits::Visit& visit : visits_.History()) {
    if (visit.desk < visits_by_desk.size()) ++visits_by_desk[visit.desk];
  }
  for (DeskIndex desk = layout_.desk_count(); desk < desk_total(); ++desk) {
    const Team team = *TeamOf(desk);
    ProgressRow row;
    row.key = DeskName(desk);
    row.label = absl::StrCat(layout_.community(team.community).name, " team ", team.number);
    row.check_ins_here = static_cast<int64_t>(swabs[desk]);
    row.off_plan = tallies.off_plan[desk];
    row.visits_here = visits_by_desk[desk];
    rows.push_back(std::move(row));
  }
}

ProgressCounts Round::BuildingCounts(uint32_t building, const ScanTallies& tallies) const {
  const BuildingPlan& planned = building_plans_[building];
  const int64_t exempt_sampled = tallies.exempt_sampled[building];
  ProgressCounts counts;
  // An exempt resident who turns up is sampled and counts as due.
  counts.due = planned.due + exempt_sampled;
  counts.sampled = tallies.sampled[building];
  counts.remaining = counts.due - counts.sampled;
  counts.exempt = planned.exempt - exempt_sampled;
  counts.door_to_door = planned.door_to_door - tallies.door_to_door_sampled[building];
  if (!tallies.visited.empty()) {
    const auto& visited = tallies.visited[building];
    using visits::VisitOutcome;
    counts.not_home = visited[static_cast<size_t>(VisitOutcome::kNotHome)];
    counts.refused = visited[static_cast<size_t>(VisitOutcome::kRefused)];
    counts.in_hospital = visited[static_cast<size_t>(VisitOutcome::kInHospital)];
    counts.moved_away = visited[static_cast<size_t>(VisitOutcome::kMovedAway)];
    counts.due -= counts.moved_away;
    counts.remaining -= counts.moved_away;
  }
  return counts;
}

std::vector<uint64_t> Round::CheckInsPerSite() const {
  std::shared_lock lock(mu_);
  const core::LiveRound* state = live();
  return state == nullptr ? std::vector<uint64_t>() : state->CheckInsPerSite();
}

uint64_t Round::SealedTubes() const {
  std::shared_lock lock(mu_);
  const core::LiveRound* state = live();
  return state == nullptr ? 0 : state->rack().sealed_tubes();
}

absl::StatusOr<ProgressCounts> Round::Totals() const {
  std::shared_lock lock(mu_);
  if (plan_ == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("round ", config_.id, " has no plan yet; plan it first"));
  }
  const core::LiveRound& live_round = *live();
  const int64_t exempt_sampled = static_cast<int64_t>(live_round.exempt_sampled());
  ProgressCounts totals;
  totals.due = plan_->due_at_sites + plan_->door_to_door_count + exempt_sampled;
  totals.sampled = static_cast<int64_t>(live_round.TotalCheckIns());
  totals.remaining = totals.due - totals.sampled;
  totals.exempt = plan_->exempt - exempt_sampled;
  totals.door_to_door =
      plan_->door_to_door_count - static_cast<int64_t>(live_round.door_to_door_sampled());
  const visits::VisitCounts visited =
      visits_.Count([&](uint32_t resident) { return !DueAndUnsampled(resident); });
  totals.not_home = visited.not_home;
  totals.refused = visited.refused;
  totals.in_hospital = visited.in_hospital;
  totals.moved_away = visited.moved_away;
  totals.due -= visited.moved_away;
  totals.remaining -= visited.moved_away;
  // A walk-in was due the moment they registered, and their swab is in the
  // desks' counts already.
  totals.walk_ins = static_cast<int64_t>(walk_ins_.size());
  totals.due += totals.walk_ins;
  totals.remaining -= totals.walk_ins;
  return totals;
}

absl::StatusOr<ProgressReport> Round::Progress(ProgressLevel level, size_t offset,
                                               size_t limit) const {
  std::shared_lock lock(mu_);
  if (plan_ == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("round ", config_.id, " has no plan yet; plan it first"));
  }
  const plan::Plan& plan = *plan_;
  const core::LiveRound& live_round = *live();
  ProgressReport report;
  report.tubes_sealed = live_round.rack().sealed_tubes();
  const ScanTallies tallies = ScanWords();
  const std::vector<int64_t> walk_ins = WalkInsByBuilding();

  // Counts for every row of the level first (cheap); names only for the page.
  std::vector<ProgressCounts> counts;
  std::vector<uint32_t> row_building;  // building rows: first building of the row
  std::vector<int64_t> check_ins, off_plan;  // site rows
  for (uint32_t c = 0; c < layout_.community_count(); ++c) {
    const Community& community = layout_.community(c);
    const uint32_t community_row = static_cast<uint32_t>(counts.size());
    if (level == ProgressLevel::kCommunity) counts.emplace_back();
    const uint32_t compound_base = static_cast<uint32_t>(counts.size());
    if (level == ProgressLevel::kCompound)
      counts.resize(counts.size() + community.compounds.size());
    for (BuildingId b = 0; b < community.buildings.size(); ++b) {
      const uint32_t building = layout_.building_base(c) + b;
      ProgressCounts building_counts = BuildingCounts(building, tallies);
      building_counts.walk_ins = walk_ins[building];
      building_counts.due += walk_ins[building];
      building_counts.sampled += walk_ins[building];
      report.total += building_counts;
      switch (level) {
        case ProgressLevel::kCommunity:
          counts[community_row] += building_counts;
          break;
        case ProgressLevel::kCompound:
          counts[compound_base + community.buildings[b].compound] += building_counts;
          break;
        case ProgressLevel::kBuilding:
          counts.push_back(building_counts);
          break;
        default:
          break;
      }
    }
  }
  if (level == ProgressLevel::kSite) {
    int64_t d2d_due = 0, d2d_left = 0;
    for (uint32_t b = 0; b < layout_.building_count(); ++b) {
      d2d_due += building_plans_[b].door_to_door;
      d2d_left += BuildingCounts(b, tallies).door_to_door;
    }
    const std::vector<uint64_t> per_desk = live_round.rack().SwabsPerDesk();
    for (uint32_t s = 0; s < layout_.site_count(); ++s) {
      ProgressCounts row;
      for (int w = 0; w < plan.wave_count; ++w) {
        row.due += plan.cell_load[plan.cell(s, w)];
        row.sampled += tallies.cell_sampled[plan.cell(s, w)];
      }
      row.remaining = row.due - row.sampled;
      counts.push_back(row);
      int64_t here = 0, off = 0;
      for (DeskIndex d = layout_.first_desk(s); d < layout_.first_desk(s) + layout_.site(s).desks;
           ++d) {
        here += static_cast<int64_t>(per_desk[d]);
        off += tallies.off_plan[d];
      }
      check_ins.push_back(here);
      off_plan.push_back(off);
    }
    ProgressCounts door_to_door;
    door_to_door.due = d2d_due;
    door_to_door.sampled = d2d_due - d2d_left;
    door_to_door.remaining = d2d_left;
    door_to_door.door_to_door = d2d_left;
    counts.push_back(door_to_door);
    int64_t at_doors = 0, off_route = 0;
    for (DeskIndex d = layout_.desk_count(); d < desk_total(); ++d) {
      at_doors += static_cast<int64_t>(per_desk[d]);
      off_route += tallies.off_plan[d];
    }
    check_ins.push_back(at_doors);
    off_plan.push_back(off_route);
  }
  if (level == ProgressLevel::kTeam) {
    std::vector<ProgressRow> teams;
    TeamRows(tallies, teams);
    report.total_rows = teams.size();
    const size_t end = PageEnd(offset, limit, teams.size());
    for (size_t i = offset; i < end; ++i) report.rows.push_back(std::move(teams[i]));
    return report;
  }
  if (level == ProgressLevel::kWave) {
    for (int w = 0; w < plan.wave_count; ++w) {
      ProgressCounts row;
      for (uint32_t s = 0; s < layout_.site_count(); ++s) {
        row.due += plan.cell_load[plan.cell(s, w)];
        row.sampled += tallies.cell_sampled[plan.cell(s, w)];
      }
      row.remaining = row.due - row.sampled;
      counts.push_back(row);
    }
  }

  report.total_rows = counts.size();
  const size_t end = PageEnd(offset, limit, counts.size());
  for (size_t i = offset; i < end; ++i) {
    ProgressRow row;
    row.counts = counts[i];
    switch (level) {
      case ProgressLevel::kCommunity: {
        const Community& community = layout_.community(static_cast<uint32_t>(i));
        row.key = absl::StrCat("communities/", community.id);
        row.label = community.name;
        break;
      }
      case ProgressLevel::kCompound: {
        // Rows are communities' compounds, end to end.
        size_t index = i;
        uint32_t c = 0;
        while (index >= layout_.community(c).compounds.size()) {
          index -= layout_.community(c).compounds.size();
          ++c;
        }
        const Community& community = layout_.community(c);
        row.key = absl::StrCat("communities/", community.id, "/compounds/",
                               community.compounds[index].id);
        row.label = community.compounds[index].name;
        break;
      }
      case ProgressLevel::kBuilding: {
        const RoundLayout::Local local = layout_.LocateBuilding(static_cast<uint32_t>(i));
        const Community& community = layout_.community(local.community);
        const Building& building = community.buildings[local.id];
        row.key = absl::StrCat("communities/", community.id, "/buildings/", building.id);
        row.label = absl::StrCat(community.compounds[building.compound].name, " ", building.name);
        break;
      }
      case ProgressLevel::kSite:
        if (i == layout_.site_count()) {
          row.key = "door-to-door";
          row.label = "door-to-door visits";
        } else {
          const Site& site = layout_.site(static_cast<uint32_t>(i));
          row.key = absl::StrCat("sites/", site.id);
          row.label = site.name;
        }
        row.check_ins_here = check_ins[i];
        row.off_plan = off_plan[i];
        break;
      case ProgressLevel::kTeam:
        break;  // returned above
      case ProgressLevel::kWave: {
        const int wave = static_cast<int>(i);
        row.key = absl::StrCat("waves/", wave);
        row.window_start = config_.WaveStart(wave);
        // Local clock of the first community: what residents read on notices.
        const absl::TimeZone zone = ZoneOf(layout_.community(0));
        row.label = absl::StrCat(absl::FormatTime("%H:%M", config_.WaveStart(wave), zone), "-",
                                 absl::FormatTime("%H:%M", config_.WaveEnd(wave), zone));
        break;
      }
    }
    report.rows.push_back(std::move(row));
  }
  return report;
}

absl::StatusOr<std::vector<UntestedResident>> Round::ListUntested(const UntestedFilter& filter,
                                                                  uint32_t after,
                                                                  size_t limit) const {
  std::shared_lock lock(mu_);
  if (plan_ == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("round ", config_.id, " has no plan yet; plan it first"));
  }
  const core::LiveRound& live_round = *live();
  std::vector<UntestedResident> page;
  auto consider = [&](uint32_t r) {
    const core::ResidentState state = live_round.Read(r).state();
    if (state != core::ResidentState::kUntested && state != core::ResidentState::kDoorToDoor) {
      return;
    }
    const std::optional<visits::ResidentVisits> seen = visits_.Of(r);
    if (seen.has_value() && seen->last == visits::VisitOutcome::kMovedAway) return;  // not due
    const RoundLayout::Local local = layout_.LocateResident(r);
    const Community& community = layout_.community(local.community);
    const Household& household = community.households[community.residents[local.id].household];
    const Unit& unit = community.units[household.unit];
    UntestedResident u;
    u.resident = r;
    u.code = std::string(resident_code(r));
    u.community_id = community.id;
    u.building_id = community.buildings[unit.building].id;
    u.unit_id = unit.id;
    u.household_id = household.id;
    u.door_to_door = state == core::ResidentState::kDoorToDoor;
    if (seen.has_value()) {
      u.visits = seen->count;
      u.last_visit = static_cast<uint8_t>(seen->last);
    }
    if (const CellIndex cell = plan_->resident_cell[r]; cell != kNoId) {
      u.site_id = layout_.site(plan_->site_of_cell(cell)).id;
      u.wave = plan_->wave_of_cell(cell);
    }
    page.push_back(std::move(u));
  };
  const uint32_t first = after == kNoId ? 0 : after + 1;
  if (filter.building.has_value()) {
    const RoundLayout::Local local = layout_.LocateBuilding(*filter.building);
    const Housing& housing = layout_.housing(local.community);
    std::vector<uint32_t> residents;
    for (UnitId u : housing.units_of(local.id)) {
      for (HouseholdId h : housing.households_of(u)) {
        for (ResidentId r : housing.residents_of(h)) {
          const uint32_t round_resident = layout_.resident_base(local.community) + r;
          if (round_resident >= first) residents.push_back(round_resident);
        }
      }
    }
    std::sort(residents.begin(), residents.end());
    for (uint32_t r : residents) {
      if (page.size() >= limit) break;
      consider(r);
    }
    return page;
  }
  uint32_t begin = 0, end = layout_.resident_count();
  if (filter.community.has_value()) {
    begin = layout_.resident_base(*filter.community);
    end = layout_.resident_base(*filter.community + 1);
  }
  for (uint32_t r = std::max(begin, first); r < end && page.size() < limit; ++r) consider(r);
  return page;
}

absl::StatusOr<std::vector<DoorToDoorBuilding>> Round::DoorToDoor(size_t offset, size_t limit,
                                                                  size_t* total_buildings) const {
  std::shared_lock lock(mu_);
  if (plan_ == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("round ", config_.id, " has no plan yet; plan it first"));
  }
  // The plan's list is grouped by building already.
  std::vector<DoorToDoorBuilding> page;
  size_t building_count = 0;
  uint32_t previous = kNoId;
  bool in_page = false;
  for (uint32_t r : plan_->door_to_door) {
    const uint32_t building = live()->building_of(r);
    if (building != previous) {
      ++building_count;
      previous = building;
      in_page = building_count > offset && building_count - offset <= limit;
      if (in_page) page.push_back({building, {}});
    }
    if (in_page) page.back().residents.push_back(r);
  }
  if (total_buildings != nullptr) *total_buildings = building_count;
  return page;
}

absl::StatusOr<uint32_t> Round::FindBuilding(uint32_t community,
                                             absl::string_view building_id) const {
  const Community& c = layout_.community(community);
  for (BuildingId b = 0; b < c.buildings.size(); ++b) {
    if (c.buildings[b].id == building_id) return layout_.building_base(community) + b;
  }
  return absl::NotFoundError(
      absl::StrCat("building '", building_id, "' is not in community '", c.id, "'"));
}

absl::StatusOr<uint32_t> Round::FindSite(absl::string_view site_id) const {
  auto site = site_index_.find(site_id);
  if (site == site_index_.end()) {
    return absl::NotFoundError(absl::StrCat("site '", site_id.substr(0, kMaxIdLength),
                                            "' is not in round ", config_.id));
  }
  return site->second;
}

absl::StatusOr<uint32_t> Round::FindCommunity(absl::string_view community_id) const {
  for (uint32_t c = 0; c < config_.community_ids.size(); ++c) {
    if (config_.community_ids[c] == community_id) return c;
  }
  return absl::NotFoundError(
      absl::StrCat("community '", community_id, "' is not in round ", config_.id));
}

}  // namespace swabwave::engine
