// Frames: how a record sits in a segment file.
//
//   segment  = header frame*
//   header   = "SWBWJRN1" (8 bytes) | first sequence (u64)
//   frame    = payload length (u32) | CRC-32C (u32) | sequence (u64) | payload
//
// The CRC covers the sequence and the payload, so a torn header, a torn
// payload and a record from another position all fail it. Sequences are
// consecutive across the whole journal (the first record is 1), which is how
// a missing or reordered segment is found.
//
// A bad frame at the end of the last segment is a torn write from a crash:
// recovery truncates it. A bad frame with a good one after it is corruption
// in the middle: recovery refuses to start and names the file and offset.
//
// Thread-safety: pure functions.
#ifndef SWABWAVE_ENGINE_JOURNAL_FRAME_H_
#define SWABWAVE_ENGINE_JOURNAL_FRAME_H_

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace swabwave::engine::journal {

inline constexpr absl::string_view kSegmentMagic = "SWBWJRN1";
inline constexpr size_t kSegmentHeaderSize = 16;
inline constexpr size_t kFrameHeaderSize = 16;
// Larger than any real record (a 10-million-resident community encodes to
// about 300 MB); a larger length can only be a corrupt header.
inline constexpr uint32_t kMaxPayloadBytes = 1u << 30;

void AppendSegmentHeader(uint64_t first_sequence, std::string* out);
void AppendFrame(uint64_t sequence, absl::string_view payload, std::string* out);

// How a scan of one segment's frames ended.
enum class ScanEnd {
  kClean,     // every byte belongs to a good frame
  kTornTail,  // a bad frame with nothing good after it: truncate at bad_offset
  kCorrupt,   // a bad frame with a good one after it, or a sequence gap
};

struct ScanResult {
  ScanEnd end = ScanEnd::kClean;
  uint64_t good_bytes = 0;     // offset just past the last good frame
  uint64_t last_sequence = 0;  // of the last good frame (first_sequence - 1 if none)
  uint64_t frames = 0;
  std::string problem;  // what was wrong at good_bytes, for the log or the error
};

// Scans `segment` (a whole file, header included) whose header must say
// `expected_first` (0: accept any). Calls `on_frame` for every good frame in
// order; an error from it stops the scan and is returned as is. A segment
// whose header is torn scans as kTornTail at offset 0.
absl::Status ScanSegment(absl::string_view segment, uint64_t expected_first,
                         const std::function<absl::Status(uint64_t, absl::string_view)>& on_frame,
                         ScanResult* result);

// The first sequence a segment's header names, if the header is whole.
bool ReadSegmentHeader(absl::string_view segment, uint64_t* first_sequence);

}  // namespace swabwave::engine::journal

#endif  // SWABWAVE_ENGINE_JOURNAL_FRAME_H_
