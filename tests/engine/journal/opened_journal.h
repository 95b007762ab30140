// A journal opened by a test, with what its recovery replayed: the journal
// tests open, close and reopen directories many times and look at both.
#ifndef SWABWAVE_TESTS_ENGINE_JOURNAL_OPENED_JOURNAL_H_
#define SWABWAVE_TESTS_ENGINE_JOURNAL_OPENED_JOURNAL_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/journal/journal.h"

namespace swabwave::engine::testing {

struct OpenedJournal {
  absl::StatusOr<std::unique_ptr<journal::Journal>> journal;
  std::vector<std::string> replayed;  // every record recovery replayed, in order
  journal::RecoveryReport report;
};

// Opens the journal `options` describe, collecting what recovery replays.
inline std::unique_ptr<OpenedJournal> OpenCollecting(const journal::JournalOptions& options) {
  auto opened = std::make_unique<OpenedJournal>();
  opened->journal = journal::Journal::Open(
      options,
      [o = opened.get()](uint64_t, absl::string_view record) {
        o->replayed.emplace_back(record);
        return absl::OkStatus();
      },
      &opened->report);
  return opened;
}

}  // namespace swabwave::engine::testing

#endif  // SWABWAVE_TESTS_ENGINE_JOURNAL_OPENED_JOURNAL_H_
