// Writes the seed corpora of the fuzz targets: from a real journal, a small
// world's every record (one file each) for journal_record_fuzzer and the
// whole segment for journal_segment_fuzzer; from a real community
// directory, its eight CSV files joined by NUL bytes for
// community_csv_fuzzer; for request_handler_fuzzer, valid requests of
// every RPC addressed to the state its server starts with
// (request_input.h), one file per input.
//   make_seeds <corpus dir>   (writes <dir>/journal_record_fuzzer/...)
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/io/community_csv.h"
#include "engine/journal/frame.h"
#include "engine/journal/journal.h"
#include "engine/journal/segment_files.h"
#include "services/api/proto_convert.h"
#include "swabwave/v1/checkin.pb.h"
#include "swabwave/v1/lab.pb.h"
#include "swabwave/v1/planning.pb.h"
#include "swabwave/v1/progress.pb.h"
#include "tests/fuzz/fuzz_world.h"
#include "tests/fuzz/request_input.h"

namespace fs = std::filesystem;

namespace {

namespace v1 = ::swabwave::v1;
using swabwave::fuzz::Rpc;

std::string RoundName(const char* id) { return absl::StrCat("rounds/", id); }

v1::CheckInRequest CheckIn(const std::string& request_id, const char* desk, int resident) {
  v1::CheckInRequest request;
  request.set_request_id(request_id);
  request.set_round(RoundName(swabwave::fuzz::kOpenRound));
  request.set_desk(desk);
  request.set_resident_code(swabwave::engine::testing::ResidentCode("tc", resident));
  return request;
}

// One valid input per RPC (a few for the RPCs with more to explore).
void WriteRequestSeeds(const fs::path& dir) {
  fs::create_directories(dir);
  int n = 0;
  int per_rpc[swabwave::fuzz::kRpcCount] = {};
  auto write = [&](Rpc rpc, int variant, const std::vector<std::string>& messages) {
    std::ofstream(dir / absl::StrCat("seed-", swabwave::fuzz::RpcName(rpc), "-",
                                     per_rpc[static_cast<int>(rpc)]++),
                  std::ios::binary)
        << swabwave::fuzz::EncodeRequestInput(rpc, variant, messages);
    ++n;
  };
  const std::string open = RoundName(swabwave::fuzz::kOpenRound);

  // A second community, ten entities a chunk (the largest seed, ~1.5 KB:
  // libFuzzer's length limit starts there); a small one, cut short.
  auto import = [](const std::string& id, int buildings, int households_per_unit,
                   size_t per_chunk) {
    swabwave::engine::testing::Shape shape;
    shape.id = id;
    shape.buildings = buildings;
    shape.households_per_unit = households_per_unit;
    shape.mobility_limited_every = 2;
    std::vector<std::string> chunks;
    for (const v1::ImportCommunityRequest& chunk :
         swabwave::services::CommunityToChunks(swabwave::engine::testing::MakeCommunity(shape),
                                               absl::StrCat("seed-import-", id), per_chunk)) {
      chunks.push_back(chunk.SerializeAsString());
    }
    return chunks;
  };
  write(Rpc::kImportCommunity, 0, import("sc", 2, 3, 10));
  write(Rpc::kImportCommunity, 1, import("sd", 1, 1, 3));

  v1::CreateRoundRequest create;
  create.set_request_id("seed-create");
  create.set_round_id("s");
  create.add_community_ids(swabwave::fuzz::kCommunity);
  create.mutable_start_time()->set_seconds(1795762800);
  create.set_pool_ratio(10);
  create.mutable_wave_length()->set_seconds(20 * 60);
  create.mutable_duration()->set_seconds(6 * 3600);
  write(Rpc::kCreateRound, 0, {create.SerializeAsString()});
  create.set_request_id("seed-create-gone");
  create.set_round_id("s2");
  write(Rpc::kCreateRound, 3, {create.SerializeAsString()});

  v1::GetRoundRequest get_round;
  get_round.set_round(open);
  write(Rpc::kGetRound, 0, {get_round.SerializeAsString()});

  v1::ListRoundsRequest list_rounds;
  list_rounds.set_page_size(2);
  write(Rpc::kListRounds, 0, {list_rounds.SerializeAsString()});

  v1::PlanRoundRequest plan;
  plan.set_request_id("seed-plan");
  plan.set_round(RoundName(swabwave::fuzz::kDraftRound));
  plan.mutable_options()->set_per_desk_rate_per_hour(60);
  plan.mutable_options()->set_utilization(0.8);
  write(Rpc::kPlanRound, 0, {plan.SerializeAsString()});
  plan.set_request_id("seed-plan-gone");
  write(Rpc::kPlanRound, 3, {plan.SerializeAsString()});
  // Within the staff on hand, with gear rules, availability and a walking
  // weight.
  plan.set_request_id("seed-plan-staffed");
  plan.mutable_options()->set_walking_m_per_wave(500);
  v1::StaffingOptions* staffing = plan.mutable_options()->mutable_staffing();
  staffing->set_mode(v1::STAFFING_MODE_WITHIN_STAFF);
  staffing->mutable_max_in_gear()->set_seconds(3 * 3600);
  v1::StaffAvailability* available = staffing->add_availability();
  available->set_community_id("tc");
  available->set_staff_id("tc-st0");
  available->mutable_available_from()->set_seconds(1795766400);
  write(Rpc::kPlanRound, 0, {plan.SerializeAsString()});
  // A re-plan of the planned round (while a watch may be reading it).
  plan.set_request_id("seed-replan");
  plan.set_round(RoundName(swabwave::fuzz::kPlannedRound));
  plan.mutable_options()->set_per_desk_rate_per_hour(90);
  write(Rpc::kPlanRound, 0, {plan.SerializeAsString()});

  // A site of the open round loses a desk from wave 1, then closes.
  v1::ReplanRoundRequest replan;
  replan.set_request_id("seed-replan-site");
  replan.set_round(open);
  replan.set_from_wave(1);
  v1::SiteChange* change = replan.add_changes();
  change->set_site_id("tc-s0");
  change->set_desks(1);
  write(Rpc::kReplanRound, 0, {replan.SerializeAsString()});
  replan.set_request_id("seed-replan-close");
  change->set_desks(0);
  write(Rpc::kReplanRound, 0, {replan.SerializeAsString()});

  v1::ForecastRoundRequest forecast;
  forecast.set_round(open);
  forecast.mutable_options()->set_replications(3);
  forecast.mutable_options()->set_no_show_rate(0.1);
  forecast.set_page_size(1);
  write(Rpc::kForecastRound, 0, {forecast.SerializeAsString()});

  v1::GetRosterRequest roster;
  roster.set_round(open);
  roster.set_page_size(1);
  write(Rpc::kGetRoster, 0, {roster.SerializeAsString()});

  v1::ListDoorToDoorRoutesRequest routes;
  routes.set_round(open);
  routes.mutable_options()->set_teams_per_community(3);
  routes.mutable_options()->mutable_per_visit()->set_seconds(420);
  routes.set_page_size(1);
  write(Rpc::kListDoorToDoorRoutes, 0, {routes.SerializeAsString()});

  v1::AdviseFinishRequest finish;
  finish.set_round(open);
  finish.mutable_finish_by()->set_seconds(1795762800 + 4 * 3600);
  finish.mutable_options()->set_utilization(0.9);
  write(Rpc::kAdviseFinish, 0, {finish.SerializeAsString()});

  v1::GetResidentHistoryRequest history;
  history.set_resident_code(swabwave::engine::testing::ResidentCode("tc", 3));
  write(Rpc::kGetResidentHistory, 0, {history.SerializeAsString()});
  v1::ListMissedRequest missed;
  missed.set_community_id(swabwave::fuzz::kCommunity);
  missed.set_last(2);
  write(Rpc::kListMissed, 0, {missed.SerializeAsString()});

  v1::RecordVisitRequest visit;
  visit.set_request_id("visit-1");
  visit.set_round(open);
  visit.set_desk("communities/tc/teams/1");
  visit.set_resident_code(swabwave::engine::testing::ResidentCode("tc", 5));
  visit.set_outcome(v1::VISIT_OUTCOME_REFUSED);
  visit.set_reason("not today");
  write(Rpc::kRecordVisit, 0, {visit.SerializeAsString()});

  v1::RegisterWalkInRequest walk_in;
  walk_in.set_request_id("walk-in-1");
  walk_in.set_round(open);
  walk_in.set_desk("sites/tc-s0/desks/1");
  walk_in.set_community_id("tc");
  walk_in.set_unit_id("b0-u0");
  write(Rpc::kRegisterWalkIn, 0, {walk_in.SerializeAsString()});

  // The sample's journey: a box of the world's first tube, its pick-up,
  // its receipt by a lab (with a stray tube scanned) and a result.
  v1::PackBoxRequest pack;
  pack.set_round(open);
  pack.set_desk("sites/tc-s0/desks/1");
  pack.set_box_barcode("BOX-0001");
  pack.add_tube_barcodes(swabwave::fuzz::kTube1);
  v1::ListTubesToPackRequest to_pack;
  to_pack.set_round(open);
  to_pack.set_desk("sites/tc-s0/desks/2");
  write(Rpc::kListTubesToPack, 0, {to_pack.SerializeAsString()});
  write(Rpc::kPackBox, 0, {pack.SerializeAsString()});
  v1::PickUpBoxRequest pick_up;
  pick_up.set_round(open);
  pick_up.set_box_barcode("BOX-0001");
  write(Rpc::kPickUpBox, 0, {pick_up.SerializeAsString()});
  v1::ReceiveBoxRequest receive;
  receive.set_round(open);
  receive.set_box_barcode("BOX-0001");
  receive.set_lab_id("lab-1");
  receive.add_tube_barcodes(swabwave::fuzz::kTube1);
  receive.add_tube_barcodes("STRAY-0001");
  write(Rpc::kReceiveBox, 0, {receive.SerializeAsString()});
  v1::ReportResultsRequest results;
  results.set_round(open);
  results.set_lab_id("lab-1");
  v1::ResultReport* result = results.add_results();
  result->set_request_id("result-1");
  result->set_tube_barcode(swabwave::fuzz::kTube1);
  result->set_result(v1::TUBE_RESULT_POSITIVE);
  result->set_ct(31.5);
  result->set_run_id("RUN-1");
  write(Rpc::kReportResults, 0, {results.SerializeAsString()});
  v1::ListBoxesRequest boxes;
  boxes.set_round(open);
  boxes.set_with_tubes(true);
  write(Rpc::kListBoxes, 0, {boxes.SerializeAsString()});
  v1::ListRecallsRequest recalls;
  recalls.set_round(open);
  write(Rpc::kListRecalls, 0, {recalls.SerializeAsString()});
  v1::TakeFollowUpSwabRequest follow_up;
  follow_up.set_request_id("follow-up-1");
  follow_up.set_round(open);
  follow_up.set_desk("communities/tc/teams/1");
  follow_up.set_resident_code(swabwave::engine::testing::ResidentCode("tc", 1));
  follow_up.set_tube_barcode("RETEST-0001");
  write(Rpc::kTakeFollowUpSwab, 0, {follow_up.SerializeAsString()});

  v1::GetPlanRequest get_plan;
  get_plan.set_round(open);
  get_plan.set_page_size(1);
  write(Rpc::kGetPlan, 0, {get_plan.SerializeAsString()});

  v1::ListAssignmentsRequest assignments;
  assignments.set_round(open);
  assignments.set_community_id(swabwave::fuzz::kCommunity);
  assignments.set_building_id("b0");
  assignments.set_page_size(3);
  write(Rpc::kListAssignments, 0, {assignments.SerializeAsString()});

  v1::ListDoorToDoorRequest door;
  door.set_round(open);
  write(Rpc::kListDoorToDoor, 0, {door.SerializeAsString()});

  v1::OpenRoundRequest open_round;
  open_round.set_request_id("seed-open");
  open_round.set_round(RoundName(swabwave::fuzz::kPlannedRound));
  write(Rpc::kOpenRound, 0, {open_round.SerializeAsString()});

  v1::CloseRoundRequest close;
  close.set_request_id("seed-close");
  close.set_round(RoundName(swabwave::fuzz::kPlannedRound));
  write(Rpc::kCloseRound, 0, {close.SerializeAsString()});

  v1::OpenTubeRequest tube;
  tube.set_request_id("seed-tube");
  tube.set_round(open);
  tube.set_desk(swabwave::fuzz::kDesk1);
  tube.set_tube_barcode("TUBE-A-0002");
  write(Rpc::kOpenTube, 0, {tube.SerializeAsString()});

  v1::CheckInRequest timed = CheckIn("seed-checkin-2", swabwave::fuzz::kDesk1, 2);
  timed.mutable_scan_time()->set_seconds(1795762900);
  write(Rpc::kCheckIn, 0,
        {CheckIn("seed-checkin-1", swabwave::fuzz::kDesk1, 1).SerializeAsString(),
         timed.SerializeAsString()});

  std::vector<std::string> stream;
  for (int m = 0; m < 2; ++m) {
    v1::CheckInStreamRequest message;
    for (int r = 3 + 2 * m; r < 5 + 2 * m; ++r) {
      *message.add_check_ins() =
          CheckIn(absl::StrCat("seed-stream-", r), swabwave::fuzz::kDesk2, r);
      // The second message is one household scanned together.
      if (m == 1) message.mutable_check_ins()->rbegin()->set_group("h1");
    }
    stream.push_back(message.SerializeAsString());
  }
  write(Rpc::kCheckInStream, 0, stream);
  write(Rpc::kCheckInStream, 1, stream);

  v1::SealTubeRequest seal;
  seal.set_request_id("seed-seal");
  seal.set_round(open);
  seal.set_desk(swabwave::fuzz::kDesk2);
  seal.set_tube_barcode(swabwave::fuzz::kTube2);
  write(Rpc::kSealTube, 0, {seal.SerializeAsString()});

  for (v1::ProgressLevel level : {v1::PROGRESS_LEVEL_COMMUNITY, v1::PROGRESS_LEVEL_WAVE}) {
    v1::GetProgressRequest progress;
    progress.set_round(open);
    progress.set_level(level);
    progress.set_page_size(2);
    write(Rpc::kGetProgress, 0, {progress.SerializeAsString()});
  }

  v1::ListUntestedRequest untested;
  untested.set_round(open);
  untested.set_community_id(swabwave::fuzz::kCommunity);
  untested.set_page_size(4);
  write(Rpc::kListUntested, 0, {untested.SerializeAsString()});

  v1::WatchProgressRequest watch;
  watch.set_round(open);
  watch.mutable_interval()->set_nanos(100'000'000);
  write(Rpc::kWatchProgress, 1, {watch.SerializeAsString()});
  // Left open on the planned round while the next inputs run.
  watch.set_round(RoundName(swabwave::fuzz::kPlannedRound));
  write(Rpc::kWatchProgress, 2, {watch.SerializeAsString()});
  std::printf("%d request seeds\n", n);
}

}  // namespace

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
    // A snapshot (record style) in the middle: the recovery target's seed
    // starts from it. Then a visit at the door and a re-plan, record kinds
    // of their own.
    if (!(*journal)
             ->WriteSnapshot([&](swabwave::engine::journal::SnapshotSink& sink) {
               return registry.WriteSnapshot(sink, swabwave::engine::SnapshotStyle::kRecords);
             })
             .ok()) {
      return 1;
    }
    const uint32_t homebound =
        round->FindResident(swabwave::engine::testing::ResidentCode("tc", 10)).value();
    const swabwave::engine::DeskIndex team = round->ResolveTeam("tc", 1).value();
    if (!round->RecordVisit({homebound, team, swabwave::engine::visits::VisitOutcome::kNotHome,
                             1795762950, "", 99})
             .ok() ||
        !round->Replan({0, {{0, 1}}}, swabwave::engine::plan::PlanOptions{20, 0.85}).ok()) {
      return 1;
    }
    round->CheckIn(0, swabwave::engine::testing::ResidentCode("tc", 8), 1795762990, 8);
    if (!round->SealTube(0, "A-1").ok() || !round->Close().ok()) return 1;
    if (!(*journal)->WaitDurable((*journal)->last_appended()).ok()) return 1;
  }
  const fs::path records = corpus / "journal_record_fuzzer";
  const fs::path segments = corpus / "journal_segment_fuzzer";
  const fs::path recoveries = corpus / "journal_recovery_fuzzer";
  fs::create_directories(records);
  fs::create_directories(segments);
  fs::create_directories(recoveries);
  const auto read = [](const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  };
  std::map<uint64_t, std::string> segment_files;  // by first sequence
  std::string snapshot;
  uint64_t covered = 0;
  for (const auto& entry : fs::directory_iterator(journal_dir)) {
    const std::string name = entry.path().filename().string();
    uint64_t number = 0;
    using namespace swabwave::engine::journal;
    if (ParseNumberedName(name, kSegmentPrefix, kSegmentSuffix, &number)) {
      segment_files[number] = read(entry.path());
    } else if (ParseNumberedName(name, kSnapshotPrefix, kSnapshotSuffix, &number)) {
      snapshot = read(entry.path());
      covered = number;
    }
  }
  int records_written = 0, segment_number = 0;
  for (const auto& [first, data] : segment_files) {
    if (data.size() <= 16) continue;  // the empty segment a restart would start
    std::ofstream(segments / absl::StrCat("seed-segment-", segment_number++), std::ios::binary)
        << data;
    auto on_frame = [&](uint64_t, absl::string_view record) {
      std::ofstream(records / absl::StrCat("seed-", records_written++), std::ios::binary)
          << record;
      return absl::OkStatus();
    };
    swabwave::engine::journal::ScanResult result;
    if (!swabwave::engine::journal::ScanSegment(data, 0, on_frame, &result).ok()) return 1;
    // The recovery target: this segment alone (flags 0), and after the
    // snapshot taken in its middle (flags 1, length, covered - 1).
    if (first == 1) {
      std::ofstream(recoveries / "seed-segment", std::ios::binary) << '\0' << data;
    }
    if (!snapshot.empty() && first == 1 && covered > 0) {
      std::string input(1, '\1');
      const uint32_t length = static_cast<uint32_t>(snapshot.size());
      const uint64_t number = covered - 1;
      input.append(reinterpret_cast<const char*>(&length), sizeof length);
      input.append(reinterpret_cast<const char*>(&number), sizeof number);
      input += snapshot;
      input += data;
      std::ofstream(recoveries / "seed-snapshot-and-segment", std::ios::binary) << input;
    }
  }
  std::printf("%d records in %d segments; a snapshot of %zu bytes covering %llu\n",
              records_written, segment_number, snapshot.size(), static_cast<unsigned long long>(covered));
  fs::remove_all(journal_dir);
  {
    // The same world as a dense snapshot: one CommunityImage and one
    // RoundImage record (journal/round_image.h), which no segment holds.
    struct Sink final : swabwave::engine::journal::SnapshotSink {
      absl::Status Add(absl::string_view payload) override {
        std::ofstream(dir / absl::StrCat("seed-image-", n++), std::ios::binary) << payload;
        return absl::OkStatus();
      }
      fs::path dir;
      int n = 0;
    } sink;
    sink.dir = records;
    swabwave::engine::Registry registry;
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
    if (!registry.WriteSnapshot(sink).ok()) return 1;
  }

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

  WriteRequestSeeds(corpus / "request_handler_fuzzer");
  return 0;
}
