// ByteWriter / ByteReader: the journal's record encoding. Little-endian
// fixed-width integers, LEB128 varints for counts and ids, length-prefixed
// strings. The reader never reads past its input: every getter fails
// (returns false and latches the error) on a short or malformed record, so
// a corrupt payload that slipped past the CRC is an error, not a crash.
//
// Thread-safety: plain values; one thread each.
#ifndef SWABWAVE_ENGINE_JOURNAL_BYTE_CODEC_H_
#define SWABWAVE_ENGINE_JOURNAL_BYTE_CODEC_H_

#include <bit>
#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

#include "absl/strings/string_view.h"

namespace swabwave::engine::journal {

// Fixed-width fields are copied as the host lays them out: a journal
// written on this host must read the same on the next (issue 25 item 10).
// A big-endian build stops here rather than at its first restart.
static_assert(std::endian::native == std::endian::little,
              "the journal's record format is little-endian; this host is not: byte-swap "
              "ByteWriter::Raw and ByteReader before using swabwave here");

class ByteWriter {
 public:
  explicit ByteWriter(std::string* out) : out_(out) {}

  void U8(uint8_t v) { out_->push_back(static_cast<char>(v)); }
  void Fixed32(uint32_t v) { Raw(&v, sizeof(v)); }
  void Fixed64(uint64_t v) { Raw(&v, sizeof(v)); }
  void Varint(uint64_t v) {
    while (v >= 0x80) {
      out_->push_back(static_cast<char>(v | 0x80));
      v >>= 7;
    }
    out_->push_back(static_cast<char>(v));
  }
  // Zig-zag, so small negative numbers stay short.
  void SignedVarint(int64_t v) {
    Varint((static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63));
  }
  void Double(double v) {
    uint64_t bits;
    std::memcpy(&bits, &v, sizeof(bits));
    Fixed64(bits);
  }
  void String(absl::string_view s) {
    Varint(s.size());
    out_->append(s.data(), s.size());
  }
  // An array of plain values as one block (dense snapshot images): its
  // count, then its bytes as they sit in memory.
  template <typename T>
  void Array(const T* values, size_t count) {
    static_assert(std::is_trivially_copyable_v<T>);
    Varint(count);
    Raw(values, count * sizeof(T));
  }
  template <typename T>
  void Array(const std::vector<T>& values) {
    Array(values.data(), values.size());
  }
  // Bytes with no length before them (the reader knows how many).
  void Bytes(absl::string_view bytes) { out_->append(bytes.data(), bytes.size()); }

 private:
  void Raw(const void* data, size_t size) {
    out_->append(static_cast<const char*>(data), size);  // little-endian: checked above
  }

  std::string* out_;
};

class ByteReader {
 public:
  explicit ByteReader(absl::string_view in) : in_(in), size_(in.size()) {}

  bool U8(uint8_t* v) {
    if (!Need(1)) return false;
    *v = static_cast<uint8_t>(in_[0]);
    in_.remove_prefix(1);
    return true;
  }
  bool Fixed32(uint32_t* v) { return Raw(v, sizeof(*v)); }
  bool Fixed64(uint64_t* v) { return Raw(v, sizeof(*v)); }
  bool Varint(uint64_t* v) {
    uint64_t result = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      uint8_t byte;
      if (!U8(&byte)) return false;
      result |= uint64_t{byte & 0x7Fu} << shift;
      if ((byte & 0x80) == 0) {
        *v = result;
        return true;
      }
    }
    return Fail();
  }
  // A varint that must fit in 32 bits.
  bool Varint32(uint32_t* v) {
    uint64_t wide;
    if (!Varint(&wide) || wide > UINT32_MAX) return Fail();
    *v = static_cast<uint32_t>(wide);
    return true;
  }
  bool SignedVarint(int64_t* v) {
    uint64_t raw;
    if (!Varint(&raw)) return false;
    *v = static_cast<int64_t>(raw >> 1) ^ -static_cast<int64_t>(raw & 1);
    return true;
  }
  bool Double(double* v) {
    uint64_t bits;
    if (!Fixed64(&bits)) return false;
    std::memcpy(v, &bits, sizeof(bits));
    return true;
  }
  bool String(std::string* s) {
    absl::string_view view;
    if (!StringView(&view)) return false;
    s->assign(view.data(), view.size());
    return true;
  }
  // Points into the input, which must outlive the view.
  bool StringView(absl::string_view* s) {
    uint64_t size;
    if (!Varint(&size) || !Need(size)) return false;
    *s = in_.substr(0, size);
    in_.remove_prefix(size);
    return true;
  }

  // An array written by ByteWriter::Array, of at most `max_count` values.
  // The count is checked against the bytes left before anything is
  // allocated.
  template <typename T>
  bool Array(std::vector<T>* values, uint64_t max_count) {
    static_assert(std::is_trivially_copyable_v<T>);
    uint64_t count;
    if (!Varint(&count) || count > max_count || count > in_.size() / sizeof(T)) return Fail();
    values->resize(count);
    return Raw(values->data(), count * sizeof(T));
  }
  // The next `size` bytes, pointing into the input.
  bool Bytes(uint64_t size, absl::string_view* bytes) {
    if (!Need(size)) return false;
    *bytes = in_.substr(0, size);
    in_.remove_prefix(size);
    return true;
  }

  // Whether every read so far succeeded.
  bool ok() const { return ok_; }
  // Bytes read so far (meaningful while ok()).
  size_t offset() const { return size_ - in_.size(); }
  // Bytes not read yet.
  size_t remaining() const { return in_.size(); }
  bool empty() const { return in_.empty(); }
  // Fails the reader (for a value that decoded but makes no sense).
  bool Fail() {
    ok_ = false;
    in_ = {};
    return false;
  }

 private:
  bool Need(uint64_t size) {
    if (!ok_ || in_.size() < size) return Fail();
    return true;
  }
  bool Raw(void* out, size_t size) {
    if (!Need(size)) return false;
    if (size > 0) std::memcpy(out, in_.data(), size);
    in_.remove_prefix(size);
    return true;
  }

  absl::string_view in_;
  size_t size_;
  bool ok_ = true;
};

}  // namespace swabwave::engine::journal

#endif  // SWABWAVE_ENGINE_JOURNAL_BYTE_CODEC_H_
