// Registry: the engine's front door. Holds every imported community and
// every round; the gRPC services (services/api) call nothing else.
//
// A community is a series of versions (engine/roster): each is immutable
// once imported and never freed while the registry lives (the server keeps
// it for the life of the process), so rounds hold plain pointers to the
// version they were created on. FindCommunity gives the latest. Rounds are never removed either (a
// closed round still answers progress queries).
//
// Ownership: the registry owns every community and round. The pointers it
// hands out (ImportCommunity, FindCommunity, CreateRound, FindRound,
// ListRounds) stay valid while it lives. The journal::Store given to
// AttachStore is borrowed and must outlive it (or be detached first).
//
// Thread-safety: FindRound is lock-free (it is on the check-in path).
// ImportCommunity, FindCommunity, community_count, CreateRound, ListRounds
// and WriteSnapshot take mu_ (rare paths; CreateRound builds the round's
// code index outside it) and may run concurrently with each other and with
// check-ins. AttachStore, ApplyRecord and FinishRecovery are for startup:
// one thread, before the registry is shared.
#ifndef SWABWAVE_ENGINE_REGISTRY_REGISTRY_H_
#define SWABWAVE_ENGINE_REGISTRY_REGISTRY_H_

#include <array>
#include <atomic>
#include <memory>
#include <mutex>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "engine/model/community.h"
#include "engine/journal/journal.h"
#include "engine/model/round_config.h"
#include "engine/registry/code_index.h"
#include "engine/roster/roster_diff.h"
#include "engine/round/round.h"

namespace swabwave::engine {

class Registry {
 public:
  static constexpr size_t kMaxRounds = 4096;

  // Whether ImportCommunity checks resident codes against every community
  // already imported. kNone exists only to measure what the check costs
  // (bench/import_bench.cc), as --durability=none does for the journal.
  enum class CodeCheck { kServerWide, kNone };

  explicit Registry(CodeCheck code_check = CodeCheck::kServerWide) : code_check_(code_check) {}
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Stores a built community. ALREADY_EXISTS when its id or one of its site
  // ids is taken (site ids address desks, so they are unique server-wide),
  // or when one of its resident codes was imported with another community
  // (naming the resident by its row, "resident #k", never by its code);
  // RESOURCE_EXHAUSTED, with nothing stored or written, when its record is
  // past the store's record limit (Store::CheckRecordSize). The first import
  // after a restart indexes every code already on the server (recovery does
  // not, to stay fast): about a second per 10 million residents.
  [[nodiscard]] absl::StatusOr<const Community*> ImportCommunity(Community community);
  // Stores `community` as the next version of its id (version 1 when the
  // id is new), leaving earlier versions to the rounds that pinned them.
  // ABORTED when `base_version` is not 0 and not the latest version (another
  // import came between the caller's preview and this); FAILED_PRECONDITION
  // when it removes a resident sampled in an open round
  // (roster::CheckNoSampledRemoved); otherwise as ImportCommunity, except
  // that its codes and sites may be the earlier version's.
  // `diff`, if not null, receives the changes from the version before
  // (untouched for a new id).
  [[nodiscard]] absl::StatusOr<const Community*> ImportVersion(Community community,
                                                               uint32_t base_version,
                                                               roster::RosterDiff* diff = nullptr);
  // What ImportVersion would change, storing nothing.
  struct VersionPreview {
    const Community* base = nullptr;  // the latest version; null when the id is new
    roster::RosterDiff diff;          // base -> community (empty when new)
    absl::Status blocked;             // the removal check's answer now
  };
  VersionPreview PreviewVersion(const Community& community) const;
  // The latest version of community `id`, or null.
  const Community* FindCommunity(absl::string_view id) const;
  // Version `version` of community `id`, or null.
  const Community* FindCommunityVersion(absl::string_view id, uint32_t version) const;
  size_t community_count() const;

  // Creates a round. INVALID_ARGUMENT (config, or codes shared between its
  // communities), NOT_FOUND (a community), ALREADY_EXISTS (round id),
  // RESOURCE_EXHAUSTED (kMaxRounds). Walk-ins registered in earlier rounds
  // of its communities and not yet on their rosters join them first, as a
  // new version of each (roster::WithWalkIns), which the round pins.
  [[nodiscard]] absl::StatusOr<Round*> CreateRound(RoundConfig config);

  // Round::RegisterWalkIn, with the server's codes: a code any community or
  // any round's walk-ins hold is taken.
  [[nodiscard]] absl::StatusOr<roster::WalkInBook::Recorded> RegisterWalkIn(
      Round& round, const Round::WalkInRequest& request);

  // ---- durability

  // Journals every later change (imports, rounds, plans, phases, tubes,
  // check-ins) into `store`; null stops journaling. Call before serving:
  // after recovery, before any other thread uses the registry.
  void AttachStore(journal::Store* store);
  // Recovery: applies one journaled record (Journal::Open's replay), with no
  // store attached. Idempotent per record (see Journal::WriteSnapshot).
  // INVALID_ARGUMENT for a record that does not decode; DATA_LOSS for one
  // that names a round the journal never created or contradicts the state
  // (images included); a kCommunityImported or kRoundCreated record the
  // registry refuses gets the error ImportCommunity or CreateRound returns.
  [[nodiscard]] absl::Status ApplyRecord(absl::string_view record);
  // Recovery: after the last record (rebuilds every round's desks).
  void FinishRecovery();
  // Writes the registry as it is now: with kDense, one image record per
  // community and per round (journal/community_image.h, round_image.h);
  // with kRecords, the records that rebuild it. ApplyRecord reads both, so
  // a snapshot of either style recovers. Runs alongside check-ins and other
  // changes; the sink's errors pass through.
  [[nodiscard]] absl::Status WriteSnapshot(journal::SnapshotSink& sink,
                                           SnapshotStyle style = SnapshotStyle::kDense) const;

  // The round with `id`, or null. Lock-free.
  Round* FindRound(absl::string_view id) const;
  // Every round, in creation order.
  std::vector<Round*> ListRounds() const;

 private:
  static constexpr size_t kTableSize = kMaxRounds * 2;  // at most half full

  // ImportCommunity (`as_version` false: the id must be new) and
  // ImportVersion (`as_version`: the id's latest version must be
  // `expected_latest`, null for a new id). Recovery (`check_codes` false)
  // takes the journal's communities as they were accepted.
  absl::StatusOr<const Community*> Import(Community community, bool check_codes, bool as_version,
                                          const Community* expected_latest);
  // Recovery of a community record or image: applies it unless the
  // registry has that version already; DATA_LOSS for a version that does
  // not follow the latest.
  absl::Status RestoreCommunity(Community community);
  // CreateRound with a given creation time (recovery keeps the original).
  absl::StatusOr<Round*> CreateRoundAt(RoundConfig config, absl::Time created);
  Round* RoundAt(uint32_t index) const;
  // Makes `round` findable by FindRound. REQUIRES: mu_ held, the round
  // already in rounds_.
  void PublishRoundLocked(Round* round) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The next version of community `id` with the walk-ins of every round not
  // yet on its latest roster; nothing when there are none.
  absl::Status TakeInWalkIns(const std::string& id);
  // Recovery of a RoundImage record (ApplyRecord).
  absl::Status RestoreRoundImage(absl::string_view record);

  // std::mutex rather than absl::Mutex: ThreadSanitizer sees pthread locks,
  // but not Debian's prebuilt (uninstrumented) Abseil.
  mutable std::mutex mu_;
  std::vector<std::unique_ptr<Community>> communities_ ABSL_GUARDED_BY(mu_);
  const CodeCheck code_check_;
  // The codes of communities_[0, codes_.indexed()): caught up lazily by the
  // first checked import (recovery adds nothing).
  CodeIndex codes_ ABSL_GUARDED_BY(mu_){&communities_};
  absl::flat_hash_map<std::string, const Community*> community_by_id_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, const Community*> site_owner_ ABSL_GUARDED_BY(mu_);
  std::vector<std::unique_ptr<Round>> rounds_ ABSL_GUARDED_BY(mu_);
  // Every walk-in a stored version took in (Community::walk_ins_taken_in).
  absl::flat_hash_set<uint64_t> walk_ins_taken_in_ ABSL_GUARDED_BY(mu_);
  // Per round: how many community versions were stored when it was
  // created. A snapshot writes those versions before the round, so the
  // round's recovery finds the versions it pinned as the latest.
  std::vector<size_t> round_watermarks_ ABSL_GUARDED_BY(mu_);
  journal::Store* store_ ABSL_GUARDED_BY(mu_) = nullptr;
  // Open addressing by hash of the round id; slots are written once (under
  // mu_, release) and read without a lock (acquire).
  std::array<std::atomic<Round*>, kTableSize> round_table_{};
};

}  // namespace swabwave::engine

#endif  // SWABWAVE_ENGINE_REGISTRY_REGISTRY_H_
