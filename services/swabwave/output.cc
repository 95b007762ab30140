#include "services/swabwave/output.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/duration.pb.h>
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/timestamp.pb.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "engine/io/csv.h"

namespace swabwave::services::cli {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

// Nested messages deeper than this are one JSON cell: a row stays a row.
constexpr int kMaxDepth = 3;

std::string Json(const Message& message, bool pretty) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = pretty;
  options.always_print_primitive_fields = true;
  options.preserve_proto_field_names = true;
  std::string out;
  // Our own messages always print; a failure would be a bug, not input.
  (void)google::protobuf::util::MessageToJsonString(message, &out, options);
  return out;
}

// A message type printed as one cell rather than as columns.
bool IsCell(const Descriptor& type, int depth) {
  return type.full_name() == "google.protobuf.Timestamp" ||
         type.full_name() == "google.protobuf.Duration" || depth >= kMaxDepth ||
         type.full_name() == "google.protobuf.Struct";
}

std::string MessageCell(const Message& message) {
  const std::string& type = message.GetDescriptor()->full_name();
  if (type == "google.protobuf.Timestamp") {
    const auto& t = static_cast<const google::protobuf::Timestamp&>(message);
    return t.seconds() == 0 && t.nanos() == 0 ? ""
                                              : google::protobuf::util::TimeUtil::ToString(t);
  }
  if (type == "google.protobuf.Duration") {
    return google::protobuf::util::TimeUtil::ToString(
        static_cast<const google::protobuf::Duration&>(message));
  }
  return Json(message, /*pretty=*/false);
}

std::string ScalarCell(const Message& message, const FieldDescriptor& field, int index) {
  const Reflection& r = *message.GetReflection();
  const bool repeated = field.is_repeated();
  switch (field.cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
      return absl::StrCat(repeated ? r.GetRepeatedInt32(message, &field, index)
                                   : r.GetInt32(message, &field));
    case FieldDescriptor::CPPTYPE_INT64:
      return absl::StrCat(repeated ? r.GetRepeatedInt64(message, &field, index)
                                   : r.GetInt64(message, &field));
    case FieldDescriptor::CPPTYPE_UINT32:
      return absl::StrCat(repeated ? r.GetRepeatedUInt32(message, &field, index)
                                   : r.GetUInt32(message, &field));
    case FieldDescriptor::CPPTYPE_UINT64:
      return absl::StrCat(repeated ? r.GetRepeatedUInt64(message, &field, index)
                                   : r.GetUInt64(message, &field));
    case FieldDescriptor::CPPTYPE_DOUBLE:
      return absl::StrCat(repeated ? r.GetRepeatedDouble(message, &field, index)
                                   : r.GetDouble(message, &field));
    case FieldDescriptor::CPPTYPE_FLOAT:
      return absl::StrCat(repeated ? r.GetRepeatedFloat(message, &field, index)
                                   : r.GetFloat(message, &field));
    case FieldDescriptor::CPPTYPE_BOOL:
      return (repeated ? r.GetRepeatedBool(message, &field, index) : r.GetBool(message, &field))
                 ? "true"
                 : "false";
    case FieldDescriptor::CPPTYPE_ENUM:
      return (repeated ? r.GetRepeatedEnum(message, &field, index) : r.GetEnum(message, &field))
          ->name();
    case FieldDescriptor::CPPTYPE_STRING:
      return repeated ? r.GetRepeatedString(message, &field, index)
                      : r.GetString(message, &field);
    case FieldDescriptor::CPPTYPE_MESSAGE:
      break;
  }
  return "";
}

void AppendColumns(const Descriptor& type, const std::string& prefix, int depth,
                   std::vector<std::string>& out) {
  for (int i = 0; i < type.field_count(); ++i) {
    const FieldDescriptor& field = *type.field(i);
    const std::string name = prefix + field.name();
    if (field.cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE && !field.is_repeated() &&
        !IsCell(*field.message_type(), depth + 1)) {
      AppendColumns(*field.message_type(), name + ".", depth + 1, out);
    } else {
      out.push_back(name);
    }
  }
}

void AppendRow(const Message& message, int depth, std::vector<std::string>& out) {
  const Descriptor& type = *message.GetDescriptor();
  const Reflection& r = *message.GetReflection();
  for (int i = 0; i < type.field_count(); ++i) {
    const FieldDescriptor& field = *type.field(i);
    if (field.cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      if (field.is_repeated()) {
        std::vector<std::string> items;
        for (int k = 0; k < r.FieldSize(message, &field); ++k) {
          items.push_back(Json(r.GetRepeatedMessage(message, &field, k), /*pretty=*/false));
        }
        out.push_back(items.empty() ? "" : absl::StrCat("[", absl::StrJoin(items, ","), "]"));
      } else if (IsCell(*field.message_type(), depth + 1)) {
        out.push_back(r.HasField(message, &field) ? MessageCell(r.GetMessage(message, &field))
                                                  : "");
      } else {
        AppendRow(r.GetMessage(message, &field), depth + 1, out);
      }
    } else if (field.is_repeated()) {
      std::vector<std::string> items;
      for (int k = 0; k < r.FieldSize(message, &field); ++k) {
        items.push_back(ScalarCell(message, field, k));
      }
      out.push_back(absl::StrJoin(items, "|"));
    } else {
      out.push_back(ScalarCell(message, field, 0));
    }
  }
}

void PrintCsvRow(const std::vector<std::string>& cells) {
  std::vector<absl::string_view> views(cells.begin(), cells.end());
  std::string line;
  engine::AppendCsvRow(views, line);
  std::fputs(line.c_str(), stdout);
}

// A Struct (the local commands' summaries) is one row of its keys.
void PrintStructCsv(const google::protobuf::Struct& summary) {
  std::vector<std::string> columns, cells;
  for (const auto& [key, value] : summary.fields()) columns.push_back(key);
  std::sort(columns.begin(), columns.end());
  for (const std::string& key : columns) {
    const google::protobuf::Value& value = summary.fields().at(key);
    switch (value.kind_case()) {
      case google::protobuf::Value::kStringValue:
        cells.push_back(value.string_value());
        break;
      case google::protobuf::Value::kNumberValue:
        cells.push_back(absl::StrCat(value.number_value()));
        break;
      case google::protobuf::Value::kBoolValue:
        cells.push_back(value.bool_value() ? "true" : "false");
        break;
      default:
        cells.push_back(Json(value, /*pretty=*/false));
    }
  }
  PrintCsvRow(columns);
  PrintCsvRow(cells);
}

}  // namespace

std::optional<OutputFormat> ParseOutputFormat(absl::string_view text) {
  if (text == "table") return OutputFormat::kTable;
  if (text == "csv") return OutputFormat::kCsv;
  if (text == "json") return OutputFormat::kJson;
  return std::nullopt;
}

std::vector<std::string> CsvColumns(const Descriptor& type) {
  std::vector<std::string> columns;
  AppendColumns(type, "", 0, columns);
  return columns;
}

std::vector<std::string> CsvRow(const Message& message) {
  std::vector<std::string> cells;
  AppendRow(message, 0, cells);
  return cells;
}

std::string JsonLine(const Message& message) { return Json(message, /*pretty=*/false); }

bool PrintForScripts(OutputFormat format, const Message& message, absl::string_view rows_field) {
  switch (format) {
    case OutputFormat::kTable:
      return false;
    case OutputFormat::kJson:
      std::fputs(Json(message, /*pretty=*/true).c_str(), stdout);
      std::fputc('\n', stdout);
      return true;
    case OutputFormat::kCsv:
      break;
  }
  if (message.GetDescriptor()->full_name() == "google.protobuf.Struct") {
    PrintStructCsv(static_cast<const google::protobuf::Struct&>(message));
    return true;
  }
  const FieldDescriptor* rows =
      rows_field.empty() ? nullptr
                         : message.GetDescriptor()->FindFieldByName(std::string(rows_field));
  if (rows == nullptr || !rows->is_repeated() ||
      rows->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) {
    PrintCsvRow(CsvColumns(*message.GetDescriptor()));
    PrintCsvRow(CsvRow(message));
    return true;
  }
  PrintCsvRow(CsvColumns(*rows->message_type()));
  const Reflection& r = *message.GetReflection();
  for (int k = 0; k < r.FieldSize(message, rows); ++k) {
    PrintCsvRow(CsvRow(r.GetRepeatedMessage(message, rows, k)));
  }
  return true;
}

bool PrintListForScripts(OutputFormat format, const std::vector<const Message*>& messages) {
  if (format == OutputFormat::kTable) return false;
  if (format == OutputFormat::kJson) {
    std::vector<std::string> items;
    for (const Message* message : messages) items.push_back(Json(*message, /*pretty=*/true));
    std::fputs(absl::StrCat("[", absl::StrJoin(items, ",\n"), "]\n").c_str(), stdout);
    return true;
  }
  if (messages.empty()) return true;
  PrintCsvRow(CsvColumns(*messages.front()->GetDescriptor()));
  for (const Message* message : messages) PrintCsvRow(CsvRow(*message));
  return true;
}

}  // namespace swabwave::services::cli
