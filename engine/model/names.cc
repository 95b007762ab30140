#include "engine/model/names.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace swabwave::engine {

bool IsValidId(absl::string_view id) {
  if (id.empty() || id.size() > kMaxIdLength) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '.' || c == ':' || c == '-';
    if (!ok) return false;
  }
  return true;
}

bool IsValidCode(absl::string_view code) {
  if (code.size() < kMinCodeLength || code.size() > kMaxCodeLength) {
    return false;
  }
  for (char c : code) {
    if (c <= ' ' || c > '~' || c == ',' || c == '"') return false;
  }
  return true;
}

bool IsValidName(absl::string_view name) {
  if (name.size() > kMaxNameLength) return false;
  for (char c : name) {
    const auto byte = static_cast<unsigned char>(c);
    // Line breaks and tabs happen in spreadsheet cells; other control
    // characters (NUL, terminal escapes) only ever garble what prints them.
    if ((byte < 0x20 && c != '\n' && c != '\r' && c != '\t') || byte == 0x7f) return false;
  }
  return true;
}

absl::Status CheckName(absl::string_view what, absl::string_view name) {
  if (IsValidName(name)) return absl::OkStatus();
  if (name.size() > kMaxNameLength) {
    return absl::InvalidArgumentError(absl::StrCat(what, " is ", name.size(), " bytes long; at most ",
                                                   kMaxNameLength, " bytes of UTF-8 are kept"));
  }
  return absl::InvalidArgumentError(
      absl::StrCat(what, " holds a control character other than a line break or a tab; names "
                         "are printable text"));
}

absl::Status CheckId(absl::string_view what, absl::string_view id) {
  if (IsValidId(id)) return absl::OkStatus();
  if (id.empty()) return absl::InvalidArgumentError(absl::StrCat(what, " is required"));
  return absl::InvalidArgumentError(
      absl::StrCat(what, " '", absl::CHexEscape(id.substr(0, kMaxIdLength)),
                   id.size() > kMaxIdLength ? absl::StrCat("...' (", id.size(), " bytes)")
                                            : std::string("'"),
                   " is not a valid id: use 1-64 of the characters A-Z a-z 0-9 _ . : -"));
}

absl::Status CheckCode(absl::string_view what, absl::string_view code) {
  if (IsValidCode(code)) return absl::OkStatus();
  if (code.empty()) return absl::InvalidArgumentError(absl::StrCat(what, " is required"));
  return absl::InvalidArgumentError(
      absl::StrCat(what, " is not a valid code (", code.size(),
                   " characters): use 4-64 printable ASCII characters without spaces, "
                   "commas or quotes"));
}

}  // namespace swabwave::engine
