// SeededDraw: a number in [0, 1) fixed by a seed, a call number, a key (a
// resident's code, a tube's barcode) and what is drawn, so a replay run
// finds the same doors and the same results, and another call others.
//
// FNV-1a then a splitmix finaliser: absl::Hash is salted per process,
// which would make two runs of one seed differ. SeededKey is the same hash
// as 16 hex digits, for request ids and barcodes that must not carry the
// key itself (a resident's code is personal data).
//
// Thread-safety: pure functions.
#ifndef SWABWAVE_SERVICES_REPLAY_SEEDED_DRAW_H_
#define SWABWAVE_SERVICES_REPLAY_SEEDED_DRAW_H_

#include <cstdint>
#include <string>

#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"

namespace swabwave::services {

inline uint64_t SeededHash(uint64_t seed, int call, absl::string_view key, absl::string_view what) {
  uint64_t h = 0xcbf29ce484222325ULL ^ seed ^ (static_cast<uint64_t>(call) << 32);
  const auto mix_in = [&h](absl::string_view bytes) {
    for (const char c : bytes) {
      h ^= static_cast<unsigned char>(c);
      h *= 0x100000001b3ULL;
    }
    h ^= 0xff;  // a separator, so "ab"+"c" differs from "a"+"bc"
    h *= 0x100000001b3ULL;
  };
  mix_in(key);
  mix_in(what);
  h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ULL;
  h = (h ^ (h >> 27)) * 0x94d049bb133111ebULL;
  return h ^ (h >> 31);
}

inline double SeededDraw(uint64_t seed, int call, absl::string_view key, absl::string_view what) {
  return static_cast<double>(SeededHash(seed, call, key, what) >> 11) * 0x1.0p-53;
}

inline std::string SeededKey(uint64_t seed, absl::string_view key, absl::string_view what) {
  return absl::StrFormat("%016x", SeededHash(seed, 0, key, what));
}

}  // namespace swabwave::services

#endif  // SWABWAVE_SERVICES_REPLAY_SEEDED_DRAW_H_
