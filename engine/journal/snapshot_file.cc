#include "engine/journal/snapshot_file.h"

#include <unistd.h>

#include <cstring>
#include <optional>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "engine/journal/fragments.h"
#include "engine/journal/frame.h"
#include "engine/journal/segment_files.h"

namespace swabwave::engine::journal {

namespace {

constexpr absl::string_view kSnapshotMagic = absl::string_view("\0SWBWSNAP", 9);
constexpr uint32_t kSnapshotHeaderVersion = 1;
constexpr size_t kSnapshotHeaderBytes = 9 + 4 + 8;
// A snapshot's records are flushed to its file in pieces of about this size.
constexpr size_t kSnapshotChunk = size_t{8} << 20;

std::string SnapshotHeader(uint64_t records) {
  std::string header(kSnapshotMagic);
  header.append(reinterpret_cast<const char*>(&kSnapshotHeaderVersion), 4);
  header.append(reinterpret_cast<const char*>(&records), 8);  // little-endian hosts only
  return header;
}

bool IsSnapshotHeader(absl::string_view payload) {
  return absl::StartsWith(payload, kSnapshotMagic);
}

// The record count of a header, or false for a damaged one.
bool ParseSnapshotHeader(absl::string_view payload, uint64_t* records) {
  uint32_t version;
  if (payload.size() != kSnapshotHeaderBytes) return false;
  std::memcpy(&version, payload.data() + 9, 4);
  std::memcpy(records, payload.data() + 13, 8);
  return version == kSnapshotHeaderVersion;
}

}  // namespace

FileSnapshotSink::FileSnapshotSink(int fd, std::string path, uint64_t fragment_bytes,
                                   uint64_t max_record_bytes)
    : fd_(fd),
      path_(std::move(path)),
      fragment_bytes_(fragment_bytes),
      max_record_bytes_(max_record_bytes) {
  AppendSegmentHeader(1, &buffer_);
  AppendFrame(++sequence_, SnapshotHeader(0), &buffer_);
}

absl::Status FileSnapshotSink::Add(absl::string_view payload) {
  if (payload.size() > max_record_bytes_) {
    return absl::ResourceExhaustedError(
        absl::StrCat("a snapshot record of ", payload.size(), " bytes is past the journal's "
                     "record limit of ", max_record_bytes_, " bytes; no snapshot written"));
  }
  AppendRecordFrames(payload, fragment_bytes_, &sequence_, &buffer_);
  if (buffer_.size() >= kSnapshotChunk) return Flush();
  return absl::OkStatus();
}

absl::Status FileSnapshotSink::Flush() {
  absl::Status status = WriteAll(fd_, buffer_, path_);
  buffer_.clear();
  return status;
}

absl::Status FileSnapshotSink::Finish() {
  if (absl::Status s = Flush(); !s.ok()) return s;
  std::string header;
  AppendFrame(1, SnapshotHeader(sequence_ - 1), &header);
  if (::pwrite(fd_, header.data(), header.size(), static_cast<off_t>(kSegmentHeaderSize)) !=
      static_cast<ssize_t>(header.size())) {
    return IoError("cannot write", path_);
  }
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> ReplaySnapshotFile(const std::string& path, uint64_t read_ahead_bytes,
                                            const ReplayFn& replay) {
  absl::StatusOr<std::unique_ptr<MappedFile>> data = MappedFile::Open(path, read_ahead_bytes);
  if (!data.ok()) return data.status();
  ScanResult scan;
  const absl::string_view file = (*data)->view();
  // Records announced by the header frame; unknown for an older snapshot.
  std::optional<uint64_t> announced;
  RecordAssembler assembler;
  // Snapshot records are numbered from 1 in their own file. A record that
  // passed its CRC but does not apply (a damaged image, a record from a
  // newer format) is data loss too: say where it sits.
  absl::Status s = ScanSegment(
      file, 1,
      [&](uint64_t sequence, absl::string_view payload) -> absl::Status {
        const size_t offset = payload.data() - file.data() - kFrameHeaderSize;
        if (sequence == 1 && IsSnapshotHeader(payload)) {
          uint64_t records;
          if (!ParseSnapshotHeader(payload, &records)) {
            return absl::DataLossError(absl::StrCat("snapshot ", path, ": header frame at offset ",
                                                    offset, " is of an unknown version"));
          }
          announced = records;
          return absl::OkStatus();
        }
        absl::Status applied = assembler.Add(sequence, payload, replay);
        if (applied.ok()) return applied;
        return absl::DataLossError(absl::StrCat("snapshot ", path, ": record ", sequence,
                                                " at offset ", offset,
                                                " does not apply: ", applied.message()));
      },
      &scan);
  if (!s.ok()) return s;
  if (assembler.pending()) {
    return absl::DataLossError(absl::StrCat(
        "snapshot ", path, " ends inside a record written as fragments (from record ",
        assembler.pending_first_sequence(), ")"));
  }
  if (scan.end != ScanEnd::kClean) {
    // Snapshots are renamed into place only once complete and synced.
    return absl::DataLossError(absl::StrCat("snapshot ", path, " is damaged: ", scan.problem));
  }
  if (scan.frames == 0) {
    return absl::DataLossError(absl::StrCat("snapshot ", path,
                                            " holds no records (it ends at offset ",
                                            scan.good_bytes, ")"));
  }
  const uint64_t records = announced.has_value() ? scan.frames - 1 : scan.frames;
  if (announced.has_value() && records != *announced) {
    return absl::DataLossError(absl::StrCat("snapshot ", path, " is cut short: its header "
                                            "announces ", *announced, " records, it holds ",
                                            records, " and ends at offset ", scan.good_bytes));
  }
  return records;
}

}  // namespace swabwave::engine::journal
