#include "engine/journal/recovery.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "engine/journal/fragments.h"
#include "engine/journal/frame.h"
#include "engine/journal/snapshot_file.h"

namespace swabwave::engine::journal {

namespace fs = std::filesystem;

absl::StatusOr<RecoveredFiles> RecoverDirectory(const std::string& dir, uint64_t read_ahead_bytes,
                                                const ReplayFn& replay, RecoveryReport* report) {
  const absl::Time start = absl::Now();
  *report = RecoveryReport();
  RecoveredFiles recovered;
  std::vector<SegmentFile>& segments = recovered.segments;
  uint64_t snapshot = 0;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    uint64_t number;
    if (ParseNumberedName(name, kSegmentPrefix, kSegmentSuffix, &number)) {
      segments.push_back({number, entry.path().string()});
    } else if (ParseNumberedName(name, kSnapshotPrefix, kSnapshotSuffix, &number)) {
      snapshot = std::max(snapshot, number);
    }
  }
  std::sort(segments.begin(), segments.end(), [](const SegmentFile& a, const SegmentFile& b) {
    return a.first_sequence < b.first_sequence;
  });

  if (snapshot > 0) {
    absl::StatusOr<uint64_t> records = ReplaySnapshotFile(
        NumberedPath(dir, kSnapshotPrefix, snapshot, kSnapshotSuffix), read_ahead_bytes, replay);
    if (!records.ok()) return records.status();
    report->snapshot_sequence = snapshot;
    report->snapshot_records = *records;
  }

  uint64_t next = snapshot + 1;  // the sequence the next record must have
  // A record's fragments never span segments (a batch is written to one).
  RecordAssembler assembler;
  for (size_t i = 0; i < segments.size(); ++i) {
    const SegmentFile& segment = segments[i];
    const bool last = i + 1 == segments.size();
    // Segments wholly covered by the snapshot may linger if a crash came
    // between the snapshot's rename and their deletion.
    if (!last && segments[i + 1].first_sequence <= next) continue;
    if (segment.first_sequence > next) {
      return absl::DataLossError(absl::StrCat(
          "journal segment with sequence ", next, " is missing: the next file, ", segment.path,
          ", starts at ", segment.first_sequence, "; restore the missing segment from a backup"));
    }
    // No read-ahead helper for segments: a torn tail is truncated while the
    // file is mapped, and a helper touching past the new end would fault.
    absl::StatusOr<std::unique_ptr<MappedFile>> data = MappedFile::Open(segment.path, UINT64_MAX);
    if (!data.ok()) return data.status();
    ScanResult scan;
    const absl::string_view file = (*data)->view();
    uint64_t unfinished_offset = 0;  // where the pending record's first fragment sits
    absl::Status s = ScanSegment(
        file, segment.first_sequence,
        [&](uint64_t sequence, absl::string_view payload) -> absl::Status {
          if (sequence < next) return absl::OkStatus();  // covered by the snapshot
          if (!assembler.pending()) {
            unfinished_offset = payload.data() - file.data() - kFrameHeaderSize;
          }
          return assembler.Add(sequence, payload,
                               [&](uint64_t record_sequence, absl::string_view record) {
                                 ++report->records;
                                 return replay(record_sequence, record);
                               });
        },
        &scan);
    if (!s.ok()) return s;
    ++report->segments;
    if (assembler.pending()) {
      if (!last || scan.end == ScanEnd::kCorrupt) {
        return absl::DataLossError(absl::StrCat(
            "journal segment ", segment.path, " ends inside a record written as fragments (from "
            "record ", assembler.pending_first_sequence(), "); records after it exist, so this "
            "is not a torn write: restore from a backup"));
      }
      // The record's last fragment never reached the disk, so it was never
      // acknowledged: drop its fragments as a torn tail.
      scan.end = ScanEnd::kTornTail;
      scan.problem = absl::StrCat("a record written as fragments from record ",
                                  assembler.pending_first_sequence(), " lacks its last fragment",
                                  scan.problem.empty() ? "" : "; then ", scan.problem);
      scan.good_bytes = unfinished_offset;
      scan.last_sequence = assembler.pending_first_sequence() - 1;
      assembler.Reset();
    }
    if (scan.end == ScanEnd::kCorrupt || (scan.end == ScanEnd::kTornTail && !last)) {
      return absl::DataLossError(absl::StrCat("journal segment ", segment.path, " is corrupt (",
                                              scan.problem, "); records after it exist, so this "
                                              "is not a torn write: restore from a backup"));
    }
    if (scan.end == ScanEnd::kTornTail) {
      report->torn_bytes = (*data)->size() - scan.good_bytes;
      report->torn_detail = absl::StrCat(segment.path, ": ", scan.problem);
      if (scan.good_bytes < kSegmentHeaderSize) {
        if (::unlink(segment.path.c_str()) != 0) return IoError("cannot remove", segment.path);
        segments.pop_back();
      } else if (::truncate(segment.path.c_str(), static_cast<off_t>(scan.good_bytes)) != 0) {
        return IoError("cannot truncate", segment.path);
      }
    }
    next = std::max(next, scan.last_sequence + 1);
  }
  report->last_sequence = next - 1;
  recovered.last_sequence = next - 1;
  report->elapsed = absl::Now() - start;
  return recovered;
}

}  // namespace swabwave::engine::journal
