#include "engine/journal/dir_lock.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "engine/journal/journal.h"
#include "tests/engine/journal/open_journal.h"
#include "tests/engine/journal/temp_dir.h"

namespace swabwave::engine::journal {
namespace {

using ::swabwave::engine::testing::OpenJournal;
using ::swabwave::engine::testing::TempDir;
using ::testing::HasSubstr;

TEST(DirectoryLockTest, ASecondJournalOnTheSameDirectoryIsRefusedNamingTheHolder) {
  TempDir dir;
  auto first = OpenJournal(dir.path());
  ASSERT_TRUE(first.ok()) << first.status();
  auto second = OpenJournal(dir.path());
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(second.status().message(), HasSubstr(absl::StrCat("pid ", ::getpid())));
  EXPECT_THAT(second.status().message(), HasSubstr(dir.path()));
  // The refused open changed nothing: the first journal still writes.
  ASSERT_TRUE((*first)->AppendDurably("after the refusal").ok());
  first->reset();
  // Released with the journal: the directory opens again.
  auto third = OpenJournal(dir.path());
  EXPECT_TRUE(third.ok()) << third.status();
}

TEST(DirectoryLockTest, AnotherProcessIsRefusedWhileTheHolderLives) {
  TempDir dir;
  auto held = DirectoryLock::Acquire(dir.path());
  ASSERT_TRUE(held.ok()) << held.status();
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // In the child: the parent's flock is on another open file description.
    auto refused = DirectoryLock::Acquire(dir.path());
    _exit(!refused.ok() && refused.status().code() == absl::StatusCode::kFailedPrecondition
              ? 0
              : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

TEST(DirectoryLockTest, TheLockDiesWithItsProcess) {
  TempDir dir;
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto held = DirectoryLock::Acquire(dir.path());
    _exit(held.ok() ? 0 : 1);  // exits holding it: the kernel releases it
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  auto again = DirectoryLock::Acquire(dir.path());
  EXPECT_TRUE(again.ok()) << again.status();
}

}  // namespace
}  // namespace swabwave::engine::journal
