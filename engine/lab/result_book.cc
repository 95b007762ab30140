#include "engine/lab/result_book.h"

#include <cmath>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"

namespace swabwave::engine::lab {
namespace {

bool HasControlCharacter(absl::string_view text) {
  for (char c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return true;
  }
  return false;
}

}  // namespace

absl::string_view TubeResultName(TubeResult result) {
  switch (result) {
    case TubeResult::kNegative: return "negative";
    case TubeResult::kPositive: return "positive";
    case TubeResult::kInvalid: return "invalid";
  }
  return "unknown";
}

absl::Status ValidateReport(const Report& report) {
  const auto value = static_cast<uint8_t>(report.result);
  if (value < 1 || value > kLastTubeResult) {
    return absl::InvalidArgumentError(
        "result must be negative, positive or invalid");
  }
  if (report.ct.has_value() && !(*report.ct >= 0.0 && *report.ct <= kMaxCt)) {
    return absl::InvalidArgumentError(
        absl::StrCat("ct must be a cycle threshold between 0 and ", kMaxCt, " (or left out)"));
  }
  if (report.run_id.size() > kMaxRunIdBytes || HasControlCharacter(report.run_id)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "run_id must be at most ", kMaxRunIdBytes, " bytes without control characters"));
  }
  if (report.correction_reason.size() > kMaxReasonBytes ||
      HasControlCharacter(report.correction_reason)) {
    return absl::InvalidArgumentError(absl::StrCat("correction_reason must be at most ",
                                                   kMaxReasonBytes,
                                                   " bytes without control characters"));
  }
  return absl::OkStatus();
}

std::optional<absl::StatusOr<ResultBook::Recorded>> ResultBook::AnswerWithoutRecording(
    const Report& report, Report* conflict) const {
  if (auto it = by_request_.find(report.request); it != by_request_.end()) {
    return Recorded{trail_[it->second], true};
  }
  auto current = current_.find(report.tube);
  if (current == current_.end() || !report.correction_reason.empty()) return std::nullopt;
  const Report& now = trail_[current->second];
  if (now.result == report.result) return Recorded{now, true};
  if (conflict != nullptr) *conflict = now;
  return absl::AlreadyExistsError(absl::StrCat(
      "the tube's result is ", TubeResultName(now.result), " already (run ",
      now.run_id.empty() ? "not given" : now.run_id,
      "); to change it, send a correction with correction_reason"));
}

absl::StatusOr<ResultBook::Recorded> ResultBook::Check(const Report& report,
                                                       Report* conflict) const {
  std::lock_guard lock(mu_);
  if (auto answer = AnswerWithoutRecording(report, conflict)) return *std::move(answer);
  return Recorded{Report(), false};
}

absl::StatusOr<ResultBook::Recorded> ResultBook::Record(
    Report report, const std::function<void(const Report&)>& journal, Report* conflict) {
  std::lock_guard lock(mu_);
  if (auto answer = AnswerWithoutRecording(report, conflict)) return *std::move(answer);
  auto current = current_.find(report.tube);
  const size_t index = trail_.size();
  by_request_.emplace(report.request, index);
  if (current == current_.end()) {
    current_.emplace(report.tube, index);
  } else {
    current->second = index;
  }
  took_[static_cast<uint8_t>(report.result) - 1].push_back(report.tube);
  trail_.push_back(std::move(report));
  if (journal) journal(trail_.back());
  return Recorded{Report(), false};
}

std::optional<Report> ResultBook::Of(TubeIndex tube) const {
  std::lock_guard lock(mu_);
  auto it = current_.find(tube);
  if (it == current_.end()) return std::nullopt;
  return trail_[it->second];
}

std::vector<TubeIndex> ResultBook::TubesWith(TubeResult result) const {
  std::lock_guard lock(mu_);
  std::vector<TubeIndex> tubes;
  absl::flat_hash_set<TubeIndex> listed;
  for (TubeIndex tube : took_[static_cast<uint8_t>(result) - 1]) {
    // A correction may have taken the result away again, or given it twice.
    if (trail_[current_.at(tube)].result == result && listed.insert(tube).second) {
      tubes.push_back(tube);
    }
  }
  return tubes;
}

std::vector<Report> ResultBook::Trail() const {
  std::lock_guard lock(mu_);
  return std::vector<Report>(trail_.begin(), trail_.end());
}

size_t ResultBook::size() const {
  std::lock_guard lock(mu_);
  return trail_.size();
}

absl::Status ResultBook::Restore(const Report& report) {
  absl::StatusOr<Recorded> recorded = Record(report);
  if (!recorded.ok()) {
    return absl::DataLossError(absl::StrCat(
        "the journal gives tube ", report.tube, " a second, different result without a "
        "correction: ", recorded.status().message()));
  }
  return absl::OkStatus();
}

}  // namespace swabwave::engine::lab
