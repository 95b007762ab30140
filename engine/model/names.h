// Rules for the external ids and codes swabwave accepts, shared by the CSV
// importer and the API layer so both reject the same input with the same
// words.
//
// Thread-safety: pure functions.
#ifndef SWABWAVE_ENGINE_MODEL_NAMES_H_
#define SWABWAVE_ENGINE_MODEL_NAMES_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace swabwave::engine {

inline constexpr size_t kMaxIdLength = 64;
inline constexpr size_t kMinCodeLength = 4;
inline constexpr size_t kMaxCodeLength = 64;

// An id of a community, compound, building, unit, household, site, staff
// member or round: 1-64 of [A-Za-z0-9_.:-].
bool IsValidId(absl::string_view id);

// A resident code or tube barcode: 4-64 printable ASCII characters, no
// spaces, no commas (so it survives CSV unquoted).
bool IsValidCode(absl::string_view code);

// INVALID_ARGUMENT naming `what` when `id` breaks IsValidId.
[[nodiscard]] absl::Status CheckId(absl::string_view what, absl::string_view id);

// INVALID_ARGUMENT naming `what` when `code` breaks IsValidCode. The message
// does not repeat the code (it may identify a person).
[[nodiscard]] absl::Status CheckCode(absl::string_view what, absl::string_view code);

}  // namespace swabwave::engine

#endif  // SWABWAVE_ENGINE_MODEL_NAMES_H_
