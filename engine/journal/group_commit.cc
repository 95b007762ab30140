#include "engine/journal/group_commit.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

namespace swabwave::engine::journal {

GroupCommit::GroupCommit(GroupCommitOptions options, BatchWriter* writer, uint64_t last_sequence)
    : options_(std::move(options)),
      writer_(writer),
      last_appended_(last_sequence),
      durable_(last_sequence) {}

void GroupCommit::Start() {
  completer_ = std::thread([this] { CompleterLoop(); });
  writer_thread_ = std::thread([this] { WriterLoop(); });
}

GroupCommit::~GroupCommit() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_writer_.notify_one();
  if (writer_thread_.joinable()) writer_thread_.join();
  // The writer made everything durable and told the completer; let it run
  // the last callbacks, then stop.
  {
    std::lock_guard lock(waiters_mu_);
    completer_stopping_ = true;
  }
  wake_completer_.notify_one();
  if (completer_.joinable()) completer_.join();
}

uint64_t GroupCommit::Append(absl::Span<const absl::string_view> payloads) {
  uint64_t last;
  bool wake;
  {
    std::lock_guard lock(mu_);
    last = last_appended_.load(std::memory_order_relaxed);
    uint64_t frames = 0;
    for (absl::string_view payload : payloads) {
      if (payload.size() > options_.max_record_bytes) {
        // A caller skipped CheckRecordSize. Writing the record would make
        // the store unrecoverable, and skipping it would leave a gap in
        // the sequences: fail instead (the writer sees refused_).
        if (refused_.ok()) {
          refused_ = absl::InternalError(absl::StrCat(
              "a record of ", payload.size(), " bytes, past the limit of ",
              options_.max_record_bytes, ", reached the journal unchecked; it was not written"));
        }
        ++last;
        ++frames;
        continue;
      }
      frames += AppendRecordFrames(payload, options_.fragment_bytes, &last, &pending_);
    }
    pending_count_ += frames;
    // Release inside the lock: sequences become visible in order.
    last_appended_.store(last, std::memory_order_release);
    wake = pending_count_ >= wake_writer_at_;
    // Counted before the writer can take these records (it takes them under
    // this lock): counted after, an appender delayed past a whole write
    // would let the writer subtract them first and wrap the count, and
    // Accepting would refuse check-ins for a moment.
    pending_records_.fetch_add(frames, std::memory_order_relaxed);
  }
  if (wake) wake_writer_.notify_one();
  return last;
}

bool GroupCommit::Accepting(uint64_t records) const {
  return pending_records_.load(std::memory_order_relaxed) + records <=
         options_.max_pending_records;
}

absl::Status GroupCommit::health() const {
  std::lock_guard lock(failed_mu_);
  return failed_;
}

void GroupCommit::WhenDurable(uint64_t sequence, Store::DurableCallback done) {
  {
    std::lock_guard lock(waiters_mu_);
    // Both checked under waiters_mu_: the writer publishes durable_ and
    // failure before it takes this lock to wake the completer, so a waiter
    // pushed here is always seen by a later sweep.
    if (!failed_flag_.load(std::memory_order_acquire) &&
        sequence > durable_.load(std::memory_order_acquire)) {
      waiters_.push_back({sequence, std::move(done)});
      return;
    }
  }
  done(failed_flag_.load(std::memory_order_acquire) ? health() : absl::OkStatus());
}

void GroupCommit::WriterLoop() {
  std::string batch;
  std::vector<Waiter> run_here;                    // callbacks this thread runs itself
  uint64_t last_count = 0;                         // records in the last batch
  absl::Duration last_write = absl::ZeroDuration();  // how long it took
  absl::Time last_start = absl::InfinitePast();    // when it began
  for (;;) {
    uint64_t last;
    uint64_t count;
    bool stopping;
    absl::Status refused;
    {
      std::unique_lock lock(mu_);
      wake_writer_at_ = 1;
      wake_writer_.wait(lock, [&] { return stopping_ || pending_count_ > 0; });
      // Gather: the callers of the last batch are still waking up and will
      // append again within microseconds. Writing now would write a
      // fraction of them and make the rest wait a whole extra sync; waiting
      // up to one write's time (at most 1 ms) for as many records as last
      // time fills the batch. Under steady load this costs nothing (the
      // batch is already full); when load drops, one batch waits that long.
      if (!stopping_ && pending_count_ < last_count) {
        const absl::Duration gather =
            std::clamp(last_write, absl::Microseconds(20), absl::Milliseconds(1));
        wake_writer_at_ = last_count;
        wake_writer_.wait_for(lock, absl::ToChronoMicroseconds(gather), [&] {
          return stopping_ || pending_count_ >= last_count;
        });
      }
      // Pace: the last batch was a big one, so records are streaming in;
      // writing the moment the last write ended would spend a sync's CPU on
      // whatever arrived meanwhile. Wait out the interval (or a full batch).
      if (!stopping_ && last_count >= kPaceFromRecords &&
          options_.min_sync_interval > absl::ZeroDuration()) {
        const absl::Duration wait = last_start + options_.min_sync_interval - absl::Now();
        if (wait > absl::ZeroDuration() && pending_count_ < kFullBatchRecords) {
          wake_writer_at_ = kFullBatchRecords;
          wake_writer_.wait_for(lock, absl::ToChronoMicroseconds(wait), [&] {
            return stopping_ || pending_count_ >= kFullBatchRecords;
          });
        }
      }
      last_start = absl::Now();
      wake_writer_at_ = UINT64_MAX;  // writing: the loop looks at pending_ again
      stopping = stopping_;
      refused = refused_;
      batch.clear();
      batch.swap(pending_);
      count = pending_count_;
      pending_count_ = 0;
      last = last_appended_.load(std::memory_order_relaxed);
    }
    if (count > 0) {
      const absl::Time write_start = absl::Now();
      const absl::Status status = Write(batch, last, refused);
      last_write = absl::Now() - write_start;
      writing_nanos_.fetch_add(absl::ToInt64Nanoseconds(last_write), std::memory_order_relaxed);
      last_count = count;
      pending_records_.fetch_sub(count, std::memory_order_relaxed);
      if (status.ok()) durable_.store(last, std::memory_order_release);
      if (!status.ok()) failed_flag_.store(true, std::memory_order_release);
      // The completer runs the callbacks while this thread goes on to the
      // next write: waking many waiters costs as much as an fdatasync. This
      // thread runs them itself when there are only a few, or when nothing
      // was appended during this write, so there is no next write to go on
      // to: every producer is waiting on this batch, and handing off would
      // only add the completer's wake-up, and then this thread's, before the
      // callbacks' appends could be written.
      const bool more_to_write = pending_records_.load(std::memory_order_relaxed) > 0;
      bool hand_off;
      {
        std::lock_guard lock(waiters_mu_);
        hand_off = !status.ok() || (waiters_.size() > kInlineCallbacks && more_to_write);
        if (hand_off) {
          completion_pending_ = true;
        } else {
          TakeReadyLocked(last, &run_here);
        }
      }
      if (hand_off) wake_completer_.notify_one();
      for (Waiter& waiter : run_here) waiter.done(absl::OkStatus());
      run_here.clear();
    }
    if (stopping && count == 0) return;
    // Keep the buffer's capacity for the next batch, but not a huge one.
    if (batch.capacity() > (size_t{64} << 20)) std::string().swap(batch);
  }
}

absl::Status GroupCommit::Write(const std::string& frames, uint64_t last_sequence,
                                const absl::Status& refused) {
  {
    std::lock_guard lock(failed_mu_);
    if (!failed_.ok()) return failed_;
    if (!refused.ok()) {
      failed_ = absl::UnavailableError(absl::StrCat(
          "the journal stopped (", refused.message(),
          "); the server takes no more changes until it is restarted"));
      return failed_;
    }
  }
  absl::Status status = writer_->WriteBatch(frames, last_sequence);
  if (status.ok()) {
    writes_.fetch_add(1, std::memory_order_relaxed);
    return status;
  }
  // After a failed write or sync the file's state is unknown (and Linux
  // may have dropped the dirty pages): stop, rather than acknowledge
  // anything more. A restart recovers what is durable.
  std::lock_guard lock(failed_mu_);
  failed_ = absl::UnavailableError(absl::StrCat(
      "the journal cannot write (", status.message(),
      "); the server takes no more changes until it is restarted with a working disk"));
  return failed_;
}

void GroupCommit::TakeReadyLocked(uint64_t durable_through, std::vector<Waiter>* ready) {
  // Keeps the order the waiters came in (the order their records were
  // appended, near enough): a stream's answers then complete in the order
  // it must send them, without parking early ones.
  size_t kept = 0;
  for (Waiter& waiter : waiters_) {
    if (waiter.sequence <= durable_through) {
      ready->push_back(std::move(waiter));
    } else {
      if (&waiters_[kept] != &waiter) waiters_[kept] = std::move(waiter);
      ++kept;
    }
  }
  waiters_.erase(waiters_.begin() + static_cast<ptrdiff_t>(kept), waiters_.end());
}

void GroupCommit::CompleterLoop() {
  std::vector<Waiter> ready;
  std::unique_lock lock(waiters_mu_);
  for (;;) {
    wake_completer_.wait(lock, [&] { return completion_pending_ || completer_stopping_; });
    const bool stopping = completer_stopping_ && !completion_pending_;
    completion_pending_ = false;
    const bool failed = failed_flag_.load(std::memory_order_acquire);
    const uint64_t durable_through = durable_.load(std::memory_order_acquire);
    TakeReadyLocked(failed ? UINT64_MAX : durable_through, &ready);
    lock.unlock();
    const absl::Status status = failed ? health() : absl::OkStatus();
    for (Waiter& waiter : ready) waiter.done(status);
    ready.clear();
    lock.lock();
    if (stopping) return;
  }
}

}  // namespace swabwave::engine::journal
