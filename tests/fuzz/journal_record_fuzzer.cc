// libFuzzer target: one journal record, as recovery would meet it (a frame
// whose CRC matched, so the bytes are whatever a buggy or hostile writer
// put there). Decoding must never crash or read out of bounds; whatever
// decodes must re-encode to a canonical form that decodes to the same
// thing; applying it to a live registry must return a status, not crash,
// and leave the round's invariants intact.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "engine/journal/community_image.h"
#include "engine/journal/records.h"
#include "engine/journal/round_image.h"
#include "tests/fuzz/fuzz_world.h"

namespace swabwave::fuzz {
namespace {

using engine::journal::RecordType;

// Decode, encode, decode again, encode again: the two encodings must agree.
template <typename Decode, typename Encode>
void CheckRoundTrip(absl::string_view record, Decode decode, Encode encode) {
  auto first = decode(record);
  if (!first.ok()) return;
  std::string canonical;
  encode(*first, &canonical);
  auto second = decode(canonical);
  if (!second.ok()) abort();
  std::string again;
  encode(*second, &again);
  if (again != canonical) abort();
}

void CheckDecoders(absl::string_view record) {
  using namespace engine::journal;
  CheckRoundTrip(record, DecodeCheckIn,
                 [](const CheckInRecord& r, std::string* out) { EncodeCheckIn(r, out); });
  CheckRoundTrip(record, DecodeTubeEvent, [&](const TubeEvent& e, std::string* out) {
    EncodeTubeEvent(static_cast<RecordType>(record[0]), e, out);
  });
  CheckRoundTrip(record, DecodeRoundCreated,
                 [](const RoundCreated& e, std::string* out) { EncodeRoundCreated(e, out); });
  CheckRoundTrip(record, DecodeRoundPlanned, [](const RoundPlanned& e, std::string* out) {
    EncodeRoundPlanned(e.round_id, e.plan, out);
  });
  CheckRoundTrip(record, DecodeRoundPhase, [&](const std::string& id, std::string* out) {
    EncodeRoundPhase(static_cast<RecordType>(record[0]), id, out);
  });
  CheckRoundTrip(record, DecodeVisit,
                 [](const VisitRecord& v, std::string* out) { EncodeVisit(v, out); });
  CheckRoundTrip(record, DecodeWalkIn,
                 [](const WalkInRecord& w, std::string* out) { EncodeWalkIn(w, out); });
  CheckRoundTrip(record, DecodeBox,
                 [](const BoxRecord& b, std::string* out) { EncodeBox(b, out); });
  CheckRoundTrip(record, DecodeResult,
                 [](const ResultRecord& r, std::string* out) { EncodeResult(r, out); });
  CheckRoundTrip(record, DecodeFollowUp,
                 [](const FollowUpRecord& f, std::string* out) { EncodeFollowUp(f, out); });
  CheckRoundTrip(record, DecodeCommunity,
                 [](const engine::Community& c, std::string* out) { EncodeCommunity(c, out); });
  // Dense snapshot images. A round image has no encoder from its decoded
  // form (it is written from a live round): decoding must just not crash.
  CheckRoundTrip(record, DecodeCommunityImage, [](const engine::Community& c, std::string* out) {
    EncodeCommunityImage(c, out);
  });
  (void)DecodeRoundImage(record);
}

// A round image names round "r", which the shared world already has (and so
// skips): apply it to a world holding only the community, where it builds
// the round, and check what it built as the shared world is checked.
void CheckRoundImage(absl::string_view record) {
  engine::Registry registry;
  engine::testing::Shape shape;
  shape.mobility_limited_every = 5;
  shape.exempt_every = 7;
  if (!registry.ImportCommunity(engine::testing::MakeCommunity(shape)).ok()) abort();
  if (!registry.ApplyRecord(record).ok()) return;
  registry.FinishRecovery();
  for (engine::Round* round : registry.ListRounds()) {
    if (round->live() == nullptr) continue;
    const auto& rack = round->live()->rack();
    for (uint32_t t = 0; t < rack.tube_count(); ++t) {
      if (rack.Tube(t).swabs > static_cast<uint32_t>(rack.pool_ratio())) abort();
    }
    (void)round->Totals();
    (void)round->Progress(engine::ProgressLevel::kWave, 0, 100);
    (void)round->ListUntested({}, engine::kNoId, 100);
  }
}

}  // namespace
}  // namespace swabwave::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view record(reinterpret_cast<const char*>(data), size);
  if (record.empty()) return 0;
  swabwave::fuzz::CheckDecoders(record);
  if (static_cast<uint8_t>(record[0]) ==
      static_cast<uint8_t>(swabwave::engine::journal::RecordType::kRoundImage)) {
    swabwave::fuzz::CheckRoundImage(record);
  }
  // Building the world costs far more than one input, so inputs share it
  // for a while (records pile up in it, which also fuzzes sequences).
  static std::unique_ptr<swabwave::engine::Registry> registry;
  static int uses = 0;
  if (registry == nullptr || ++uses % 256 == 0) registry = swabwave::fuzz::MakeWorld();
  (void)registry->ApplyRecord(record);
  registry->FinishRecovery();
  // Whatever was applied, the round still answers and its tubes hold at
  // most the pool ratio.
  swabwave::engine::Round* round = registry->FindRound("r");
  if (round != nullptr && round->live() != nullptr) {
    const auto& rack = round->live()->rack();
    for (uint32_t t = 0; t < rack.tube_count(); ++t) {
      if (rack.Tube(t).swabs > static_cast<uint32_t>(rack.pool_ratio())) abort();
    }
    (void)round->Totals();
  }
  return 0;
}
