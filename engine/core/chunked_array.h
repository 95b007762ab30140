// ChunkedArray: a growable array whose elements never move, so readers can
// index it without a lock while a writer appends.
//
// Chunks of kChunkSize elements are allocated on demand and published with a
// release store; a reader that learned an index through an acquire load (for
// example from the desk word) sees the chunk and the element's contents.
//
// Ownership: the array owns its chunks and frees them when destroyed; a
// reference from operator[] stays valid until then (elements never move).
// EnsureSize reports running past kMaxSize by returning false.
//
// Thread-safety: EnsureSize must be serialized by the caller (the desk rack
// calls it under its mutex); operator[] may run concurrently with it for any
// index below a size that was published to the reader.
#ifndef SWABWAVE_ENGINE_CORE_CHUNKED_ARRAY_H_
#define SWABWAVE_ENGINE_CORE_CHUNKED_ARRAY_H_

#include <array>
#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>

namespace swabwave::engine::core {

template <typename T, size_t kChunkSize, size_t kMaxChunks>
class ChunkedArray {
 public:
  static constexpr size_t kMaxSize = kChunkSize * kMaxChunks;

  // `init` fills each new element; elements are default-constructed first.
  explicit ChunkedArray(std::function<void(T&)> init = nullptr) : init_(std::move(init)) {}
  ~ChunkedArray() {
    for (auto& chunk : chunks_) delete[] chunk.load(std::memory_order_relaxed);
  }
  ChunkedArray(const ChunkedArray&) = delete;
  ChunkedArray& operator=(const ChunkedArray&) = delete;

  // Makes indices [0, size) addressable. Returns false past kMaxSize.
  bool EnsureSize(size_t size) {
    if (size > kMaxSize) return false;
    for (size_t c = 0; c * kChunkSize < size; ++c) {
      if (chunks_[c].load(std::memory_order_relaxed) != nullptr) continue;
      T* chunk = new T[kChunkSize];
      if (init_) {
        for (size_t i = 0; i < kChunkSize; ++i) init_(chunk[i]);
      }
      // Release: a reader that acquires the pointer sees initialized elements.
      chunks_[c].store(chunk, std::memory_order_release);
    }
    return true;
  }

  T& operator[](size_t i) const {
    return chunks_[i / kChunkSize].load(std::memory_order_acquire)[i % kChunkSize];
  }

  size_t AllocatedBytes() const {
    size_t bytes = sizeof(*this);
    for (const auto& chunk : chunks_) {
      if (chunk.load(std::memory_order_relaxed) != nullptr) bytes += sizeof(T) * kChunkSize;
    }
    return bytes;
  }

 private:
  std::array<std::atomic<T*>, kMaxChunks> chunks_{};
  std::function<void(T&)> init_;
};

}  // namespace swabwave::engine::core

#endif  // SWABWAVE_ENGINE_CORE_CHUNKED_ARRAY_H_
