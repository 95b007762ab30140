// libFuzzer target: the whole recovery path of a data directory, as
// swabwaved meets it at start (issue 25 item 10): a snapshot file and the
// segment after it, read by RecoverDirectory (frames, snapshot count,
// fragments, torn tails) and every record applied to a fresh registry (any
// record kind). Recovery must return a status, never crash or read out of
// bounds, and what it rebuilt must answer every query.
//
// Input: byte 0 bit 0 says whether a snapshot comes first; then, if so, a
// little-endian u32 snapshot length and a u64 sequence the snapshot covers
// (its file's number), the snapshot's bytes, and the rest is the segment.
// The segment starts at sequence 1 (bit 1 clear: a snapshot taken in the
// middle of it, as a running server takes them) or right after the
// snapshot (bit 1 set: the segment a restart after the snapshot starts).
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "engine/journal/recovery.h"
#include "engine/journal/segment_files.h"
#include "engine/registry/registry.h"

namespace {

namespace fs = std::filesystem;

const std::string& Directory() {
  static const std::string* dir = [] {
    auto* path = new std::string(
        (fs::temp_directory_path() / absl::StrCat("swabwave-recovery-fuzz-", ::getpid()))
            .string());
    fs::create_directories(*path);
    fs::permissions(*path, fs::perms::owner_all, fs::perm_options::replace);
    return path;
  }();
  return *dir;
}

void Write(const std::string& path, absl::string_view data) {
  std::ofstream(path, std::ios::binary | std::ios::trunc).write(data.data(), data.size());
}

template <typename T>
T Take(absl::string_view& input) {
  T value = 0;
  const size_t n = std::min(sizeof(T), input.size());
  std::memcpy(&value, input.data(), n);  // the host is little-endian (journal.h)
  input.remove_prefix(n);
  return value;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace swabwave::engine::journal;
  absl::string_view input(reinterpret_cast<const char*>(data), size);
  if (input.empty()) return 0;
  const std::string& dir = Directory();
  for (const auto& entry : fs::directory_iterator(dir)) fs::remove(entry.path());

  const uint8_t flags = Take<uint8_t>(input);
  const bool with_snapshot = (flags & 1) != 0;
  uint64_t first_sequence = 1;
  if (with_snapshot) {
    const uint32_t length = Take<uint32_t>(input);
    // A bounded number keeps the file name and the sequences sane.
    const uint64_t covered = 1 + Take<uint64_t>(input) % 1'000'000;
    const absl::string_view snapshot = input.substr(0, length);
    input.remove_prefix(snapshot.size());
    Write(NumberedPath(dir, kSnapshotPrefix, covered, kSnapshotSuffix), snapshot);
    if ((flags & 2) != 0) first_sequence = covered + 1;
  }
  if (!input.empty() || !with_snapshot) {
    Write(NumberedPath(dir, kSegmentPrefix, first_sequence, kSegmentSuffix), input);
  }

  swabwave::engine::Registry registry;
  RecoveryReport report;
  const absl::StatusOr<RecoveredFiles> recovered = RecoverDirectory(
      dir, /*read_ahead_bytes=*/uint64_t{1} << 40,
      [&](uint64_t, absl::string_view record) { return registry.ApplyRecord(record); }, &report);
  if (recovered.ok() && report.last_sequence != recovered->last_sequence) abort();
  registry.FinishRecovery();
  // Whatever was rebuilt answers, and its tubes hold at most the pool ratio.
  for (swabwave::engine::Round* round : registry.ListRounds()) {
    (void)round->Totals();
    (void)round->Progress(swabwave::engine::ProgressLevel::kBuilding, 0, 100);
    (void)round->ListUntested({}, swabwave::engine::kNoId, 100);
    if (round->live() == nullptr) continue;
    const auto& rack = round->live()->rack();
    for (uint32_t t = 0; t < rack.tube_count(); ++t) {
      if (rack.Tube(t).swabs > static_cast<uint32_t>(rack.pool_ratio())) abort();
    }
  }
  return 0;
}
