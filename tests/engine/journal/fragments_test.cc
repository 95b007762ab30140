// Records larger than a frame (fragments.h) and records past the store's
// limit (Store::CheckRecordSize): written whole or not at all, recovered
// whole, and a record whose last fragment never reached the disk is dropped
// with the torn tail.
#include "engine/journal/fragments.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/journal/journal.h"
#include "tests/engine/journal/opened_journal.h"
#include "tests/engine/journal/temp_dir.h"

namespace swabwave::engine::journal {
namespace {

using ::swabwave::engine::testing::OpenCollecting;
using ::swabwave::engine::testing::ReadAll;
using ::swabwave::engine::testing::TempDir;
using ::swabwave::engine::testing::WriteAll;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr uint64_t kFragment = 64;

using Opened = ::swabwave::engine::testing::OpenedJournal;

std::unique_ptr<Opened> Open(const std::string& dir, uint64_t max_record_bytes = kMaxRecordBytes) {
  JournalOptions options;
  options.dir = dir;
  options.fragment_bytes = kFragment;
  options.max_record_bytes = max_record_bytes;
  return OpenCollecting(options);
}

// A record of `size` bytes whose bytes say where they sit.
std::string Patterned(size_t size, char seed) {
  std::string record(size, '\0');
  for (size_t i = 0; i < size; ++i) record[i] = static_cast<char>(seed + i * 7);
  return record;
}

TEST(FragmentsTest, AppendRecordFramesSplitsOnlyWhatDoesNotFit) {
  std::string out;
  uint64_t sequence = 0;
  EXPECT_EQ(AppendRecordFrames(std::string(kFragment, 'a'), kFragment, &sequence, &out), 1u);
  EXPECT_EQ(AppendRecordFrames(std::string(kFragment + 1, 'a'), kFragment, &sequence, &out), 2u);
  EXPECT_EQ(AppendRecordFrames(std::string(3 * kFragment, 'a'), kFragment, &sequence, &out), 3u);
  // A short record that begins with the marker is fragmented, so that no
  // plain frame reads as a fragment.
  EXPECT_EQ(AppendRecordFrames("\xff" "abc", kFragment, &sequence, &out), 1u);
  EXPECT_EQ(sequence, 7u);
  uint64_t frames = 0;
  ScanResult scan;
  std::string segment;
  AppendSegmentHeader(1, &segment);
  segment += out;
  ASSERT_TRUE(ScanSegment(segment, 1,
                          [&](uint64_t, absl::string_view payload) {
                            ++frames;
                            EXPECT_LE(payload.size(), kFragment + kFragmentHeaderBytes);
                            return absl::OkStatus();
                          },
                          &scan)
                  .ok());
  EXPECT_EQ(frames, 7u);
}

TEST(FragmentsTest, LargeRecordsComeBackWholeFromSegmentsAndSnapshots) {
  TempDir dir;
  const std::vector<std::string> records = {
      "small", Patterned(kFragment, 'a'), Patterned(kFragment * 5 + 3, 'b'),
      std::string("\xff") + "marked", Patterned(1000, 'c'), "tail"};
  {
    auto opened = Open(dir.path());
    ASSERT_TRUE(opened->journal.ok()) << opened->journal.status();
    std::vector<absl::string_view> views(records.begin(), records.end());
    const uint64_t last = (*opened->journal)->Append(views);
    EXPECT_GT(last, records.size());  // fragments take sequence numbers
    ASSERT_TRUE((*opened->journal)->WaitDurable(last).ok());
  }
  {
    auto reopened = Open(dir.path());
    ASSERT_TRUE(reopened->journal.ok()) << reopened->journal.status();
    EXPECT_EQ(reopened->replayed, records);
    EXPECT_EQ(reopened->report.records, records.size());
    // The same records through a snapshot, which fragments the same way.
    absl::StatusOr<uint64_t> covered =
        (*reopened->journal)->WriteSnapshot([&](SnapshotSink& sink) {
          for (const std::string& record : records) {
            if (absl::Status s = sink.Add(record); !s.ok()) return s;
          }
          return absl::OkStatus();
        });
    ASSERT_TRUE(covered.ok()) << covered.status();
  }
  auto from_snapshot = Open(dir.path());
  ASSERT_TRUE(from_snapshot->journal.ok()) << from_snapshot->journal.status();
  EXPECT_EQ(from_snapshot->replayed, records);
  EXPECT_GT(from_snapshot->report.snapshot_sequence, 0u);
}

TEST(FragmentsTest, ARecordMissingItsLastFragmentIsDroppedAsATornTail) {
  TempDir dir;
  const std::string big = Patterned(kFragment * 4, 'x');
  {
    auto opened = Open(dir.path());
    ASSERT_TRUE(opened->journal.ok());
    ASSERT_TRUE((*opened->journal)->AppendDurably("before").ok());
    ASSERT_TRUE((*opened->journal)->AppendDurably(big).ok());
  }
  const std::vector<std::string> segments = dir.Files("journal-");
  ASSERT_EQ(segments.size(), 1u);
  const std::string whole = ReadAll(segments[0]);
  const size_t frame = kFrameHeaderSize + kFragmentHeaderBytes + kFragment;
  const size_t big_starts = whole.size() - 4 * frame;
  // Cut at every frame boundary inside the big record and a few bytes into
  // frames: whole fragments without the last one must not come back.
  for (size_t cut : {big_starts + frame, big_starts + 2 * frame, big_starts + 3 * frame,
                     big_starts + 3 * frame + 5, whole.size() - 1}) {
    TempDir case_dir;
    WriteAll(case_dir.path() + "/" + std::filesystem::path(segments[0]).filename().string(),
             whole.substr(0, cut));
    auto opened = Open(case_dir.path());
    ASSERT_TRUE(opened->journal.ok()) << cut << ": " << opened->journal.status();
    EXPECT_THAT(opened->replayed, ElementsAre("before")) << cut;
    EXPECT_EQ(opened->report.torn_bytes, cut - big_starts) << cut;
    EXPECT_EQ((*opened->journal)->last_appended(), 1u) << cut;
    // Appends go on after the dropped fragments, and a second recovery
    // finds no fragment left in the middle.
    ASSERT_TRUE((*opened->journal)->AppendDurably("after").ok());
    opened.reset();
    auto again = Open(case_dir.path());
    ASSERT_TRUE(again->journal.ok()) << cut << ": " << again->journal.status();
    EXPECT_THAT(again->replayed, ElementsAre("before", "after")) << cut;
  }
}

TEST(FragmentsTest, AFragmentedRecordCutInTheMiddleOfTheJournalIsDataLoss) {
  TempDir dir;
  {
    auto opened = Open(dir.path());
    ASSERT_TRUE(opened->journal.ok());
    ASSERT_TRUE((*opened->journal)->AppendDurably(Patterned(kFragment * 3, 'q')).ok());
  }
  // Forge the damage recovery must refuse: the record's last fragment
  // replaced by a plain record (CRC-valid), so a record sits inside it.
  const std::vector<std::string> segments = dir.Files("journal-");
  std::string whole = ReadAll(segments[0]);
  const size_t frame = kFrameHeaderSize + kFragmentHeaderBytes + kFragment;
  whole.resize(whole.size() - frame);
  AppendFrame(3, "interloper", &whole);
  WriteAll(segments[0], whole);
  auto opened = Open(dir.path());
  ASSERT_FALSE(opened->journal.ok());
  EXPECT_EQ(opened->journal.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(opened->journal.status().message(), HasSubstr("fragments"));
}

TEST(FragmentsTest, ARecordOneBytePastTheLimitIsRefusedAndNothingIsWritten) {
  TempDir dir;
  constexpr uint64_t kLimit = 1000;
  auto opened = Open(dir.path(), kLimit);
  ASSERT_TRUE(opened->journal.ok());
  Journal& journal = **opened->journal;
  EXPECT_TRUE(journal.CheckRecordSize("a community", kLimit).ok());
  const absl::Status refused = journal.CheckRecordSize("a community", kLimit + 1);
  EXPECT_EQ(refused.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(refused.message(), HasSubstr("a community encodes to a record of 1001 bytes"));
  // The largest record there is goes in, in fragments, and comes back.
  ASSERT_TRUE(journal.AppendDurably(Patterned(kLimit, 'm')).ok());
  opened.reset();
  auto reopened = Open(dir.path(), kLimit);
  ASSERT_TRUE(reopened->journal.ok());
  EXPECT_THAT(reopened->replayed, ElementsAre(Patterned(kLimit, 'm')));
}

TEST(FragmentsTest, AnUncheckedRecordPastTheLimitStopsTheJournalBeforeItIsWritten) {
  TempDir dir;
  constexpr uint64_t kLimit = 1000;
  {
    auto opened = Open(dir.path(), kLimit);
    ASSERT_TRUE(opened->journal.ok());
    Journal& journal = **opened->journal;
    ASSERT_TRUE(journal.AppendDurably("kept").ok());
    const absl::Status status = journal.AppendDurably(std::string(kLimit + 1, 'z'));
    EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
    EXPECT_THAT(status.message(), HasSubstr("reached the journal unchecked"));
    EXPECT_FALSE(journal.health().ok());
    // Nothing after it is acknowledged either.
    EXPECT_FALSE(journal.AppendDurably("later").ok());
  }
  auto reopened = Open(dir.path(), kLimit);
  ASSERT_TRUE(reopened->journal.ok()) << reopened->journal.status();
  EXPECT_THAT(reopened->replayed, ElementsAre("kept"));
}

TEST(FragmentsTest, FragmentAndRecordLimitsOutOfRangeAreInvalidArgument) {
  TempDir dir;
  for (auto [fragment, limit] : {std::pair<uint64_t, uint64_t>{0, 1000},
                                 {kMaxPayloadBytes, 1000},
                                 {64, 0},
                                 {64, kMaxRecordBytes + 1}}) {
    JournalOptions options;
    options.dir = dir.path();
    options.fragment_bytes = fragment;
    options.max_record_bytes = limit;
    auto journal = Journal::Open(
        options, [](uint64_t, absl::string_view) { return absl::OkStatus(); }, nullptr);
    EXPECT_EQ(journal.status().code(), absl::StatusCode::kInvalidArgument)
        << fragment << " " << limit;
  }
}

}  // namespace
}  // namespace swabwave::engine::journal
