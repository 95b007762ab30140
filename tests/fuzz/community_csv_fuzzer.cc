// libFuzzer target: the CSV importer (engine/io/community_csv.h). The input
// is the eight files of a community directory joined by NUL bytes, in the
// order below. Import must never crash; what imports must export and
// import again to the same files (the round trip the CLI relies on).
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "engine/io/community_csv.h"

namespace fs = std::filesystem;

namespace {

constexpr const char* kFiles[] = {"community.csv", "compounds.csv", "buildings.csv",
                                  "units.csv",     "households.csv", "residents.csv",
                                  "sites.csv",     "staff.csv"};

const fs::path& ScratchDir() {
  static const fs::path dir = [] {
    fs::path d = fs::temp_directory_path() / absl::StrCat("swabwave-csv-fuzz-", getpid());
    fs::create_directories(d / "in");
    return d;
  }();
  return dir;
}

std::string Slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// The eight files of `dir`, joined as the input format.
std::string Files(const fs::path& dir) {
  std::string joined;
  for (const char* file : kFiles) absl::StrAppend(&joined, Slurp(dir / file), std::string(1, '\0'));
  return joined;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  const std::vector<absl::string_view> parts = absl::StrSplit(input, '\0');
  const fs::path in = ScratchDir() / "in";
  for (size_t i = 0; i < 8; ++i) {
    std::ofstream out(in / kFiles[i], std::ios::binary | std::ios::trunc);
    if (i < parts.size()) out.write(parts[i].data(), static_cast<std::streamsize>(parts[i].size()));
  }
  absl::StatusOr<swabwave::engine::Community> community = swabwave::engine::ReadCommunityDir(in);
  if (!community.ok()) {
    // Every refusal names the file it is about.
    if (community.status().message().find(".csv") == absl::string_view::npos) abort();
    return 0;
  }
  const fs::path first = ScratchDir() / "first";
  const fs::path second = ScratchDir() / "second";
  if (!swabwave::engine::WriteCommunityDir(*community, first).ok()) abort();
  absl::StatusOr<swabwave::engine::Community> again = swabwave::engine::ReadCommunityDir(first);
  if (!again.ok()) abort();
  if (!swabwave::engine::WriteCommunityDir(*again, second).ok()) abort();
  if (Files(first) != Files(second)) abort();
  return 0;
}
