// Files at rest (issue 25 item 5): a journal creates its directory 0700 and
// its segments, snapshots and LOCK 0600 whatever the umask, and refuses a
// directory that other users may read, naming the command that fixes it.
#include "engine/journal/private_dir.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <string>

#include "engine/journal/journal.h"
#include "tests/engine/journal/open_journal.h"
#include "tests/engine/journal/temp_dir.h"

namespace swabwave::engine::journal {
namespace {

using ::swabwave::engine::testing::OpenJournal;
using ::swabwave::engine::testing::TempDir;
using ::swabwave::engine::testing::WriteAll;
using ::testing::HasSubstr;

int ModeOf(const std::string& path) {
  struct stat st;
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return static_cast<int>(st.st_mode & 07777);
}

// Restores the process's umask at the end of a test.
class UmaskGuard {
 public:
  explicit UmaskGuard(mode_t mask) : old_(::umask(mask)) {}
  ~UmaskGuard() { ::umask(old_); }

 private:
  mode_t old_;
};

TEST(PrivateDirectoryTest, AJournalsFilesAreTheOwnersOnlyWhateverTheUmask) {
  TempDir parent;
  const std::string dir = parent.path() + "/data";
  const UmaskGuard permissive(0);
  {
    auto journal = OpenJournal(dir);
    ASSERT_TRUE(journal.ok()) << journal.status();
    ASSERT_TRUE((*journal)->AppendDurably("a record").ok());
    ASSERT_TRUE(
        (*journal)->WriteSnapshot([](SnapshotSink& sink) { return sink.Add("state"); }).ok());
  }
  EXPECT_EQ(ModeOf(dir), 0700);
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    EXPECT_EQ(ModeOf(entry.path().string()), 0600) << entry.path();
    ++files;
  }
  EXPECT_GE(files, 3);  // a segment, a snapshot and the LOCK at least
}

TEST(PrivateDirectoryTest, ADirectoryOthersMayReadIsRefusedWithTheFix) {
  TempDir dir;
  ASSERT_TRUE(OpenJournal(dir.path()).ok());
  for (const int mode : {0755, 0750, 0701, 0707}) {
    ::chmod(dir.path().c_str(), mode);
    auto refused = OpenJournal(dir.path());
    ASSERT_FALSE(refused.ok()) << "mode " << mode;
    EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_THAT(refused.status().message(), HasSubstr("chmod -R go-rwx " + dir.path()));
  }
  // The command in the message is the fix.
  ::chmod(dir.path().c_str(), 0700);
  EXPECT_TRUE(OpenJournal(dir.path()).ok());
}

// "--data_dir=/x/data/" is /x/data: made 0700 like any other spelling.
TEST(PrivateDirectoryTest, ATrailingSlashNamesTheSameDirectory) {
  TempDir parent;
  const std::string dir = parent.path() + "/data/";
  ASSERT_TRUE(OpenJournal(dir).ok());
  EXPECT_EQ(ModeOf(parent.path() + "/data"), 0700);
  EXPECT_TRUE(OpenJournal(dir).ok()) << "the second start refused its own directory";
}

TEST(PrivateDirectoryTest, AFileWhereTheDirectoryShouldBeIsRefused) {
  TempDir parent;
  const std::string path = parent.path() + "/not-a-directory";
  WriteAll(path, "x");
  const absl::Status status = OpenPrivateDirectory(path);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
}

}  // namespace
}  // namespace swabwave::engine::journal
