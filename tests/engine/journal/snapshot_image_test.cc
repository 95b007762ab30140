// Dense snapshot images (journal/community_image.h, journal/round_image.h):
// they read back to the same state, and a short or damaged image is
// DATA_LOSS, never a crash or an out-of-bounds read (this file also runs
// under ASan and ThreadSanitizer).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "engine/journal/community_image.h"
#include "engine/journal/records.h"
#include "engine/journal/round_image.h"
#include "engine/plan/greedy_planner.h"
#include "engine/registry/registry.h"
#include "tests/engine/journal/record_sink.h"
#include "tests/engine/test_community.h"

namespace swabwave::engine {
namespace {

using ::swabwave::engine::testing::MakeCommunity;
using ::swabwave::engine::testing::ResidentCode;
using ::swabwave::engine::testing::Shape;

const absl::Time kStart = absl::FromUnixSeconds(1795762800);
const int64_t kScan = 1795762800 + 600;

using ::swabwave::engine::testing::RecordSink;

Shape TestShape(const std::string& id) {
  Shape shape;
  shape.id = id;
  shape.mobility_limited_every = 5;
  shape.exempt_every = 7;
  return shape;
}

// A registry with one community (codes longer than a slot holds inline
// when `id` is long) and round "r" in `phase`: planned, open with check-ins
// and tubes (one sealed by hand), or closed.
std::unique_ptr<Registry> MakeRegistry(const std::string& id, RoundPhase phase) {
  auto registry = std::make_unique<Registry>();
  EXPECT_TRUE(registry->ImportCommunity(MakeCommunity(TestShape(id))).ok());
  RoundConfig config;
  config.id = "r";
  config.community_ids = {id};
  config.start = kStart;
  config.pool_ratio = 5;
  Round* round = *registry->CreateRound(config);
  if (phase == RoundPhase::kDraft) return registry;
  EXPECT_TRUE(round->MakePlan(plan::GreedyPlanner(), {}).ok());
  if (phase == RoundPhase::kPlanned) return registry;
  EXPECT_TRUE(round->Open().ok());
  for (int t = 0; t < 3; ++t) {
    EXPECT_TRUE(round->RackTube(0, absl::StrCat("A-", t)).ok());
    EXPECT_TRUE(round->RackTube(1, absl::StrCat("B-", t)).ok());
  }
  for (int n = 1; n <= 13; ++n) {
    round->CheckIn(n % 2, ResidentCode(id, n), kScan + n, 100 + n);
  }
  EXPECT_TRUE(round->SealTube(1, "B-1").ok());
  if (phase == RoundPhase::kClosed) {
    EXPECT_TRUE(round->Close().ok());
  }
  return registry;
}

// Everything recovery must restore, as one comparable string.
std::string Fingerprint(Registry& registry) {
  Round* round = registry.FindRound("r");
  std::string out = absl::StrCat("phase ", PhaseName(round->phase()), "\n");
  const core::LiveRound* live = round->live();
  if (live == nullptr) return out;
  for (uint32_t r = 0; r < live->resident_count(); ++r) {
    const core::ResidentWord word = live->Read(r);
    absl::StrAppend(&out, r, ": ", word.bits(), " cell ", round->plan()->resident_cell[r]);
    if (core::IsSampled(word.state())) {
      // The whole request fingerprint: the tag in the slot and the high
      // half in the request index, both rebuilt by recovery.
      const core::LiveRound::Request request = live->RequestOf(r);
      absl::StrAppend(&out, " request ", request.fingerprint, request.whole ? "" : " (low half)");
    }
    out += "\n";
  }
  for (TubeIndex t = 0; t < live->rack().tube_count(); ++t) {
    const core::TubeView tube = live->rack().Tube(t);
    absl::StrAppend(&out, "tube ", t, " ", tube.barcode, " desk ", tube.desk, " state ",
                    static_cast<int>(tube.state), " swabs ", tube.swabs, "\n");
  }
  absl::StatusOr<ProgressReport> progress = round->Progress(ProgressLevel::kBuilding, 0, 100);
  EXPECT_TRUE(progress.ok());
  absl::StrAppend(&out, "exempt ", live->exempt_sampled(), " d2d ", live->door_to_door_sampled(),
                  " total ", live->TotalCheckIns(), " rows ", progress->rows.size(), "\n");
  for (const ProgressRow& row : progress->rows) {
    absl::StrAppend(&out, row.key, " ", row.counts.sampled, "/", row.counts.due, "\n");
  }
  return out;
}

// A fresh registry that replays `records`; the first error, if any.
absl::Status Replay(const std::vector<std::string>& records, Registry* registry) {
  for (const std::string& record : records) {
    if (absl::Status s = registry->ApplyRecord(record); !s.ok()) return s;
  }
  registry->FinishRecovery();
  return absl::OkStatus();
}

// ---------------------------------------------------------------- community

TEST(CommunityImageTest, RoundTripsToTheSameCommunity) {
  for (const std::string id : {"tc", "a-community-with-a-long-id"}) {
    Shape shape = TestShape(id);
    shape.sites = 2;
    Community community = MakeCommunity(shape);
    community.time_zone = "Asia/Shanghai";
    std::string image;
    journal::EncodeCommunityImage(community, &image);
    ASSERT_EQ(*journal::TypeOf(image), journal::RecordType::kCommunityImage);
    absl::StatusOr<Community> decoded = journal::DecodeCommunityImage(image);
    ASSERT_TRUE(decoded.ok()) << decoded.status();
    // The record encoding covers every field: equal records, equal communities.
    std::string want, got;
    journal::EncodeCommunity(community, &want);
    journal::EncodeCommunity(*decoded, &got);
    EXPECT_EQ(got, want);
    std::string again;
    journal::EncodeCommunityImage(*decoded, &again);
    EXPECT_EQ(again, image);
  }
}

// A snapshot written before time zones (version 1: no zone after the
// staff) still reads, with the fixed offset.
TEST(CommunityImageTest, AnImageFromBeforeTimeZonesStillReads) {
  Community community = MakeCommunity(TestShape("tc"));
  community.time_zone = "";
  std::string image;
  journal::EncodeCommunityImage(community, &image);
  image.pop_back();  // the walk-ins taken in (a zero count)
  image.pop_back();  // the roster version (1, one byte)
  image.pop_back();  // the empty zone's length byte
  image[1] = static_cast<char>(journal::kCommunityImageVersionBeforeZones);  // after the type
  absl::StatusOr<Community> decoded = journal::DecodeCommunityImage(image);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->time_zone, "");
  EXPECT_EQ(decoded->residents.size(), community.residents.size());
  // A current image without its zone is damaged, not old.
  image[1] = static_cast<char>(journal::kCommunityImageVersion);
  EXPECT_EQ(journal::DecodeCommunityImage(image).status().code(), absl::StatusCode::kDataLoss);
}

// A snapshot written before roster versions (version 2: the zone ends it)
// reads as version 1 of its community.
TEST(CommunityImageTest, AnImageFromBeforeRosterVersionsReadsAsVersionOne) {
  Community community = MakeCommunity(TestShape("tc"));
  community.version = 1;
  std::string image;
  journal::EncodeCommunityImage(community, &image);
  image.pop_back();  // the walk-ins taken in (a zero count)
  image.pop_back();  // the roster version
  image[1] = static_cast<char>(journal::kCommunityImageVersionBeforeVersions);
  absl::StatusOr<Community> decoded = journal::DecodeCommunityImage(image);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->version, 1u);
  EXPECT_EQ(decoded->time_zone, community.time_zone);
  // The current format without it is damaged.
  image[1] = static_cast<char>(journal::kCommunityImageVersion);
  EXPECT_EQ(journal::DecodeCommunityImage(image).status().code(), absl::StatusCode::kDataLoss);
}

TEST(CommunityImageTest, AVersionRoundTrips) {
  Community community = MakeCommunity(TestShape("tc"));
  community.version = 300;
  community.walk_ins_taken_in = {7, 1ULL << 63};
  std::string image;
  journal::EncodeCommunityImage(community, &image);
  absl::StatusOr<Community> decoded = journal::DecodeCommunityImage(image);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->version, 300u);
  EXPECT_EQ(decoded->walk_ins_taken_in, community.walk_ins_taken_in);
}

TEST(CommunityImageTest, ATruncatedImageIsDataLossAtEveryLength) {
  std::string image;
  journal::EncodeCommunityImage(MakeCommunity(TestShape("tc")), &image);
  for (size_t size = 0; size < image.size(); ++size) {
    absl::StatusOr<Community> decoded =
        journal::DecodeCommunityImage(absl::string_view(image).substr(0, size));
    ASSERT_EQ(decoded.status().code(), absl::StatusCode::kDataLoss) << size;
  }
}

TEST(CommunityImageTest, AFlippedBitDecodesToAValidCommunityOrDataLoss) {
  std::string image;
  journal::EncodeCommunityImage(MakeCommunity(TestShape("tc")), &image);
  for (size_t bit = 8; bit < image.size() * 8; ++bit) {
    std::string damaged = image;
    damaged[bit / 8] = static_cast<char>(damaged[bit / 8] ^ (1 << (bit % 8)));
    absl::StatusOr<Community> decoded = journal::DecodeCommunityImage(damaged);
    if (!decoded.ok()) {
      ASSERT_EQ(decoded.status().code(), absl::StatusCode::kDataLoss) << bit;
      continue;
    }
    // Whatever decoded is in bounds: every resident's building and code.
    for (ResidentId r = 0; r < decoded->residents.size(); ++r) {
      ASSERT_LT(decoded->building_of(r), decoded->buildings.size());
      ASSERT_LE(decoded->resident_code(r).size(), decoded->resident_codes.byte_size());
    }
  }
}

TEST(CommunityImageTest, AnotherFormatVersionIsRefusedByName) {
  std::string image;
  journal::EncodeCommunityImage(MakeCommunity(TestShape("tc")), &image);
  image[1] = 9;
  absl::StatusOr<Community> decoded = journal::DecodeCommunityImage(image);
  EXPECT_EQ(decoded.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(decoded.status().message(), ::testing::HasSubstr("version 9"));
}

// ---------------------------------------------------------------- round

class RoundImageTest : public ::testing::TestWithParam<RoundPhase> {};

TEST_P(RoundImageTest, ADenseSnapshotRestoresWhatARecordSnapshotDoes) {
  for (const std::string id : {"tc", "a-community-with-a-long-id"}) {
    std::unique_ptr<Registry> source = MakeRegistry(id, GetParam());
    RecordSink dense, records;
    ASSERT_TRUE(source->WriteSnapshot(dense, SnapshotStyle::kDense).ok());
    ASSERT_TRUE(source->WriteSnapshot(records, SnapshotStyle::kRecords).ok());
    ASSERT_EQ(dense.records.size(), 2u);  // one community, one round
    EXPECT_EQ(*journal::TypeOf(dense.records[1]), journal::RecordType::kRoundImage);

    Registry from_dense, from_records;
    ASSERT_TRUE(Replay(dense.records, &from_dense).ok());
    ASSERT_TRUE(Replay(records.records, &from_records).ok());
    EXPECT_EQ(Fingerprint(from_dense), Fingerprint(*source)) << id;
    EXPECT_EQ(Fingerprint(from_dense), Fingerprint(from_records)) << id;
    // The restored round goes on: every code is found, the next swab lands.
    Round* round = from_dense.FindRound("r");
    if (GetParam() == RoundPhase::kOpen) {
      EXPECT_EQ(round->CheckIn(1, ResidentCode(id, 3), kScan, 103).verdict,
                core::CheckInVerdict::kReplayed);
      EXPECT_EQ(round->CheckIn(0, ResidentCode(id, 14), kScan, 114).verdict,
                core::CheckInVerdict::kSampled);
      // Both restores know which resident each request id sampled.
      for (Registry* restored : {&from_dense, &from_records}) {
        EXPECT_EQ(restored->FindRound("r")->CheckIn(0, ResidentCode(id, 16), kScan, 103).verdict,
                  core::CheckInVerdict::kRequestReused);
      }
      // The barcode index, built on first use after a dense restore.
      EXPECT_EQ(round->RackTube(0, "B-2").status().code(), absl::StatusCode::kAlreadyExists);
      EXPECT_TRUE(round->RackTube(0, "A-9").ok());
      EXPECT_EQ(round->CheckIn(1, ResidentCode(id, 15), kScan, 115).verdict,
                core::CheckInVerdict::kSampled);
      absl::StatusOr<core::TubeView> sealed = round->SealTube(1, "B-2");
      ASSERT_TRUE(sealed.ok()) << sealed.status();
      EXPECT_EQ(sealed->barcode, "B-2");
    }
    // An image applied twice (snapshot and journal overlapping) is a no-op.
    EXPECT_TRUE(from_dense.ApplyRecord(dense.records[1]).ok());
  }
}

TEST_P(RoundImageTest, ATruncatedImageIsDataLossAtEveryLength) {
  std::unique_ptr<Registry> source = MakeRegistry("tc", GetParam());
  RecordSink dense;
  ASSERT_TRUE(source->WriteSnapshot(dense).ok());
  const std::string& image = dense.records[1];
  for (size_t size = 0; size < image.size(); ++size) {
    absl::StatusOr<journal::RoundImage> decoded =
        journal::DecodeRoundImage(absl::string_view(image).substr(0, size));
    ASSERT_EQ(decoded.status().code(), absl::StatusCode::kDataLoss) << size;
  }
}

// A bit flipped past the CRC (a forged record): recovery refuses it or
// restores something every query can read in bounds.
TEST_P(RoundImageTest, AFlippedBitIsDataLossOrAStateThatStaysInBounds) {
  std::unique_ptr<Registry> source = MakeRegistry("tc", GetParam());
  RecordSink dense;
  ASSERT_TRUE(source->WriteSnapshot(dense).ok());
  const std::string image = dense.records[1];
  int refused = 0;
  // Every bit of the header; past it, one bit of every 4th byte (a
  // different bit each time), which keeps the sanitizer builds at seconds.
  for (size_t bit = 8; bit < image.size() * 8; bit += bit < 72 ? 1 : 4 * 8 + 1) {
    std::string damaged = image;
    damaged[bit / 8] = static_cast<char>(damaged[bit / 8] ^ (1 << (bit % 8)));
    Registry registry;
    ASSERT_TRUE(registry.ApplyRecord(dense.records[0]).ok());
    const absl::Status status = registry.ApplyRecord(damaged);
    if (!status.ok()) {
      ASSERT_EQ(status.code(), absl::StatusCode::kDataLoss) << bit << " " << status;
      ++refused;
      continue;
    }
    registry.FinishRecovery();
    Round* round = registry.FindRound("r");
    if (round == nullptr) continue;  // the id changed
    if (round->live() != nullptr) (void)Fingerprint(registry);
    (void)round->ListUntested({}, kNoId, 1000);
    size_t buildings;
    (void)round->DoorToDoor(0, 100, &buildings);
    if (round->phase() == RoundPhase::kOpen) {
      for (int n = 1; n <= 24; ++n) (void)round->CheckIn(0, ResidentCode("tc", n), kScan, 7);
    }
  }
  EXPECT_GT(refused, 0);
}

// A snapshot written before the request index (a version 1 image, or
// check-in records with a 32-bit tag) is still read: the round comes back
// whole, and only its request ids guard nothing (a reused one is taken).
TEST(RoundImageTest, SnapshotsWrittenBeforeTheRequestIndexAreStillRead) {
  std::unique_ptr<Registry> source = MakeRegistry("tc", RoundPhase::kOpen);
  RecordSink dense, records;
  ASSERT_TRUE(source->WriteSnapshot(dense, SnapshotStyle::kDense).ok());
  ASSERT_TRUE(source->WriteSnapshot(records, SnapshotStyle::kRecords).ok());
  // Version 1: the same layout without the request index at the end.
  std::string old_image = dense.records[1];
  uint32_t entries;
  std::memcpy(&entries, old_image.data() + old_image.size() - 4 - 8 * 13, 4);
  ASSERT_EQ(entries, 13u);  // MakeRegistry's 13 check-ins
  old_image.resize(old_image.size() - 4 - 8 * 13);
  const uint32_t version_1 = journal::kRoundImageVersionBeforeRequestIndex;
  std::memcpy(old_image.data() + 1, &version_1, 4);
  std::vector<std::string> old_records;
  for (const std::string& record : records.records) {
    if (*journal::TypeOf(record) != journal::RecordType::kCheckIn) {
      old_records.push_back(record);
      continue;
    }
    journal::CheckInRecord check_in = *journal::DecodeCheckIn(record);
    check_in.request_whole = false;
    check_in.request &= 0xFFFFFFFF;
    old_records.emplace_back();
    journal::EncodeCheckIn(check_in, &old_records.back());
  }

  Registry from_image, from_records;
  ASSERT_TRUE(Replay({dense.records[0], old_image}, &from_image).ok());
  ASSERT_TRUE(Replay(old_records, &from_records).ok());
  EXPECT_EQ(Fingerprint(from_image), Fingerprint(from_records));
  // The same round, with each sampled resident's request known by half.
  std::string expected;
  for (absl::string_view line : absl::StrSplit(Fingerprint(*source), '\n', absl::SkipEmpty())) {
    const size_t request = line.find(" request ");
    if (request == absl::string_view::npos) {
      absl::StrAppend(&expected, line, "\n");
      continue;
    }
    uint64_t fingerprint = 0;
    ASSERT_TRUE(absl::SimpleAtoi(line.substr(request + 9), &fingerprint)) << line;
    absl::StrAppend(&expected, line.substr(0, request), " request ", fingerprint & 0xFFFFFFFF,
                    " (low half)\n");
  }
  EXPECT_EQ(Fingerprint(from_image), expected);
  for (Registry* restored : {&from_image, &from_records}) {
    Round* round = restored->FindRound("r");
    EXPECT_EQ(round->CheckIn(1, ResidentCode("tc", 3), kScan, 103).verdict,
              core::CheckInVerdict::kReplayed);
    EXPECT_EQ(round->CheckIn(0, ResidentCode("tc", 16), kScan, 103).verdict,
              core::CheckInVerdict::kSampled);
  }
}

INSTANTIATE_TEST_SUITE_P(Phases, RoundImageTest,
                         ::testing::Values(RoundPhase::kDraft, RoundPhase::kPlanned,
                                           RoundPhase::kOpen, RoundPhase::kClosed),
                         [](const ::testing::TestParamInfo<RoundPhase>& phase) {
                           return std::string(PhaseName(phase.param));
                         });

TEST(RoundImageTest, AWordThePlanCannotReachIsDataLoss) {
  std::unique_ptr<Registry> source = MakeRegistry("tc", RoundPhase::kOpen);
  RecordSink dense;
  ASSERT_TRUE(source->WriteSnapshot(dense).ok());
  absl::StatusOr<journal::RoundImage> image = journal::DecodeRoundImage(dense.records[1]);
  ASSERT_TRUE(image.ok()) << image.status();
  // Make resident 0's word read "claimed" (a state no snapshot writes).
  std::string damaged = dense.records[1];
  const size_t slots_at = image->slots.data() - dense.records[1].data();
  const uint32_t position = image->positions[0];
  const uint64_t claimed = core::ResidentWord::Make(core::ResidentState::kClaimed, 0, 0, 0).bits();
  std::memcpy(&damaged[slots_at + position * core::ResidentTable::kSlotImageBytes], &claimed, 8);
  Registry registry;
  ASSERT_TRUE(registry.ApplyRecord(dense.records[0]).ok());
  const absl::Status status = registry.ApplyRecord(damaged);
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(status.message(), ::testing::HasSubstr("resident 0"));
}

TEST(RoundImageTest, ASlotNamingAnotherResidentsPositionIsDataLoss) {
  std::unique_ptr<Registry> source = MakeRegistry("tc", RoundPhase::kPlanned);
  RecordSink dense;
  ASSERT_TRUE(source->WriteSnapshot(dense).ok());
  absl::StatusOr<journal::RoundImage> image = journal::DecodeRoundImage(dense.records[1]);
  ASSERT_TRUE(image.ok());
  std::string damaged = dense.records[1];
  const size_t slots_at = image->slots.data() - dense.records[1].data();
  // Resident 1's slot claims to hold resident 0.
  const uint32_t zero = 0;
  std::memcpy(&damaged[slots_at + image->positions[1] * core::ResidentTable::kSlotImageBytes + 12],
              &zero, 4);
  Registry registry;
  ASSERT_TRUE(registry.ApplyRecord(dense.records[0]).ok());
  EXPECT_EQ(registry.ApplyRecord(damaged).code(), absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace swabwave::engine
