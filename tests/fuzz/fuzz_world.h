// A small registry for fuzz targets to apply journal records to: one
// community ("tc", 24 residents, one site with two desks) and one open
// round ("r") with a tube at each desk, built afresh for every input so the
// targets stay deterministic.
#ifndef SWABWAVE_TESTS_FUZZ_FUZZ_WORLD_H_
#define SWABWAVE_TESTS_FUZZ_FUZZ_WORLD_H_

#include <cstdlib>
#include <memory>

#include "engine/plan/greedy_planner.h"
#include "engine/registry/registry.h"
#include "tests/engine/test_community.h"

namespace swabwave::fuzz {

inline std::unique_ptr<engine::Registry> MakeWorld() {
  auto registry = std::make_unique<engine::Registry>();
  engine::testing::Shape shape;
  shape.mobility_limited_every = 5;
  shape.exempt_every = 7;
  if (!registry->ImportCommunity(engine::testing::MakeCommunity(shape)).ok()) abort();
  engine::RoundConfig config;
  config.id = "r";
  config.community_ids = {"tc"};
  config.start = absl::FromUnixSeconds(1795762800);
  config.pool_ratio = 5;
  engine::Round* round = *registry->CreateRound(config);
  if (!round->MakePlan(engine::plan::GreedyPlanner(), {}).ok() || !round->Open().ok() ||
      !round->RackTube(0, "A-0").ok() || !round->RackTube(1, "B-0").ok()) {
    abort();
  }
  return registry;
}

}  // namespace swabwave::fuzz

#endif  // SWABWAVE_TESTS_FUZZ_FUZZ_WORLD_H_
