// Households scanned together (CheckInAttempt::with_previous) under
// concurrency: two tablets share each desk and check whole households in,
// several to a batch and mixed with people who came alone, while a racker
// scans tubes in just ahead of need and a sealer seals open tubes by hand.
// DeskRack::TakeGroup seals a tube early when a household would not fit in
// what is left of it. At the end:
//   - every resident is sampled exactly once, in the (tube, slot) their
//     word names, and no tube holds more than the pool ratio or has a hole;
//   - every household no larger than the ratio is in one tube, and was
//     either placed whole or refused whole by each call;
//   - every tube sealed short of the ratio was sealed by hand or early, and
//     each early seal reached the log once;
//   - recovery from what the log holds (tubes, check-ins, seals) rebuilds
//     every tube as it stands.
//
// Short by default (CI runs it under ThreadSanitizer); set
// SWABWAVE_STRESS_LONG=1 for a long run.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/core/live_round.h"
#include "engine/core/resident_table.h"

namespace swabwave::engine::core {
namespace {

constexpr int64_t kEpoch = 1'800'000'000;
constexpr int kDesks = 3;
constexpr int kTabletsPerDesk = 2;

struct Shape {
  int households;
  int ratio;
  int rounds;
};

Shape ShapeFromEnvironment() {
  const char* long_mode = std::getenv("SWABWAVE_STRESS_LONG");
  if (long_mode != nullptr && std::string(long_mode) == "1") return {60000, 10, 5};
  return {2500, 10, 2};
}

// What the journal would hold: early seals in order, and every check-in.
class RecordingLog final : public CheckInLog {
 public:
  void Record(absl::Span<const CheckInResult> sampled) override {
    std::lock_guard lock(mu_);
    check_ins_.insert(check_ins_.end(), sampled.begin(), sampled.end());
  }
  void RecordEarlySeal(DeskIndex, TubeIndex tube) override {
    std::lock_guard lock(mu_);
    if (early_.size() <= tube) early_.resize(size_t{tube} + 1, false);
    if (early_[tube]) ++sealed_twice_;
    early_[tube] = true;
  }
  std::vector<CheckInResult> check_ins() const {
    std::lock_guard lock(mu_);
    return check_ins_;
  }
  std::vector<bool> early() const {
    std::lock_guard lock(mu_);
    return early_;
  }
  int sealed_twice() const {
    std::lock_guard lock(mu_);
    return sealed_twice_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<CheckInResult> check_ins_;
  std::vector<bool> early_;
  int sealed_twice_ = 0;
};

struct Household {
  int first = 0;  // resident ids [first, first + size)
  int size = 0;
};

std::string Code(int resident) { return absl::StrCat("HOME-", resident); }

std::unique_ptr<ResidentTable> BuildTable(int residents, const std::vector<std::string>& codes) {
  return *ResidentTable::Build(
      residents, [&](uint32_t i) { return absl::string_view(codes[i]); },
      [](uint32_t i) { return i % 16; });
}

LiveRoundSpec Spec(ResidentTable* table, int residents, int ratio) {
  LiveRoundSpec spec;
  spec.pool_ratio = ratio;
  spec.epoch_unix_seconds = kEpoch;
  spec.table = table;
  spec.site_count = 1;
  spec.initial.assign(residents, ResidentState::kUntested);
  spec.cells.assign(residents, 0);
  spec.desk_sites.assign(kDesks, 0);
  return spec;
}

void RunOnce(const Shape& shape, uint32_t seed) {
  // Households of 1 to 6, and now and then one of 12 (larger than a tube:
  // it is split, as it must be).
  std::mt19937 draw(seed);
  std::vector<Household> households;
  int residents = 0;
  for (int h = 0; h < shape.households; ++h) {
    const int size = h % 97 == 0 ? 12 : 1 + static_cast<int>(draw() % 6);
    households.push_back({residents, size});
    residents += size;
  }
  std::vector<std::string> codes;
  for (int r = 0; r < residents; ++r) codes.push_back(Code(r));
  std::unique_ptr<ResidentTable> table = BuildTable(residents, codes);
  LiveRound round(Spec(table.get(), residents, shape.ratio));
  RecordingLog log;

  constexpr int kTablets = kDesks * kTabletsPerDesk;
  std::atomic<bool> go{false};
  std::atomic<int> tablets_left{kTablets};
  std::atomic<int64_t> sampled{0};
  std::vector<std::atomic<int>> wins(residents);
  std::atomic<int> split_calls{0};  // a household placed in part by one call
  std::mutex hand_mu;
  std::vector<TubeIndex> sealed_by_hand;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);

  std::vector<std::thread> threads;
  for (int t = 0; t < kTablets; ++t) {
    threads.emplace_back([&, t] {
      const auto desk = static_cast<DeskIndex>(t % kDesks);
      // Each tablet checks in its own households (every kTablets-th).
      std::vector<int> pending;
      for (int h = t; h < shape.households; h += kTablets) pending.push_back(h);
      std::mt19937 rng(seed * 131 + t);
      std::vector<CheckInAttempt> attempts;
      std::vector<int> household_of;  // per attempt
      std::vector<CheckInResult> results;
      while (!go.load()) std::this_thread::yield();
      while (!pending.empty()) {
        std::vector<int> again;
        for (size_t next = 0; next < pending.size();) {
          // One to three households to a message.
          const size_t end = std::min(pending.size(), next + 1 + rng() % 3);
          attempts.clear();
          household_of.clear();
          for (; next < end; ++next) {
            const Household& home = households[pending[next]];
            for (int m = 0; m < home.size; ++m) {
              const int r = home.first + m;
              CheckInAttempt attempt{desk, codes[r], kEpoch + r % 1000,
                                     static_cast<uint64_t>(r) * 7 + 1};
              attempt.with_previous = m > 0;
              attempts.push_back(attempt);
              household_of.push_back(pending[next]);
            }
          }
          results.assign(attempts.size(), CheckInResult());
          round.CheckInBatch(attempts, absl::MakeSpan(results), &log);
          for (size_t first = 0; first < attempts.size();) {
            const int h = household_of[first];
            size_t last = first;
            int placed = 0;
            for (; last < attempts.size() && household_of[last] == h; ++last) {
              const CheckInResult& result = results[last];
              if (result.verdict == CheckInVerdict::kSampled) {
                wins[households[h].first + static_cast<int>(last - first)].fetch_add(1);
                sampled.fetch_add(1);
                ++placed;
              } else if (result.verdict != CheckInVerdict::kReplayed) {
                ASSERT_EQ(result.verdict, CheckInVerdict::kNoOpenTube);
              }
            }
            if (placed > 0 && placed < households[h].size && households[h].size <= shape.ratio) {
              split_calls.fetch_add(1);
            }
            // What found no tube comes again, with the same requests (a
            // member placed already answers kReplayed).
            if (placed < households[h].size) again.push_back(h);
            first = last;
          }
        }
        // A household whose members all replayed is done.
        pending.clear();
        for (int h : again) {
          bool done = true;
          for (int m = 0; m < households[h].size; ++m) {
            done = done && IsSampled(round.Read(households[h].first + m).state());
          }
          if (!done) pending.push_back(h);
        }
        if (!pending.empty()) {
          ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "tablet " << t << " starved";
          std::this_thread::yield();
        }
      }
      tablets_left.fetch_sub(1);
    });
  }
  // Racker: keeps every desk about two tubes ahead of its swabs.
  threads.emplace_back([&] {
    while (!go.load()) std::this_thread::yield();
    int64_t barcode = 0;
    std::vector<int64_t> racked(kDesks, 0);
    while (tablets_left.load() > 0 && std::chrono::steady_clock::now() < deadline) {
      for (int d = 0; d < kDesks; ++d) {
        const int64_t needed = sampled.load() / kDesks / (shape.ratio / 2) + 3;
        if (racked[d] < needed || !round.rack().HasOpenTube(d)) {
          ASSERT_TRUE(round.rack().RackTube(d, absl::StrCat("H", seed, "-", barcode++)).ok());
          ++racked[d];
        }
      }
      std::this_thread::yield();
    }
  });
  // Sealer: seals whatever tube is open at a desk, by hand, now and then.
  threads.emplace_back([&] {
    while (!go.load()) std::this_thread::yield();
    std::mt19937 rng(seed);
    while (tablets_left.load() > 0 && std::chrono::steady_clock::now() < deadline) {
      const uint32_t tubes = round.rack().tube_count();
      if (tubes > 0) {
        const TubeView tube = round.rack().Tube(rng() % tubes);
        if (tube.state == TubeState::kOpen) {
          absl::StatusOr<TubeView> sealed = round.rack().SealTube(tube.desk, tube.barcode);
          ASSERT_TRUE(sealed.ok() || sealed.status().code() == absl::StatusCode::kFailedPrecondition)
              << sealed.status();
          if (sealed.ok()) {
            std::lock_guard lock(hand_mu);
            sealed_by_hand.push_back(sealed->index);
          }
        }
      }
      std::this_thread::sleep_for(std::chrono::microseconds(300));
    }
  });
  go.store(true);
  for (std::thread& t : threads) t.join();

  // Every resident sampled once, in the place the word names.
  for (int r = 0; r < residents; ++r) ASSERT_EQ(wins[r].load(), 1) << "resident " << r;
  EXPECT_EQ(split_calls.load(), 0) << "a call placed part of a household that fits a tube";
  const DeskRack& rack = round.rack();
  const std::vector<bool> early = log.early();
  std::vector<bool> closed(rack.tube_count(), false);
  for (TubeIndex t : sealed_by_hand) closed[t] = true;
  int early_seals = 0;
  for (TubeIndex t = 0; t < rack.tube_count(); ++t) {
    const TubeView tube = rack.Tube(t);
    ASSERT_LE(tube.swabs, static_cast<uint32_t>(shape.ratio)) << "tube " << t;
    for (uint32_t slot = 0; slot < tube.swabs; ++slot) {
      const uint32_t resident = rack.Member(t, slot);
      ASSERT_NE(resident, kNoId) << "tube " << t << " slot " << slot << " is a hole";
      ASSERT_EQ(round.Read(resident).place(), t);
      ASSERT_EQ(round.Read(resident).slot(), slot);
    }
    const bool sealed_early = t < early.size() && early[t];
    if (sealed_early) {
      ++early_seals;
      ASSERT_EQ(tube.state, TubeState::kSealed) << "tube " << t;
      ASSERT_LT(tube.swabs, static_cast<uint32_t>(shape.ratio)) << "tube " << t;
      closed[t] = true;
    }
    if (tube.state == TubeState::kSealed && tube.swabs < static_cast<uint32_t>(shape.ratio)) {
      ASSERT_TRUE(closed[t]) << "tube " << t << " sealed short, neither by hand nor early";
    }
  }
  EXPECT_GT(early_seals, 0) << "no household ever had to start a fresh tube";
  EXPECT_EQ(log.sealed_twice(), 0);

  // Every household that fits a tube is in one.
  for (const Household& home : households) {
    if (home.size > shape.ratio) continue;
    const TubeIndex tube = round.Read(home.first).place();
    for (int m = 1; m < home.size; ++m) {
      ASSERT_EQ(round.Read(home.first + m).place(), tube)
          << "household of " << home.size << " from resident " << home.first << " was split";
    }
  }

  // Recovery from what was logged rebuilds every tube as it stands.
  std::unique_ptr<ResidentTable> restored_table = BuildTable(residents, codes);
  LiveRound restored(Spec(restored_table.get(), residents, shape.ratio));
  for (TubeIndex t = 0; t < rack.tube_count(); ++t) {
    ASSERT_TRUE(restored.rack().RackTube(rack.DeskOf(t), rack.BarcodeOf(t)).ok());
  }
  for (const CheckInResult& r : log.check_ins()) {
    ASSERT_TRUE(
        restored.Restore(r.resident, r.tube, r.slot, r.scan_unix_seconds, r.request, true).ok());
  }
  restored.FinishRestore(closed);
  for (TubeIndex t = 0; t < rack.tube_count(); ++t) {
    const TubeView before = rack.Tube(t);
    const TubeView after = restored.rack().Tube(t);
    ASSERT_EQ(static_cast<int>(after.state), static_cast<int>(before.state)) << "tube " << t;
    ASSERT_EQ(after.swabs, before.swabs) << "tube " << t;
  }
}

TEST(HouseholdStressTest, HouseholdsScannedTogetherShareATubeWhileTubesComeAndGo) {
  const Shape shape = ShapeFromEnvironment();
  for (int i = 0; i < shape.rounds; ++i) RunOnce(shape, static_cast<uint32_t>(i + 7));
}

}  // namespace
}  // namespace swabwave::engine::core
