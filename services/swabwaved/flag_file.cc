#include "services/swabwaved/flag_file.h"

#include <algorithm>
#include <vector>

#include "absl/flags/commandlineflag.h"
#include "absl/flags/reflection.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace swabwave::services {
namespace {

constexpr size_t kWidth = 78;

// `text` as "# " lines of at most kWidth characters, broken between words.
void AppendComment(absl::string_view text, std::string& out) {
  std::string line(1, '#');
  for (absl::string_view word : absl::StrSplit(text, absl::ByAnyChar(" \n"), absl::SkipEmpty())) {
    if (line.size() > 1 && line.size() + 1 + word.size() > kWidth) {
      absl::StrAppend(&out, line, "\n");
      line.assign(1, '#');  // not = "#": GCC 12 warns of an overlap that cannot happen
    }
    absl::StrAppend(&line, " ", word);
  }
  absl::StrAppend(&out, line, "\n");
}

}  // namespace

std::string DocumentedFlagFile(absl::string_view heading, absl::string_view defined_in,
                               absl::string_view leave_out) {
  std::vector<const absl::CommandLineFlag*> flags;
  for (const auto& [name, flag] : absl::GetAllFlags()) {
    if (name != leave_out && absl::EndsWith(flag->Filename(), defined_in)) flags.push_back(flag);
  }
  std::sort(flags.begin(), flags.end(),
            [](const auto* a, const auto* b) { return a->Name() < b->Name(); });
  std::string out;
  for (absl::string_view paragraph : absl::StrSplit(heading, '\n')) {
    AppendComment(paragraph, out);
  }
  for (const absl::CommandLineFlag* flag : flags) {
    out += "\n";
    AppendComment(flag->Help(), out);
    const std::string current = flag->CurrentValue();
    const std::string fallback = flag->DefaultValue();
    if (current == fallback) {
      absl::StrAppend(&out, "#--", flag->Name(), "=", fallback, "\n");
    } else {
      absl::StrAppend(&out, "#   (default: ", fallback.empty() ? "empty" : fallback, ")\n--",
                      flag->Name(), "=", current, "\n");
    }
  }
  return out;
}

}  // namespace swabwave::services
