// Resource names and page tokens of the swabwave.v1 API: parsing with
// messages that say what was expected, and formatting.
//
//   rounds/{round_id}
//   sites/{site_id}/desks/{n}          n from 1
//   page tokens: opaque to clients; here "p" + a decimal position.
//
// Thread-safety: pure functions.
#ifndef SWABWAVE_SERVICES_API_RESOURCE_NAMES_H_
#define SWABWAVE_SERVICES_API_RESOURCE_NAMES_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "engine/round/progress.h"

namespace swabwave::services {

// The round id of "rounds/{round_id}". INVALID_ARGUMENT otherwise.
[[nodiscard]] absl::StatusOr<std::string> ParseRoundName(absl::string_view name);
std::string RoundName(absl::string_view round_id);

struct DeskName {
  std::string site_id;
  int number = 0;
};
// INVALID_ARGUMENT unless `name` is "sites/{site_id}/desks/{n}", n >= 1.
[[nodiscard]] absl::StatusOr<DeskName> ParseDeskName(absl::string_view name);

// A position in a list as a page token, and back. An empty token is 0.
// INVALID_ARGUMENT for a token this server did not hand out.
std::string EncodePageToken(uint64_t position);
[[nodiscard]] absl::StatusOr<uint64_t> DecodePageToken(absl::string_view token);

// page_size 0 means `default_size`; INVALID_ARGUMENT outside 0..max_size.
[[nodiscard]] absl::StatusOr<size_t> PageSize(int32_t page_size, size_t default_size,
                                              size_t max_size);

// A page of a list: where it starts (what the token encodes) and how many
// rows it may hold.
struct PageRequest {
  uint64_t offset = 0;
  size_t size = 0;

  // Where this page ends in a list of `total` rows (engine::PageEnd: a page
  // past the end is empty and ends the list).
  size_t End(size_t total) const { return engine::PageEnd(offset, size, total); }
};
// Every paged RPC's page_size and page_token, checked in that order
// (PageSize, DecodePageToken).
[[nodiscard]] absl::StatusOr<PageRequest> ParsePageRequest(int32_t page_size,
                                                           absl::string_view page_token,
                                                           size_t default_size, size_t max_size);

// INVALID_ARGUMENT unless request_id is 1..128 bytes.
[[nodiscard]] absl::Status CheckRequestId(absl::string_view request_id);

}  // namespace swabwave::services

#endif  // SWABWAVE_SERVICES_API_RESOURCE_NAMES_H_
