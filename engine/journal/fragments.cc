#include "engine/journal/fragments.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace swabwave::engine::journal {

size_t AppendRecordFrames(absl::string_view record, size_t fragment_bytes, uint64_t* sequence,
                          std::string* out) {
  const bool plain = record.size() <= fragment_bytes &&
                     (record.empty() || static_cast<uint8_t>(record[0]) != kFragmentMarker);
  if (plain) {
    AppendFrame(++*sequence, record, out);
    return 1;
  }
  std::string fragment;
  fragment.reserve(kFragmentHeaderBytes + std::min(record.size(), fragment_bytes));
  size_t frames = 0;
  for (uint32_t index = 0;; ++index) {
    const absl::string_view piece = record.substr(0, fragment_bytes);
    record.remove_prefix(piece.size());
    const bool last = record.empty();
    fragment.assign(1, static_cast<char>(kFragmentMarker));
    fragment.push_back(last ? 1 : 0);
    fragment.append(reinterpret_cast<const char*>(&index), 4);  // little-endian hosts only
    fragment.append(piece.data(), piece.size());
    AppendFrame(++*sequence, fragment, out);
    ++frames;
    if (last) return frames;
  }
}

absl::Status RecordAssembler::Add(uint64_t sequence, absl::string_view payload,
                                  const RecordFn& on_record) {
  if (payload.empty() || static_cast<uint8_t>(payload[0]) != kFragmentMarker) {
    if (pending_) {
      return absl::DataLossError(absl::StrCat(
          "record ", sequence, " sits inside the fragments of the record that begins at ",
          first_sequence_, ", which were written together"));
    }
    return on_record(sequence, payload);
  }
  uint32_t index;
  if (payload.size() < kFragmentHeaderBytes || static_cast<uint8_t>(payload[1]) > 1) {
    return absl::DataLossError(absl::StrCat("record ", sequence, " is a damaged fragment"));
  }
  std::memcpy(&index, payload.data() + 2, 4);
  if (index != next_index_) {
    return absl::DataLossError(absl::StrCat("record ", sequence, " is fragment ", index,
                                            " where fragment ", next_index_, " belongs"));
  }
  const absl::string_view piece = payload.substr(kFragmentHeaderBytes);
  if (joined_.size() + piece.size() > kMaxRecordBytes) {
    return absl::DataLossError(absl::StrCat("the fragments from record ", first_sequence_,
                                            " join to more than ", kMaxRecordBytes, " bytes"));
  }
  if (!pending_) {
    pending_ = true;
    first_sequence_ = sequence;
  }
  joined_.append(piece.data(), piece.size());
  ++next_index_;
  if (payload[1] == 0) return absl::OkStatus();
  absl::Status status = on_record(sequence, joined_);
  Reset();
  return status;
}

void RecordAssembler::Reset() {
  pending_ = false;
  first_sequence_ = 0;
  next_index_ = 0;
  // A joined city-sized record is not kept for the next one.
  std::string().swap(joined_);
}

}  // namespace swabwave::engine::journal
