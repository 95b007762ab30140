// HugeArray: a fixed-size array of T for large, randomly accessed tables,
// backed by transparent huge pages where the kernel offers them
// (madvise(MADV_HUGEPAGE)). A 10-million-resident table spans 457 MB: on
// 4 KiB pages nearly every random probe is also a TLB miss; on 2 MiB pages
// almost none is. Falls back to ordinary pages silently.
//
// Ownership: move-only; the array owns its memory and destroys its elements
// with it. Allocation failure throws std::bad_alloc, as a std::vector's would.
//
// Thread-safety: like a plain array; construction and destruction are
// single-threaded.
#ifndef SWABWAVE_ENGINE_CORE_HUGE_ARRAY_H_
#define SWABWAVE_ENGINE_CORE_HUGE_ARRAY_H_

#include <sys/mman.h>

#include <cstddef>
#include <cstdlib>
#include <memory>
#include <new>

namespace swabwave::engine::core {

template <typename T>
class HugeArray {
 public:
  static constexpr size_t kHugePage = size_t{2} << 20;

  // Tag for an array whose elements the caller constructs.
  struct Uninitialized {};

  HugeArray() = default;
  explicit HugeArray(size_t size) : size_(size) {
    Allocate();
    std::uninitialized_default_construct_n(data_, size_);
  }
  // Allocates without constructing (saves a pass over a large table that is
  // about to be filled anyway). REQUIRES: the caller constructs every
  // element (placement new) before the array is read or destroyed.
  HugeArray(size_t size, Uninitialized) : size_(size) { Allocate(); }
  ~HugeArray() { Release(); }
  HugeArray(HugeArray&& other) noexcept : data_(other.data_), size_(other.size_) {
    other.data_ = nullptr;
    other.size_ = 0;
  }
  HugeArray& operator=(HugeArray&& other) noexcept {
    if (this != &other) {
      Release();
      data_ = other.data_;
      size_ = other.size_;
      other.data_ = nullptr;
      other.size_ = 0;
    }
    return *this;
  }
  HugeArray(const HugeArray&) = delete;
  HugeArray& operator=(const HugeArray&) = delete;

  T& operator[](size_t i) { return data_[i]; }
  const T& operator[](size_t i) const { return data_[i]; }
  T* data() { return data_; }
  size_t size() const { return size_; }

 private:
  void Allocate() {
    const size_t bytes = (size_ * sizeof(T) + kHugePage - 1) / kHugePage * kHugePage;
    void* memory = bytes >= kHugePage ? std::aligned_alloc(kHugePage, bytes)
                                      : std::aligned_alloc(alignof(T), bytes);
    if (memory == nullptr) throw std::bad_alloc();
    if (bytes >= kHugePage) madvise(memory, bytes, MADV_HUGEPAGE);
    data_ = static_cast<T*>(memory);
  }
  void Release() {
    if (data_ == nullptr) return;
    std::destroy_n(data_, size_);
    std::free(data_);
    data_ = nullptr;
  }

  T* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace swabwave::engine::core

#endif  // SWABWAVE_ENGINE_CORE_HUGE_ARRAY_H_
