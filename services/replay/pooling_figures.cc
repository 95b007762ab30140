#include "services/replay/pooling_figures.h"

#include <algorithm>
#include <map>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "engine/random/xoshiro.h"

namespace swabwave::services {

namespace {

double Unit(engine::random::Xoshiro256& bits) {
  return static_cast<double>(bits.Next() >> 11) * 0x1.0p-53;  // [0, 1)
}

}  // namespace

PoolingFigures MeasurePooling(const std::vector<DeskWork>& work, const FleetReport& report,
                              int pool_ratio, const InfectionModel& model) {
  PoolingFigures figures;
  // Each sampled resident's tube (a dense index) and household; ordered
  // maps, so that households and their members are drawn in the same order
  // whatever tubes they landed in.
  absl::flat_hash_map<std::string, int> tube_index;
  std::map<std::string, std::map<std::string, int>> households;  // label -> code -> tube
  for (size_t d = 0; d < work.size() && d < report.outcomes.size(); ++d) {
    for (size_t i = 0; i < work[d].scans.size() && i < report.outcomes[d].size(); ++i) {
      const ScanOutcome& outcome = report.outcomes[d][i];
      if (outcome.code != 0) continue;  // a replay names the same tube as the first answer
      const Scan& scan = work[d].scans[i];
      const int tube =
          tube_index.try_emplace(outcome.tube_barcode, static_cast<int>(tube_index.size()))
              .first->second;
      const std::string label = scan.group.empty() ? absl::StrCat("alone:", scan.code) : scan.group;
      households[label].emplace(scan.code, tube);
    }
  }
  figures.tubes = static_cast<int64_t>(tube_index.size());
  figures.households = static_cast<int64_t>(households.size());
  std::vector<int> swabs_in(tube_index.size(), 0);
  std::vector<std::vector<int>> member_tubes;  // per household, per member
  std::vector<std::pair<int, int>> tube_households;  // (tube, household), deduplicated below
  for (const auto& [label, members] : households) {
    std::vector<int>& tubes = member_tubes.emplace_back();
    for (const auto& [code, tube] : members) {
      tubes.push_back(tube);
      ++swabs_in[tube];
      tube_households.emplace_back(tube, static_cast<int>(member_tubes.size()) - 1);
    }
    figures.residents += static_cast<int64_t>(members.size());
    const bool split = std::any_of(tubes.begin(), tubes.end(),
                                   [&](int tube) { return tube != tubes.front(); });
    if (split && static_cast<int>(tubes.size()) <= pool_ratio) ++figures.households_split;
  }
  std::sort(tube_households.begin(), tube_households.end());
  tube_households.erase(std::unique(tube_households.begin(), tube_households.end()),
                        tube_households.end());
  if (figures.tubes > 0) {
    figures.households_per_tube =
        static_cast<double>(tube_households.size()) / static_cast<double>(figures.tubes);
  }

  engine::random::Xoshiro256 bits(model.seed);
  std::vector<int> positive_trial(tube_index.size(), -1);  // the last trial it was positive in
  for (int trial = 0; trial < model.trials; ++trial) {
    for (const std::vector<int>& tubes : member_tubes) {
      if (Unit(bits) >= model.household_prevalence) continue;
      const size_t index_case = bits.Next() % tubes.size();
      for (size_t m = 0; m < tubes.size(); ++m) {
        if (m != index_case && Unit(bits) >= model.attack_rate) continue;
        ++figures.positives;
        if (positive_trial[tubes[m]] == trial) continue;  // already recalled in this trial
        positive_trial[tubes[m]] = trial;
        ++figures.positive_tubes;
        figures.recalled += swabs_in[tubes[m]];
      }
    }
  }
  return figures;
}

}  // namespace swabwave::services
