#include "engine/journal/frame.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/journal/crc32c.h"

namespace swabwave::engine::journal {
namespace {

using ::testing::HasSubstr;

// Bit by bit, from the definition: what the fast paths must agree with.
uint32_t ReferenceCrc32c(absl::string_view data) {
  uint32_t crc = 0xFFFFFFFF;
  for (unsigned char byte : data) {
    crc ^= byte;
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ ((crc & 1) != 0 ? 0x82F63B78 : 0);
  }
  return ~crc;
}

// Lengths around the three-stream blocks (3 x 4096 bytes), from odd
// offsets, and a CRC extended piece by piece.
TEST(Crc32cTest, AgreesWithTheDefinitionAtEveryBlockBoundary) {
  std::string data(3 * 3 * 4096 + 100, '\0');
  uint32_t x = 12345;
  for (char& c : data) {
    x = x * 1103515245 + 12345;
    c = static_cast<char>(x >> 24);
  }
  for (size_t size : {0, 1, 7, 8, 9, 4095, 4096, 12287, 12288, 12289, 12295, 24576, 24577,
                      36863, 36864, 36964}) {
    for (size_t offset : {0, 3}) {
      if (offset + size > data.size()) continue;
      const absl::string_view piece = absl::string_view(data).substr(offset, size);
      EXPECT_EQ(Crc32c(piece), ReferenceCrc32c(piece)) << size << " at " << offset;
    }
  }
  const absl::string_view all(data);
  EXPECT_EQ(ExtendCrc32c(Crc32c(all.substr(0, 13000)), all.substr(13000)), Crc32c(all));
}

TEST(Crc32cTest, MatchesTheStandardCheckValues) {
  // RFC 3720 (iSCSI) appendix B.4 and the CRC catalogue's check value.
  EXPECT_EQ(Crc32c("123456789"), 0xE3069283u);
  EXPECT_EQ(Crc32c(std::string(32, '\0')), 0x8A9136AAu);
  EXPECT_EQ(Crc32c(std::string(32, '\xFF')), 0x62A8AB43u);
  EXPECT_EQ(Crc32c(""), 0u);
}

TEST(Crc32cTest, ExtendingPieceByPieceEqualsTheWhole) {
  std::string data;
  for (int i = 0; i < 1000; ++i) data.push_back(static_cast<char>(i * 7 + 3));
  for (size_t cut : {0, 1, 7, 8, 9, 500, 999, 1000}) {
    const uint32_t pieces =
        ExtendCrc32c(Crc32c(data.substr(0, cut)), absl::string_view(data).substr(cut));
    EXPECT_EQ(pieces, Crc32c(data)) << cut;
  }
}

// A segment with records "record 1" ... "record n", sequences from `first`.
std::string Segment(uint64_t first, int n, std::vector<size_t>* frame_starts = nullptr) {
  std::string segment;
  AppendSegmentHeader(first, &segment);
  for (int i = 0; i < n; ++i) {
    if (frame_starts != nullptr) frame_starts->push_back(segment.size());
    AppendFrame(first + i, absl::StrCat("record ", i + 1), &segment);
  }
  return segment;
}

struct Scanned {
  absl::Status status;
  ScanResult result;
  std::vector<std::string> payloads;
  std::vector<uint64_t> sequences;
};

Scanned Scan(absl::string_view segment, uint64_t expected_first) {
  Scanned s;
  s.status = ScanSegment(
      segment, expected_first,
      [&](uint64_t sequence, absl::string_view payload) {
        s.sequences.push_back(sequence);
        s.payloads.emplace_back(payload);
        return absl::OkStatus();
      },
      &s.result);
  return s;
}

TEST(FrameTest, AWholeSegmentScansCleanInOrder) {
  const std::string segment = Segment(41, 5);
  const Scanned s = Scan(segment, 41);
  ASSERT_TRUE(s.status.ok());
  EXPECT_EQ(s.result.end, ScanEnd::kClean);
  EXPECT_EQ(s.result.frames, 5u);
  EXPECT_EQ(s.result.last_sequence, 45u);
  EXPECT_EQ(s.result.good_bytes, segment.size());
  EXPECT_EQ(s.sequences, (std::vector<uint64_t>{41, 42, 43, 44, 45}));
  EXPECT_EQ(s.payloads.front(), "record 1");
  EXPECT_EQ(s.payloads.back(), "record 5");
}

TEST(FrameTest, AnEmptySegmentHasNoRecords) {
  const Scanned s = Scan(Segment(7, 0), 7);
  EXPECT_EQ(s.result.end, ScanEnd::kClean);
  EXPECT_EQ(s.result.frames, 0u);
  EXPECT_EQ(s.result.last_sequence, 6u);
}

TEST(FrameTest, ATornLastRecordIsATornTailAtEveryByteOffset) {
  std::vector<size_t> starts;
  const std::string segment = Segment(1, 4, &starts);
  const size_t last = starts.back();
  for (size_t cut = last; cut < segment.size(); ++cut) {
    const Scanned s = Scan(absl::string_view(segment).substr(0, cut), 1);
    ASSERT_TRUE(s.status.ok());
    EXPECT_EQ(s.result.end, cut == last ? ScanEnd::kClean : ScanEnd::kTornTail) << cut;
    EXPECT_EQ(s.result.good_bytes, last) << cut;
    EXPECT_EQ(s.result.frames, 3u) << cut;
  }
}

TEST(FrameTest, ATornHeaderIsATornTail) {
  const std::string segment = Segment(1, 0);
  for (size_t cut = 0; cut < kSegmentHeaderSize; ++cut) {
    const Scanned s = Scan(absl::string_view(segment).substr(0, cut), 1);
    EXPECT_EQ(s.result.end, ScanEnd::kTornTail) << cut;
    EXPECT_EQ(s.result.good_bytes, 0u);
  }
}

TEST(FrameTest, AFlippedBitInTheLastRecordIsATornTail) {
  std::vector<size_t> starts;
  std::string segment = Segment(1, 4, &starts);
  segment[starts.back() + kFrameHeaderSize + 2] ^= 0x10;
  const Scanned s = Scan(segment, 1);
  EXPECT_EQ(s.result.end, ScanEnd::kTornTail);
  EXPECT_EQ(s.result.frames, 3u);
  EXPECT_THAT(s.result.problem, HasSubstr("CRC"));
}

TEST(FrameTest, AFlippedBitInTheMiddleIsCorruptionWithItsOffset) {
  std::vector<size_t> starts;
  std::string segment = Segment(1, 6, &starts);
  // Every part of the second record: length, CRC, sequence, payload.
  for (size_t at = starts[1]; at < starts[2]; ++at) {
    std::string damaged = segment;
    damaged[at] ^= 0x04;
    const Scanned s = Scan(damaged, 1);
    EXPECT_EQ(s.result.end, ScanEnd::kCorrupt) << at;
    EXPECT_EQ(s.result.frames, 1u) << at;
    EXPECT_EQ(s.result.good_bytes, starts[1]) << at;
  }
}

TEST(FrameTest, ASequenceGapOrWrongFirstSequenceIsCorrupt) {
  std::string segment;
  AppendSegmentHeader(1, &segment);
  AppendFrame(1, "a", &segment);
  AppendFrame(3, "c", &segment);
  EXPECT_EQ(Scan(segment, 1).result.end, ScanEnd::kCorrupt);
  EXPECT_THAT(Scan(segment, 1).result.problem, HasSubstr("expected 2"));
  EXPECT_EQ(Scan(Segment(5, 2), 4).result.end, ScanEnd::kCorrupt);
  EXPECT_THAT(Scan(Segment(5, 2), 4).result.problem, HasSubstr("missing"));
}

TEST(FrameTest, AFileThatIsNotASegmentIsCorrupt) {
  const Scanned s = Scan("this is some other file entirely", 1);
  EXPECT_EQ(s.result.end, ScanEnd::kCorrupt);
}

}  // namespace
}  // namespace swabwave::engine::journal
