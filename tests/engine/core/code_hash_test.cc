// What is persisted must not drift (issue 25 item 10). A check-in record
// carries its request id's 64-bit fingerprint (HashCode, via
// RequestFingerprint); after an upgrade a retried check-in is recognised
// only if the same id still hashes to the same value. These values and
// bytes are pinned: a change to the hash or to the record format fails
// here, before it could make retried check-ins count twice.
#include "engine/core/code_hash.h"

#include <gtest/gtest.h>

#include <string>

#include "absl/strings/escaping.h"
#include "engine/core/request_index.h"
#include "engine/journal/records.h"

namespace swabwave::engine::core {
namespace {

TEST(PersistedHashTest, HashCodeValuesArePinned) {
  // Empty, one byte, a resident code, a word and a tail, a request id as
  // swabwave-replay makes them, exactly two words.
  EXPECT_EQ(HashCode(""), 0xe220a8397b1dcdafull);
  EXPECT_EQ(HashCode("a"), 0x94ad753a04ac0368ull);
  EXPECT_EQ(HashCode("TC-0001"), 0x81fb4a47b382ac4eull);
  EXPECT_EQ(HashCode("kangcheng-00012345"), 0xdcdccbb5fd5f4e0dull);
  EXPECT_EQ(HashCode("checkin-7f3a9c21e4b0d658-12345"), 0x6de36587272b729eull);
  EXPECT_EQ(HashCode("0123456789abcdef"), 0xafd6e2589e3d51c3ull);
  EXPECT_EQ(RequestFingerprint("checkin-7f3a9c21e4b0d658-12345"), 0x6de36587272b729eull);
}

TEST(PersistedHashTest, ACheckInRecordsBytesArePinned) {
  journal::CheckInRecord record;
  record.round = 2;
  record.resident = 300;
  record.tube = 41;
  record.slot = 7;
  record.scan_unix_seconds = 1795762900;
  record.request = RequestFingerprint("checkin-7f3a9c21e4b0d658-12345");
  std::string bytes;
  journal::EncodeCheckIn(record, &bytes);
  // Type 12, round, resident, tube, slot and scan time as varints, then
  // the fingerprint as 8 little-endian bytes.
  EXPECT_EQ(absl::BytesToHexString(bytes), "0c02ac022907a8abc9b00d9e722b278765e36d");
  absl::StatusOr<journal::CheckInRecord> decoded = journal::DecodeCheckIn(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->request, 0x6de36587272b729eull);
  EXPECT_TRUE(decoded->request_whole);
}

}  // namespace
}  // namespace swabwave::engine::core
