// The staffing greedy against an exact solve: the same desk-cover problem
// as an integer program, solved by COIN-OR CBC (tests only; the engine does
// not link CBC). On the hand-checked cases the greedy must staff as many
// desk-waves as the optimum; on seeded random ones, what it reaches is
// pinned; every cover must keep every rule.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <random>
#include <utility>
#include <vector>

#include "CbcModel.hpp"
#include "CoinPackedMatrix.hpp"
#include "CoinPackedVector.hpp"
#include "OsiClpSolverInterface.hpp"
#include "engine/plan/internal/desk_cover.h"

namespace swabwave::engine::plan::internal {
namespace {

// The integer program, mirroring desk_cover.h's rules exactly:
//   x[m,s,r,w] = 1 when member m works site s in role r in wave w (only
//     where m holds r, may work at s and is on hand in w);
//   y[s,w] = desks staffed, 0 <= y <= needed;
//   maximize sum y subject to
//   sum_m x[m,s,sampler,w] = y[s,w] = sum_m x[m,s,scanner,w]  (a desk has both, nobody alone)
//   work[m,w] = sum_{s,r} x[m,s,r,w] <= 1                   (one place at a time)
//   sum of work[m,w..w+K] <= K                                (gear cap: K waves a stint)
//   work[m,w] - work[m,w+1] + work[m,w+1+j] <= 1, 1<=j<G      (G waves off after a stint)
//   x[m,s,r,w] + work[m,w+1] - x[m,s,r,w+1] <= 1             (a stint keeps site and role)
class ExactCover {
 public:
  explicit ExactCover(const DeskCoverProblem& p) : p_(p) {}

  // The optimum number of desk-waves; -1 when CBC does not prove it.
  int64_t Solve() {
    const int W = p_.wave_count;
    const uint32_t S = p_.site_count();
    const size_t M = p_.crew.size();
    x_.assign(M * S * 2 * W, -1);
    for (size_t m = 0; m < M; ++m) {
      const CrewMember& c = p_.crew[m];
      for (uint32_t s = 0; s < S; ++s) {
        if (c.home_site != kNoId && c.home_site != s) continue;
        for (int r = 0; r < 2; ++r) {
          if (!(c.roles & (r == 0 ? kRoleSampler : kRoleScanner))) continue;
          for (int w = c.first_wave; w < c.end_wave; ++w) x_[X(m, s, r, w)] = AddColumn(0, 1, 0);
        }
      }
    }
    y_.assign(size_t{S} * W, -1);
    for (uint32_t s = 0; s < S; ++s) {
      for (int w = 0; w < W; ++w) {
        y_[size_t{s} * W + w] = AddColumn(0, p_.desks_needed[size_t{s} * W + w], -1);
      }
    }
    matrix_.setDimensions(0, static_cast<int>(lower_.size()));
    for (uint32_t s = 0; s < S; ++s) {
      for (int w = 0; w < W; ++w) {
        for (int r = 0; r < 2; ++r) {
          CoinPackedVector row;
          row.insert(y_[size_t{s} * W + w], 1);
          for (size_t m = 0; m < M; ++m) {
            if (x_[X(m, s, r, w)] >= 0) row.insert(x_[X(m, s, r, w)], -1);
          }
          AddRow(row, 0, 0);
        }
      }
    }
    const int K = p_.cycle.max_waves_per_stint;
    const int G = p_.cycle.min_idle_waves;
    for (size_t m = 0; m < M; ++m) {
      for (int w = 0; w < W; ++w) {
        AddWorkRow({{w, 1}}, 1, m);
        if (w + K < W) {
          std::vector<std::pair<int, double>> window;
          for (int v = w; v <= w + K; ++v) window.push_back({v, 1});
          AddWorkRow(window, K, m);
        }
        for (int j = 1; j < G && w + 1 + j < W; ++j) {
          AddWorkRow({{w, 1}, {w + 1, -1}, {w + 1 + j, 1}}, 1, m);
        }
        if (w + 1 < W) {
          for (uint32_t s = 0; s < S; ++s) {
            for (int r = 0; r < 2; ++r) {
              if (x_[X(m, s, r, w)] < 0) continue;
              std::vector<std::pair<int, double>> next = {{w + 1, 1}};
              CoinPackedVector row = WorkRow(next, m);
              AddToRow(row, x_[X(m, s, r, w)], 1);
              if (x_[X(m, s, r, w + 1)] >= 0) AddToRow(row, x_[X(m, s, r, w + 1)], -1);
              AddRow(row, -COIN_DBL_MAX, 1);
            }
          }
        }
      }
    }
    OsiClpSolverInterface solver;
    solver.messageHandler()->setLogLevel(0);
    solver.loadProblem(matrix_, lower_.data(), upper_.data(), cost_.data(), row_lower_.data(),
                       row_upper_.data());
    for (int i = 0; i < static_cast<int>(lower_.size()); ++i) solver.setInteger(i);
    CbcModel model(solver);
    model.setLogLevel(0);
    model.messageHandler()->setLogLevel(0);
    model.branchAndBound();
    if (!model.isProvenOptimal()) return -1;
    return static_cast<int64_t>(-model.getObjValue() + 0.5);
  }

 private:
  size_t X(size_t m, uint32_t s, int r, int w) const {
    return ((m * p_.site_count() + s) * 2 + r) * p_.wave_count + w;
  }
  int AddColumn(double lo, double hi, double cost) {
    lower_.push_back(lo);
    upper_.push_back(hi);
    cost_.push_back(cost);  // CBC minimizes: cost -1 per staffed desk-wave
    return static_cast<int>(lower_.size()) - 1;
  }
  static void AddToRow(CoinPackedVector& row, int column, double value) {
    for (int i = 0; i < row.getNumElements(); ++i) {
      if (row.getIndices()[i] == column) {
        row.setElement(i, row.getElements()[i] + value);
        return;
      }
    }
    row.insert(column, value);
  }
  // sum over (wave, coefficient) of coefficient × work[m, wave].
  CoinPackedVector WorkRow(const std::vector<std::pair<int, double>>& terms, size_t m) const {
    CoinPackedVector row;
    for (const auto& [w, coefficient] : terms) {
      for (uint32_t s = 0; s < p_.site_count(); ++s) {
        for (int r = 0; r < 2; ++r) {
          if (x_[X(m, s, r, w)] >= 0) AddToRow(row, x_[X(m, s, r, w)], coefficient);
        }
      }
    }
    return row;
  }
  void AddWorkRow(const std::vector<std::pair<int, double>>& terms, double upper, size_t m) {
    CoinPackedVector row = WorkRow(terms, m);
    if (row.getNumElements() > 0) AddRow(row, -COIN_DBL_MAX, upper);
  }
  void AddRow(const CoinPackedVector& row, double lo, double hi) {
    matrix_.appendRow(row);
    row_lower_.push_back(lo);
    row_upper_.push_back(hi);
  }

  const DeskCoverProblem& p_;
  std::vector<int> x_, y_;
  CoinPackedMatrix matrix_{false, 0, 0};
  std::vector<double> lower_, upper_, cost_, row_lower_, row_upper_;
};

int64_t Greedy(const DeskCoverProblem& problem) {
  const DeskCover cover = CoverDesks(problem);
  EXPECT_TRUE(CheckDeskCover(problem, cover).ok()) << CheckDeskCover(problem, cover);
  return cover.desk_waves_staffed;
}

DeskCoverProblem OneSite(int waves, GearCycle cycle, int desks, std::vector<int32_t> needed) {
  DeskCoverProblem p;
  p.wave_count = waves;
  p.cycle = cycle;
  p.site_desks = {desks};
  p.desks_needed = std::move(needed);
  return p;
}

void AddCrew(DeskCoverProblem& p, int count, uint8_t roles, uint32_t home, int first, int end) {
  for (int i = 0; i < count; ++i) p.crew.push_back(CrewMember{roles, home, first, end});
}

// One desk all day, one sampler and two scanners, stints of 2 waves and
// 2 waves off: the lone sampler works 2 of every 4 waves, so of 8 waves
// at most 4 open (waves 0-1 and 4-5).
TEST(DeskCoverExactTest, LoneSamplerLimitsTheDesk) {
  DeskCoverProblem p = OneSite(8, {2, 2}, 1, std::vector<int32_t>(8, 1));
  AddCrew(p, 1, kRoleSampler, 0, 0, 8);
  AddCrew(p, 2, kRoleScanner, 0, 0, 8);
  EXPECT_EQ(ExactCover(p).Solve(), 4);
  EXPECT_EQ(Greedy(p), 4);
}

// Two pairs alternate: every wave of one desk is staffed.
TEST(DeskCoverExactTest, TwoPairsCoverOneDeskAllDay) {
  DeskCoverProblem p = OneSite(10, {2, 2}, 1, std::vector<int32_t>(10, 1));
  AddCrew(p, 2, kRoleSampler, 0, 0, 10);
  AddCrew(p, 2, kRoleScanner, 0, 0, 10);
  EXPECT_EQ(ExactCover(p).Solve(), 10);
  EXPECT_EQ(Greedy(p), 10);
}

// A member with both roles fills whichever role runs short.
TEST(DeskCoverExactTest, DualRoleMemberFillsTheShortRole) {
  DeskCoverProblem p = OneSite(4, {4, 1}, 2, std::vector<int32_t>(4, 2));
  AddCrew(p, 2, kRoleSampler, 0, 0, 4);
  AddCrew(p, 1, kRoleScanner, 0, 0, 4);
  AddCrew(p, 1, kRoleSampler | kRoleScanner, kNoId, 0, 4);
  EXPECT_EQ(ExactCover(p).Solve(), 8);
  EXPECT_EQ(Greedy(p), 8);
}

// Seeded random small problems: 1-2 sites, up to 10 waves, up to 7 members
// with mixed roles, home sites and availability, varied gear cycles.
// The greedy has no proven bound; what it achieves here is pinned: it
// matches the optimum on 117 of the 120 problems and is one desk-wave short
// on the other 3 (399 of 402 desk-waves). A change that loses any of that,
// or a cover that breaks a rule, fails the test.
// Under the sanitizers CBC (not instrumented, but allocating through their
// runtime) takes 45-130 s for the 120 problems: those builds compare the
// first 20 problem by problem, and the totals are pinned in the others.
#ifdef SWABWAVE_SANITIZED
constexpr uint64_t kProblems = 20;
#else
constexpr uint64_t kProblems = 120;
#endif

TEST(DeskCoverExactTest, GreedyNearOptimumOnRandomSmallProblems) {
  int compared = 0, below = 0;
  int64_t greedy_total = 0, exact_total = 0;
  for (uint64_t seed = 1; seed <= kProblems; ++seed) {
    std::mt19937_64 rng(seed);
    auto below_n = [&](int n) { return static_cast<int>(rng() % static_cast<uint64_t>(n)); };
    DeskCoverProblem p;
    p.wave_count = 4 + below_n(7);
    p.cycle = {1 + below_n(3), 1 + below_n(2)};
    const int sites = 1 + below_n(2);
    for (int s = 0; s < sites; ++s) {
      p.site_desks.push_back(1 + below_n(2));
      for (int w = 0; w < p.wave_count; ++w) {
        p.desks_needed.push_back(below_n(p.site_desks.back() + 1));
      }
    }
    const int members = 2 + below_n(6);
    for (int m = 0; m < members; ++m) {
      const int kind = below_n(5);
      const uint8_t roles = kind < 2 ? kRoleSampler : kind < 4 ? kRoleScanner
                                                               : (kRoleSampler | kRoleScanner);
      const uint32_t home = below_n(3) == 0 ? kNoId : static_cast<uint32_t>(below_n(sites));
      int first = 0, end = p.wave_count;
      if (below_n(3) == 0) {
        first = below_n(p.wave_count);
        end = first + 1 + below_n(p.wave_count - first);
      }
      p.crew.push_back(CrewMember{roles, home, first, end});
    }
    const int64_t exact = ExactCover(p).Solve();
    ASSERT_GE(exact, 0) << "seed " << seed << ": CBC did not prove optimality";
    const int64_t greedy = Greedy(p);
    EXPECT_LE(greedy, exact) << "seed " << seed << ": the greedy beat the optimum";
    EXPECT_GE(greedy, exact - 1) << "seed " << seed;
    ++compared;
    below += greedy < exact;
    greedy_total += greedy;
    exact_total += exact;
  }
  EXPECT_EQ(compared, static_cast<int>(kProblems));
  if (kProblems == 120) {
    EXPECT_EQ(exact_total, 402);
    EXPECT_GE(greedy_total, 399);
    EXPECT_LE(below, 3);
  }
  printf("greedy below the optimum on %d of %d problems; %lld of %lld desk-waves\n", below,
         compared, static_cast<long long>(greedy_total), static_cast<long long>(exact_total));
}

}  // namespace
}  // namespace swabwave::engine::plan::internal
