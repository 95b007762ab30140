// libFuzzer target: a whole segment file as recovery reads it. The scan
// must never crash or read past the input, must report a consistent end
// (good bytes within the file, frames in sequence), and every frame it
// accepts is applied to a fresh registry, as recovery does, which must
// answer with a status. (The seed segment builds a whole round: community,
// round, plan, tubes, check-ins, seal, close.)
#include <cstdint>
#include <cstdlib>

#include <memory>

#include "engine/journal/frame.h"
#include "engine/registry/registry.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace swabwave::engine::journal;
  const absl::string_view segment(reinterpret_cast<const char*>(data), size);
  auto registry = std::make_unique<swabwave::engine::Registry>();
  uint64_t expected = 0;
  ScanResult result;
  const absl::Status status = ScanSegment(
      segment, 0,
      [&](uint64_t sequence, absl::string_view record) {
        if (expected != 0 && sequence != expected) abort();  // the scan checks this itself
        expected = sequence + 1;
        (void)registry->ApplyRecord(record);
        return absl::OkStatus();
      },
      &result);
  if (!status.ok()) abort();  // only the callback can fail a scan, and ours does not
  if (result.good_bytes > segment.size()) abort();
  if (result.end == ScanEnd::kClean && result.good_bytes != segment.size()) abort();
  registry->FinishRecovery();
  return 0;
}
