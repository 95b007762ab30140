// Paging for every list RPC of the swabwave.v1 API: page sizes, and page
// tokens bound to the list they page.
//
// A page token is opaque to clients: here "p" + a decimal position + "-" +
// eight hex digits that check it. The check covers the position and the
// list's key (PageListKey: the RPC and every field of its request except
// page_size and page_token), so a token handed back with another list, round,
// filter or option is refused rather than silently read as a position in a
// different list. It guards against mistakes, not forgery: the check is a
// CRC, not a secret.
//
// Thread-safety: pure functions.
#ifndef SWABWAVE_SERVICES_API_PAGING_H_
#define SWABWAVE_SERVICES_API_PAGING_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "engine/round/progress.h"
#include "google/protobuf/message_lite.h"

namespace swabwave::services {

// The key of the list `request` pages, for `rpc_name` (e.g. "ListRounds").
// REQUIRES: `unpaged` has page_size and page_token cleared.
uint32_t PageListKey(absl::string_view rpc_name, const google::protobuf::MessageLite& unpaged);

// A position in a list as a page token, and back. An empty token is 0.
// INVALID_ARGUMENT for a token this server did not hand out, or one it
// handed out for another list (`list` differs).
std::string EncodePageToken(uint64_t position, uint32_t list);
[[nodiscard]] absl::StatusOr<uint64_t> DecodePageToken(absl::string_view token, uint32_t list);

// page_size 0 means `default_size`; INVALID_ARGUMENT outside 0..max_size.
[[nodiscard]] absl::StatusOr<size_t> PageSize(int32_t page_size, size_t default_size,
                                              size_t max_size);

// A page of a list: where it starts (what the token encodes), how many rows
// it may hold, and the list's key for the next page's token.
struct PageRequest {
  uint64_t offset = 0;
  size_t size = 0;
  uint32_t list = 0;

  // Where this page ends in a list of `total` rows (engine::PageEnd: a page
  // past the end is empty and ends the list).
  size_t End(size_t total) const { return engine::PageEnd(offset, size, total); }
  // The token of the page that starts at `position` of this list.
  std::string Token(uint64_t position) const { return EncodePageToken(position, list); }
};
// Every paged RPC's page_size and page_token, checked in that order
// (PageSize, DecodePageToken).
[[nodiscard]] absl::StatusOr<PageRequest> ParsePageRequest(int32_t page_size,
                                                           absl::string_view page_token,
                                                           size_t default_size, size_t max_size,
                                                           uint32_t list);

}  // namespace swabwave::services

#endif  // SWABWAVE_SERVICES_API_PAGING_H_
