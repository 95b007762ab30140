// Pool size from prevalence (issue 17): Dorfman's expected tests per
// person, and the advice within the national rules.
#include "engine/lab/pool_advice.h"

#include <cmath>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace swabwave::engine::lab {
namespace {

using ::testing::HasSubstr;

TEST(PoolAdviceTest, ExpectedTestsFollowDorfman) {
  EXPECT_DOUBLE_EQ(ExpectedTestsPerPerson(1, 0.2), 1.0);
  EXPECT_NEAR(ExpectedTestsPerPerson(10, 0.0), 0.1, 1e-12);
  // p = 1%: 1/10 + 1 - 0.99^10 = 0.1 + 0.0956...
  EXPECT_NEAR(ExpectedTestsPerPerson(10, 0.01), 0.19562, 1e-5);
  EXPECT_NEAR(ExpectedTestsPerPerson(5, 0.01), 0.24901, 1e-5);
  // Past about 30%, pooling costs more than testing one by one.
  EXPECT_GT(ExpectedTestsPerPerson(5, 0.35), 1.0);
}

TEST(PoolAdviceTest, NoEvidenceKeepsTheDefault) {
  const PoolAdvice advice = AdvisePoolRatio({});
  EXPECT_EQ(advice.ratio, 10);
  EXPECT_THAT(advice.why, HasSubstr("no results"));
}

TEST(PoolAdviceTest, ALowRiskAreaPoolsTwenty) {
  const PoolEvidence clean{10, 1700, 0, 0};
  const PoolEvidence rounds[] = {clean, clean};
  const PoolAdvice advice = AdvisePoolRatio(rounds);
  EXPECT_EQ(advice.ratio, 20);
  EXPECT_EQ(advice.prevalence, 0.0);
  EXPECT_THAT(advice.why, HasSubstr("low-risk"));
}

TEST(PoolAdviceTest, PositivesCapTheRatioAtTenAndHighPrevalenceLowersIt) {
  // 2 positive pools of 1,700: p about 0.012%, 10 per tube is best of 1, 5, 10.
  const PoolEvidence some[] = {{10, 1700, 2, 0}};
  PoolAdvice advice = AdvisePoolRatio(some);
  EXPECT_EQ(advice.ratio, 10);
  EXPECT_NEAR(advice.prevalence, 1 - std::pow(1 - 2.0 / 1700, 0.1), 1e-12);
  // A third of pools of 10 positive: p about 4%, and 5 per tube is cheaper.
  const PoolEvidence many[] = {{10, 300, 100, 0}};
  advice = AdvisePoolRatio(many);
  EXPECT_EQ(advice.ratio, 5);
  EXPECT_LT(advice.expected_tests[1], advice.expected_tests[2]);
}

TEST(PoolAdviceTest, ACaseInTheLatestRoundMeansOneSwabPerTube) {
  const PoolEvidence rounds[] = {{10, 1700, 0, 0}, {10, 1700, 1, 1}};
  const PoolAdvice advice = AdvisePoolRatio(rounds);
  EXPECT_EQ(advice.ratio, 1);
  EXPECT_THAT(advice.why, HasSubstr("1 case here"));
}

}  // namespace
}  // namespace swabwave::engine::lab
