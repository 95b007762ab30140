// A journal over `dir` whose recovery applies nothing: for the tests of the
// data directory itself (its lock, its modes), which care whether it opens.
#ifndef SWABWAVE_TESTS_ENGINE_JOURNAL_OPEN_JOURNAL_H_
#define SWABWAVE_TESTS_ENGINE_JOURNAL_OPEN_JOURNAL_H_

#include <memory>
#include <string>

#include "engine/journal/journal.h"

namespace swabwave::engine::testing {

inline absl::StatusOr<std::unique_ptr<journal::Journal>> OpenJournal(const std::string& dir) {
  journal::JournalOptions options;
  options.dir = dir;
  return journal::Journal::Open(
      options, [](uint64_t, absl::string_view) { return absl::OkStatus(); }, nullptr);
}

}  // namespace swabwave::engine::testing

#endif  // SWABWAVE_TESTS_ENGINE_JOURNAL_OPEN_JOURNAL_H_
