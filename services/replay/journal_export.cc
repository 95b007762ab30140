#include "services/replay/journal_export.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "engine/journal/journal.h"
#include "engine/registry/registry.h"

namespace swabwave::services {

absl::StatusOr<std::vector<TraceRow>> ExportDay(const std::string& data_dir,
                                               const std::string& round_id) {
  namespace fs = std::filesystem;
  std::error_code error;
  if (!fs::is_directory(data_dir, error)) {
    return absl::NotFoundError(absl::StrCat(data_dir, " is not a journal directory"));
  }
  const fs::path scratch =
      fs::temp_directory_path() / absl::StrCat("swabwave-export-", getpid());
  fs::remove_all(scratch, error);
  fs::copy(data_dir, scratch, fs::copy_options::recursive, error);
  if (error) {
    return absl::UnavailableError(
        absl::StrCat("cannot copy ", data_dir, " to ", scratch.string(), ": ", error.message()));
  }

  // Recover a registry from the copy. The check-ins are read from the
  // recovered state, not from the records: a dense snapshot holds them as
  // the resident table's words, not as check-in records.
  engine::Registry registry;
  const engine::journal::ReplayFn replay = [&](uint64_t, absl::string_view record) {
    return registry.ApplyRecord(record);
  };
  engine::journal::RecoveryReport report;
  absl::StatusOr<std::unique_ptr<engine::journal::Journal>> journal =
      engine::journal::Journal::Open({.dir = scratch.string()}, replay, &report);
  if (!journal.ok()) {
    fs::remove_all(scratch, error);
    return journal.status();
  }
  registry.FinishRecovery();

  const engine::Round* round = registry.FindRound(round_id);
  std::vector<TraceRow> rows;
  if (round != nullptr) {
    const int64_t start = absl::ToUnixSeconds(round->config().start);
    for (uint32_t r = 0; r < round->layout().resident_count(); ++r) {
      const std::optional<engine::Round::SampledCheckIn> sampled = round->SampledAt(r);
      if (!sampled.has_value()) continue;
      const std::string desk = round->DeskName(round->Tube(sampled->tube).desk);
      TraceRow row;
      row.send_at = absl::Seconds(std::max<int64_t>(0, sampled->scan_unix_seconds - start));
      row.scanned_at = row.send_at;
      row.desk = desk;
      // "sites/{site}/desks/{n}"
      row.site_id = desk.substr(6, desk.find("/desks/") - 6);
      row.code = std::string(round->resident_code(r));
      rows.push_back(std::move(row));
    }
  }
  journal->reset();
  fs::remove_all(scratch, error);
  if (round == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("the journal in ", data_dir, " holds no round '", round_id, "'"));
  }
  std::stable_sort(rows.begin(), rows.end(),
                   [](const TraceRow& a, const TraceRow& b) { return a.send_at < b.send_at; });
  for (size_t i = 0; i < rows.size(); ++i) rows[i].request_id = absl::StrCat("j-", i);
  return rows;
}

}  // namespace swabwave::services
