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
// Display names (community, compound, building, unit, site): bytes of
// UTF-8, about 85 Chinese characters. The limit keeps every entity of an
// import, and so its journal record, bounded (docs/security.md).
inline constexpr size_t kMaxNameLength = 256;

// An id of a community, compound, building, unit, household, site, staff
// member or round: 1-64 of [A-Za-z0-9_.:-].
bool IsValidId(absl::string_view id);

// A resident code or tube barcode: 4-64 printable ASCII characters, no
// spaces, commas or double quotes (so it survives CSV unquoted).
bool IsValidCode(absl::string_view code);

// INVALID_ARGUMENT naming `what` when `id` breaks IsValidId.
[[nodiscard]] absl::Status CheckId(absl::string_view what, absl::string_view id);

// A display name: at most kMaxNameLength bytes and no control characters
// but line breaks and tabs (NUL or a terminal escape would garble every
// table, notice and export that prints it). May be empty.
bool IsValidName(absl::string_view name);

// INVALID_ARGUMENT naming `what` when `name` breaks IsValidName. The message
// gives the length, not the name.
[[nodiscard]] absl::Status CheckName(absl::string_view what, absl::string_view name);

// INVALID_ARGUMENT naming `what` when `code` breaks IsValidCode. The message
// does not repeat the code (it may identify a person).
[[nodiscard]] absl::Status CheckCode(absl::string_view what, absl::string_view code);

}  // namespace swabwave::engine

#endif  // SWABWAVE_ENGINE_MODEL_NAMES_H_
