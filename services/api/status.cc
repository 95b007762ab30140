#include "services/api/status.h"

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"

namespace swabwave::services {

std::string BoundedMessage(absl::string_view message) {
  const auto is_control = [](unsigned char c) { return c < 0x20 || c == 0x7f; };
  if (message.size() <= kMaxMessageBytes &&
      std::none_of(message.begin(), message.end(), is_control)) {
    return std::string(message);
  }
  // Room for the note on what was cut.
  constexpr size_t kKept = kMaxMessageBytes - 40;
  std::string out;
  out.reserve(std::min(message.size(), kMaxMessageBytes));
  size_t i = 0;
  for (; i < message.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(message[i]);
    const std::string escaped = !is_control(c)  ? std::string(1, static_cast<char>(c))
                                : c == '\n'     ? std::string("\\n")
                                : c == '\t'     ? std::string("\\t")
                                : c == '\r'     ? std::string("\\r")
                                                : absl::StrFormat("\\x%02x", c);
    if (out.size() + escaped.size() > kKept) break;
    out += escaped;
  }
  if (i < message.size()) {
    // Never end inside a UTF-8 character: drop its lead and continuation
    // bytes (10xxxxxx) already copied.
    size_t end = out.size();
    while (end > 0 && (static_cast<unsigned char>(out[end - 1]) & 0xC0) == 0x80) --end;
    if (end > 0 && static_cast<unsigned char>(out[end - 1]) >= 0xC0) --end;
    i -= out.size() - end;  // the dropped bytes were copied one for one
    out.resize(end);
    absl::StrAppend(&out, "... (", message.size() - i, " more bytes)");
  }
  return out;
}

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()),
                      BoundedMessage(status.message()));
}

absl::Status FromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
}

std::string RetryPushback(const grpc::Status& status) {
  if (status.error_code() != grpc::StatusCode::RESOURCE_EXHAUSTED) return "";
  // The message a person reads and the hint the retry policy reads are one
  // text, so they cannot disagree.
  constexpr absl::string_view kRetryIn = "retry in ";
  // A copy: grpc::Status::error_message() returns its string by value, and
  // a view of that temporary would dangle (AddressSanitizer caught it).
  const std::string text = status.error_message();
  const absl::string_view message = text;
  const size_t at = message.find(kRetryIn);
  if (at == absl::string_view::npos) return "-1";
  const size_t start = at + kRetryIn.size();
  const size_t end = message.find(" ms", start);
  uint32_t milliseconds = 0;
  if (end == absl::string_view::npos ||
      !absl::SimpleAtoi(message.substr(start, end - start), &milliseconds)) {
    return "-1";
  }
  return absl::StrCat(milliseconds);
}

}  // namespace swabwave::services
