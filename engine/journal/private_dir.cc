#include "engine/journal/private_dir.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace swabwave::engine::journal {

absl::Status OpenPrivateDirectory(const std::string& dir) {
  namespace fs = std::filesystem;
  // "/x/data/" names /x/data: its parent is /x, not /x/data.
  fs::path path = fs::path(dir).lexically_normal();
  if (!path.has_filename() && path.has_parent_path()) path = path.parent_path();
  std::error_code error;
  if (!fs::exists(path, error)) {
    if (path.has_parent_path()) fs::create_directories(path.parent_path(), error);
    // mkdir's mode is cut by the umask, which can only remove bits.
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
      return absl::InternalError(
          absl::StrCat("cannot create data directory ", dir, ": ", std::strerror(errno)));
    }
  }
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0) {
    return absl::InternalError(
        absl::StrCat("cannot read data directory ", dir, ": ", std::strerror(errno)));
  }
  if (!S_ISDIR(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat("data directory ", dir, " is not a directory"));
  }
  if (st.st_uid != ::geteuid()) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "data directory %s is owned by uid %d, not by this process's uid %d: the journal's "
        "owner alone may hold it; run `chown -R %d %s` or start as its owner",
        dir, st.st_uid, ::geteuid(), ::geteuid(), dir));
  }
  if ((st.st_mode & 077) != 0) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "data directory %s has mode %04o: other users may read it, and it holds resident "
        "codes and medical exemption flags; only its owner may (mode 0700): run "
        "`chmod -R go-rwx %s` and start again",
        dir, st.st_mode & 07777, dir));
  }
  return absl::OkStatus();
}

}  // namespace swabwave::engine::journal
