// A file layer for the power-loss test (LD_PRELOAD): writes to files under
// $SWABWAVE_UNSYNCED_DIR stay in this process's memory until the file is
// fsynced or fdatasynced, so kill -9 loses exactly what a power cut would
// lose of their data. (A plain kill -9 keeps the kernel's page cache, and
// with it every write the journal made, synced or not.)
//
// What it models, and what it does not:
//   - write and pwrite to a file opened for writing under the directory are
//     held; fsync/fdatasync write them through, in order, then sync;
//   - close drops what is still held (the process never reads it back, and
//     after a power cut it would be gone);
//   - creating, renaming, truncating and unlinking files, and directory
//     syncs, go straight through: metadata is taken as durable at once
//     (the journal syncs its directory after each of them anyway);
//   - SWABWAVE_UNSYNCED_LIE=1 makes fsync/fdatasync report success without
//     writing anything through: a disk that lies, which the test must catch.
//
// Thread-safety: one mutex around the table of held files; the real calls
// run outside it except a sync's write-through.
#include <dlfcn.h>
#include <fcntl.h>
#include <stdarg.h>
#include <sys/types.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace {

using OpenFn = int (*)(const char*, int, ...);
using WriteFn = ssize_t (*)(int, const void*, size_t);
using PwriteFn = ssize_t (*)(int, const void*, size_t, off_t);
using SyncFn = int (*)(int);
using CloseFn = int (*)(int);

template <class Fn>
Fn Real(const char* name) {
  return reinterpret_cast<Fn>(dlsym(RTLD_NEXT, name));
}

struct HeldWrite {
  off_t offset;
  std::string data;
};

struct HeldFile {
  off_t position = 0;  // where the next write() goes
  std::vector<HeldWrite> writes;
};

struct Layer {
  std::mutex mu;
  std::map<int, HeldFile> files;  // by descriptor
  std::string dir;                // with a trailing '/'
  bool lie = false;

  Layer() {
    if (const char* dir_env = std::getenv("SWABWAVE_UNSYNCED_DIR"); dir_env != nullptr) {
      dir = dir_env;
      if (!dir.empty() && dir.back() != '/') dir += '/';
    }
    const char* lie_env = std::getenv("SWABWAVE_UNSYNCED_LIE");
    lie = lie_env != nullptr && std::strcmp(lie_env, "1") == 0;
  }
};

Layer& TheLayer() {
  static Layer* layer = new Layer();  // never destroyed: used until exit
  return *layer;
}

bool Held(const char* path, int flags) {
  const Layer& layer = TheLayer();
  if (layer.dir.empty() || path == nullptr || (flags & O_ACCMODE) == O_RDONLY) return false;
  return std::strncmp(path, layer.dir.c_str(), layer.dir.size()) == 0;
}

void Track(int fd, const char* path, int flags) {
  if (fd < 0 || !Held(path, flags)) return;
  Layer& layer = TheLayer();
  std::lock_guard lock(layer.mu);
  layer.files[fd] = HeldFile();
}

int OpenWith(OpenFn real, const char* path, int flags, mode_t mode) {
  const int fd = real(path, flags, mode);
  Track(fd, path, flags);
  return fd;
}

// Holds `size` bytes at `offset` (or the file's position when it is -1);
// false when `fd` is not a held file.
bool Hold(int fd, const void* data, size_t size, off_t offset) {
  Layer& layer = TheLayer();
  std::lock_guard lock(layer.mu);
  auto it = layer.files.find(fd);
  if (it == layer.files.end()) return false;
  HeldFile& file = it->second;
  const off_t at = offset >= 0 ? offset : file.position;
  file.writes.push_back({at, std::string(static_cast<const char*>(data), size)});
  if (offset < 0) file.position += static_cast<off_t>(size);
  return true;
}

int Sync(int fd, SyncFn real) {
  static const PwriteFn real_pwrite = Real<PwriteFn>("pwrite");
  Layer& layer = TheLayer();
  {
    std::lock_guard lock(layer.mu);
    auto it = layer.files.find(fd);
    if (it != layer.files.end()) {
      if (layer.lie) {
        it->second.writes.clear();
        return 0;
      }
      for (const HeldWrite& w : it->second.writes) {
        size_t done = 0;
        while (done < w.data.size()) {
          const ssize_t n = real_pwrite(fd, w.data.data() + done, w.data.size() - done,
                                        w.offset + static_cast<off_t>(done));
          if (n < 0) {
            if (errno == EINTR) continue;
            return -1;
          }
          done += static_cast<size_t>(n);
        }
      }
      it->second.writes.clear();
    }
  }
  return real(fd);
}

}  // namespace

extern "C" {

// open and open64 are the same call on 64-bit Linux; either may be linked.
#define SWABWAVE_HOLDING_OPEN(name)                                   \
  int name(const char* path, int flags, ...) {                        \
    mode_t mode = 0;                                                  \
    if ((flags & O_CREAT) != 0 || (flags & O_TMPFILE) == O_TMPFILE) { \
      va_list args;                                                   \
      va_start(args, flags);                                          \
      mode = static_cast<mode_t>(va_arg(args, int));                  \
      va_end(args);                                                   \
    }                                                                 \
    static const OpenFn real = Real<OpenFn>(#name);                   \
    return OpenWith(real, path, flags, mode);                         \
  }
SWABWAVE_HOLDING_OPEN(open)
SWABWAVE_HOLDING_OPEN(open64)
#undef SWABWAVE_HOLDING_OPEN

ssize_t write(int fd, const void* data, size_t size) {
  if (Hold(fd, data, size, -1)) return static_cast<ssize_t>(size);
  static const WriteFn real = Real<WriteFn>("write");
  return real(fd, data, size);
}

ssize_t pwrite(int fd, const void* data, size_t size, off_t offset) {
  if (Hold(fd, data, size, offset)) return static_cast<ssize_t>(size);
  static const PwriteFn real = Real<PwriteFn>("pwrite");
  return real(fd, data, size, offset);
}

ssize_t pwrite64(int fd, const void* data, size_t size, off_t offset) {
  return pwrite(fd, data, size, offset);
}

int fsync(int fd) {
  static const SyncFn real = Real<SyncFn>("fsync");
  return Sync(fd, real);
}

int fdatasync(int fd) {
  static const SyncFn real = Real<SyncFn>("fdatasync");
  return Sync(fd, real);
}

int close(int fd) {
  {
    Layer& layer = TheLayer();
    std::lock_guard lock(layer.mu);
    layer.files.erase(fd);  // what was never synced is gone, as after a power cut
  }
  static const CloseFn real = Real<CloseFn>("close");
  return real(fd);
}

}  // extern "C"
