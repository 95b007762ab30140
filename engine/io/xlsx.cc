#include "engine/io/xlsx.h"

#include <expat.h>
#include <zip.h>

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace swabwave::engine {
namespace {

// Parts larger than this are refused: a roster's sheet of 10 million
// residents is about 1 GB of XML, past what one import should hold.
constexpr zip_uint64_t kMaxPartBytes = zip_uint64_t{2} << 30;

// An element or attribute name without its namespace prefix ("x:c" -> "c").
absl::string_view Local(const XML_Char* name) {
  const absl::string_view n(name);
  const size_t colon = n.rfind(':');
  return colon == absl::string_view::npos ? n : n.substr(colon + 1);
}

std::string Attribute(const XML_Char** attributes, absl::string_view name) {
  for (int i = 0; attributes[i] != nullptr; i += 2) {
    if (Local(attributes[i]) == name) return attributes[i + 1];
  }
  return "";
}

// Streams one XML part through expat, calling `start`, `end` and `text`.
struct XmlHandlers {
  std::function<void(absl::string_view, const XML_Char**)> start;
  std::function<void(absl::string_view)> end;
  std::function<void(absl::string_view)> text;
};

absl::Status ParseXml(const std::string& what, absl::string_view xml, XmlHandlers& handlers) {
  std::unique_ptr<XML_ParserStruct, decltype(&XML_ParserFree)> parser(XML_ParserCreate("UTF-8"),
                                                                      &XML_ParserFree);
  XML_SetUserData(parser.get(), &handlers);
  XML_SetElementHandler(
      parser.get(),
      [](void* data, const XML_Char* name, const XML_Char** attributes) {
        auto* h = static_cast<XmlHandlers*>(data);
        if (h->start) h->start(Local(name), attributes);
      },
      [](void* data, const XML_Char* name) {
        auto* h = static_cast<XmlHandlers*>(data);
        if (h->end) h->end(Local(name));
      });
  XML_SetCharacterDataHandler(parser.get(), [](void* data, const XML_Char* s, int length) {
    auto* h = static_cast<XmlHandlers*>(data);
    if (h->text) h->text(absl::string_view(s, static_cast<size_t>(length)));
  });
  if (XML_Parse(parser.get(), xml.data(), static_cast<int>(xml.size()), XML_TRUE) ==
      XML_STATUS_ERROR) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": not well-formed XML at line ",
                     XML_GetCurrentLineNumber(parser.get()), ": ",
                     XML_ErrorString(XML_GetErrorCode(parser.get()))));
  }
  return absl::OkStatus();
}

class Archive {
 public:
  static absl::StatusOr<Archive> Open(const std::string& path) {
    int error = 0;
    zip_t* zip = zip_open(path.c_str(), ZIP_RDONLY, &error);
    if (zip == nullptr) {
      if (error == ZIP_ER_NOENT || error == ZIP_ER_OPEN) {
        return absl::NotFoundError(absl::StrCat(path, ": cannot open the workbook"));
      }
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": not an .xlsx workbook (it is not a zip archive)"));
    }
    return Archive(path, zip);
  }

  // The part's bytes; none when the archive has no such part.
  absl::StatusOr<std::optional<std::string>> Read(const std::string& part) const {
    zip_stat_t stat;
    zip_stat_init(&stat);
    if (zip_stat(zip_.get(), part.c_str(), 0, &stat) != 0) return std::optional<std::string>();
    if ((stat.valid & ZIP_STAT_SIZE) == 0 || stat.size > kMaxPartBytes) {
      return absl::InvalidArgumentError(
          absl::StrCat(path_, ": part ", part, " is too large for a roster"));
    }
    std::unique_ptr<zip_file_t, decltype(&zip_fclose)> file(zip_fopen(zip_.get(), part.c_str(), 0),
                                                            &zip_fclose);
    if (file == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(path_, ": cannot read part ", part));
    }
    std::string bytes(stat.size, '\0');
    if (zip_fread(file.get(), bytes.data(), stat.size) != static_cast<zip_int64_t>(stat.size)) {
      return absl::InvalidArgumentError(absl::StrCat(path_, ": part ", part, " is damaged"));
    }
    return std::optional<std::string>(std::move(bytes));
  }

  const std::string& path() const { return path_; }

 private:
  Archive(std::string path, zip_t* zip) : path_(std::move(path)), zip_(zip, &zip_discard) {}
  std::string path_;
  std::unique_ptr<zip_t, decltype(&zip_discard)> zip_;
};

// Built-in number formats that show a date or a time (ECMA-376 18.8.30).
bool IsBuiltinDateFormat(int id) {
  return (id >= 14 && id <= 22) || (id >= 45 && id <= 47) || (id >= 27 && id <= 36) ||
         (id >= 50 && id <= 58);
}

// Whether a custom format code shows a date or time: d, y, h or s outside
// quoted text, escapes and [colour] sections (m alone is ambiguous: months
// or minutes, and dates have d or y anyway).
bool IsDateFormatCode(absl::string_view code) {
  bool quoted = false;
  int bracket = 0;
  for (size_t i = 0; i < code.size(); ++i) {
    const char c = code[i];
    if (c == '"') quoted = !quoted;
    if (quoted) continue;
    if (c == '\\') {
      ++i;
      continue;
    }
    if (c == '[') ++bracket;
    if (c == ']' && bracket > 0) --bracket;
    if (bracket > 0 && c != '[') {
      // [h], [mm], [ss]: elapsed time.
      if (c == 'h' || c == 'H' || c == 's' || c == 'S') return true;
      continue;
    }
    switch (c) {
      case 'd': case 'D': case 'y': case 'Y': case 'h': case 'H': case 's': case 'S':
        return true;
      default:
        break;
    }
  }
  return false;
}

// Which cell styles (xf indexes) show dates or times.
absl::StatusOr<std::vector<bool>> DateStyles(const Archive& archive) {
  absl::StatusOr<std::optional<std::string>> xml = archive.Read("xl/styles.xml");
  if (!xml.ok()) return xml.status();
  std::vector<bool> dated;
  if (!xml->has_value()) return dated;
  std::set<int> custom_dates;
  bool in_cell_xfs = false;
  XmlHandlers handlers;
  handlers.start = [&](absl::string_view name, const XML_Char** attributes) {
    if (name == "numFmt") {
      int id = 0;
      if (absl::SimpleAtoi(Attribute(attributes, "numFmtId"), &id) &&
          IsDateFormatCode(Attribute(attributes, "formatCode"))) {
        custom_dates.insert(id);
      }
    } else if (name == "cellXfs") {
      in_cell_xfs = true;
    } else if (name == "xf" && in_cell_xfs) {
      int id = 0;
      (void)absl::SimpleAtoi(Attribute(attributes, "numFmtId"), &id);
      dated.push_back(IsBuiltinDateFormat(id) || custom_dates.contains(id));
    }
  };
  handlers.end = [&](absl::string_view name) {
    if (name == "cellXfs") in_cell_xfs = false;
  };
  if (absl::Status s = ParseXml(absl::StrCat(archive.path(), ": xl/styles.xml"), **xml, handlers);
      !s.ok()) {
    return s;
  }
  return dated;
}

absl::StatusOr<std::vector<std::string>> SharedStrings(const Archive& archive) {
  absl::StatusOr<std::optional<std::string>> xml = archive.Read("xl/sharedStrings.xml");
  if (!xml.ok()) return xml.status();
  std::vector<std::string> strings;
  if (!xml->has_value()) return strings;
  bool in_text = false;
  int depth_in_phonetic = 0;  // <rPh> runs are readings, not the text
  XmlHandlers handlers;
  handlers.start = [&](absl::string_view name, const XML_Char**) {
    if (name == "si") strings.emplace_back();
    if (name == "rPh") ++depth_in_phonetic;
    if (name == "t") in_text = depth_in_phonetic == 0;
  };
  handlers.end = [&](absl::string_view name) {
    if (name == "t") in_text = false;
    if (name == "rPh") --depth_in_phonetic;
  };
  handlers.text = [&](absl::string_view text) {
    if (in_text && !strings.empty()) strings.back().append(text.data(), text.size());
  };
  if (absl::Status s =
          ParseXml(absl::StrCat(archive.path(), ": xl/sharedStrings.xml"), **xml, handlers);
      !s.ok()) {
    return s;
  }
  return strings;
}

// "B12" -> row 12, column 2; false for anything else.
bool ParseReference(absl::string_view ref, XlsxCell* cell) {
  size_t i = 0;
  int column = 0;
  while (i < ref.size() && ref[i] >= 'A' && ref[i] <= 'Z' && column < 20000) {
    column = column * 26 + (ref[i] - 'A' + 1);
    ++i;
  }
  int row = 0;
  if (column == 0 || i == ref.size() || !absl::SimpleAtoi(ref.substr(i), &row) || row < 1 ||
      row > 20'000'000) {
    return false;
  }
  cell->row = row;
  cell->column = column;
  return true;
}

absl::Status ReadSheet(const Archive& archive, const std::string& part,
                       const std::vector<std::string>& strings, const std::vector<bool>& dated,
                       XlsxSheet& sheet) {
  absl::StatusOr<std::optional<std::string>> xml = archive.Read(part);
  if (!xml.ok()) return xml.status();
  if (!xml->has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat(archive.path(), ": sheet ", sheet.name, " has no part ", part));
  }
  const std::string where = absl::StrCat(archive.path(), " sheet ", sheet.name);
  absl::Status status;
  XlsxCell at{0, 0};  // the cell being read
  int next_row = 0, next_column = 0;
  std::string type, value;
  bool in_value = false, is_dated = false;
  XmlHandlers handlers;
  handlers.start = [&](absl::string_view name, const XML_Char** attributes) {
    if (name == "row") {
      int r = 0;
      next_row = absl::SimpleAtoi(Attribute(attributes, "r"), &r) ? r : next_row + 1;
      next_column = 0;
    } else if (name == "c") {
      const std::string ref = Attribute(attributes, "r");
      if (ref.empty()) {
        at = {std::max(next_row, 1), next_column + 1};
      } else if (!ParseReference(ref, &at)) {
        if (status.ok()) {
          status = absl::InvalidArgumentError(
              absl::StrCat(where, ": cell reference '", ref.substr(0, 16), "' is not A1-style"));
        }
        at = {std::max(next_row, 1), next_column + 1};
      }
      next_column = at.column;
      type = Attribute(attributes, "t");
      size_t style = 0;
      is_dated = absl::SimpleAtoi(Attribute(attributes, "s"), &style) && style < dated.size() &&
                 dated[style];
      value.clear();
    } else if (name == "v" || (name == "t" && type == "inlineStr")) {
      in_value = true;
    } else if (name == "mergeCell") {
      sheet.merged.push_back(Attribute(attributes, "ref").substr(0, 32));
    }
  };
  handlers.text = [&](absl::string_view text) {
    if (in_value) value.append(text.data(), text.size());
  };
  handlers.end = [&](absl::string_view name) {
    if (name == "v" || name == "t") in_value = false;
    if (name != "c" || at.row == 0) return;
    std::string text = value;
    if (type == "s") {
      size_t index = 0;
      if (!absl::SimpleAtoi(value, &index) || index >= strings.size()) {
        if (status.ok()) {
          status = absl::InvalidArgumentError(absl::StrCat(
              where, ", row ", at.row, ": column ", XlsxColumnName(at.column),
              ": names shared string ", value.substr(0, 16), ", which the workbook lacks"));
        }
        return;
      }
      text = strings[index];
    } else if (type == "b") {
      text = value == "1" ? "TRUE" : "FALSE";
    } else if ((type.empty() || type == "n") && is_dated && !value.empty()) {
      sheet.dated.push_back(at);
    }
    if (text.empty()) return;
    if (sheet.rows.size() < static_cast<size_t>(at.row)) sheet.rows.resize(at.row);
    std::vector<std::string>& row = sheet.rows[at.row - 1];
    if (row.size() < static_cast<size_t>(at.column)) row.resize(at.column);
    row[at.column - 1] = std::move(text);
  };
  if (absl::Status s = ParseXml(absl::StrCat(where, " (", part, ")"), **xml, handlers); !s.ok()) {
    return s;
  }
  return status;
}

}  // namespace

std::string XlsxColumnName(int column) {
  std::string letters;
  for (int n = column; n > 0; n = (n - 1) / 26) {
    letters.insert(letters.begin(), static_cast<char>('A' + (n - 1) % 26));
  }
  return letters;
}

absl::StatusOr<std::vector<XlsxSheet>> ReadXlsx(const std::string& path) {
  absl::StatusOr<Archive> archive = Archive::Open(path);
  if (!archive.ok()) return archive.status();
  absl::StatusOr<std::optional<std::string>> workbook = archive->Read("xl/workbook.xml");
  if (!workbook.ok()) return workbook.status();
  if (!workbook->has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": not an .xlsx workbook (no xl/workbook.xml)"));
  }
  // Sheets by name and relationship id, then the ids' parts.
  std::vector<std::pair<std::string, std::string>> sheets;  // name, r:id
  XmlHandlers handlers;
  handlers.start = [&](absl::string_view name, const XML_Char** attributes) {
    if (name == "sheet") sheets.emplace_back(Attribute(attributes, "name"), Attribute(attributes, "id"));
  };
  if (absl::Status s = ParseXml(absl::StrCat(path, ": xl/workbook.xml"), **workbook, handlers);
      !s.ok()) {
    return s;
  }
  absl::StatusOr<std::optional<std::string>> rels =
      archive->Read("xl/_rels/workbook.xml.rels");
  if (!rels.ok()) return rels.status();
  std::map<std::string, std::string> part_of;
  if (rels->has_value()) {
    XmlHandlers rel_handlers;
    rel_handlers.start = [&](absl::string_view name, const XML_Char** attributes) {
      if (name != "Relationship") return;
      std::string target = Attribute(attributes, "Target");
      // Relative to xl/, or absolute from the archive's root.
      target = target.starts_with("/") ? target.substr(1) : absl::StrCat("xl/", target);
      part_of[Attribute(attributes, "Id")] = target;
    };
    if (absl::Status s =
            ParseXml(absl::StrCat(path, ": xl/_rels/workbook.xml.rels"), **rels, rel_handlers);
        !s.ok()) {
      return s;
    }
  }
  absl::StatusOr<std::vector<std::string>> strings = SharedStrings(*archive);
  if (!strings.ok()) return strings.status();
  absl::StatusOr<std::vector<bool>> dated = DateStyles(*archive);
  if (!dated.ok()) return dated.status();
  std::vector<XlsxSheet> out;
  for (size_t i = 0; i < sheets.size(); ++i) {
    XlsxSheet sheet;
    sheet.name = sheets[i].first;
    const auto part = part_of.find(sheets[i].second);
    // Without relationships, Excel's own naming.
    const std::string name = part != part_of.end() ? part->second
                                                   : absl::StrCat("xl/worksheets/sheet", i + 1,
                                                                  ".xml");
    if (absl::Status s = ReadSheet(*archive, name, *strings, *dated, sheet); !s.ok()) return s;
    out.push_back(std::move(sheet));
  }
  return out;
}

}  // namespace swabwave::engine
