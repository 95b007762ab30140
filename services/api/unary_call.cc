#include "services/api/unary_call.h"

#include "absl/strings/str_cat.h"

namespace swabwave::services {

absl::Status UnparsedRequest(Rpc rpc, absl::string_view message_type) {
  return absl::InvalidArgumentError(
      absl::StrCat("the ", RpcName(rpc), " request does not parse as a ", message_type,
                   ": a string field holds invalid UTF-8, or the bytes are not that message "
                   "(a client built from another version of the proto?)"));
}

}  // namespace swabwave::services
