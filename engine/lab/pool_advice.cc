#include "engine/lab/pool_advice.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_format.h"

namespace swabwave::engine::lab {

double ExpectedTestsPerPerson(int k, double p) {
  if (k <= 1) return 1.0;
  return 1.0 / k + 1.0 - std::pow(1.0 - p, k);
}

PoolAdvice AdvisePoolRatio(absl::Span<const PoolEvidence> earlier) {
  PoolAdvice advice;
  // p from the pools: a pool of k is negative with probability (1 - p)^k,
  // so each round's share of negative pools q gives p = 1 - q^(1/k);
  // rounds are weighted by the pools they tested.
  double weighted = 0;
  int64_t pools = 0;
  int64_t positives = 0;
  for (const PoolEvidence& round : earlier) {
    if (round.pools_with_result <= 0) continue;
    const double negative_share = 1.0 - static_cast<double>(round.positive_pools) /
                                            static_cast<double>(round.pools_with_result);
    const double p = 1.0 - std::pow(negative_share, 1.0 / std::max(1, round.pool_ratio));
    weighted += p * static_cast<double>(round.pools_with_result);
    pools += round.pools_with_result;
    positives += round.positive_pools;
  }
  advice.prevalence = pools > 0 ? weighted / static_cast<double>(pools) : 0;
  for (size_t i = 0; i < kPoolRatios.size(); ++i) {
    advice.expected_tests[i] = ExpectedTestsPerPerson(kPoolRatios[i], advice.prevalence);
  }
  if (!earlier.empty() && earlier.back().cases > 0) {
    advice.ratio = 1;
    advice.why = absl::StrFormat("the latest round found %d case%s here: test one swab per tube",
                                 earlier.back().cases, earlier.back().cases == 1 ? "" : "s");
    return advice;
  }
  if (pools == 0) {
    advice.ratio = 10;
    advice.why = "no results from earlier rounds here: the default, 10 per tube";
    return advice;
  }
  const int largest = positives == 0 ? 20 : 10;
  size_t best = 0;
  for (size_t i = 0; i < kPoolRatios.size() && kPoolRatios[i] <= largest; ++i) {
    if (advice.expected_tests[i] < advice.expected_tests[best] - 1e-12) best = i;
  }
  advice.ratio = kPoolRatios[best];
  advice.why = absl::StrFormat(
      "prevalence about %.3f%% from %d pools of earlier rounds (%d positive)%s: %d per tube "
      "needs %.3f tests per person",
      100 * advice.prevalence, pools, positives,
      largest == 20 ? ", a low-risk area" : "; 20 only where no pool was positive",
      advice.ratio, advice.expected_tests[best]);
  return advice;
}

}  // namespace swabwave::engine::lab
