// CodeArena: many short strings (resident codes, tube barcodes) packed into
// one buffer, addressed by a dense index. 10 million 16-byte codes take
// 160 MB plus 4 bytes of offset each, instead of a std::string apiece.
//
// Ownership: the arena owns its bytes. A view from Get or bytes() points
// into them: valid until the next Append or Reserve (either may move the
// buffer), a move, or the arena's end.
//
// Thread-safety: Append is not thread-safe; Get may be called concurrently
// once appends have stopped (the arena is immutable while a round is open).
#ifndef SWABWAVE_ENGINE_MODEL_CODE_ARENA_H_
#define SWABWAVE_ENGINE_MODEL_CODE_ARENA_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace swabwave::engine {

class CodeArena {
 public:
  // Appends `code` and returns its index. REQUIRES: total bytes < 4 GiB.
  uint32_t Append(absl::string_view code) {
    offsets_.push_back(static_cast<uint32_t>(bytes_.size()));
    bytes_.append(code.data(), code.size());
    return static_cast<uint32_t>(offsets_.size() - 1);
  }

  absl::string_view Get(uint32_t index) const {
    const uint32_t begin = offsets_[index];
    const uint32_t end =
        index + 1 < offsets_.size() ? offsets_[index + 1] : static_cast<uint32_t>(bytes_.size());
    return absl::string_view(bytes_.data() + begin, end - begin);
  }

  size_t size() const { return offsets_.size(); }
  size_t byte_size() const { return bytes_.size(); }
  void Reserve(size_t count, size_t bytes) {
    offsets_.reserve(count);
    bytes_.reserve(bytes);
  }
  size_t MemoryBytes() const { return bytes_.capacity() + offsets_.capacity() * sizeof(uint32_t); }

  // The arena as two arrays, for a dense snapshot image.
  absl::string_view bytes() const { return bytes_; }
  const std::vector<uint32_t>& offsets() const { return offsets_; }
  // An arena from arrays read back from an image, or false (and `arena`
  // untouched) unless the offsets are non-decreasing and within `bytes`:
  // every Get stays inside the buffer.
  static bool FromParts(std::string bytes, std::vector<uint32_t> offsets, CodeArena* arena) {
    uint32_t previous = 0;
    for (uint32_t offset : offsets) {
      if (offset < previous || offset > bytes.size()) return false;
      previous = offset;
    }
    arena->bytes_ = std::move(bytes);
    arena->offsets_ = std::move(offsets);
    return true;
  }

 private:
  std::string bytes_;
  std::vector<uint32_t> offsets_;
};

}  // namespace swabwave::engine

#endif  // SWABWAVE_ENGINE_MODEL_CODE_ARENA_H_
