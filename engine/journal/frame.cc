#include "engine/journal/frame.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "engine/journal/crc32c.h"

namespace swabwave::engine::journal {

namespace {

// How far past the expected sequence a frame found after a bad one may be
// and still count as "a good frame after it" (a bad frame hides at most a
// few records; random bytes matching a CRC and a nearby sequence do not
// happen).
constexpr uint64_t kResyncWindow = uint64_t{1} << 20;

uint32_t FrameCrc(uint64_t sequence, absl::string_view payload) {
  char seq_bytes[8];
  std::memcpy(seq_bytes, &sequence, 8);
  return ExtendCrc32c(Crc32c(absl::string_view(seq_bytes, 8)), payload);
}

struct FrameAt {
  uint32_t length = 0;
  uint64_t sequence = 0;
  absl::string_view payload;
};

// Whether a whole, CRC-valid frame starts at `offset`; why not otherwise.
bool ParseFrame(absl::string_view data, uint64_t offset, FrameAt* frame, std::string* why) {
  if (data.size() - offset < kFrameHeaderSize) {
    *why = absl::StrCat("only ", data.size() - offset, " bytes left, less than a frame header");
    return false;
  }
  uint32_t crc;
  std::memcpy(&frame->length, data.data() + offset, 4);
  std::memcpy(&crc, data.data() + offset + 4, 4);
  std::memcpy(&frame->sequence, data.data() + offset + 8, 8);
  if (frame->length > kMaxPayloadBytes ||
      frame->length > data.size() - offset - kFrameHeaderSize) {
    *why = absl::StrCat("frame length ", frame->length, " runs past the end of the file");
    return false;
  }
  frame->payload = data.substr(offset + kFrameHeaderSize, frame->length);
  if (FrameCrc(frame->sequence, frame->payload) != crc) {
    *why = "CRC-32C mismatch";
    return false;
  }
  return true;
}

// Whether any good frame with a plausible sequence starts after `offset`.
bool GoodFrameAfter(absl::string_view data, uint64_t offset, uint64_t expected) {
  FrameAt frame;
  std::string why;
  for (uint64_t at = offset + 1; at + kFrameHeaderSize <= data.size(); ++at) {
    uint64_t sequence;
    std::memcpy(&sequence, data.data() + at + 8, 8);
    if (sequence < expected || sequence - expected > kResyncWindow) continue;
    if (ParseFrame(data, at, &frame, &why)) return true;
  }
  return false;
}

}  // namespace

void AppendSegmentHeader(uint64_t first_sequence, std::string* out) {
  out->append(kSegmentMagic.data(), kSegmentMagic.size());
  out->append(reinterpret_cast<const char*>(&first_sequence), 8);
}

void AppendFrame(uint64_t sequence, absl::string_view payload, std::string* out) {
  const uint32_t length = static_cast<uint32_t>(payload.size());
  const uint32_t crc = FrameCrc(sequence, payload);
  char header[kFrameHeaderSize];
  std::memcpy(header, &length, 4);
  std::memcpy(header + 4, &crc, 4);
  std::memcpy(header + 8, &sequence, 8);
  out->append(header, kFrameHeaderSize);
  out->append(payload.data(), payload.size());
}

bool ReadSegmentHeader(absl::string_view segment, uint64_t* first_sequence) {
  if (segment.size() < kSegmentHeaderSize || segment.substr(0, 8) != kSegmentMagic) return false;
  std::memcpy(first_sequence, segment.data() + 8, 8);
  return true;
}

absl::Status ScanSegment(absl::string_view segment, uint64_t expected_first,
                         const std::function<absl::Status(uint64_t, absl::string_view)>& on_frame,
                         ScanResult* result) {
  *result = ScanResult();
  uint64_t first = 0;
  if (!ReadSegmentHeader(segment, &first)) {
    // A crash while creating the file leaves a short header; anything else
    // in the magic's place is not our file.
    const bool short_header = segment.size() < kSegmentHeaderSize &&
                              kSegmentMagic.substr(0, segment.size()) ==
                                  segment.substr(0, std::min(segment.size(), size_t{8}));
    result->end = short_header ? ScanEnd::kTornTail : ScanEnd::kCorrupt;
    result->problem = short_header ? "torn segment header" : "not a swabwave journal segment";
    return absl::OkStatus();
  }
  if (expected_first != 0 && first != expected_first) {
    result->end = ScanEnd::kCorrupt;
    result->problem = absl::StrCat("segment starts at sequence ", first, ", expected ",
                                   expected_first, " (a segment is missing or out of place)");
    return absl::OkStatus();
  }
  uint64_t expected = first;
  uint64_t offset = kSegmentHeaderSize;
  result->last_sequence = first - 1;
  result->good_bytes = offset;
  while (offset < segment.size()) {
    FrameAt frame;
    std::string why;
    if (!ParseFrame(segment, offset, &frame, &why)) {
      result->problem = absl::StrCat(why, " at offset ", offset);
      result->end =
          GoodFrameAfter(segment, offset, expected) ? ScanEnd::kCorrupt : ScanEnd::kTornTail;
      return absl::OkStatus();
    }
    if (frame.sequence != expected) {
      result->end = ScanEnd::kCorrupt;
      result->problem = absl::StrCat("sequence ", frame.sequence, " at offset ", offset,
                                     ", expected ", expected);
      return absl::OkStatus();
    }
    if (absl::Status s = on_frame(frame.sequence, frame.payload); !s.ok()) return s;
    offset += kFrameHeaderSize + frame.length;
    result->good_bytes = offset;
    result->last_sequence = frame.sequence;
    ++result->frames;
    ++expected;
  }
  return absl::OkStatus();
}

}  // namespace swabwave::engine::journal
