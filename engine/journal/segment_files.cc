#include "engine/journal/segment_files.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"

namespace swabwave::engine::journal {

std::string NumberedPath(const std::string& dir, absl::string_view prefix, uint64_t number,
                         absl::string_view suffix) {
  return (std::filesystem::path(dir) / absl::StrFormat("%s%020d%s", prefix, number, suffix))
      .string();
}

bool ParseNumberedName(absl::string_view name, absl::string_view prefix, absl::string_view suffix,
                       uint64_t* number) {
  if (!absl::ConsumePrefix(&name, prefix) || !absl::ConsumeSuffix(&name, suffix)) return false;
  return !name.empty() && absl::SimpleAtoi(name, number);
}

absl::Status IoError(absl::string_view what, const std::string& path) {
  return absl::InternalError(absl::StrCat(what, " ", path, ": ", std::strerror(errno)));
}

absl::Status WriteAll(int fd, absl::string_view data, const std::string& path) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return IoError("cannot write", path);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

absl::Status SyncDirectory(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return IoError("cannot open directory", dir);
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return IoError("cannot sync directory", dir);
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<MappedFile>> MappedFile::Open(const std::string& path,
                                                             uint64_t read_ahead_bytes) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return IoError("cannot open", path);
  struct stat info;
  if (::fstat(fd, &info) != 0) {
    ::close(fd);
    return IoError("cannot stat", path);
  }
  auto file = std::unique_ptr<MappedFile>(new MappedFile());
  file->size_ = static_cast<size_t>(info.st_size);
  if (file->size_ > 0) {
    void* data = ::mmap(nullptr, file->size_, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
    if (data == MAP_FAILED) {
      ::close(fd);
      return IoError("cannot map", path);
    }
    file->data_ = static_cast<const char*>(data);
    ::madvise(const_cast<char*>(file->data_), file->size_, MADV_SEQUENTIAL);
  }
  ::close(fd);
  if (file->size_ > 0 && file->size_ >= read_ahead_bytes) {
    file->released_ = std::make_shared<Release>();
    std::thread(TouchThenUnmap, file->data_, file->size_, file->released_).detach();
  }
  return file;
}

MappedFile::~MappedFile() {
  if (released_ == nullptr) {
    if (data_ != nullptr) ::munmap(const_cast<char*>(data_), size_);
    return;
  }
  // The helper unmaps once told the mapping is no longer read: off the
  // recovery's path, which is why it is detached rather than joined.
  {
    std::lock_guard lock(released_->mu);
    released_->done = true;
  }
  released_->cv.notify_one();
}

void MappedFile::TouchThenUnmap(const char* data, size_t size, std::shared_ptr<Release> release) {
  const long page = ::sysconf(_SC_PAGESIZE);
  const size_t step = page > 0 ? static_cast<size_t>(page) : 4096;
  constexpr size_t kCheckEvery = size_t{16} << 20;  // bytes between looks at `done`
  for (size_t offset = 0; offset < size; offset += step) {
    // A read the compiler must keep: the fault is the point.
    static_cast<void>(*static_cast<const volatile char*>(data + offset));
    if (offset % kCheckEvery == 0) {
      std::lock_guard lock(release->mu);
      if (release->done) break;  // recovery finished (or failed) first
    }
  }
  {
    std::unique_lock lock(release->mu);
    release->cv.wait(lock, [&] { return release->done; });
  }
  ::munmap(const_cast<char*>(data), size);
}

}  // namespace swabwave::engine::journal
