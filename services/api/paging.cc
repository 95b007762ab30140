#include "services/api/paging.h"

#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "engine/journal/crc32c.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"

namespace swabwave::services {
namespace {

constexpr absl::string_view kForeignToken =
    "page_token was not issued by this server; pass next_page_token unchanged, or leave it "
    "empty for the first page";

uint32_t TokenCheck(uint64_t position, uint32_t list) {
  char bytes[sizeof(position)];
  for (size_t i = 0; i < sizeof(position); ++i) bytes[i] = static_cast<char>(position >> (8 * i));
  return engine::journal::ExtendCrc32c(list, absl::string_view(bytes, sizeof(bytes)));
}

}  // namespace

uint32_t PageListKey(absl::string_view rpc_name, const google::protobuf::MessageLite& unpaged) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream out(&stream);
    // Map fields in a fixed order: one request, one key.
    out.SetSerializationDeterministic(true);
    unpaged.SerializeToCodedStream(&out);
  }
  return engine::journal::ExtendCrc32c(engine::journal::Crc32c(rpc_name), bytes);
}

std::string EncodePageToken(uint64_t position, uint32_t list) {
  return absl::StrCat("p", position, "-", absl::Hex(TokenCheck(position, list), absl::kZeroPad8));
}

absl::StatusOr<uint64_t> DecodePageToken(absl::string_view token, uint32_t list) {
  if (token.empty()) return 0;
  const std::vector<absl::string_view> parts = absl::StrSplit(token, '-');
  uint64_t position = 0;
  uint32_t check = 0;
  if (parts.size() != 2 || parts[0].size() < 2 || parts[0][0] != 'p' ||
      !absl::SimpleAtoi(parts[0].substr(1), &position) || parts[1].size() != 8 ||
      !absl::SimpleHexAtoi(parts[1], &check) || parts[1].find_first_of("+-") != parts[1].npos) {
    return absl::InvalidArgumentError(kForeignToken);
  }
  if (check != TokenCheck(position, list)) {
    return absl::InvalidArgumentError(
        "page_token belongs to another list (another RPC, round, filter or option): pass "
        "next_page_token only with the request that returned it, or leave it empty for the "
        "first page");
  }
  return position;
}

absl::StatusOr<size_t> PageSize(int32_t page_size, size_t default_size, size_t max_size) {
  if (page_size == 0) return default_size;
  if (page_size < 0 || static_cast<size_t>(page_size) > max_size) {
    return absl::InvalidArgumentError(absl::StrCat("page_size ", page_size,
                                                   " must be between 1 and ", max_size,
                                                   " (0 for the default of ", default_size, ")"));
  }
  return static_cast<size_t>(page_size);
}

absl::StatusOr<PageRequest> ParsePageRequest(int32_t page_size, absl::string_view page_token,
                                             size_t default_size, size_t max_size,
                                             uint32_t list) {
  absl::StatusOr<size_t> size = PageSize(page_size, default_size, max_size);
  if (!size.ok()) return size.status();
  absl::StatusOr<uint64_t> offset = DecodePageToken(page_token, list);
  if (!offset.ok()) return offset.status();
  return PageRequest{*offset, *size, list};
}

}  // namespace swabwave::services
