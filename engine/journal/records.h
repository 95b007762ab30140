// Records: the events swabwave journals, and their binary encoding
// (byte_codec.h). A record's first byte is its RecordType; the rest is the
// event. Recovery decodes them back into the same engine values, so every
// Decode checks what it reads (INVALID_ARGUMENT naming the record type on
// a malformed payload) and never trusts a count or an index blindly.
//
// Rare events name rounds by id; check-ins name a round by its index in
// creation order (the order RoundCreated records appear), to stay short.
//
// Thread-safety: pure functions.
#ifndef SWABWAVE_ENGINE_JOURNAL_RECORDS_H_
#define SWABWAVE_ENGINE_JOURNAL_RECORDS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "engine/custody/box_book.h"
#include "engine/lab/result_book.h"
#include "engine/lab/retest_book.h"
#include "engine/model/community.h"
#include "engine/model/round_config.h"
#include "engine/plan/plan.h"
#include "engine/roster/walk_in_book.h"
#include "engine/visits/visit_book.h"

namespace swabwave::engine::journal {

enum class RecordType : uint8_t {
  kCommunityImported = 1,
  kRoundCreated = 2,
  kRoundPlanned = 3,
  kRoundOpened = 4,
  kRoundClosed = 5,
  kTubeRacked = 6,
  kTubeSealed = 7,
  // A check-in as written before the request index (issue 22): its request
  // id as a 32-bit tag only. Still read, never written.
  kCheckInBeforeRequestIndex = 8,
  kRoundReplanned = 9,  // a new plan for a planned or open round (site change)
  // Dense snapshot images (community_image.h, round_image.h): only in
  // snapshot files, never appended to a segment.
  kCommunityImage = 10,
  kRoundImage = 11,
  kCheckIn = 12,  // with the request id's whole 64-bit fingerprint
  kVisit = 13,    // a door-to-door visit that did not sample (engine/visits)
  kWalkIn = 14,   // someone on no roster, registered and sampled at a desk (engine/roster)
  // A box as it stands after each hand-over (engine/custody): the whole
  // box, so that any one of them rebuilds it.
  kBoxPacked = 15,
  kBoxPickedUp = 16,
  kBoxReceived = 17,
  kTubeResult = 18,  // a lab's result for a tube, or its correction (engine/lab)
  kFollowUp = 19,    // a recalled or called-back resident's own-tube swab (engine/lab)
  kLast = kFollowUp,
};

// The type of an encoded record, or INVALID_ARGUMENT for an empty or
// unknown one.
[[nodiscard]] absl::StatusOr<RecordType> TypeOf(absl::string_view record);
absl::string_view RecordTypeName(RecordType type);

// ---- community

void EncodeCommunity(const Community& community, std::string* out);
// Rebuilds the community through CommunityBuilder (so it is validated as
// an import is).
[[nodiscard]] absl::StatusOr<Community> DecodeCommunity(absl::string_view record);

// ---- round lifecycle

struct RoundCreated {
  RoundConfig config;
  absl::Time created;
};
void EncodeRoundCreated(const RoundCreated& event, std::string* out);
[[nodiscard]] absl::StatusOr<RoundCreated> DecodeRoundCreated(absl::string_view record);

struct RoundPlanned {
  std::string round_id;
  plan::Plan plan;
};
// type: kRoundPlanned, or kRoundReplanned (the same payload: the whole new
// plan, which recovery installs without touching the check-ins).
void EncodeRoundPlanned(absl::string_view round_id, const plan::Plan& plan, std::string* out,
                        RecordType type = RecordType::kRoundPlanned);
[[nodiscard]] absl::StatusOr<RoundPlanned> DecodeRoundPlanned(absl::string_view record);

// kRoundOpened and kRoundClosed carry only the round id.
void EncodeRoundPhase(RecordType type, absl::string_view round_id, std::string* out);
[[nodiscard]] absl::StatusOr<std::string> DecodeRoundPhase(absl::string_view record);

// ---- tubes

struct TubeEvent {
  std::string round_id;
  uint32_t desk = 0;
  uint32_t tube = 0;  // the index the rack gave it
  std::string barcode;
};
// type: kTubeRacked or kTubeSealed.
void EncodeTubeEvent(RecordType type, const TubeEvent& event, std::string* out);
[[nodiscard]] absl::StatusOr<TubeEvent> DecodeTubeEvent(absl::string_view record);

// ---- check-ins

struct CheckInRecord {
  uint32_t round = 0;  // index in creation order
  uint32_t resident = 0;
  uint32_t tube = 0;
  uint32_t slot = 0;
  int64_t scan_unix_seconds = 0;
  // The request id's fingerprint (core::RequestFingerprint). A
  // kCheckInBeforeRequestIndex record holds only its low half:
  // `request_whole` is then false and the high half zero.
  uint64_t request = 0;
  bool request_whole = true;
};
// Writes a kCheckIn record, or, for a check-in whose request is not whole
// (restored from an old record and written again into a snapshot), a
// kCheckInBeforeRequestIndex one.
void EncodeCheckIn(const CheckInRecord& record, std::string* out);
// Reads either kind.
[[nodiscard]] absl::StatusOr<CheckInRecord> DecodeCheckIn(absl::string_view record);

// ---- door-to-door visits

struct VisitRecord {
  uint32_t round = 0;  // index in creation order
  visits::Visit visit;
};
void EncodeVisit(const VisitRecord& record, std::string* out);
// DATA_LOSS-free: a malformed record or one ValidateVisit refuses is
// INVALID_ARGUMENT, like every decoder here.
[[nodiscard]] absl::StatusOr<VisitRecord> DecodeVisit(absl::string_view record);

// ---- walk-ins

struct WalkInRecord {
  uint32_t round = 0;  // index in creation order
  roster::WalkIn walk_in;
};
void EncodeWalkIn(const WalkInRecord& record, std::string* out);
// INVALID_ARGUMENT for a malformed record, or one whose code or ids are not
// well formed.
[[nodiscard]] absl::StatusOr<WalkInRecord> DecodeWalkIn(absl::string_view record);

// ---- boxes (custody)

struct BoxRecord {
  uint32_t round = 0;  // index in creation order
  custody::Box box;
};
// The record's type follows box.state: kBoxPacked, kBoxPickedUp, kBoxReceived.
void EncodeBox(const BoxRecord& record, std::string* out);
// Reads any of the three. INVALID_ARGUMENT for a malformed record, more
// tubes than kMaxBoxCapacity, or a barcode that is not one.
[[nodiscard]] absl::StatusOr<BoxRecord> DecodeBox(absl::string_view record);

// ---- lab results

struct ResultRecord {
  uint32_t round = 0;  // index in creation order
  lab::Report report;
};
void EncodeResult(const ResultRecord& record, std::string* out);
// The same, from the book's report without copying it into a record.
void EncodeResult(uint32_t round, const lab::Report& report, std::string* out);
// INVALID_ARGUMENT for a malformed record or one ValidateReport refuses.
[[nodiscard]] absl::StatusOr<ResultRecord> DecodeResult(absl::string_view record);

// ---- follow-up swabs

struct FollowUpRecord {
  uint32_t round = 0;  // index in creation order
  lab::Retest retest;
};
void EncodeFollowUp(const FollowUpRecord& record, std::string* out);
// INVALID_ARGUMENT for a malformed record, an unknown reason or a barcode
// that is not one.
[[nodiscard]] absl::StatusOr<FollowUpRecord> DecodeFollowUp(absl::string_view record);

}  // namespace swabwave::engine::journal

#endif  // SWABWAVE_ENGINE_JOURNAL_RECORDS_H_
