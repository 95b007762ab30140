// RecordSink: a snapshot's records collected in memory, for tests that write
// a registry's snapshot and apply it to another (Registry::WriteSnapshot,
// ApplyRecord).
#ifndef SWABWAVE_TESTS_ENGINE_JOURNAL_RECORD_SINK_H_
#define SWABWAVE_TESTS_ENGINE_JOURNAL_RECORD_SINK_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "engine/journal/store.h"

namespace swabwave::engine::testing {

class RecordSink final : public journal::SnapshotSink {
 public:
  absl::Status Add(absl::string_view payload) override {
    records.emplace_back(payload);
    return absl::OkStatus();
  }
  std::vector<std::string> records;
};

}  // namespace swabwave::engine::testing

#endif  // SWABWAVE_TESTS_ENGINE_JOURNAL_RECORD_SINK_H_
