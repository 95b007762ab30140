#include "engine/journal/crc32c.h"

#include <array>
#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace swabwave::engine::journal {

namespace {

constexpr uint32_t kPolynomial = 0x82F63B78;  // Castagnoli, reflected

constexpr std::array<uint32_t, 256> MakeTable() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t crc = i;
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ ((crc & 1) != 0 ? kPolynomial : 0);
    table[i] = crc;
  }
  return table;
}

constexpr std::array<uint32_t, 256> kTable = MakeTable();

uint32_t ExtendPortable(uint32_t crc, const unsigned char* data, size_t size) {
  for (size_t i = 0; i < size; ++i) crc = kTable[(crc ^ data[i]) & 0xFF] ^ (crc >> 8);
  return crc;
}

// ---- shifting a CRC over zeros, to join CRCs computed side by side
//
// The CRC register is linear over GF(2): the register after A then B is
// the register after A carried over |B| zero bytes, xor the register after
// B alone started from zero. Carrying over a fixed number of zero bytes is
// a 32x32 bit matrix, applied here byte by byte through four tables (after
// Mark Adler's crc32c.c).

using Matrix = std::array<uint32_t, 32>;

constexpr uint32_t Times(const Matrix& matrix, uint32_t vector) {
  uint32_t sum = 0;
  for (int row = 0; vector != 0; vector >>= 1, ++row) {
    if ((vector & 1) != 0) sum ^= matrix[row];
  }
  return sum;
}

constexpr Matrix Square(const Matrix& matrix) {
  Matrix square{};
  for (int row = 0; row < 32; ++row) square[row] = Times(matrix, matrix[row]);
  return square;
}

// The tables that carry a register over `bytes` zero bytes (a power of two).
constexpr std::array<std::array<uint32_t, 256>, 4> ZerosTables(size_t bytes) {
  Matrix op{};  // one zero bit
  op[0] = kPolynomial;
  for (int row = 1; row < 32; ++row) op[row] = 1u << (row - 1);
  for (size_t bits = 1; bits < bytes * 8; bits <<= 1) op = Square(op);
  std::array<std::array<uint32_t, 256>, 4> tables{};
  for (uint32_t n = 0; n < 256; ++n) {
    for (int b = 0; b < 4; ++b) tables[b][n] = Times(op, n << (8 * b));
  }
  return tables;
}

// Bytes per stream: three streams of kStream bytes each are folded at once.
constexpr size_t kStream = 4096;
constexpr std::array<std::array<uint32_t, 256>, 4> kShiftStream = ZerosTables(kStream);

constexpr uint32_t ShiftStream(uint32_t crc) {
  return kShiftStream[0][crc & 0xFF] ^ kShiftStream[1][(crc >> 8) & 0xFF] ^
         kShiftStream[2][(crc >> 16) & 0xFF] ^ kShiftStream[3][crc >> 24];
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) uint32_t ExtendHardware(uint32_t crc, const unsigned char* data,
                                                          size_t size) {
  uint64_t crc64 = crc;
  size_t i = 0;
  // The crc32 instruction takes three cycles but can start one a cycle:
  // three independent streams keep it busy (about 3x on 1 GB snapshots).
  for (; i + 3 * kStream <= size; i += 3 * kStream) {
    uint64_t crc1 = 0;
    uint64_t crc2 = 0;
    for (size_t j = i; j < i + kStream; j += 8) {
      uint64_t word0, word1, word2;
      std::memcpy(&word0, data + j, 8);
      std::memcpy(&word1, data + j + kStream, 8);
      std::memcpy(&word2, data + j + 2 * kStream, 8);
      crc64 = _mm_crc32_u64(crc64, word0);
      crc1 = _mm_crc32_u64(crc1, word1);
      crc2 = _mm_crc32_u64(crc2, word2);
    }
    crc64 = ShiftStream(static_cast<uint32_t>(crc64)) ^ crc1;
    crc64 = ShiftStream(static_cast<uint32_t>(crc64)) ^ crc2;
  }
  for (; i + 8 <= size; i += 8) {
    uint64_t word;
    std::memcpy(&word, data + i, 8);
    crc64 = _mm_crc32_u64(crc64, word);
  }
  uint32_t crc32 = static_cast<uint32_t>(crc64);
  for (; i < size; ++i) crc32 = _mm_crc32_u8(crc32, data[i]);
  return crc32;
}

const bool kHaveSse42 = __builtin_cpu_supports("sse4.2");
#endif

}  // namespace

uint32_t ExtendCrc32c(uint32_t crc, absl::string_view data) {
  const auto* bytes = reinterpret_cast<const unsigned char*>(data.data());
  crc = ~crc;
#if defined(__x86_64__)
  crc = kHaveSse42 ? ExtendHardware(crc, bytes, data.size())
                   : ExtendPortable(crc, bytes, data.size());
#else
  crc = ExtendPortable(crc, bytes, data.size());
#endif
  return ~crc;
}

}  // namespace swabwave::engine::journal
