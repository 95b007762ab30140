#include "engine/journal/journal.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "engine/journal/frame.h"
#include "tests/engine/journal/opened_journal.h"
#include "tests/engine/journal/temp_dir.h"

namespace swabwave::engine::journal {
namespace {

using ::swabwave::engine::testing::OpenCollecting;
using ::swabwave::engine::testing::ReadAll;
using ::swabwave::engine::testing::TempDir;
using ::swabwave::engine::testing::WriteAll;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

using Opened = ::swabwave::engine::testing::OpenedJournal;

std::unique_ptr<Opened> Open(const std::string& dir, uint64_t segment_bytes = 1 << 20,
                             uint64_t read_ahead_bytes = JournalOptions().read_ahead_bytes) {
  JournalOptions options;
  options.dir = dir;
  options.segment_bytes = segment_bytes;
  options.read_ahead_bytes = read_ahead_bytes;
  return OpenCollecting(options);
}

// Appends records "<prefix>1" ... "<prefix>n" and waits for them.
void AppendDurably(Journal& journal, const std::string& prefix, int n) {
  uint64_t last = 0;
  for (int i = 1; i <= n; ++i) last = journal.Append(absl::StrCat(prefix, i));
  ASSERT_TRUE(journal.WaitDurable(last).ok());
}

TEST(JournalTest, AnEmptyDirectoryRecoversNothing) {
  TempDir dir;
  auto opened = Open(dir.path());
  ASSERT_TRUE(opened->journal.ok()) << opened->journal.status();
  EXPECT_TRUE(opened->replayed.empty());
  EXPECT_EQ(opened->report.last_sequence, 0u);
  EXPECT_EQ((*opened->journal)->last_appended(), 0u);
}

TEST(JournalTest, AMissingDirectoryIsCreated) {
  TempDir dir;
  auto opened = Open(dir.path() + "/a/b");
  ASSERT_TRUE(opened->journal.ok()) << opened->journal.status();
  EXPECT_TRUE(std::filesystem::is_directory(dir.path() + "/a/b"));
}

TEST(JournalTest, DurableRecordsAreReplayedInOrderAfterARestart) {
  TempDir dir;
  {
    auto opened = Open(dir.path());
    ASSERT_TRUE(opened->journal.ok());
    AppendDurably(**opened->journal, "r", 3);
    EXPECT_EQ((*opened->journal)->durable(), 3u);
  }
  auto reopened = Open(dir.path());
  ASSERT_TRUE(reopened->journal.ok()) << reopened->journal.status();
  EXPECT_THAT(reopened->replayed, ElementsAre("r1", "r2", "r3"));
  // Sequences continue where they stopped.
  EXPECT_EQ((*reopened->journal)->Append("r4"), 4u);
}

TEST(JournalTest, WhenDurableRunsEveryCallbackOnceTheRecordIsOnDisk) {
  TempDir dir;
  auto opened = Open(dir.path());
  ASSERT_TRUE(opened->journal.ok());
  Journal& journal = **opened->journal;
  std::atomic<int> called{0};
  std::atomic<bool> too_early{false};
  std::vector<std::thread> producers;
  for (int t = 0; t < 4; ++t) {
    producers.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        const uint64_t sequence = journal.Append(absl::StrCat("p", t, "-", i));
        journal.WhenDurable(sequence, [&, sequence](absl::Status status) {
          if (!status.ok() || journal.durable() < sequence) too_early = true;
          ++called;
        });
      }
    });
  }
  for (std::thread& producer : producers) producer.join();
  ASSERT_TRUE(journal.WaitDurable(journal.last_appended()).ok());
  // The writer runs the callbacks it collected after it marks them
  // durable, so the last few may still be running: wait for them (bounded).
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (called.load() < 800 && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(1));
  EXPECT_EQ(called.load(), 800);
  EXPECT_FALSE(too_early.load());
  // Already durable: called inline.
  bool inline_call = false;
  journal.WhenDurable(1, [&](absl::Status status) { inline_call = status.ok(); });
  EXPECT_TRUE(inline_call);
}

// Producers as the server's stream reactors are: each appends its next
// message from the callback that says its last one is durable, so every
// producer waits on the same batch and the writer runs their callbacks
// itself. Every message must still be written, each callback run once and
// never before its records are durable, and no append may be left
// unwritten for want of a wake-up (the writer is woken only once a batch is
// as full as the last one).
TEST(JournalTest, ProducersChainedThroughCallbacksAllFinish) {
  TempDir dir;
  auto opened = Open(dir.path());
  ASSERT_TRUE(opened->journal.ok());
  Journal& journal = **opened->journal;
  constexpr int kProducers = 16;
  constexpr int kMessages = 60;
  constexpr int kRecords = 8;
  std::atomic<int> callbacks{0};
  std::atomic<bool> too_early{false};
  std::atomic<bool> stop{false};  // on failure: no appends from the destructor's callbacks
  std::vector<std::string> message(kRecords, "check-in");
  const std::vector<absl::string_view> views(message.begin(), message.end());
  std::function<void(int)> send = [&](int left) {
    const uint64_t sequence = journal.Append(views);
    journal.WhenDurable(sequence, [&, sequence, left](absl::Status status) {
      if (!status.ok() || journal.durable() < sequence) too_early = true;
      ++callbacks;
      if (left > 1 && !stop.load()) send(left - 1);
    });
  };
  for (int p = 0; p < kProducers; ++p) send(kMessages);
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (callbacks.load() < kProducers * kMessages && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(1));
  }
  stop = true;
  EXPECT_EQ(callbacks.load(), kProducers * kMessages);
  EXPECT_FALSE(too_early.load());
  EXPECT_EQ(journal.last_appended(), uint64_t{kProducers} * kMessages * kRecords);
  EXPECT_EQ(journal.durable(), journal.last_appended());
}

TEST(JournalTest, AcceptingRefusesPastTheQueueBound) {
  TempDir dir;
  JournalOptions options;
  options.dir = dir.path();
  options.max_pending_records = 100;
  auto journal = Journal::Open(options, [](uint64_t, absl::string_view) { return absl::OkStatus(); },
                               nullptr);
  ASSERT_TRUE(journal.ok());
  EXPECT_TRUE((*journal)->Accepting(100));
  EXPECT_FALSE((*journal)->Accepting(101));
}

TEST(JournalTest, ASyncIntervalOutsideZeroTo100msIsInvalidArgument) {
  TempDir dir;
  for (absl::Duration interval : {absl::Milliseconds(-1), absl::Milliseconds(101)}) {
    JournalOptions options;
    options.dir = dir.path();
    options.min_sync_interval = interval;
    auto journal = Journal::Open(
        options, [](uint64_t, absl::string_view) { return absl::OkStatus(); }, nullptr);
    EXPECT_EQ(journal.status().code(), absl::StatusCode::kInvalidArgument) << interval;
    EXPECT_THAT(journal.status().message(), HasSubstr("sync interval"));
  }
}

// A journal whose syncs are paced 100 ms apart, already under load: it has
// synced a burst of 100 records, so the next sync waits out the interval.
struct PacedJournal {
  explicit PacedJournal(const std::string& dir) {
    JournalOptions options;
    options.dir = dir;
    options.min_sync_interval = absl::Milliseconds(100);
    journal = Journal::Open(
        options, [](uint64_t, absl::string_view) { return absl::OkStatus(); }, nullptr);
    if (!journal.ok()) return;
    const std::vector<absl::string_view> burst(records.begin(), records.end());
    const absl::Status synced = (*journal)->WaitDurable((*journal)->Append(burst));
    if (!synced.ok()) journal = synced;
  }
  const std::vector<std::string> records = std::vector<std::string>(100, std::string(40, 'r'));
  absl::StatusOr<std::unique_ptr<Journal>> journal;
};

// Under streaming load (the last batch was a big one) the writer waits out
// the interval instead of syncing each burst as it comes: five bursts 2 ms
// apart, inside a 100 ms interval, share one sync (two at most, if the
// first sync had not begun). Syncing back to back gives each its own.
TEST(JournalTest, UnderLoadBurstsShareASyncWithinTheInterval) {
  TempDir dir;
  PacedJournal paced(dir.path());
  ASSERT_TRUE(paced.journal.ok()) << paced.journal.status();
  auto& journal = paced.journal;
  const std::vector<absl::string_view> burst(paced.records.begin(), paced.records.end());
  const uint64_t syncs_before = (*journal)->syncs();
  uint64_t last = 0;
  for (int i = 0; i < 5; ++i) {
    last = (*journal)->Append(burst);
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  ASSERT_TRUE((*journal)->WaitDurable(last).ok());
  EXPECT_LE((*journal)->syncs() - syncs_before, 2u);
  EXPECT_EQ((*journal)->durable(), 600u);
}

// A stream answers in message order; when its messages become durable in
// one sync, their callbacks must come in the order they were registered, or
// the stream has to park the early ones. The paced interval holds all ten
// records for one sync; a waiter for a later record, registered after
// them, stays behind (picking the ready ones must not shuffle them).
TEST(JournalTest, CallbacksOfOneSyncRunInTheOrderTheyWereRegistered) {
  TempDir dir;
  PacedJournal paced(dir.path());
  ASSERT_TRUE(paced.journal.ok()) << paced.journal.status();
  auto& journal = paced.journal;
  absl::Mutex mu;
  std::vector<int> order;
  uint64_t last = 0;
  for (int i = 0; i < 10; ++i) {
    last = (*journal)->Append(absl::StrCat("m", i));
    (*journal)->WhenDurable(last, [&, i](const absl::Status&) {
      absl::MutexLock lock(&mu);
      order.push_back(i);
    });
  }
  std::atomic<bool> later_done{false};
  (*journal)->WhenDurable(last + 1, [&](const absl::Status&) { later_done = true; });
  ASSERT_TRUE((*journal)->WaitDurable(last).ok());
  {
    absl::MutexLock lock(&mu);
    mu.Await(absl::Condition(+[](std::vector<int>* o) { return o->size() == 10; }, &order));
    EXPECT_THAT(order, ElementsAre(0, 1, 2, 3, 4, 5, 6, 7, 8, 9));
  }
  EXPECT_FALSE(later_done.load());
  ASSERT_TRUE((*journal)->WaitDurable((*journal)->Append("later")).ok());
  EXPECT_TRUE(later_done.load());
}

TEST(JournalTest, SegmentsRotateAndReplayAcrossFiles) {
  TempDir dir;
  {
    auto opened = Open(dir.path(), 4096);
    ASSERT_TRUE(opened->journal.ok());
    for (int batch = 0; batch < 20; ++batch) {
      AppendDurably(**opened->journal, absl::StrCat("b", batch, "-", std::string(200, 'x'), "-"),
                    5);
    }
    EXPECT_GT((*opened->journal)->segment_count(), 3u);
  }
  auto reopened = Open(dir.path(), 4096);
  ASSERT_TRUE(reopened->journal.ok()) << reopened->journal.status();
  EXPECT_EQ(reopened->replayed.size(), 100u);
  EXPECT_GT(reopened->report.segments, 3u);
}

// Writes three durable records, then cuts the last one at every byte offset:
// recovery keeps the first two, reports the torn bytes, truncates them, and
// the journal goes on from sequence 3.
TEST(JournalTest, ATornLastRecordIsTruncatedAtEveryByteOffset) {
  TempDir dir;
  {
    auto opened = Open(dir.path());
    ASSERT_TRUE(opened->journal.ok());
    AppendDurably(**opened->journal, "record-", 3);
  }
  const std::vector<std::string> segments = dir.Files("journal-");
  ASSERT_EQ(segments.size(), 1u);
  const std::string whole = ReadAll(segments[0]);
  const size_t last_frame = whole.size() - (kFrameHeaderSize + std::string("record-3").size());
  for (size_t cut = last_frame + 1; cut < whole.size(); ++cut) {
    TempDir case_dir;
    WriteAll(case_dir.path() + "/" + std::filesystem::path(segments[0]).filename().string(),
             whole.substr(0, cut));
    auto opened = Open(case_dir.path());
    ASSERT_TRUE(opened->journal.ok()) << cut << ": " << opened->journal.status();
    EXPECT_THAT(opened->replayed, ElementsAre("record-1", "record-2")) << cut;
    EXPECT_EQ(opened->report.torn_bytes, cut - last_frame) << cut;
    EXPECT_EQ((*opened->journal)->Append("again"), 3u);
    ASSERT_TRUE((*opened->journal)->WaitDurable(3).ok());
    opened.reset();
    auto again = Open(case_dir.path());
    ASSERT_TRUE(again->journal.ok()) << cut << ": " << again->journal.status();
    EXPECT_THAT(again->replayed, ElementsAre("record-1", "record-2", "again")) << cut;
    EXPECT_EQ(again->report.torn_bytes, 0u);
  }
}

TEST(JournalTest, AFlippedBitInTheMiddleIsDataLossNamingFileAndOffset) {
  TempDir dir;
  {
    auto opened = Open(dir.path());
    ASSERT_TRUE(opened->journal.ok());
    AppendDurably(**opened->journal, "record-", 5);
  }
  const std::string segment = dir.Files("journal-")[0];
  std::string data = ReadAll(segment);
  const size_t second = kSegmentHeaderSize + kFrameHeaderSize + std::string("record-1").size();
  data[second + kFrameHeaderSize + 3] ^= 0x01;
  WriteAll(segment, data);
  auto opened = Open(dir.path());
  ASSERT_FALSE(opened->journal.ok());
  EXPECT_EQ(opened->journal.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(opened->journal.status().message(), HasSubstr(segment));
  EXPECT_THAT(opened->journal.status().message(), HasSubstr(absl::StrCat("offset ", second)));
}

TEST(JournalTest, AMissingSegmentIsDataLoss) {
  TempDir dir;
  {
    auto opened = Open(dir.path(), 4096);
    ASSERT_TRUE(opened->journal.ok());
    for (int batch = 0; batch < 10; ++batch) {
      AppendDurably(**opened->journal, absl::StrCat("b", batch, std::string(300, 'y')), 5);
    }
  }
  std::vector<std::string> segments = dir.Files("journal-");
  ASSERT_GT(segments.size(), 3u);
  std::filesystem::remove(segments[1]);
  auto opened = Open(dir.path(), 4096);
  ASSERT_FALSE(opened->journal.ok());
  EXPECT_EQ(opened->journal.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(opened->journal.status().message(), HasSubstr("missing"));
}

TEST(JournalTest, ASnapshotReplacesTheSegmentsItCovers) {
  TempDir dir;
  {
    auto opened = Open(dir.path(), 4096);
    ASSERT_TRUE(opened->journal.ok());
    Journal& journal = **opened->journal;
    for (int batch = 0; batch < 10; ++batch) {
      AppendDurably(journal, absl::StrCat("old", batch, std::string(300, 'z'), "-"), 5);
    }
    const size_t before = journal.segment_count();
    absl::StatusOr<uint64_t> covered = journal.WriteSnapshot([](SnapshotSink& sink) {
      for (const char* record : {"state-a", "state-b"}) {
        if (absl::Status s = sink.Add(record); !s.ok()) return s;
      }
      return absl::OkStatus();
    });
    ASSERT_TRUE(covered.ok()) << covered.status();
    EXPECT_EQ(*covered, 50u);
    EXPECT_LT(journal.segment_count(), before);
    AppendDurably(journal, "new", 2);
  }
  auto reopened = Open(dir.path(), 4096);
  ASSERT_TRUE(reopened->journal.ok()) << reopened->journal.status();
  EXPECT_THAT(reopened->replayed, ElementsAre("state-a", "state-b", "new1", "new2"));
  EXPECT_EQ(reopened->report.snapshot_sequence, 50u);
  EXPECT_EQ(reopened->report.snapshot_records, 2u);
  EXPECT_EQ((*reopened->journal)->last_appended(), 52u);
}

TEST(JournalTest, ADamagedSnapshotIsDataLoss) {
  TempDir dir;
  {
    auto opened = Open(dir.path());
    ASSERT_TRUE(opened->journal.ok());
    AppendDurably(**opened->journal, "r", 2);
    ASSERT_TRUE((*opened->journal)
                    ->WriteSnapshot([](SnapshotSink& sink) { return sink.Add("state"); })
                    .ok());
  }
  const std::string snapshot = dir.Files("snapshot-")[0];
  std::string data = ReadAll(snapshot);
  data.back() ^= 0x20;
  WriteAll(snapshot, data);
  auto opened = Open(dir.path());
  ASSERT_FALSE(opened->journal.ok());
  EXPECT_EQ(opened->journal.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(opened->journal.status().message(), HasSubstr("snapshot"));
}

// A large snapshot's pages are touched ahead of the scan by a helper thread
// that also unmaps the file (segment_files.h, MappedFile): recovery reads the
// same records with it, and a damaged snapshot found out while the helper
// is still touching pages stops it without a crash or a leak.
TEST(JournalTest, ASnapshotReadAheadLoadsTheSameAndStopsOnDamage) {
  TempDir dir;
  constexpr int kRecords = 8;
  const std::string big(size_t{4} << 20, 'x');  // 32 MiB of snapshot in all
  {
    auto opened = Open(dir.path());
    ASSERT_TRUE(opened->journal.ok());
    AppendDurably(**opened->journal, "r", 2);
    ASSERT_TRUE((*opened->journal)
                    ->WriteSnapshot([&](SnapshotSink& sink) {
                      for (int i = 0; i < kRecords; ++i) {
                        if (absl::Status s = sink.Add(absl::StrCat(i, big)); !s.ok()) return s;
                      }
                      return absl::OkStatus();
                    })
                    .ok());
  }
  {
    auto opened = Open(dir.path(), 1 << 20, /*read_ahead_bytes=*/0);
    ASSERT_TRUE(opened->journal.ok()) << opened->journal.status();
    ASSERT_EQ(opened->replayed.size(), size_t{kRecords});
    for (int i = 0; i < kRecords; ++i) EXPECT_EQ(opened->replayed[i], absl::StrCat(i, big));
  }
  const std::string snapshot = dir.Files("snapshot-")[0];
  std::string data = ReadAll(snapshot);
  data[data.size() / 8] ^= 0x20;  // in the first big record: found out early
  WriteAll(snapshot, data);
  for (int attempt = 0; attempt < 3; ++attempt) {
    auto opened = Open(dir.path(), 1 << 20, /*read_ahead_bytes=*/0);
    ASSERT_FALSE(opened->journal.ok());
    EXPECT_EQ(opened->journal.status().code(), absl::StatusCode::kDataLoss);
  }
}

// A snapshot cut exactly at a frame boundary scans clean: the count its
// header frame announces finds it out.
TEST(JournalTest, ASnapshotCutShortAtAFrameBoundaryIsDataLoss) {
  TempDir dir;
  {
    auto opened = Open(dir.path());
    ASSERT_TRUE(opened->journal.ok());
    AppendDurably(**opened->journal, "r", 2);
    ASSERT_TRUE((*opened->journal)
                    ->WriteSnapshot([](SnapshotSink& sink) {
                      for (const char* record : {"state-a", "state-b"}) {
                        if (absl::Status s = sink.Add(record); !s.ok()) return s;
                      }
                      return absl::OkStatus();
                    })
                    .ok());
  }
  const std::string snapshot = dir.Files("snapshot-")[0];
  std::string data = ReadAll(snapshot);
  data.resize(data.size() - (kFrameHeaderSize + std::string("state-b").size()));
  WriteAll(snapshot, data);
  auto opened = Open(dir.path());
  ASSERT_FALSE(opened->journal.ok());
  EXPECT_EQ(opened->journal.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(opened->journal.status().message(), HasSubstr(snapshot));
  EXPECT_THAT(opened->journal.status().message(),
              HasSubstr(absl::StrCat("ends at offset ", data.size())));
}

// Snapshots written before the header frame existed: the segment header,
// then the records. They load as they did.
TEST(JournalTest, ASnapshotWithoutAHeaderFrameStillLoads) {
  TempDir dir;
  {
    auto opened = Open(dir.path());
    ASSERT_TRUE(opened->journal.ok());
    AppendDurably(**opened->journal, "r", 3);
  }
  std::string legacy;
  AppendSegmentHeader(1, &legacy);
  AppendFrame(1, "state-a", &legacy);
  AppendFrame(2, "state-b", &legacy);
  WriteAll(dir.path() + "/snapshot-00000000000000000002.snap", legacy);
  auto opened = Open(dir.path());
  ASSERT_TRUE(opened->journal.ok()) << opened->journal.status();
  EXPECT_THAT(opened->replayed, ElementsAre("state-a", "state-b", "r3"));
  EXPECT_EQ(opened->report.snapshot_records, 2u);
}

TEST(JournalTest, AReplayErrorStopsRecoveryAndPassesThrough) {
  TempDir dir;
  {
    auto opened = Open(dir.path());
    ASSERT_TRUE(opened->journal.ok());
    AppendDurably(**opened->journal, "r", 3);
  }
  JournalOptions options;
  options.dir = dir.path();
  auto journal = Journal::Open(
      options,
      [](uint64_t sequence, absl::string_view) {
        return sequence == 2 ? absl::DataLossError("bad record 2") : absl::OkStatus();
      },
      nullptr);
  ASSERT_FALSE(journal.ok());
  EXPECT_THAT(journal.status().message(), HasSubstr("bad record 2"));
}

}  // namespace
}  // namespace swabwave::engine::journal
