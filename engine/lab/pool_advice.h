// Pool size from prevalence (issue 17): from the results of earlier rounds
// in an area, the pool ratio that needs the fewest tests per person, by
// Dorfman's E(k) = 1/k + 1 - (1 - p)^k (one test per pool of k, and k more
// when it is positive), within the national rules:
//   - 1 (no pooling) where the area's latest round found a case;
//   - 20 only in a low-risk area: no positive pool in its earlier rounds;
//   - 10 at most otherwise, and 10 when there is no evidence at all;
//   - pools are never pooled again in the lab (a ratio is one tube's).
//
// Thread-safety: pure functions.
#ifndef SWABWAVE_ENGINE_LAB_POOL_ADVICE_H_
#define SWABWAVE_ENGINE_LAB_POOL_ADVICE_H_

#include <array>
#include <cstdint>
#include <string>

#include "absl/types/span.h"

namespace swabwave::engine::lab {

// What one earlier round found (Round::CountLab): its pools and cases.
struct PoolEvidence {
  int pool_ratio = 10;
  int64_t pools_with_result = 0;  // pooled tubes with a negative or positive result
  int64_t positive_pools = 0;
  int64_t cases = 0;              // residents whose own follow-up swab was positive
};

inline constexpr std::array<int, 4> kPoolRatios = {1, 5, 10, 20};

struct PoolAdvice {
  int ratio = 10;
  double prevalence = 0;  // p, estimated from the pools (0 without evidence)
  std::array<double, kPoolRatios.size()> expected_tests{};  // E(k) per kPoolRatios
  std::string why;        // one line a command center reads
};

// Dorfman's expected tests per person for pools of `k` at prevalence `p`
// (1 for k = 1).
double ExpectedTestsPerPerson(int k, double p);

// `earlier` in the order the rounds ran (the last is the latest).
PoolAdvice AdvisePoolRatio(absl::Span<const PoolEvidence> earlier);

}  // namespace swabwave::engine::lab

#endif  // SWABWAVE_ENGINE_LAB_POOL_ADVICE_H_
