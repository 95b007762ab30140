// Writes the seed corpora of the fuzz targets: from a real journal, a small
// world's every record (one file each) for journal_record_fuzzer and the
// whole segment for journal_segment_fuzzer; from a real community
// directory, its eight CSV files joined by NUL bytes for
// community_csv_fuzzer.
//   make_seeds <corpus dir>   (writes <dir>/journal_record_fuzzer/...)
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "absl/strings/str_cat.h"
#include "engine/io/community_csv.h"
#include "engine/journal/frame.h"
#include "engine/journal/journal.h"
#include "tests/fuzz/fuzz_world.h"

namespace fs = std::filesystem;

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_seeds <corpus dir>\n");
    return 2;
  }
  const fs::path corpus = argv[1];
  const fs::path journal_dir = corpus / "tmp-journal";
  fs::remove_all(journal_dir);
  {
    swabwave::engine::Registry registry;
    swabwave::engine::journal::JournalOptions options;
    options.dir = journal_dir.string();
    auto journal = swabwave::engine::journal::Journal::Open(
        options, [](uint64_t, absl::string_view) { return absl::OkStatus(); }, nullptr);
    if (!journal.ok()) return 1;
    registry.AttachStore(journal->get());
    // The same world the targets build, journaled, then some check-ins.
    swabwave::engine::testing::Shape shape;
    shape.mobility_limited_every = 5;
    shape.exempt_every = 7;
    if (!registry.ImportCommunity(swabwave::engine::testing::MakeCommunity(shape)).ok()) return 1;
    swabwave::engine::RoundConfig config;
    config.id = "r";
    config.community_ids = {"tc"};
    config.start = absl::FromUnixSeconds(1795762800);
    config.pool_ratio = 5;
    swabwave::engine::Round* round = *registry.CreateRound(config);
    if (!round->MakePlan(swabwave::engine::plan::GreedyPlanner(), {}).ok() || !round->Open().ok() ||
        !round->RackTube(0, "A-0").ok() || !round->RackTube(0, "A-1").ok()) {
      return 1;
    }
    for (int n = 1; n <= 7; ++n) {
      round->CheckIn(0, swabwave::engine::testing::ResidentCode("tc", n), 1795762900 + n, n);
    }
    if (!round->SealTube(0, "A-1").ok() || !round->Close().ok()) return 1;
    if (!(*journal)->WaitDurable((*journal)->last_appended()).ok()) return 1;
  }
  const fs::path records = corpus / "journal_record_fuzzer";
  const fs::path segments = corpus / "journal_segment_fuzzer";
  fs::create_directories(records);
  fs::create_directories(segments);
  for (const auto& entry : fs::directory_iterator(journal_dir)) {
    std::ifstream in(entry.path(), std::ios::binary);
    const std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (data.size() <= 16) continue;  // the empty segment a restart would start
    std::ofstream(segments / "seed-segment", std::ios::binary) << data;
    int n = 0;
    auto on_frame = [&](uint64_t, absl::string_view record) {
      std::ofstream(records / absl::StrCat("seed-", n++), std::ios::binary) << record;
      return absl::OkStatus();
    };
    swabwave::engine::journal::ScanResult result;
    if (!swabwave::engine::journal::ScanSegment(data, 0, on_frame, &result).ok()) return 1;
    std::printf("%d records, %zu segment bytes\n", n, data.size());
  }
  fs::remove_all(journal_dir);

  const fs::path csv_dir = corpus / "tmp-csv";
  swabwave::engine::testing::Shape shape;
  shape.mobility_limited_every = 5;
  shape.exempt_every = 7;
  if (!swabwave::engine::WriteCommunityDir(swabwave::engine::testing::MakeCommunity(shape), csv_dir)
           .ok()) {
    return 1;
  }
  const fs::path csv = corpus / "community_csv_fuzzer";
  fs::create_directories(csv);
  std::string joined;
  for (const char* file : {"community.csv", "compounds.csv", "buildings.csv", "units.csv",
                           "households.csv", "residents.csv", "sites.csv", "staff.csv"}) {
    std::ifstream in(csv_dir / file, std::ios::binary);
    joined.append(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    joined.push_back('\0');
  }
  std::ofstream(csv / "seed-community", std::ios::binary) << joined;
  fs::remove_all(csv_dir);
  return 0;
}
