// Fragments: how a record larger than one frame is written as several.
//
// A frame's payload is at most kMaxPayloadBytes (frame.h; its length field
// is 32-bit), but a record may be larger: a city's community, the plan of a
// round of millions. A store writes such a record as consecutive frames,
// each carrying one fragment of it:
//
//   fragment = kFragmentMarker (u8) | last (u8: 1 on the last fragment) |
//              index (fixed32, from 0) | the record's next bytes
//
// No record begins with kFragmentMarker (record types are small numbers, a
// snapshot header begins with a zero byte); a record that does is written
// as fragments whatever its size, so a plain frame never looks like one.
// The fragments of a record are appended together, so they sit in one
// segment at consecutive sequences, and the record is durable exactly when
// its last fragment is. Recovery (RecordAssembler) joins them and hands the
// whole record on with the last fragment's sequence. A record whose last
// fragment never reached the disk was never acknowledged: recovery drops
// its fragments with the torn tail.
//
// The format is the store's, not the file's: a database store splits and
// joins records the same way.
//
// Thread-safety: the functions are pure; a RecordAssembler is used by one
// thread.
#ifndef SWABWAVE_ENGINE_JOURNAL_FRAGMENTS_H_
#define SWABWAVE_ENGINE_JOURNAL_FRAGMENTS_H_

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "engine/journal/frame.h"

namespace swabwave::engine::journal {

inline constexpr uint8_t kFragmentMarker = 0xFF;
inline constexpr size_t kFragmentHeaderBytes = 6;
// Record bytes per fragment by default: well under the frame limit, and
// small enough that a database row holds one.
inline constexpr size_t kDefaultFragmentBytes = size_t{16} << 20;
static_assert(kDefaultFragmentBytes + kFragmentHeaderBytes <= kMaxPayloadBytes);
// The largest record a store takes, and recovery joins. Far past what any
// import the server's limits allow encodes to (docs/security.md): it exists
// so that a store refuses, before anything is written, what recovery would
// refuse afterwards.
inline constexpr uint64_t kMaxRecordBytes = uint64_t{64} << 30;

// Appends `record` to `out` as frames numbered from *sequence + 1: one
// plain frame when it fits in `fragment_bytes` (and does not begin with
// kFragmentMarker), fragments of at most `fragment_bytes` record bytes
// otherwise. Leaves *sequence at the last frame's number; returns how many
// frames it appended. REQUIRES: 0 < fragment_bytes, fragment_bytes +
// kFragmentHeaderBytes <= kMaxPayloadBytes.
size_t AppendRecordFrames(absl::string_view record, size_t fragment_bytes, uint64_t* sequence,
                          std::string* out);

// Joins fragments back into records during recovery.
class RecordAssembler {
 public:
  using RecordFn = std::function<absl::Status(uint64_t sequence, absl::string_view record)>;

  // Takes the next frame's payload, in sequence order. A whole record (a
  // plain frame, or the last fragment of one) goes to `on_record` with this
  // frame's sequence; an earlier fragment is kept. DATA_LOSS for a fragment
  // out of order, a plain frame between two fragments of one record, or a
  // record past kMaxRecordBytes; errors from `on_record` pass through.
  [[nodiscard]] absl::Status Add(uint64_t sequence, absl::string_view payload,
                                 const RecordFn& on_record);
  // Whether fragments of an unfinished record are held.
  bool pending() const { return pending_; }
  // The sequence of the unfinished record's first fragment.
  uint64_t pending_first_sequence() const { return first_sequence_; }
  // Forgets the unfinished record.
  void Reset();

 private:
  bool pending_ = false;
  uint64_t first_sequence_ = 0;
  uint32_t next_index_ = 0;
  std::string joined_;
};

}  // namespace swabwave::engine::journal

#endif  // SWABWAVE_ENGINE_JOURNAL_FRAGMENTS_H_
