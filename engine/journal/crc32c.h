// Crc32c: CRC-32C (Castagnoli), the checksum of every journal frame.
//
// Debian 12's Abseil predates absl/crc, so this is our own: the SSE4.2
// crc32 instruction when the CPU has it (checked once at run time), and a
// table-driven fallback that computes the same value everywhere else.
//
// Thread-safety: pure functions.
#ifndef SWABWAVE_ENGINE_JOURNAL_CRC32C_H_
#define SWABWAVE_ENGINE_JOURNAL_CRC32C_H_

#include <cstdint>

#include "absl/strings/string_view.h"

namespace swabwave::engine::journal {

// Extends `crc` (0 for a fresh checksum) over `data`.
uint32_t ExtendCrc32c(uint32_t crc, absl::string_view data);

inline uint32_t Crc32c(absl::string_view data) { return ExtendCrc32c(0, data); }

}  // namespace swabwave::engine::journal

#endif  // SWABWAVE_ENGINE_JOURNAL_CRC32C_H_
