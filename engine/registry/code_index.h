// CodeIndex: every resident code imported on the server, so that a code
// names one person server-wide (planning.proto: Resident.code is "unique on
// the server"). A community whose resident shares a code with another
// community is refused at import; before, it was accepted and no round could
// ever span both.
//
// An entry is (community ordinal, resident) packed in 8 bytes, hashed and
// compared by the code it names (the code stays in its community's arena,
// not copied): about 15 bytes per resident with the table's free slots
// (bench/RESULTS.md, "Codes unique on the server").
//
// A community's versions share their codes: a new version takes over the
// codes it keeps from the version before and gives up the ones it drops
// (so a person who moved away can be imported with another community).
// The index holds only the latest version of each community.
//
// Ownership: borrows the registry's communities, which must outlive it and
// never move (they are held by unique_ptr).
//
// Thread-safety: none; the registry calls it under its lock.
#ifndef SWABWAVE_ENGINE_REGISTRY_CODE_INDEX_H_
#define SWABWAVE_ENGINE_REGISTRY_CODE_INDEX_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/string_view.h"
#include "engine/model/community.h"

namespace swabwave::engine {

class CodeIndex {
 public:
  using Communities = std::vector<std::unique_ptr<Community>>;

  explicit CodeIndex(const Communities* communities);
  CodeIndex(const CodeIndex&) = delete;
  CodeIndex& operator=(const CodeIndex&) = delete;

  // Adds every code of the community at `ordinal` in the communities, unless
  // one is already held by another community: then changes nothing and
  // returns the first such resident (dense id). A later version of an
  // indexed community replaces it (see above).
  // REQUIRES: ordinal == indexed().
  std::optional<uint32_t> AddUnlessShared(uint32_t ordinal);
  // Adds every code of the community at `ordinal`; a code already held keeps
  // its first owner (communities a journal accepted before codes were
  // checked server-wide may share codes; nothing here can fix them).
  // REQUIRES: ordinal == indexed().
  void Add(uint32_t ordinal);
  // Whether a community added so far holds `code`.
  bool Contains(absl::string_view code) const { return codes_.contains(code); }
  // Communities added so far: the first `indexed()` ordinals.
  uint32_t indexed() const { return indexed_; }

  size_t MemoryBytes() const;

 private:
  absl::string_view CodeOf(uint64_t entry) const {
    return (*communities_)[entry >> 32]->resident_code(static_cast<uint32_t>(entry));
  }
  struct Hash {
    using is_transparent = void;
    const CodeIndex* index;
    size_t operator()(uint64_t entry) const { return (*this)(index->CodeOf(entry)); }
    size_t operator()(absl::string_view code) const { return absl::HashOf(code); }
  };
  struct Eq {
    using is_transparent = void;
    const CodeIndex* index;
    absl::string_view View(uint64_t entry) const { return index->CodeOf(entry); }
    absl::string_view View(absl::string_view code) const { return code; }
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
      return View(a) == View(b);
    }
  };

  // The first resident of `community` whose code another community holds.
  std::optional<uint32_t> FirstShared(const Community& community) const;
  // Drops the codes of the version `ordinal` replaces, if any, and notes
  // `ordinal` as its community's latest.
  void ReplaceEarlierVersion(uint32_t ordinal);

  const Communities* const communities_;
  absl::flat_hash_set<uint64_t, Hash, Eq> codes_;
  // Community id -> ordinal of its latest indexed version.
  absl::flat_hash_map<std::string, uint32_t> latest_;
  uint32_t indexed_ = 0;
};

}  // namespace swabwave::engine

#endif  // SWABWAVE_ENGINE_REGISTRY_CODE_INDEX_H_
