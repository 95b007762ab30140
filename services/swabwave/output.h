// What the CLI prints for scripts: `--output json` and `--output csv`
// (`--output table`, the default, is each command's own text for people).
//
//   json  the command's response message(s), from protobuf's JSON printer:
//         field names as in the .proto, enums by name, every field present
//         (zeros and empty lists too, so a script need not guess).
//   csv   the command's records, one row each, columns named after their
//         proto fields: a nested message's fields joined with '.', times in
//         RFC 3339, durations in seconds ("1800s"), a repeated scalar's
//         values joined with '|', a list of messages as its JSON.
//
// Example:
//   if (PrintForScripts(options.output, response, "rounds")) return 0;
//   ... the table for people ...
//
// Thread-safety: writes stdout; call from the CLI's main thread.
#ifndef SWABWAVE_SERVICES_SWABWAVE_OUTPUT_H_
#define SWABWAVE_SERVICES_SWABWAVE_OUTPUT_H_

#include <google/protobuf/message.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace swabwave::services::cli {

enum class OutputFormat { kTable, kCsv, kJson };

// "table", "csv" or "json"; nullopt for anything else.
std::optional<OutputFormat> ParseOutputFormat(absl::string_view text);

// For kJson and kCsv prints `message` and returns true; for kTable prints
// nothing and returns false (the caller prints its table). The CSV rows
// are the elements of `rows_field`, a repeated message field of `message`;
// with no `rows_field`, `message` itself is the one row.
bool PrintForScripts(OutputFormat format, const google::protobuf::Message& message,
                     absl::string_view rows_field = "");

// Several answers of one type (one per community imported): a JSON array
// of them, or a CSV row each; false (nothing printed) for kTable.
bool PrintListForScripts(OutputFormat format,
                         const std::vector<const google::protobuf::Message*>& messages);

// Every page of a paged answer kept as one message, for --output json or
// csv: repeated fields appended page after page, next_page_token cleared.
template <typename Response>
class Pages {
 public:
  void Add(const Response& page) {
    merged_.MergeFrom(page);
    merged_.clear_next_page_token();
  }
  Response& merged() { return merged_; }

 private:
  Response merged_;
};

// `message` as one line of JSON (a stream of updates: one line each).
std::string JsonLine(const google::protobuf::Message& message);

// The CSV columns of a `type` message, and one message's row under them.
std::vector<std::string> CsvColumns(const google::protobuf::Descriptor& type);
std::vector<std::string> CsvRow(const google::protobuf::Message& message);

}  // namespace swabwave::services::cli

#endif  // SWABWAVE_SERVICES_SWABWAVE_OUTPUT_H_
