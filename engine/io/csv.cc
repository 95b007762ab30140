#include "engine/io/csv.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <system_error>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace swabwave::engine {

namespace {

bool EqualsIgnoreCase(absl::string_view a, absl::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (absl::ascii_tolower(static_cast<unsigned char>(a[i])) !=
        absl::ascii_tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

absl::string_view StripBlanks(absl::string_view s) {
  while (!s.empty() && absl::ascii_isspace(static_cast<unsigned char>(s.front()))) {
    s.remove_prefix(1);
  }
  while (!s.empty() && absl::ascii_isspace(static_cast<unsigned char>(s.back()))) {
    s.remove_suffix(1);
  }
  return s;
}

std::string JoinColumns(absl::Span<const absl::string_view> columns) {
  std::string joined;
  for (absl::string_view column : columns) {
    if (!joined.empty()) joined.push_back(',');
    joined.append(column.data(), column.size());
  }
  return joined;
}

// Whether a found header cell is shown in an error message. Only cells that
// are an expected column name up to case and surrounding blanks are: any
// other cell may be a data value (a resident code) from a file whose header
// row is missing.
bool LooksLikeColumnName(absl::string_view found, absl::Span<const absl::string_view> expected) {
  const absl::string_view trimmed = StripBlanks(found);
  for (absl::string_view name : expected) {
    if (EqualsIgnoreCase(trimmed, name)) return true;
  }
  return false;
}

}  // namespace

CsvReader::CsvReader(std::string file_name, absl::string_view text)
    : file_name_(std::move(file_name)), text_(text) {
  // Spreadsheets saving "CSV UTF-8" start the file with a byte-order mark.
  if (text_.substr(0, 3) == "\xEF\xBB\xBF") pos_ = 3;
}

CsvReader::CsvReader(std::string where, absl::string_view text, SheetRows)
    : CsvReader(std::move(where), text) {
  sheet_rows_ = true;
}

std::string CsvReader::Where() const {
  return sheet_rows_ ? absl::StrCat(file_name_, ", row ", record_line_, ": ")
                     : absl::StrCat(file_name_, ":", record_line_, ": ");
}

std::string CsvReader::ColumnName(size_t column) const {
  std::string name = column < header_.size() ? header_[column] : absl::StrCat(column + 1);
  if (!sheet_rows_) return name;
  // A spreadsheet's letters, as its user sees them: A..Z, AA..
  std::string letters;
  for (size_t n = column + 1; n > 0; n = (n - 1) / 26) {
    letters.insert(letters.begin(), static_cast<char>('A' + (n - 1) % 26));
  }
  return absl::StrCat(letters, " (", name, ")");
}

absl::Status CsvReader::Error(int64_t line, absl::string_view message) const {
  return absl::InvalidArgumentError(
      sheet_rows_ ? absl::StrCat(file_name_, ", row ", line, ": ", message)
                  : absl::StrCat(file_name_, ":", line, ": ", message));
}

absl::Status CsvReader::ColumnError(size_t column, absl::string_view message) const {
  return Error(record_line_, absl::StrCat("column ", ColumnName(column), ": ", message));
}

absl::Status CsvReader::RowError(absl::string_view message) const {
  return Error(record_line_, message);
}

absl::Status CsvReader::Annotate(const absl::Status& status) const {
  if (status.ok()) return status;
  return absl::Status(status.code(), absl::StrCat(Where(), status.message()));
}

absl::Status CsvReader::ReadHeader(absl::Span<const absl::string_view> expected,
                                   absl::Span<const absl::string_view> optional) {
  std::vector<absl::string_view> all(expected.begin(), expected.end());
  all.insert(all.end(), optional.begin(), optional.end());
  const std::string want = JoinColumns(all);
  std::vector<std::string> found;
  absl::StatusOr<bool> more = Next(found);
  if (!more.ok()) return more.status();
  if (!*more) {
    return Error(next_line(), absl::StrCat("the file is empty; expected the "
                                           "header row '",
                                           want, "'"));
  }
  for (size_t i = 0; i < expected.size(); ++i) {
    if (i >= found.size()) {
      return RowError(
          absl::StrCat("header has no column '", expected[i], "' (expected header '", want, "')"));
    }
    if (found[i] == expected[i]) continue;
    if (LooksLikeColumnName(found[i], expected)) {
      return RowError(absl::StrCat("header column ", i + 1, " is '", found[i], "' but must be '",
                                   expected[i], "' (expected header '", want, "')"));
    }
    return RowError(absl::StrCat("header column ", i + 1, " must be '", expected[i],
                                 "' (expected header '", want, "'); is the header row missing?"));
  }
  size_t columns = expected.size();
  for (; columns < all.size() && columns < found.size(); ++columns) {
    if (found[columns] == all[columns]) continue;
    if (LooksLikeColumnName(found[columns], all)) {
      return RowError(absl::StrCat("header column ", columns + 1, " is '", found[columns],
                                   "' but must be '", all[columns], "' (expected header '", want,
                                   "')"));
    }
    return RowError(absl::StrCat("header column ", columns + 1, " must be '", all[columns],
                                 "' (expected header '", want, "')"));
  }
  if (found.size() > all.size()) {
    return RowError(absl::StrCat("header has ", found.size(), " columns; expected ",
                                 optional.empty() ? "exactly '" : "at most '", want, "'"));
  }
  header_.clear();
  for (size_t i = 0; i < columns; ++i) header_.emplace_back(all[i]);
  return absl::OkStatus();
}

CsvReader::FieldEnd CsvReader::EndField() {
  const size_t n = text_.size();
  if (pos_ >= n) return FieldEnd::kEndOfRecord;
  const char c = text_[pos_];
  if (c == ',') {
    ++pos_;
    return FieldEnd::kAnotherField;
  }
  if (c == '\n' || (c == '\r' && pos_ + 1 < n && text_[pos_ + 1] == '\n')) {
    pos_ += c == '\n' ? 1 : 2;
    ++line_;
    return FieldEnd::kEndOfRecord;
  }
  return FieldEnd::kNeither;
}

absl::StatusOr<bool> CsvReader::Next(std::vector<std::string>& fields) {
  if (failed_) return false;
  const size_t n = text_.size();
  // Skip empty lines between records: a trailing newline at the end of the
  // file, or a blank line someone left in, is not a record.
  while (pos_ < n) {
    if (text_[pos_] == '\n') {
      ++pos_;
      ++line_;
    } else if (text_[pos_] == '\r' && pos_ + 1 < n && text_[pos_ + 1] == '\n') {
      pos_ += 2;
      ++line_;
    } else {
      break;
    }
  }
  if (pos_ >= n) return false;

  record_line_ = line_;
  size_t count = 0;
  auto fail = [&](int64_t line, size_t column, absl::string_view message) {
    failed_ = true;
    return Error(line, absl::StrCat("column ", ColumnName(column), ": ", message));
  };
  while (true) {
    if (count == fields.size()) fields.emplace_back();
    const size_t column = count++;
    std::string& field = fields[column];
    field.clear();
    if (pos_ < n && text_[pos_] == '"') {
      const int64_t opened_on = line_;
      ++pos_;
      while (true) {
        const size_t quote = text_.find('"', pos_);
        const size_t end = quote == absl::string_view::npos ? n : quote;
        const absl::string_view chunk = text_.substr(pos_, end - pos_);
        for (char c : chunk) line_ += c == '\n' ? 1 : 0;
        field.append(chunk.data(), chunk.size());
        if (quote == absl::string_view::npos) {
          pos_ = n;
          return fail(opened_on, column,
                      "a quoted field is never closed (no matching quote "
                      "before the end of the file)");
        }
        pos_ = quote + 1;
        if (pos_ < n && text_[pos_] == '"') {  // "" is one quote
          field.push_back('"');
          ++pos_;
          continue;
        }
        break;
      }
      const FieldEnd quoted_end = EndField();
      if (quoted_end == FieldEnd::kAnotherField) continue;
      if (quoted_end == FieldEnd::kEndOfRecord) break;
      return fail(line_, column,
                  "text after the closing quote; a quoted field must end "
                  "with a quote followed by a comma or the end of the line "
                  "(write a quote inside it as two quotes)");
    }
    const size_t start = pos_;
    while (pos_ < n) {
      const char c = text_[pos_];
      if (c == ',' || c == '\n' || c == '\r' || c == '"') break;
      ++pos_;
    }
    field.assign(text_.data() + start, pos_ - start);
    const FieldEnd end = EndField();
    if (end == FieldEnd::kAnotherField) continue;
    if (end == FieldEnd::kEndOfRecord) break;
    if (text_[pos_] == '\r') {
      return fail(line_, column,
                  "a carriage return not followed by a line feed; end lines "
                  "with LF or CRLF");
    }
    return fail(line_, column,
                "a quote inside an unquoted field; enclose the whole field "
                "in quotes and write the quote as two quotes");
  }
  fields.resize(count);

  if (!header_.empty() && fields.size() != header_.size()) {
    failed_ = true;
    if (fields.size() < header_.size()) {
      return RowError(absl::StrCat("column ", header_[fields.size()], " is missing (the row has ",
                                   fields.size(), " of ", header_.size(), " columns)"));
    }
    return RowError(absl::StrCat("the row has ", fields.size(), " fields but the header has ",
                                 header_.size(),
                                 " columns (quote a value that holds a "
                                 "comma)"));
  }
  return true;
}

void AppendCsvField(absl::string_view field, bool only_field, std::string& out) {
  const bool quote =
      (only_field && field.empty()) || field.find_first_of(",\"\r\n") != absl::string_view::npos;
  if (!quote) {
    out.append(field.data(), field.size());
    return;
  }
  out.push_back('"');
  for (char c : field) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
}

void AppendCsvRow(absl::Span<const absl::string_view> fields, std::string& out) {
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) out.push_back(',');
    AppendCsvField(fields[i], fields.size() == 1, out);
  }
  out.push_back('\n');
}

std::optional<int64_t> ParseCsvInteger(absl::string_view field) {
  // from_chars takes no '+', but "+480" is how people write a UTC offset.
  if (!field.empty() && field.front() == '+') {
    field.remove_prefix(1);
    if (!field.empty() && field.front() == '-') return std::nullopt;
  }
  if (field.empty()) return std::nullopt;
  int64_t value = 0;
  const char* end = field.data() + field.size();
  const auto [ptr, ec] = std::from_chars(field.data(), end, value);
  if (ec != std::errc() || ptr != end) return std::nullopt;
  return value;
}

std::optional<double> ParseCsvNumber(absl::string_view field) {
  if (!field.empty() && field.front() == '+') {
    field.remove_prefix(1);
    if (!field.empty() && field.front() == '-') return std::nullopt;
  }
  if (field.empty()) return std::nullopt;
  double value = 0;
  const char* end = field.data() + field.size();
  const auto [ptr, ec] = std::from_chars(field.data(), end, value, std::chars_format::general);
  if (ec != std::errc() || ptr != end || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

std::string FormatCsvNumber(double value) {
  char buffer[64];
  const auto [ptr, ec] = std::to_chars(buffer, buffer + sizeof(buffer), value);
  if (ec != std::errc()) return "nan";  // cannot happen: 64 bytes is enough
  return std::string(buffer, ptr);
}

std::optional<int> ParseClockMinutes(absl::string_view field) {
  const size_t colon = field.find(':');
  if (colon == absl::string_view::npos || colon < 1 || colon > 2 || field.size() != colon + 3) {
    return std::nullopt;
  }
  int hours = 0;
  for (size_t i = 0; i < colon; ++i) {
    if (!absl::ascii_isdigit(field[i])) return std::nullopt;
    hours = hours * 10 + (field[i] - '0');
  }
  const char tens = field[colon + 1];
  const char ones = field[colon + 2];
  if (!absl::ascii_isdigit(tens) || !absl::ascii_isdigit(ones)) {
    return std::nullopt;
  }
  const int minutes = (tens - '0') * 10 + (ones - '0');
  if (hours > 47 || minutes > 59) return std::nullopt;
  return hours * 60 + minutes;
}

std::string FormatClockMinutes(int minutes) {
  return absl::StrFormat("%02d:%02d", minutes / 60, minutes % 60);
}

std::vector<absl::string_view> SplitListField(absl::string_view field, char separator) {
  std::vector<absl::string_view> items;
  field = StripBlanks(field);
  if (field.empty()) return items;
  while (true) {
    const size_t end = field.find(separator);
    items.push_back(StripBlanks(field.substr(0, end)));
    if (end == absl::string_view::npos) break;
    field.remove_prefix(end + 1);
  }
  return items;
}

std::string QuoteForMessage(absl::string_view value) {
  constexpr size_t kMaxShown = 40;
  std::string shown = absl::CHexEscape(value.substr(0, kMaxShown));
  if (value.size() > kMaxShown) shown.append("...");
  return absl::StrCat("'", shown, "'");
}

absl::StatusOr<std::string> ReadFileToString(const std::filesystem::path& path) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) {
    const int error = errno;
    if (error == ENOENT) {
      return absl::NotFoundError(absl::StrCat(path.string(), ": file not found"));
    }
    return absl::ErrnoToStatus(error, absl::StrCat(path.string(), ": cannot open"));
  }
  std::string contents;
  char buffer[1 << 16];
  while (true) {
    const size_t got = std::fread(buffer, 1, sizeof(buffer), file);
    contents.append(buffer, got);
    if (got < sizeof(buffer)) break;
  }
  const bool failed = std::ferror(file) != 0;
  const int error = errno;
  std::fclose(file);
  if (failed) {
    return absl::ErrnoToStatus(error, absl::StrCat(path.string(), ": cannot read"));
  }
  return contents;
}

absl::Status WriteFileAtomically(const std::filesystem::path& path, absl::string_view contents) {
  std::filesystem::path temp = path;
  temp += ".tmp";
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  std::FILE* file = fd < 0 ? nullptr : ::fdopen(fd, "wb");
  if (file == nullptr) {
    const int error = errno;
    if (fd >= 0) ::close(fd);
    return absl::ErrnoToStatus(error, absl::StrCat(temp.string(), ": cannot create"));
  }
  // A temporary file left by an earlier failure keeps its mode through
  // O_CREAT: set it.
  if (::fchmod(fd, 0600) != 0) {
    const int error = errno;
    std::fclose(file);
    return absl::ErrnoToStatus(error, absl::StrCat(temp.string(), ": cannot make it private"));
  }
  const size_t wrote = std::fwrite(contents.data(), 1, contents.size(), file);
  int error = wrote == contents.size() ? 0 : errno;
  if (std::fclose(file) != 0 && error == 0) error = errno;
  std::error_code ec;
  if (error != 0) {
    std::filesystem::remove(temp, ec);
    return absl::ErrnoToStatus(error, absl::StrCat(temp.string(), ": cannot write"));
  }
  std::filesystem::rename(temp, path, ec);
  if (ec) {
    std::error_code ignored;
    std::filesystem::remove(temp, ignored);
    return absl::ErrnoToStatus(
        ec.value(), absl::StrCat("cannot rename ", temp.string(), " to ", path.string()));
  }
  return absl::OkStatus();
}

}  // namespace swabwave::engine
