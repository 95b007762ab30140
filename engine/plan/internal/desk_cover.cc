// The greedy, wave by wave from the first; in each wave, site by site:
//
// 1. Members who worked this site in this role in the previous wave and may
//    go on (their stint is shorter than the cap and they are on hand) are
//    kept first: ending a stint early costs the two gear changes and the
//    rest again. When more are on hand than the desks need, the freshest
//    (shortest stint so far) stay and the longest-serving go to rest.
// 2. The gap is filled with rested members: single-role members before
//    members holding both roles (who can fill whichever role runs short),
//    members of this site before the community's pool (who could serve
//    elsewhere), then whoever's availability ends soonest, then whoever has
//    been off longest.
// 3. A desk opens only with both a sampler and a scanner: the number opened
//    is the most both roles can fill, so no one dons gear to stand alone.
//
// Samplers keep their desk for the whole stint; a scanner whose sampler left
// moves to a desk that lacks one.
//
// Being greedy, one pass can strand people: everyone's stint ends at once,
// or a pool member goes to the first site that asks when another needed
// them more. So CoverDesks runs the pass under several rule sets (shorter
// stint limits, relief before continuing, shuffled site orders and ties,
// soonest-leaving first) and keeps the best; the exact comparison in
// tests/engine/plan/desk_cover_exact_test.cc measures what that buys.
// Cost: O(passes × waves × sites × members) per community.
#include <algorithm>
#include <limits>

#include "engine/plan/internal/desk_cover.h"

namespace swabwave::engine::plan::internal {
namespace {

constexpr int kShuffledPasses = 48;
constexpr int kNeverWorked = std::numeric_limits<int>::min() / 2;

struct MemberState {
  int last_wave = kNeverWorked;  // last wave worked
  int stint_waves = 0;           // waves of the stint ending at last_wave
  uint32_t site = kNoId;
  StaffRole role = kRoleSampler;
  int desk = -1;
  int open_shift = -1;  // index into DeskCover::shifts of the shift ending at last_wave
};

// One pass's choices; CoverDesks runs several and keeps the best cover.
struct Rules {
  int stint_limit;   // waves a stint may last, at most the gear cap
  bool fresh_first;  // rested members relieve those in a stint before the stint goes on
  uint64_t shuffle;  // 0: sites in order, ties by member; else the seed of both orders
  bool leaving_first;  // starters whose availability ends soonest before this site's own
  bool backwards;      // staff the time-reversed problem, then reverse the cover
};

// splitmix64: a small, portable generator, so every platform and standard
// library gives the same roster.
uint64_t NextRandom(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

struct Pick {
  uint32_t member;
  bool continuing;
  StaffRole role;
};

class Greedy {
 public:
  Greedy(const DeskCoverProblem& problem, Rules rules)
      : problem_(problem), rules_(rules), state_(problem.crew.size()) {
    cover_.desks_staffed.assign(problem.desks_needed.size(), 0);
    uint64_t random = rules.shuffle;
    tie_break_.assign(problem.crew.size(), 0);
    if (rules.shuffle != 0) {
      for (uint64_t& key : tie_break_) key = NextRandom(random);
    }
    site_order_.resize(problem.site_count());
    for (uint32_t s = 0; s < site_order_.size(); ++s) site_order_[s] = s;
    random_ = random;
  }

  DeskCover Run() && {
    for (int wave = 0; wave < problem_.wave_count; ++wave) {
      taken_.assign(problem_.crew.size(), 0);
      if (rules_.shuffle != 0) {
        for (size_t i = site_order_.size(); i > 1; --i) {
          std::swap(site_order_[i - 1], site_order_[NextRandom(random_) % i]);
        }
      }
      for (uint32_t site : site_order_) StaffCell(site, wave);
    }
    return std::move(cover_);
  }

 private:
  bool OnHand(uint32_t m, int wave) const {
    return wave >= problem_.crew[m].first_wave && wave < problem_.crew[m].end_wave;
  }

  bool CanContinue(uint32_t m, uint32_t site, StaffRole role, int wave) const {
    const MemberState& s = state_[m];
    return !taken_[m] && s.last_wave == wave - 1 && s.site == site && s.role == role &&
           s.stint_waves < rules_.stint_limit && OnHand(m, wave);
  }

  bool CanStart(uint32_t m, uint32_t site, int wave) const {
    const CrewMember& member = problem_.crew[m];
    const uint32_t home = member.home_site;
    return !taken_[m] && (home == kNoId || home == site) && OnHand(m, wave) &&
           wave - state_[m].last_wave - 1 >= problem_.cycle.min_idle_waves;
  }

  // Rested members who may start at `site`, best first (rule 2).
  std::vector<uint32_t> Starters(uint32_t site, int wave, uint8_t roles) const {
    std::vector<uint32_t> starters;
    for (uint32_t m = 0; m < problem_.crew.size(); ++m) {
      if ((problem_.crew[m].roles & (kRoleSampler | kRoleScanner)) == roles &&
          CanStart(m, site, wave)) {
        starters.push_back(m);
      }
    }
    std::stable_sort(starters.begin(), starters.end(), [&](uint32_t a, uint32_t b) {
      const CrewMember& x = problem_.crew[a];
      const CrewMember& y = problem_.crew[b];
      const bool x_home = x.home_site == site, y_home = y.home_site == site;
      if (rules_.leaving_first && x.end_wave != y.end_wave) return x.end_wave < y.end_wave;
      if (x_home != y_home) return x_home;
      if (x.end_wave != y.end_wave) return x.end_wave < y.end_wave;
      if (state_[a].last_wave != state_[b].last_wave) {
        return state_[a].last_wave < state_[b].last_wave;
      }
      return tie_break_[a] < tie_break_[b];
    });
    return starters;
  }

  std::vector<uint32_t> Continuing(uint32_t site, StaffRole role, int wave) const {
    std::vector<uint32_t> members;
    for (uint32_t m = 0; m < problem_.crew.size(); ++m) {
      if (CanContinue(m, site, role, wave)) members.push_back(m);
    }
    std::stable_sort(members.begin(), members.end(), [&](uint32_t a, uint32_t b) {
      return state_[a].stint_waves < state_[b].stint_waves;
    });
    return members;
  }

  void StaffCell(uint32_t site, int wave) {
    const size_t cell = size_t{site} * problem_.wave_count + wave;
    const int needed = problem_.desks_needed[cell];
    if (needed == 0) return;
    const std::vector<uint32_t> kept_samplers = Continuing(site, kRoleSampler, wave);
    const std::vector<uint32_t> kept_scanners = Continuing(site, kRoleScanner, wave);
    const std::vector<uint32_t> new_samplers = Starters(site, wave, kRoleSampler);
    const std::vector<uint32_t> new_scanners = Starters(site, wave, kRoleScanner);
    const std::vector<uint32_t> new_either = Starters(site, wave, kRoleSampler | kRoleScanner);

    const int samplers = static_cast<int>(kept_samplers.size() + new_samplers.size());
    const int scanners = static_cast<int>(kept_scanners.size() + new_scanners.size());
    const int either = static_cast<int>(new_either.size());
    // Rule 3: the most desks both roles fill, members with both roles shared.
    const int desks = std::min({needed, samplers + either, scanners + either,
                                (samplers + scanners + either) / 2});
    if (desks == 0) return;

    std::vector<Pick> picks;
    size_t next_either = 0;
    auto pick_role = [&](StaffRole role, const std::vector<uint32_t>& kept,
                         const std::vector<uint32_t>& fresh) {
      int count = 0;
      auto take_kept = [&] {
        for (size_t i = 0; i < kept.size() && count < desks; ++i, ++count) {
          picks.push_back({kept[i], true, role});
        }
      };
      if (!rules_.fresh_first) take_kept();
      for (size_t i = 0; i < fresh.size() && count < desks; ++i, ++count) {
        picks.push_back({fresh[i], false, role});
      }
      if (rules_.fresh_first) take_kept();
      for (; count < desks; ++count) picks.push_back({new_either[next_either++], false, role});
    };
    pick_role(kRoleSampler, kept_samplers, new_samplers);
    pick_role(kRoleScanner, kept_scanners, new_scanners);
    AssignDesks(site, picks);
    for (const Pick& pick : picks) Record(pick, site, wave);
    cover_.desks_staffed[cell] = desks;
    cover_.desk_waves_staffed += desks;
  }

  // Kept samplers keep their desks; new samplers go first to desks where a
  // kept scanner waits, then to the lowest free desks; scanners then take
  // their own desk if it has a sampler, else the lowest sampler desk left.
  void AssignDesks(uint32_t site, std::vector<Pick>& picks) {
    const int site_desks = problem_.site_desks[site];
    std::vector<char> has_sampler(site_desks, 0), has_scanner(site_desks, 0);
    std::vector<char> scanner_waits(site_desks, 0);
    for (Pick& p : picks) {
      if (p.continuing && p.role == kRoleSampler) has_sampler[state_[p.member].desk] = 1;
      if (p.continuing && p.role == kRoleScanner) scanner_waits[state_[p.member].desk] = 1;
    }
    auto free_desk = [&](bool prefer_waiting) {
      for (int pass = prefer_waiting ? 0 : 1; pass < 2; ++pass) {
        for (int d = 0; d < site_desks; ++d) {
          if (!has_sampler[d] && (pass == 1 || scanner_waits[d])) return d;
        }
      }
      return -1;  // unreachable: no more samplers than desks
    };
    desk_of_.assign(picks.size(), -1);
    for (size_t i = 0; i < picks.size(); ++i) {
      const Pick& p = picks[i];
      if (p.role != kRoleSampler) continue;
      desk_of_[i] = p.continuing ? state_[p.member].desk : free_desk(true);
      has_sampler[desk_of_[i]] = 1;
    }
    for (size_t i = 0; i < picks.size(); ++i) {
      const Pick& p = picks[i];
      if (p.role != kRoleScanner || !p.continuing) continue;
      const int desk = state_[p.member].desk;
      if (has_sampler[desk] && !has_scanner[desk]) {
        desk_of_[i] = desk;
        has_scanner[desk] = 1;
      }
    }
    for (size_t i = 0; i < picks.size(); ++i) {
      if (picks[i].role != kRoleScanner || desk_of_[i] >= 0) continue;
      for (int d = 0; d < site_desks; ++d) {
        if (has_sampler[d] && !has_scanner[d]) {
          desk_of_[i] = d;
          has_scanner[d] = 1;
          break;
        }
      }
    }
    // Shifts come out in desk order within the cell.
    std::vector<size_t> order(picks.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      if (desk_of_[a] != desk_of_[b]) return desk_of_[a] < desk_of_[b];
      return picks[a].role < picks[b].role;
    });
    std::vector<Pick> sorted;
    std::vector<int> desks;
    for (size_t i : order) {
      sorted.push_back(picks[i]);
      desks.push_back(desk_of_[i]);
    }
    picks = std::move(sorted);
    desk_of_ = std::move(desks);
    next_pick_ = 0;
  }

  void Record(const Pick& pick, uint32_t site, int wave) {
    const int desk = desk_of_[next_pick_++];
    MemberState& s = state_[pick.member];
    taken_[pick.member] = 1;
    if (pick.continuing && s.desk == desk) {
      ++cover_.shifts[s.open_shift].end_wave;
    } else {
      s.open_shift = static_cast<int>(cover_.shifts.size());
      cover_.shifts.push_back({pick.member, site, desk, pick.role, wave, wave + 1});
    }
    s.stint_waves = pick.continuing ? s.stint_waves + 1 : 1;
    s.last_wave = wave;
    s.site = site;
    s.role = pick.role;
    s.desk = desk;
  }

  const DeskCoverProblem& problem_;
  const Rules rules_;
  std::vector<MemberState> state_;
  std::vector<char> taken_;  // [member]: works this wave already
  std::vector<uint64_t> tie_break_;  // [member]: last key among equal starters
  std::vector<uint32_t> site_order_;
  uint64_t random_ = 0;
  std::vector<int> desk_of_;  // [pick] of the cell being staffed
  size_t next_pick_ = 0;
  DeskCover cover_;
};

// The problem with time reversed: every rule reads the same backwards (stint
// cap, time off between stints, availability windows mirrored), so a cover
// of the reversed problem, reversed, is a cover of the original.
DeskCoverProblem Reversed(const DeskCoverProblem& problem) {
  DeskCoverProblem reversed = problem;
  const int waves = problem.wave_count;
  for (uint32_t s = 0; s < problem.site_count(); ++s) {
    for (int w = 0; w < waves; ++w) {
      reversed.desks_needed[size_t{s} * waves + w] =
          problem.desks_needed[size_t{s} * waves + (waves - 1 - w)];
    }
  }
  for (CrewMember& member : reversed.crew) {
    const int first = member.first_wave;
    member.first_wave = waves - member.end_wave;
    member.end_wave = waves - first;
  }
  return reversed;
}

DeskCover Unreversed(const DeskCoverProblem& problem, DeskCover cover) {
  const int waves = problem.wave_count;
  for (CoverShift& shift : cover.shifts) {
    const int first = shift.first_wave;
    shift.first_wave = waves - shift.end_wave;
    shift.end_wave = waves - first;
  }
  std::stable_sort(cover.shifts.begin(), cover.shifts.end(),
                   [](const CoverShift& a, const CoverShift& b) {
                     if (a.first_wave != b.first_wave) return a.first_wave < b.first_wave;
                     if (a.site != b.site) return a.site < b.site;
                     if (a.desk != b.desk) return a.desk < b.desk;
                     return a.role < b.role;
                   });
  std::vector<int32_t> staffed(cover.desks_staffed.size());
  for (uint32_t s = 0; s < problem.site_count(); ++s) {
    for (int w = 0; w < waves; ++w) {
      staffed[size_t{s} * waves + w] = cover.desks_staffed[size_t{s} * waves + (waves - 1 - w)];
    }
  }
  cover.desks_staffed = std::move(staffed);
  return cover;
}

}  // namespace

DeskCover CoverDesks(const DeskCoverProblem& problem) {
  // The first pass (full stints, stints go on before anyone relieves them)
  // is the natural schedule; the others stagger stints, which helps when
  // demand rises later or a role is scarce. A later pass must staff strictly
  // more desk-waves to replace an earlier one.
  int64_t needed = 0;
  for (int32_t desks : problem.desks_needed) needed += desks;
  const DeskCoverProblem reversed = Reversed(problem);
  DeskCover best;
  bool first = true;
  auto run = [&](Rules rules) {
    if (!first && best.desk_waves_staffed == needed) return;  // nothing left to gain
    DeskCover cover = rules.backwards
                          ? Unreversed(problem, Greedy(reversed, rules).Run())
                          : Greedy(problem, rules).Run();
    if (first || cover.desk_waves_staffed > best.desk_waves_staffed) best = std::move(cover);
    first = false;
  };
  const int cap = problem.cycle.max_waves_per_stint;
  for (bool backwards : {false, true}) {
    for (bool fresh_first : {false, true}) {
      for (int limit = cap; limit >= 1; --limit) {
        run(Rules{limit, fresh_first, 0, false, backwards});
      }
    }
  }
  // Then shuffled site orders and ties, so that members of the community's
  // pool meet the sites in other orders; seeded, so the roster is the same
  // on every run.
  uint64_t seed = 0x5eedULL;
  for (int pass = 0; pass < kShuffledPasses; ++pass) {
    const uint64_t r = NextRandom(seed);
    run(Rules{cap - static_cast<int>(r % static_cast<uint64_t>(cap)), ((r >> 8) & 1) != 0,
              NextRandom(seed) | 1, ((r >> 9) & 1) != 0, ((r >> 10) & 1) != 0});
  }
  return best;
}

}  // namespace swabwave::engine::plan::internal
