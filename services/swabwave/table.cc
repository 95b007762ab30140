#include "services/swabwave/table.h"

#include <algorithm>

namespace swabwave::services::cli {
namespace {

// The next code point of `text` from `i` (advanced past it); a byte that
// does not start valid UTF-8 reads as itself.
char32_t NextCodePoint(absl::string_view text, size_t& i) {
  const auto byte = [&](size_t at) { return static_cast<unsigned char>(text[at]); };
  const unsigned char lead = byte(i);
  int length = lead < 0x80 ? 1 : (lead >> 5) == 0x6 ? 2 : (lead >> 4) == 0xe ? 3
                                                     : (lead >> 3) == 0x1e ? 4 : 1;
  if (i + length > text.size()) length = 1;
  char32_t point = length == 1 ? lead : lead & (0x7f >> length);
  for (int k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xc0) != 0x80) {
      length = 1;
      point = lead;
      break;
    }
    point = (point << 6) | (byte(i + k) & 0x3f);
  }
  i += length;
  return point;
}

bool IsWide(char32_t c) {
  return (c >= 0x1100 && c <= 0x115f) || (c >= 0x2e80 && c <= 0xa4cf) ||
         (c >= 0xac00 && c <= 0xd7a3) || (c >= 0xf900 && c <= 0xfaff) ||
         (c >= 0xfe30 && c <= 0xfe4f) || (c >= 0xff00 && c <= 0xff60) ||
         (c >= 0xffe0 && c <= 0xffe6) || (c >= 0x20000 && c <= 0x3fffd);
}

bool IsCombining(char32_t c) {
  return (c >= 0x0300 && c <= 0x036f) || (c >= 0x200b && c <= 0x200f) ||
         (c >= 0xfe00 && c <= 0xfe0f);
}

}  // namespace

size_t DisplayWidth(absl::string_view text) {
  size_t width = 0;
  for (size_t i = 0; i < text.size();) {
    const char32_t c = NextCodePoint(text, i);
    width += IsCombining(c) ? 0 : IsWide(c) ? 2 : 1;
  }
  return width;
}

void Table::Print(std::FILE* out, absl::string_view indent) const {
  std::vector<size_t> widths(columns_.size(), 0);
  for (size_t c = 0; c < columns_.size(); ++c) widths[c] = DisplayWidth(columns_[c].heading);
  for (const std::vector<std::string>& row : rows_) {
    for (size_t c = 0; c < columns_.size() && c < row.size(); ++c) {
      widths[c] = std::max(widths[c], DisplayWidth(row[c]));
    }
  }
  const auto print_line = [&](const std::vector<std::string>& cells) {
    std::string line(indent);
    for (size_t c = 0; c < columns_.size(); ++c) {
      const std::string& cell = c < cells.size() ? cells[c] : std::string();
      const std::string pad(widths[c] - DisplayWidth(cell), ' ');
      if (c > 0) line += "  ";
      line += columns_[c].align == kRight ? pad + cell : cell + pad;
    }
    line.erase(line.find_last_not_of(' ') + 1);
    std::fprintf(out, "%s\n", line.c_str());
  };
  std::vector<std::string> headings;
  for (const Column& column : columns_) headings.push_back(column.heading);
  print_line(headings);
  for (const std::vector<std::string>& row : rows_) print_line(row);
}

}  // namespace swabwave::services::cli
