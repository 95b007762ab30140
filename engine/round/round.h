// Round: one testing round from creation to close — its configuration, its
// layout over its communities, the code index, the plan, and (once planned)
// the lock-free live state that takes check-ins.
//
// One class, one file per job in this folder:
//   lifecycle.cc         creation, planning and re-planning, open and close
//   check_in.cc          desks, check-ins and tubes (the lock-free path)
//   recovery.cc          rebuilding from a snapshot's image or records, and
//                        writing its snapshot
//   progress_queries.cc  totals, progress by level, the untested and
//                        door-to-door lists (progress.h)
//   visits.cc            door-to-door visits that did not sample
//                        (engine/visits/visit_book.h)
//   walk_ins.cc          people on no roster, registered at a desk
//   custody.cc           boxes and their hand-overs (engine/custody)
//   lab.cc               results and recall lists (engine/lab)
//   follow_ups.cc        follow-up swabs and each member's state after the
//                        swab (engine/lab/retest_book.h)
// State of later stages (boxes, lab results, recalls, visits) lives in
// modules of its own beside this folder; Round only wires them.
//
// Lifecycle: kDraft --MakePlan--> kPlanned --MakePlan (again)--> kPlanned
//            --Open--> kOpen --Close--> kClosed.
// Replan (kPlanned or kOpen) changes the plan and keeps the phase.
//
// Example:
//   Round* round = registry.CreateRound(config).value();
//   round->MakePlan(GreedyPlanner(), {}).value();
//   round->Open();
//   DeskIndex desk = round->ResolveDesk("s1", 1).value();
//   round->RackTube(desk, "TB0001");
//   CheckInResult r = round->CheckIn(desk, code, now_s, core::RequestFingerprint(request_id));
//
// Ownership: the round borrows its communities, which must outlive it (the
// Registry keeps them while it lives), and the journal::Store given to
// AttachStore.
// It owns its resident table and live state. Plans are shared: a plan that
// MakePlan, Replan or plan() returned stays valid after another replaces
// it. resident_code's view points into a community; TubeBarcode's into the
// live state's rack.
//
// Errors, across the calls below: FAILED_PRECONDITION for the wrong phase;
// NOT_FOUND for an unknown site, desk, building, community or tube;
// ALREADY_EXISTS for a barcode used before in the round; INVALID_ARGUMENT
// for codes shared between communities (Create) or bad planner options;
// RESOURCE_EXHAUSTED for waves that cannot hold everyone due, a record
// past the store's limit or a full rack; DATA_LOSS for a snapshot or
// journal record that does not fit the round (recovery). Each call's own
// comment says which of these it returns.
//
// Thread-safety: CheckIn and CheckInBatch take no lock of the round (with a
// store attached, the store's Append may take its own short lock) and may be
// called from any thread; so may phase(), config(), layout(), ResolveDesk,
// DeskName, resident_code and the Find* lookups, which read immutable parts.
// MakePlan, Replan, Open and Close take mu_ exclusively; plan(), the
// progress queries, SealedTubes, CheckInsPerSite and WriteSnapshot take it
// shared; all are rare paths and may run concurrently with check-ins.
// RackTube and SealTube take no round lock, only the rack's (DeskRack).
// Tube, TubeBarcode and SampledAt read the live state without a lock: safe
// once the round is open, after which its live state never changes
// identity and is never freed while the round lives; before that, only
// while no MakePlan runs. Close does not wait for check-ins already past
// the phase check. AttachStore, the Restore* calls and FinishRestore are
// for the Registry, before the round is shared.
#ifndef SWABWAVE_ENGINE_ROUND_ROUND_H_
#define SWABWAVE_ENGINE_ROUND_ROUND_H_

#include <array>
#include <functional>
#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "engine/core/resident_table.h"
#include "engine/core/live_round.h"
#include "engine/custody/box_book.h"
#include "engine/journal/journal.h"
#include "engine/journal/records.h"
#include "engine/journal/round_image.h"
#include "engine/lab/result_book.h"
#include "engine/lab/retest_book.h"
#include "engine/model/round_config.h"
#include "engine/model/round_layout.h"
#include "engine/plan/plan.h"
#include "engine/plan/replan.h"
#include "engine/plan/staffed_planning.h"
#include "engine/roster/walk_in_book.h"
#include "engine/round/progress.h"
#include "engine/visits/visit_book.h"

namespace swabwave::engine {

enum class RoundPhase : uint8_t { kDraft, kPlanned, kOpen, kClosed };

// How a snapshot writes the state (Registry::WriteSnapshot).
enum class SnapshotStyle : uint8_t {
  // Images of the state's arrays (journal/community_image.h,
  // journal/round_image.h), read back without rebuilding anything.
  kDense,
  // The records that rebuild the state, replayed like the journal's own.
  kRecords,
};

absl::string_view PhaseName(RoundPhase phase);

// How early a scan may be stamped before the round's start (tablet clocks
// drift; sites open a little early).
inline constexpr absl::Duration kScanBeforeStartTolerance = absl::Hours(1);

// A door-to-door building and its visits.
struct DoorToDoorBuilding {
  uint32_t building = kNoId;  // round-wide
  std::vector<uint32_t> residents;
};

class Round {
 public:
  // Builds the round's layout and code index. INVALID_ARGUMENT when two of
  // its communities share a resident code. REQUIRES: config validated,
  // communities outlive the round.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Round>> Create(
      RoundConfig config, std::vector<const Community*> communities,
      absl::Time created = absl::Now());

  // Recovery from a dense snapshot (journal/round_image.h): the round as
  // the image shows it, its table adopted rather than rebuilt; once every
  // record is replayed, FinishRestore rebuilds the desks. DATA_LOSS naming
  // the round when the image does not fit its communities or contradicts
  // itself. REQUIRES: `communities` are the config's, in order.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Round>> FromImage(
      journal::RoundImage image, std::vector<const Community*> communities);

  // ---- durability (engine/journal)

  // Journals every later state change of this round into `store` (null:
  // none), naming the round `index` (its position in creation order) in
  // check-in records. Called by the Registry before the round is shared.
  void AttachStore(journal::Store* store, uint32_t index) {
    store_ = store;
    index_ = index;
  }
  uint32_t index() const { return index_; }

  // Recovery (Registry::ApplyRecord), before the round is shared. Each is
  // idempotent, since a snapshot may already hold what a journal record
  // repeats; DATA_LOSS when a record contradicts the round.
  [[nodiscard]] absl::Status RestorePlan(plan::Plan plan);
  // A journaled re-plan: installs the plan's cells, keeping every check-in.
  [[nodiscard]] absl::Status RestoreReplan(plan::Plan plan);
  [[nodiscard]] absl::Status RestorePhase(RoundPhase target);
  [[nodiscard]] absl::Status RestoreRack(DeskIndex desk, TubeIndex tube, absl::string_view barcode);
  [[nodiscard]] absl::Status RestoreSeal(TubeIndex tube);
  [[nodiscard]] absl::Status RestoreCheckIn(const journal::CheckInRecord& record);
  // After the last record: rebuilds the desks (DeskRack::RebuildAfterRestore).
  void FinishRestore();
  // Writes this round as it is now (Journal::WriteSnapshot): one RoundImage
  // record (kDense), or the records that rebuild it (kRecords, and kDense
  // when the image would not fit one frame). Runs alongside check-ins,
  // under mu_ shared; the sink's errors pass through.
  [[nodiscard]] absl::Status WriteSnapshot(journal::SnapshotSink& sink,
                                           SnapshotStyle style = SnapshotStyle::kDense) const;

  const RoundConfig& config() const { return config_; }
  const RoundLayout& layout() const { return layout_; }
  RoundPhase phase() const { return phase_.load(std::memory_order_acquire); }
  absl::Time created() const { return created_; }

  // ---- lifecycle (rare; take mu_)

  // Plans or re-plans (kDraft or kPlanned only; FAILED_PRECONDITION
  // otherwise), within the staff on hand when staffing.within_staff
  // (plan/staffed_planning.h); the plan keeps staffing's rules for its
  // roster either way. Planner and staffing errors pass through;
  // RESOURCE_EXHAUSTED (nothing changed) when the plan's record is past the
  // store's record limit (Store::CheckRecordSize).
  [[nodiscard]] absl::StatusOr<std::shared_ptr<const plan::Plan>> MakePlan(
      const plan::Planner& planner, const plan::PlanOptions& options,
      const plan::StaffingRequest& staffing = {});
  // After a site closes or its desks change: re-plans the households the
  // change displaces (plan/replan.h) and keeps every check-in, in a planned
  // or open round (FAILED_PRECONDITION otherwise). Whoever is sampled when
  // it runs counts as tested. Journaled as kRoundReplanned;
  // RESOURCE_EXHAUSTED as MakePlan's; plan::Replan's errors pass through.
  struct Replanned {
    std::shared_ptr<const plan::Plan> plan;
    std::vector<plan::MovedResident> moved;  // by resident
    int64_t moved_households = 0;
  };
  [[nodiscard]] absl::StatusOr<Replanned> Replan(const plan::ReplanRequest& request,
                                                 const plan::PlanOptions& options);
  // kPlanned -> kOpen; FAILED_PRECONDITION otherwise.
  [[nodiscard]] absl::Status Open();
  // kOpen -> kClosed; FAILED_PRECONDITION otherwise.
  [[nodiscard]] absl::Status Close();
  // The live state a plan of this round starts from: every resident
  // untested, door-to-door or exempt as planned, nothing racked. MakePlan
  // builds the round's own from it; benchmarks build fresh boards with it.
  // REQUIRES: `plan` was made for this round.
  core::LiveRoundSpec LiveSpec(const plan::Plan& plan) const;
  // The current plan, or null before the first plan.
  std::shared_ptr<const plan::Plan> plan() const;

  // ---- the check-in path (lock-free)

  // The round-wide desk index of desk `number` (from 1) at site `site_id`.
  // NOT_FOUND naming what is unknown.
  [[nodiscard]] absl::StatusOr<DeskIndex> ResolveDesk(absl::string_view site_id, int number) const;
  // Door-to-door teams are mobile desks, numbered after every site's desk:
  // team n (from 1) of the community at position c is desk
  // layout().desk_count() + c × config().door_to_door_teams + n - 1. They
  // rack tubes and check residents in like a site's desks.
  // NOT_FOUND naming what is unknown.
  [[nodiscard]] absl::StatusOr<DeskIndex> ResolveTeam(absl::string_view community_id,
                                                      int number) const;
  struct Team {
    uint32_t community = 0;  // position in config().community_ids
    int number = 0;          // from 1
  };
  // The team whose desk `desk` is; none for a site's desk.
  std::optional<Team> TeamOf(DeskIndex desk) const;
  // Every desk of the round: the sites' and then the teams'.
  uint32_t desk_total() const {
    return layout_.desk_count() +
           static_cast<uint32_t>(layout_.community_count()) *
               static_cast<uint32_t>(config_.door_to_door_teams);
  }
  // "sites/{site_id}/desks/{n}", or "communities/{community_id}/teams/{n}".
  std::string DeskName(DeskIndex desk) const;

  // Checks a resident in. kRoundNotOpen unless the round is open.
  core::CheckInResult CheckIn(DeskIndex desk, absl::string_view code, int64_t scan_unix_seconds,
                              uint64_t request);
  // The same for a tablet's batch; results[i] answers attempts[i].
  // REQUIRES: results.size() == attempts.size().
  void CheckInBatch(absl::Span<const core::CheckInAttempt> attempts,
                    absl::Span<core::CheckInResult> results);

  // ---- tubes (rare; FAILED_PRECONDITION unless open)

  // NOT_FOUND for a desk the round does not have; otherwise as
  // DeskRack::RackTube and DeskRack::SealTube (the change is journaled).
  [[nodiscard]] absl::StatusOr<core::TubeView> RackTube(DeskIndex desk, absl::string_view barcode);
  [[nodiscard]] absl::StatusOr<core::TubeView> SealTube(DeskIndex desk, absl::string_view barcode);
  // REQUIRES: a planned round, no MakePlan running (see the file comment)
  // and a tube index it handed out.
  core::TubeView Tube(TubeIndex tube) const { return live()->rack().Tube(tube); }
  // Where and when the state says `resident` was sampled into a tube; none
  // when they are not (or the round has no plan yet). Lock-free, like a
  // check-in's read of the word (and so unsafe alongside a MakePlan).
  struct SampledCheckIn {
    TubeIndex tube = 0;
    int64_t scan_unix_seconds = 0;
  };
  std::optional<SampledCheckIn> SampledAt(uint32_t resident) const;
  // A tube's barcode, not copied: for answers on the check-in path.
  absl::string_view TubeBarcode(TubeIndex tube) const { return live()->rack().BarcodeOf(tube); }

  // ---- walk-ins (walk_ins.cc; one registration at a time)

  struct WalkInRequest {
    std::string community_id;
    std::string unit_id;
    std::string household_id;  // an existing household of the unit, a new id, or empty (new)
    std::string code;          // the code on the card handed out; empty: the round makes one
    DeskIndex desk = kNoId;
    int64_t scan_unix_seconds = 0;
    uint64_t request = 0;  // RequestFingerprint of the request id
  };
  // Registers someone on no roster at `desk` and samples them into its
  // open tube, journaled before it returns (the caller waits for the
  // store). A request recorded before answers its first registration,
  // `replayed`. `code_taken(code)` says whether the server holds the code
  // outside this round (the registry's index). FAILED_PRECONDITION unless
  // open or when the desk has no open tube; NOT_FOUND for an unknown desk
  // or community; INVALID_ARGUMENT for a unit the community (as the round
  // pinned it) lacks, a household of another unit, a malformed id or code,
  // or a scan time out of range; ALREADY_EXISTS for a code already on a
  // roster or registered (never repeating the code).
  [[nodiscard]] absl::StatusOr<roster::WalkInBook::Recorded> RegisterWalkIn(
      const WalkInRequest& request, const std::function<bool(absl::string_view)>& code_taken);
  std::optional<roster::WalkInBook::Recorded> FindWalkIn(absl::string_view code) const {
    return walk_ins_.FindCode(code);
  }
  std::vector<roster::WalkIn> WalkIns() const { return walk_ins_.All(); }
  size_t walk_in_count() const { return walk_ins_.size(); }
  // The tube member that stands for walk-in `index`: past the residents.
  uint32_t walk_in_member(uint32_t index) const { return layout_.resident_count() + index; }
  // Recovery: a journaled walk-in (idempotent by its request). DATA_LOSS
  // when its community, desk, tube or position is not the round's.
  [[nodiscard]] absl::Status RestoreWalkIn(const roster::WalkIn& walk_in);

  // ---- door-to-door visits (visits.cc; the book takes its own lock)

  // Round-wide index of the resident with `code`, or NOT_FOUND (the code is
  // not in the message: it is personal data).
  [[nodiscard]] absl::StatusOr<uint32_t> FindResident(absl::string_view code) const;
  // Records what a team found at a resident's door when it did not sample
  // them, journaled before it returns (the caller waits for the store).
  // A request recorded before answers its first visit, `replayed`, even for
  // another resident: that is INVALID_ARGUMENT (a request id names one
  // visit). FAILED_PRECONDITION unless open, or when the resident is
  // sampled already; NOT_FOUND when `visit.desk` is not a team's;
  // INVALID_ARGUMENT as visits::ValidateVisit.
  [[nodiscard]] absl::StatusOr<visits::VisitBook::Recorded> RecordVisit(visits::Visit visit);
  // Whether a team still has to call on `resident`: not sampled, and no
  // visit found them refusing, moved away or in hospital (not home: yes).
  // False before the round is planned. Lock-free read of the word, like
  // SampledAt; the book's own lock.
  bool AwaitsVisit(uint32_t resident) const;
  // The latest visit of `resident`; none when never visited.
  std::optional<visits::ResidentVisits> VisitsOf(uint32_t resident) const {
    return visits_.Of(resident);
  }
  // Residents by their latest visit's outcome, the sampled left out.
  // FAILED_PRECONDITION before the round is planned.
  [[nodiscard]] absl::StatusOr<visits::VisitCounts> VisitTotals() const;
  // Recovery: a journaled visit (idempotent by its request). DATA_LOSS when
  // it names a resident or desk the round does not have.
  [[nodiscard]] absl::Status RestoreVisit(const visits::Visit& visit);

  // ---- boxes and their custody (custody.cc; engine/custody/box_book.h)
  //
  // From the round's opening on, and after it closes (boxes leave once
  // the desks are done). Each hand-over is journaled before it returns
  // (the caller waits for the store); signatures carry the server's time.

  struct PackRequest {
    std::string box_barcode;
    DeskIndex desk = kNoId;  // any desk of the packing site, or the packing team's
    std::vector<std::string> tube_barcodes;
    custody::Signature signature;
  };
  // Packs sealed tubes of the desk's site (a team: of its own desk) into a
  // box. INVALID_ARGUMENT for a malformed barcode, no tubes, more than
  // config().box_capacity or a tube listed twice; NOT_FOUND for an unknown
  // desk or tube; FAILED_PRECONDITION for a tube not sealed or of another
  // site or team, or a round not yet open; ALREADY_EXISTS as
  // BoxBook::Pack.
  [[nodiscard]] absl::StatusOr<custody::BoxBook::Recorded> PackBox(const PackRequest& request);
  // As BoxBook::PickUp and BoxBook::Receive (the lab's scan is of tube
  // barcodes, at most box_capacity + kMaxUnexpectedScans of them).
  [[nodiscard]] absl::StatusOr<custody::BoxBook::Recorded> PickUpBox(
      absl::string_view box_barcode, custody::Signature courier);
  static constexpr size_t kMaxUnexpectedScans = 100;
  [[nodiscard]] absl::StatusOr<custody::BoxBook::Recorded> ReceiveBox(
      absl::string_view box_barcode, absl::string_view lab_id, custody::Signature lab,
      const std::vector<std::string>& scanned);
  std::vector<custody::Box> Boxes() const { return boxes_.All(); }
  // A sealed tube waiting on the packing table.
  struct TubeToPack {
    TubeIndex tube = kNoId;
    std::string barcode;
    DeskIndex desk = kNoId;  // where it was filled
    uint32_t swabs = 0;
    int64_t oldest_swab_unix_seconds = 0;
  };
  struct TubesToPackPage {
    std::vector<TubeToPack> tubes;
    TubeIndex next = kNoId;  // where the next page starts; kNoId: none
  };
  // The sealed tubes of the desk's site (a team: of its own desk) in no
  // box yet, pooled tubes first, then follow-up tubes, from tube index
  // `from`, at most `limit` of them: what a tablet packs next. One pass
  // over the rack's tubes (a query path). FAILED_PRECONDITION before the
  // round opens; NOT_FOUND for an unknown desk.
  [[nodiscard]] absl::StatusOr<TubesToPackPage> TubesToPack(DeskIndex desk, TubeIndex from,
                                                            size_t limit) const;
  // A tube of the round by barcode: a rack's pooled tube, or a follow-up
  // tube (lab::IsFollowUpTube). Takes the rack's and the book's locks.
  std::optional<TubeIndex> FindAnyTube(absl::string_view barcode) const;
  // The barcode of a tube FindAnyTube found, or a box or result names.
  std::string AnyTubeBarcode(TubeIndex tube) const;
  std::optional<custody::Box> FindBox(absl::string_view barcode) const {
    return boxes_.Find(barcode);
  }
  // The members of a tube (round-wide residents; a walk-in is
  // walk_in_member(index)), in slot order, a slot whose check-in is still
  // completing left out. REQUIRES: an open or closed round, tube <
  // the rack's tube_count().
  std::vector<uint32_t> TubeMembers(TubeIndex tube) const;
  // When `member` was sampled (a resident or a walk-in); none when not.
  std::optional<int64_t> SwabTime(uint32_t member) const;
  // Recovery: a journaled box (idempotent). DATA_LOSS when it names a desk
  // or tube the round does not have, or contradicts the book.
  [[nodiscard]] absl::Status RestoreBox(const custody::Box& box);

  // ---- lab results and recalls (lab.cc; engine/lab/result_book.h)

  // Records a lab's result for the tube `tube_barcode` (report.tube is
  // filled in here). NOT_FOUND for an unknown tube; FAILED_PRECONDITION
  // when no lab received it (not in a received box, or missing from its
  // box's scan), another lab received it, or its box reached the lab past
  // the breach age (its members are resampled, never reported);
  // INVALID_ARGUMENT as lab::ValidateReport; ALREADY_EXISTS as
  // ResultBook::Record, with `conflict` receiving the current result.
  // `check_only`: every check, the same answer, nothing recorded (a lab's
  // file is checked whole before any of it is applied).
  [[nodiscard]] absl::StatusOr<lab::ResultBook::Recorded> ReportResult(
      absl::string_view tube_barcode, lab::Report report, lab::Report* conflict = nullptr,
      bool check_only = false);
  std::optional<lab::Report> ResultOf(TubeIndex tube) const { return results_.Of(tube); }
  std::vector<lab::Report> ResultTrail() const { return results_.Trail(); }
  // A positive tube and whom it recalls: exactly its members (DESIGN.md
  // invariant 5).
  struct Recall {
    TubeIndex tube = kNoId;
    std::optional<lab::Report> result;  // none for a late box's tube
    std::vector<uint32_t> members;
  };
  // Every pooled tube whose current result is positive, in the order they
  // became positive. FAILED_PRECONDITION before the round opens.
  [[nodiscard]] absl::StatusOr<std::vector<Recall>> Recalls() const;
  // The pooled tubes whose members are called back for `reason` (kRecall:
  // Recalls(); kResample: invalid pools, then tubes of boxes past the age
  // limit at `now` without a result, and tubes missing from their box when
  // a lab received it), with their members.
  [[nodiscard]] absl::StatusOr<std::vector<Recall>> CallBacks(lab::FollowUpReason reason,
                                                              int64_t now_unix_seconds) const;
  // ---- follow-up swabs: retests of the recalled, resamples (follow_ups.cc)

  // Why `member` is called back for one more swab, if they are: a
  // positive pool (recall), an invalid pool, a box past its age limit or a
  // tube lost on the way (resample).
  std::optional<lab::FollowUpReason> CalledBack(uint32_t member, int64_t now_unix_seconds) const;
  struct FollowUpRequest {
    std::string code;  // the resident's (or walk-in's) code
    std::string tube_barcode;  // a new tube, for this swab alone
    DeskIndex desk = kNoId;
    int64_t at_unix_seconds = 0;
    uint64_t request = 0;  // RequestFingerprint of the request id
  };
  // Takes a called-back member's follow-up swab into a tube of its own
  // (1-in-1), journaled before it returns (the caller waits). A request
  // recorded before answers its first swab, `replayed`.
  // FAILED_PRECONDITION before the round opens, or for someone not called
  // back; NOT_FOUND for an unknown desk or code; INVALID_ARGUMENT for a
  // malformed barcode; ALREADY_EXISTS for a member who gave theirs (with
  // `first`) or a barcode used in the round.
  [[nodiscard]] absl::StatusOr<lab::RetestBook::Recorded> RecordFollowUp(
      const FollowUpRequest& request, lab::RetestBook::Recorded* first = nullptr);
  std::optional<lab::RetestBook::Recorded> FollowUpOf(uint32_t member) const {
    return follow_ups_.OfMember(member);
  }
  // Round-wide member of a code: a resident, or a walk-in
  // (walk_in_member). NOT_FOUND otherwise (the code is not in the message).
  [[nodiscard]] absl::StatusOr<uint32_t> FindMember(absl::string_view code) const;
  // Recovery: a journaled follow-up swab (idempotent by its request).
  [[nodiscard]] absl::Status RestoreFollowUp(const lab::Retest& retest);

  // Where a member stands after the swab.
  enum class LabState : uint8_t {
    kNotSampled,
    kResultPending,   // sampled; their pool has no result yet
    kNegative,        // their pool is negative
    kRecalled,        // their pool is positive: retest due
    kResampleDue,     // their pool is invalid, its box arrived too late, or it was lost
    kRetestPending,   // follow-up swab taken, no result yet
    kRetestNegative,  // follow-up negative
    kCase,            // follow-up positive
    kRetestInvalid,   // follow-up invalid: a new swab is the lab's call
  };
  static constexpr int kLabStateCount = 9;
  static absl::string_view LabStateName(LabState state);
  LabState LabStateOf(uint32_t member, int64_t now_unix_seconds) const;
  struct LabTotals {
    // Residents (walk-ins included) per LabState, by its value.
    std::array<int64_t, kLabStateCount> members{};
    int64_t tubes_sealed = 0;      // pooled tubes sealed
    int64_t tubes_with_result = 0;
    int64_t tubes_positive = 0;    // pooled tubes whose result is positive
    int64_t tubes_negative = 0;
    int64_t boxes_packed = 0;      // every box, whatever its state
    int64_t boxes_received = 0;
    int64_t box_warnings = 0;      // at warning age (received or not)
    int64_t box_breaches = 0;
    int64_t follow_ups = 0;        // follow-up swabs taken
  };
  // One pass over the tubes and boxes (a query path). `now` ages the
  // boxes still travelling. FAILED_PRECONDITION before the round opens.
  [[nodiscard]] absl::StatusOr<LabTotals> CountLab(int64_t now_unix_seconds) const;

  // Where a member lives, for a recall list: ids as the round pinned them.
  struct MemberPlace {
    std::string code;
    std::string community_id;
    std::string household_id;
    std::string unit_id;
    std::string building_id;
    bool walk_in = false;
  };
  MemberPlace PlaceOf(uint32_t member) const;
  // The residents called back at `now` (recalled, or to resample) who have
  // not given their follow-up swab, in id order: the retest walk's list
  // (plan::PlanRoutes). Walk-ins are left out: they have no building
  // index to route to (a team finds them by unit on the recall list).
  // FAILED_PRECONDITION before the round opens.
  [[nodiscard]] absl::StatusOr<std::vector<uint32_t>> AwaitingFollowUp(
      int64_t now_unix_seconds) const;
  // Where the round's cases live (a positive follow-up swab), in the order
  // their swabs were taken: what a follow-up round targets.
  std::vector<MemberPlace> CasePlaces() const;
  // Recovery: a journaled result (idempotent by its request). DATA_LOSS
  // when it names a tube the round does not have.
  [[nodiscard]] absl::Status RestoreResult(const lab::Report& report);

  // ---- progress (FAILED_PRECONDITION before the round is planned)

  // Round totals without a scan: the desks' counts and the plan's numbers.
  [[nodiscard]] absl::StatusOr<ProgressCounts> Totals() const;
  // Rows need per-building and per-wave figures: these scan every resident's
  // word (about 50 µs for 17,000 residents, 0.1 s for 10 million).
  // Rows [offset, offset + limit) of `level`, and the totals.
  [[nodiscard]] absl::StatusOr<ProgressReport> Progress(ProgressLevel level, size_t offset,
                                                        size_t limit) const;
  // Untested residents with round id > `after` (kNoId: from the start), in
  // id order, at most `limit`; optionally only of one community (its
  // position in config().community_ids) or one building (round-wide index).
  // REQUIRES: a filter's index is in range (not checked).
  struct UntestedFilter {
    std::optional<uint32_t> community;
    std::optional<uint32_t> building;
  };
  [[nodiscard]] absl::StatusOr<std::vector<UntestedResident>> ListUntested(
      const UntestedFilter& filter, uint32_t after, size_t limit) const;

  // The door-to-door list grouped by building: buildings [offset, offset + limit).
  // `total_buildings`, if not null, receives how many buildings the list has.
  [[nodiscard]] absl::StatusOr<std::vector<DoorToDoorBuilding>> DoorToDoor(
      size_t offset, size_t limit, size_t* total_buildings) const;

  absl::string_view resident_code(uint32_t resident) const {
    const RoundLayout::Local local = layout_.LocateResident(resident);
    return layout_.community(local.community).resident_code(local.id);
  }
  // Round-wide building index of (community position, building id), or NOT_FOUND.
  // REQUIRES: community < layout().community_count().
  [[nodiscard]] absl::StatusOr<uint32_t> FindBuilding(uint32_t community,
                                                      absl::string_view building_id) const;
  // Round-wide index of the site `site_id`, or NOT_FOUND.
  [[nodiscard]] absl::StatusOr<uint32_t> FindSite(absl::string_view site_id) const;
  // Position of a community in config().community_ids, or NOT_FOUND.
  [[nodiscard]] absl::StatusOr<uint32_t> FindCommunity(absl::string_view community_id) const;

  // Tubes sealed so far; 0 before the round is planned. Safe at any time
  // (takes the round's lock: a re-plan replaces the live state).
  uint64_t SealedTubes() const;
  // Check-ins performed at each site (by site index); empty before the
  // round is planned. Takes the round's lock, like SealedTubes.
  std::vector<uint64_t> CheckInsPerSite() const;

  // The live state. REQUIRES: the round is open (it is never replaced
  // then), or the caller holds the round's lock; a re-plan of a planned
  // round frees the old live state.
  core::LiveRound* live() const { return live_.load(std::memory_order_acquire); }

 private:
  // Per building, fixed by the plan.
  struct BuildingPlan {
    int32_t due = 0;  // at a site or door-to-door
    int32_t exempt = 0;
    int32_t door_to_door = 0;
  };
  // What a scan of the words found, per building and per cell.
  struct ScanTallies {
    std::vector<int32_t> sampled;               // per building
    std::vector<int32_t> exempt_sampled;        // per building
    std::vector<int32_t> door_to_door_sampled;  // per building
    std::vector<int32_t> cell_sampled;          // per plan cell
    // Check-ins of residents the plan put elsewhere, per desk of
    // desk_total() (ProgressRow::off_plan).
    std::vector<int32_t> off_plan;
    // Residents not sampled by their latest visit, per building (empty when
    // nobody was visited).
    std::vector<std::array<int32_t, visits::kLastVisitOutcome + 1>> visited;
  };

  // Hands a round's sampled check-ins to the store (core/live_round.h).
  class JournalLog final : public core::CheckInLog {
   public:
    explicit JournalLog(Round* round) : round_(round) {}
    void Record(absl::Span<const core::CheckInResult> sampled) override;
    void RecordEarlySeal(DeskIndex desk, TubeIndex tube) override;

   private:
    Round* round_;
  };

  Round(RoundConfig config, std::vector<const Community*> communities, absl::Time created);

  // Fills site_index_ from the layout (Create, FromImage).
  void IndexSites();
  // Per desk of desk_total(): its site, or site_count() for a team's
  // (core::LiveRoundSpec::desk_sites).
  std::vector<uint32_t> DeskSites() const;
  // The records of WriteSnapshot's kRecords style. REQUIRES: mu_ held.
  absl::Status WriteRecordsLocked(journal::SnapshotSink& sink) const
      ABSL_SHARED_LOCKS_REQUIRED(mu_);
  // Every visit, as kVisit records (after the round's own in a snapshot).
  absl::Status WriteVisits(journal::SnapshotSink& sink) const;
  // Walk-ins whose tube is below `tubes` (a later tube's walk-ins replay
  // from the journal, like its check-ins).
  absl::Status WriteWalkIns(journal::SnapshotSink& sink, uint32_t tubes) const;
  // The tubes a snapshot covers, read when it begins: a record about a
  // later tube is newer than the snapshot and replays from the journal.
  struct TubeMarks {
    uint32_t rack = 0;        // pooled tubes below this
    uint32_t follow_ups = 0;  // follow-up tubes below kFollowUpTubeBase + this
    bool Covers(TubeIndex tube) const {
      return lab::IsFollowUpTube(tube) ? tube - lab::kFollowUpTubeBase < follow_ups : tube < rack;
    }
  };
  TubeMarks MarkTubes(uint32_t rack_tubes) const {
    return {rack_tubes, static_cast<uint32_t>(follow_ups_.size())};
  }
  // Follow-up swabs, boxes and results the marks cover, in that order
  // (a box may hold follow-up tubes; a result needs its tube).
  absl::Status WriteLabState(journal::SnapshotSink& sink, TubeMarks marks) const;
  // The pooled tube a member's swab went into; none when not sampled.
  std::optional<TubeIndex> PooledTubeOf(uint32_t member) const;
  // Whether a tube filled at `filled_at` is packed by `packer`'s site (a
  // team: by its own desk).
  bool PacksAtSamePlace(DeskIndex filled_at, DeskIndex packer) const;
  // The oldest swab in a tube (its follow-up swab, when it is one).
  int64_t OldestSwabIn(TubeIndex tube, const std::optional<lab::Retest>& follow_up) const;
  // Why a pooled tube's members are called back, if they are (`now` ages
  // its box).
  std::optional<lab::FollowUpReason> CalledBackFor(TubeIndex pooled, int64_t now) const;
  // OK once the round is open or closed (its live state fixed for good).
  absl::Status CheckOpened(absl::string_view what) const;
  // Journals `record` if the round has a store (never waits for the disk).
  void Journal(absl::string_view record) const;
  // Walk-ins per round-wide building (of their unit, as the round pinned it).
  std::vector<int64_t> WalkInsByBuilding() const;

  core::CheckInLog* log() { return store_ != nullptr ? &log_ : nullptr; }
  // Journals a tube's seal (by hand, or early for a household): recovery
  // closes it (RestoreSeal). REQUIRES: store_ set.
  void JournalSeal(DeskIndex desk, TubeIndex tube, absl::string_view barcode);
  // Moves the live cells to `new_plan`'s and makes it the plan; keeps the
  // live state. REQUIRES: mu_ held exclusively, a plan installed.
  void InstallReplanLocked(std::shared_ptr<const plan::Plan> new_plan);
  // Appends kRoundOpened / kRoundClosed. REQUIRES: mu_ held.
  void JournalPhase(journal::RecordType type);
  // RESOURCE_EXHAUSTED when a plan's record is past the store's limit
  // (checked before the plan replaces anything). REQUIRES: store_ set.
  absl::Status CheckPlanRecord(absl::string_view record) const;
  // Makes `plan` the round's plan with a fresh live state. REQUIRES: mu_
  // held exclusively, the round not open.
  void InstallPlanLocked(std::shared_ptr<const plan::Plan> plan) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Makes `plan`, its tallies and `live` the round's (phase kPlanned).
  // REQUIRES: mu_ held exclusively, no other live state using the table.
  void InstallLiveLocked(std::shared_ptr<const plan::Plan> plan,
                         std::vector<BuildingPlan> building_plans,
                         std::unique_ptr<core::LiveRound> live)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Whether `resident` is due (at a site or at home) and not yet sampled:
  // whose visits count in progress (an exempt resident visited is not
  // made due, nor taken off it). REQUIRES: planned.
  bool DueAndUnsampled(uint32_t resident) const;
  // REQUIRES: mu_ held (shared or exclusive), planned.
  ScanTallies ScanWords() const;
  // Whether a check-in of a resident standing at `before` (planned into
  // `cell`) at a desk of site `desk_site` (site_count() for a team) was
  // somewhere the plan did not put them.
  bool OffPlan(core::ResidentState before, CellIndex cell, uint32_t desk_site) const;
  // The rows of the team level: every team of every community.
  void TeamRows(const ScanTallies& tallies, std::vector<ProgressRow>& rows) const;
  ProgressCounts BuildingCounts(uint32_t building, const ScanTallies& tallies) const;
  absl::Status CheckOpen(absl::string_view what) const;

  const RoundConfig config_;
  // Not const only so that Create and FromImage can set its target; fixed
  // before the round is shared.
  RoundLayout layout_;
  const absl::Time created_;
  // Codes -> residents, and the words the live state works on; positions
  // are immutable after Create.
  std::unique_ptr<core::ResidentTable> table_;
  absl::flat_hash_map<std::string, uint32_t> site_index_;  // immutable after Create
  std::atomic<RoundPhase> phase_{RoundPhase::kDraft};
  // Set before the round is shared, never changed after.
  journal::Store* store_ = nullptr;
  uint32_t index_ = 0;
  JournalLog log_{this};
  // Tubes sealed by hand, collected while recovering (RestoreSeal).
  std::vector<bool> restore_sealed_;
  // Door-to-door visits; its own lock. Kept across a re-plan.
  visits::VisitBook visits_;
  roster::WalkInBook walk_ins_;
  // Boxes and results; their own locks. Packing and reporting happen
  // after the round opens, so a re-plan never meets them.
  custody::BoxBook boxes_;
  lab::ResultBook results_;
  lab::RetestBook follow_ups_;
  // A follow-up tube's barcode must not be a rack's: one registration at a
  // time, and RackTube takes it too (both rare, by hand).
  mutable std::mutex tube_names_mu_;
  std::mutex walk_in_mu_;  // one registration at a time (RegisterWalkIn)
  // Set (release) by MakePlan; never replaced once the round is open.
  std::atomic<core::LiveRound*> live_{nullptr};

  // std::shared_mutex rather than absl::Mutex: ThreadSanitizer sees pthread
  // locks, but not Debian's prebuilt (uninstrumented) Abseil.
  mutable std::shared_mutex mu_;
  std::shared_ptr<const plan::Plan> plan_ ABSL_GUARDED_BY(mu_);
  std::vector<BuildingPlan> building_plans_ ABSL_GUARDED_BY(mu_);
  // Owns *live_. Replaced only by a re-plan, which happens before the round
  // opens: until then no lock-free path touches the live state (CheckIn and
  // the tube calls return on the phase check first).
  std::unique_ptr<core::LiveRound> owned_live_ ABSL_GUARDED_BY(mu_);
};

}  // namespace swabwave::engine

#endif  // SWABWAVE_ENGINE_ROUND_ROUND_H_
