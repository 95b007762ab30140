// The tokens file (services/api/tokens.h) and the per-token rate limiter
// (services/api/rate_limiter.h).
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "services/api/access_control.h"
#include "services/api/open_streams.h"
#include "services/api/rate_limiter.h"
#include "services/api/tokens.h"

namespace swabwave::services {
namespace {

TEST(Sha256, KnownVectors) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(NewToken, IsLongRandomAndPrefixed) {
  absl::StatusOr<std::string> a = NewToken();
  absl::StatusOr<std::string> b = NewToken();
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->size(), 5u + 64u);
  EXPECT_EQ(a->substr(0, 5), "swbw_");
  EXPECT_NE(*a, *b);
}

TEST(TokenSet, ParsesRolesScopesAndRates) {
  const std::string text = absl::StrCat(
      "# comment\n\n", Sha256Hex("c"), " command communities=tc,kangcheng\n", Sha256Hex("all"),
      "\tcommand communities=*   rate=0\n", Sha256Hex("t"), " tablet site=s01 rate=5\n",
      Sha256Hex("l"), " lab lab=lab-1\n", Sha256Hex("k"), " courier\n");
  absl::StatusOr<std::shared_ptr<const TokenSet>> set = TokenSet::Parse(text, "tokens", 200);
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ((*set)->size(), 5u);
  const auto command = (*set)->Find("c");
  ASSERT_NE(command, nullptr);
  EXPECT_EQ(command->role, Role::kCommand);
  EXPECT_TRUE(command->MayActFor("tc"));
  EXPECT_FALSE(command->MayActFor("other"));
  EXPECT_EQ(command->rate_per_second, 200);
  EXPECT_EQ(command->fingerprint, Sha256Hex("c").substr(0, 8));
  const auto all = (*set)->Find("all");
  ASSERT_NE(all, nullptr);
  EXPECT_TRUE(all->MayActFor("anything"));
  EXPECT_EQ(all->rate_per_second, 0);
  const auto tablet = (*set)->Find("t");
  ASSERT_NE(tablet, nullptr);
  EXPECT_EQ(tablet->site_id, "s01");
  EXPECT_EQ(tablet->rate_per_second, 5);
  EXPECT_FALSE(tablet->MayActFor("tc"));
  ASSERT_NE((*set)->Find("l"), nullptr);
  EXPECT_EQ((*set)->Find("l")->role, Role::kLab);
  EXPECT_EQ((*set)->Find("l")->lab_id, "lab-1");
  EXPECT_EQ((*set)->Find("l")->Describe(), absl::StrCat("lab token ", Sha256Hex("l").substr(0, 8),
                                                        " (lab lab-1)"));
  ASSERT_NE((*set)->Find("k"), nullptr);
  EXPECT_EQ((*set)->Find("k")->role, Role::kCourier);
  EXPECT_EQ((*set)->Find("unknown"), nullptr);
  EXPECT_EQ((*set)->Find(Sha256Hex("c")), nullptr) << "the hash itself is not a token";
}

TEST(TokenSet, RefusesBadLinesWithTheirNumber) {
  const std::string h = Sha256Hex("x");
  const struct {
    std::string text;
    std::string message;
  } cases[] = {
      {"swbw_plaintext command communities=tc", "tokens:1: expected"},
      {absl::StrCat("\n", h, " admin"), "tokens:2: unknown role 'admin'"},
      {absl::StrCat(h, " command"), "needs communities="},
      {absl::StrCat(h, " tablet"), "needs site="},
      {absl::StrCat(h, " tablet site=s1 communities=tc"), "not a scope for a tablet"},
      {absl::StrCat(h, " lab site=s1"), "not a scope for a lab"},
      {absl::StrCat(h, " lab"), "needs lab="},
      {absl::StrCat(h, " lab lab=bad/id"), "lab id"},
      {absl::StrCat(h, " courier site=s1"), "not a scope for a courier"},
      {absl::StrCat(h, " tablet site=s1 rate=-3"), "not a rate"},
      {absl::StrCat(h, " tablet site=s1 rate=fast"), "not a rate"},
      {absl::StrCat(h, " command communities=bad/id"), "community id"},
      {absl::StrCat(h, " courier\n", h, " courier"), "tokens:2: token"},
      {absl::StrCat(h.substr(0, 63), " lab"), "expected"},
      {absl::StrCat(std::string(64, 'A'), " lab"), "lower-case hex"},
  };
  for (const auto& c : cases) {
    absl::StatusOr<std::shared_ptr<const TokenSet>> set = TokenSet::Parse(c.text, "tokens", 0);
    ASSERT_FALSE(set.ok()) << c.text;
    EXPECT_EQ(set.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(set.status().message().find(c.message), std::string::npos)
        << c.text << " -> " << set.status().message();
  }
}

TEST(TokenSet, MissingFileIsNotFound) {
  EXPECT_EQ(TokenSet::Load("/nonexistent/tokens", 0).status().code(), absl::StatusCode::kNotFound);
}

// A reload revokes what it drops and what it changes the rights of; a
// changed rate alone is not a revocation.
TEST(TokenSet, RevokeAllButMarksDroppedAndChangedTokens) {
  const auto parse = [](const std::string& text) {
    absl::StatusOr<std::shared_ptr<const TokenSet>> set = TokenSet::Parse(text, "tokens", 200);
    EXPECT_TRUE(set.ok()) << set.status();
    return *set;
  };
  const auto before = parse(absl::StrCat(
      Sha256Hex("kept"), " command communities=tc\n", Sha256Hex("dropped"), " lab lab=l1\n",
      Sha256Hex("narrowed"), " command communities=tc,kc\n", Sha256Hex("moved"),
      " tablet site=s1\n", Sha256Hex("rerated"), " team team=tc/1\n"));
  const auto after = parse(absl::StrCat(
      Sha256Hex("kept"), " command communities=tc\n", Sha256Hex("narrowed"),
      " command communities=tc\n", Sha256Hex("moved"), " tablet site=s2\n",
      Sha256Hex("rerated"), " team team=tc/1 rate=3\n", Sha256Hex("new"), " lab lab=l1\n"));
  EXPECT_EQ(before->RevokeAllBut(*after), 3);
  EXPECT_FALSE(before->Find("kept")->revoked());
  EXPECT_TRUE(before->Find("dropped")->revoked());
  EXPECT_TRUE(before->Find("narrowed")->revoked());
  EXPECT_TRUE(before->Find("moved")->revoked());
  EXPECT_FALSE(before->Find("rerated")->revoked());
  EXPECT_FALSE(after->Find("narrowed")->revoked());  // the new set's principals are fresh
}

// A stream holds the principal it was admitted as. A reload that keeps its
// token, then one that drops it, must still revoke that principal; and the
// token's open streams count across reloads (its caps cannot be reset by
// a reload).
TEST(TokenSet, ATokenKeptByOneReloadIsStillRevokedByTheNext) {
  const auto parse = [](const std::string& text, const TokenSet* previous) {
    absl::StatusOr<std::shared_ptr<const TokenSet>> set =
        TokenSet::Parse(text, "tokens", 200, previous);
    EXPECT_TRUE(set.ok()) << set.status();
    return *set;
  };
  const std::string line = absl::StrCat(Sha256Hex("t"), " tablet site=s1\n");
  const auto first = parse(line, nullptr);
  const std::shared_ptr<const Principal> held = first->Find("t");  // an open stream's
  held->state->open_watches = 3;
  const auto kept = parse(line, first.get());
  EXPECT_EQ(kept->Find("t"), held) << "an unchanged token keeps its principal";
  const auto rerated = parse(absl::StrCat(Sha256Hex("t"), " tablet site=s1 rate=5\n"), kept.get());
  EXPECT_NE(rerated->Find("t"), held);
  EXPECT_EQ(rerated->Find("t")->state, held->state) << "a new rate keeps the token's state";
  EXPECT_EQ(rerated->Find("t")->state->open_watches.load(), 3);
  EXPECT_EQ(kept->RevokeAllBut(*rerated), 0);
  const auto dropped = parse(absl::StrCat(Sha256Hex("other"), " lab lab=l1\n"), rerated.get());
  EXPECT_EQ(rerated->RevokeAllBut(*dropped), 1);
  EXPECT_TRUE(held->revoked()) << "the stream's principal escaped the revocation";
}

// Streams register and leave from many threads while reloads revoke: every
// stream of a revoked principal is ended exactly once, and none of a kept
// one; a stream registered after its revocation is ended at once.
TEST(OpenStreams, EndsEveryRevokedStreamOnceUnderConcurrency) {
  auto kept = std::make_shared<Principal>(Role::kTablet, 0);
  auto revoked = std::make_shared<Principal>(Role::kTablet, 0);
  OpenStreams streams;
  constexpr int kThreads = 4, kStreamsPerThread = 500;
  std::vector<std::atomic<int>> ends(2 * kThreads * kStreamsPerThread);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kStreamsPerThread; ++i) {
        const int slot = 2 * (t * kStreamsPerThread + i);
        const OpenStreams::Id a = streams.Add(kept, [&ends, slot] { ++ends[slot]; });
        const OpenStreams::Id b = streams.Add(revoked, [&ends, slot] { ++ends[slot + 1]; });
        if (i % 2 == 0) {
          streams.Remove(a);
          streams.Remove(b);
        }
      }
    });
  }
  std::thread revoker([&] {
    revoked->state->revoked = true;
    for (int i = 0; i < 50; ++i) streams.EndRevoked();
  });
  for (std::thread& thread : threads) thread.join();
  revoker.join();
  streams.EndRevoked();
  int revoked_open = 0;
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kStreamsPerThread; ++i) {
      const int slot = 2 * (t * kStreamsPerThread + i);
      EXPECT_EQ(ends[slot].load(), 0) << "a kept token's stream was ended";
      EXPECT_LE(ends[slot + 1].load(), 1) << "a stream was ended twice";
      // A stream not removed by its owner must have been ended.
      if (i % 2 == 1) {
        EXPECT_EQ(ends[slot + 1].load(), 1);
      }
      revoked_open += ends[slot + 1].load();
    }
  }
  EXPECT_GE(revoked_open, kThreads * kStreamsPerThread / 2);
  // Only the kept token's unremoved streams are left.
  EXPECT_EQ(streams.size(), static_cast<size_t>(kThreads * kStreamsPerThread / 2));
}

// Issue 25 item 9: every RPC has its own allow-list (RolesThatMayCall has
// no default case, so a new RPC does not compile without one); command
// tokens plan and watch (boxes and recalls too), tablets and teams check
// in and pack boxes, only teams record visits, couriers pick boxes up, labs
// receive them and report results.
TEST(AccessPolicy, EveryRpcHasItsOwnAllowList) {
  const auto may = [](Role role, Rpc rpc) {
    return ((RolesThatMayCall(rpc) >> static_cast<int>(role)) & 1u) != 0;
  };
  for (int r = 0; r < static_cast<int>(Rpc::kCount); ++r) {
    const Rpc rpc = static_cast<Rpc>(r);
    const bool check_in = rpc == Rpc::kOpenTube || rpc == Rpc::kCheckIn ||
                          rpc == Rpc::kCheckInStream || rpc == Rpc::kSealTube ||
                          rpc == Rpc::kRecordVisit || rpc == Rpc::kRegisterWalkIn ||
                          rpc == Rpc::kTakeFollowUpSwab;
    const bool pack = rpc == Rpc::kPackBox || rpc == Rpc::kListTubesToPack;
    const bool lab = rpc == Rpc::kReceiveBox || rpc == Rpc::kReportResults;
    const bool courier = rpc == Rpc::kPickUpBox;
    EXPECT_NE(RolesThatMayCall(rpc), 0u) << RpcName(rpc) << " is open to nobody";
    EXPECT_EQ(may(Role::kCommand, rpc), !check_in && !pack && !lab && !courier) << RpcName(rpc);
    EXPECT_EQ(may(Role::kTablet, rpc), (check_in && rpc != Rpc::kRecordVisit) || pack)
        << RpcName(rpc);
    EXPECT_EQ(may(Role::kTeam, rpc), check_in || pack) << RpcName(rpc);
    EXPECT_EQ(may(Role::kLab, rpc), lab) << RpcName(rpc);
    EXPECT_EQ(may(Role::kCourier, rpc), courier) << RpcName(rpc);
    EXPECT_FALSE(may(Role::kUnrestricted, rpc)) << "the unrestricted caller is not on lists";
  }
  EXPECT_EQ(RolesThatMayCall(Rpc::kCount), 0u);
}

// `swabwave tokens check FILE` says whether a reload would take the file.
TEST(TokenSet, CheckTokensFileDescribesAGoodFileAndNamesABadLine) {
  const std::string path =
      (std::filesystem::path(::testing::TempDir()) / "tokens-check").string();
  std::ofstream(path) << "# tokens\n"
                      << Sha256Hex("a") << " command communities=tc\n"
                      << Sha256Hex("b") << " tablet site=s1\n"
                      << Sha256Hex("c") << " tablet site=s2\n";
  absl::StatusOr<std::string> good = CheckTokensFile(path);
  ASSERT_TRUE(good.ok()) << good.status();
  EXPECT_EQ(*good, path + ": 3 tokens: 1 command, 2 tablet, 0 team, 0 courier, 0 lab");
  std::ofstream(path, std::ios::app) << Sha256Hex("d") << " tablet sites=s3\n";
  absl::StatusOr<std::string> bad = CheckTokensFile(path);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find(path + ":5:"), std::string::npos) << bad.status();
  std::filesystem::remove(path);
}

TEST(RateLimiter, AdmitsTheBurstThenTheRate) {
  RateLimiter limiter(10, 20);  // 10/s, bursts of 20
  const absl::Time t0 = absl::FromUnixSeconds(1'700'000'000);
  int admitted = 0;
  for (int i = 0; i < 30; ++i) admitted += limiter.Take(t0, 1) == absl::ZeroDuration();
  EXPECT_EQ(admitted, 20);
  const absl::Duration wait = limiter.Take(t0, 1);
  EXPECT_GT(wait, absl::ZeroDuration());
  EXPECT_LE(wait, absl::Milliseconds(100));
  // One interval later one more unit fits, not two.
  EXPECT_EQ(limiter.Take(t0 + absl::Milliseconds(100), 1), absl::ZeroDuration());
  EXPECT_GT(limiter.Take(t0 + absl::Milliseconds(100), 1), absl::ZeroDuration());
  // After a quiet spell the whole burst is back, never more.
  admitted = 0;
  for (int i = 0; i < 30; ++i) {
    admitted += limiter.Take(t0 + absl::Seconds(60), 1) == absl::ZeroDuration();
  }
  EXPECT_EQ(admitted, 20);
}

TEST(RateLimiter, ZeroRateIsUnlimited) {
  RateLimiter limiter(0, 0);
  EXPECT_TRUE(limiter.unlimited());
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(limiter.Take(absl::Now(), 1), absl::ZeroDuration());
}

}  // namespace
}  // namespace swabwave::services
