// libFuzzer target: every RPC handler of the swabwave services, through the
// real server. LLVMFuzzerInitialize starts a SwabwaveServer in-process on a
// loopback port (no HTTP port, durability off) and builds a small world over
// real RPCs: community "tc", an open round with a tube open at each desk, a
// planned round and a draft round (names in request_input.h). Each input
// selects one of the 17 RPCs and carries its request messages
// (request_input.h); they go to the server over a real gRPC channel, each
// call with a 2 s deadline. Messages that do not parse are skipped.
//
// The server must never crash, hang or trip ASan/UBSan; any status is fine,
// except DEADLINE_EXCEEDED on a call that should have been answered in time,
// which aborts as a hang. State carries over from input to input (rounds
// created, residents sampled, tubes sealed); the server is restarted from
// the initial world when the open round is no longer open or more than a
// few dozen rounds or communities accumulated.
//
// The variant (selector / 17) picks how the calls are made:
//   unary RPCs      variant % 4 == 3: a 1 ms deadline, so the client gives up
//                   while the handler runs (DEADLINE_EXCEEDED expected)
//   ImportCommunity odd: cancel after the chunks instead of half-closing
//   CheckInStream   odd: cancel after the writes instead of reading outcomes
//   WatchProgress   variant % 3 == 0: cancel before the first update;
//                   1: read one update, two when the interval is at most
//                   200 ms, then cancel; 2: leave the watch open (reading in
//                   a thread, until its deadline or the next such watch)
//                   while the next inputs run, so its timed updates race
//                   with their mutations
#include <google/protobuf/stubs/logging.h>
#include <grpcpp/grpcpp.h>
#include <spdlog/spdlog.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "engine/registry/registry.h"
#include "engine/round/round.h"
#include "services/api/proto_convert.h"
#include "services/api/resource_names.h"
#include "services/api/server.h"
#include "swabwave/v1/checkin.grpc.pb.h"
#include "swabwave/v1/planning.grpc.pb.h"
#include "swabwave/v1/lab.grpc.pb.h"
#include "swabwave/v1/progress.grpc.pb.h"
#include "tests/engine/test_community.h"
#include "tests/fuzz/request_input.h"

namespace {

namespace v1 = ::swabwave::v1;
using swabwave::fuzz::Rpc;

constexpr absl::Duration kDeadline = absl::Seconds(2);
constexpr absl::Duration kShortDeadline = absl::Milliseconds(1);
// Per input: unary calls made, stream messages written, watches opened.
constexpr size_t kMaxUnaryCalls = 4;
constexpr size_t kMaxStreamMessages = 32;
constexpr size_t kMaxWatches = 2;
// Past these the server starts over from the initial world.
constexpr size_t kMaxRounds = 48;
constexpr size_t kMaxCommunities = 16;

// A WatchProgress left open while the next inputs run, so the server's
// timed updates race with their mutations (a re-plan, a close, a seal).
// Ends at its deadline, or is cancelled when destroyed.
class BackgroundWatch {
 public:
  BackgroundWatch(v1::ProgressService::Stub& stub, const v1::WatchProgressRequest& request,
                  std::unique_ptr<grpc::ClientContext> context)
      : context_(std::move(context)), reader_(stub.WatchProgress(context_.get(), request)) {
    thread_ = std::thread([this] {
      v1::WatchProgressResponse update;
      while (reader_->Read(&update)) {
      }
      // Any status: it is cancelled or outlives its deadline on purpose.
      (void)reader_->Finish();
    });
  }
  ~BackgroundWatch() {
    context_->TryCancel();
    thread_.join();
  }
  BackgroundWatch(const BackgroundWatch&) = delete;
  BackgroundWatch& operator=(const BackgroundWatch&) = delete;

 private:
  std::unique_ptr<grpc::ClientContext> context_;
  std::unique_ptr<grpc::ClientReader<v1::WatchProgressResponse>> reader_;
  std::thread thread_;
};

struct World {
  std::unique_ptr<swabwave::services::SwabwaveServer> server;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<v1::PlanningService::Stub> planning;
  std::unique_ptr<v1::CheckInService::Stub> checkin;
  std::unique_ptr<v1::ProgressService::Stub> progress;
  std::unique_ptr<v1::CustodyService::Stub> custody;
  std::unique_ptr<v1::LabService::Stub> lab;
  std::unique_ptr<BackgroundWatch> watch;  // at most one at a time
};

World& TheWorld() {
  // Never destroyed: gRPC's threads may outlive static destruction at exit.
  static World* const world = new World();
  return *world;
}

std::unique_ptr<grpc::ClientContext> Context(absl::Duration timeout = kDeadline) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  return context;
}

// Setting up the world must work; anything else is a bug here or there.
void Must(const char* what, const grpc::Status& status) {
  if (status.ok()) return;
  std::fprintf(stderr, "request_handler_fuzzer: setup: %s: %s (%d)\n", what,
               status.error_message().c_str(), static_cast<int>(status.error_code()));
  std::abort();
}

// SWABWAVE_FUZZ_VERBOSE=1 prints every call's status (to check the seeds).
const bool kVerbose = std::getenv("SWABWAVE_FUZZ_VERBOSE") != nullptr;

// A call that the server left unanswered past its deadline is a hang,
// unless the client meant to give up early.
void CheckAnswered(Rpc rpc, const grpc::Status& status, bool gave_up = false) {
  if (kVerbose) {
    std::fprintf(stderr, "%s%s: %d %s\n", swabwave::fuzz::RpcName(rpc),
                 gave_up ? " (gave up after 1 ms)" : "", static_cast<int>(status.error_code()),
                 status.error_message().c_str());
  }
  if (gave_up || status.error_code() != grpc::StatusCode::DEADLINE_EXCEEDED) return;
  std::fprintf(stderr, "request_handler_fuzzer: HANG: %s not answered within %s: %s\n",
               swabwave::fuzz::RpcName(rpc), absl::FormatDuration(kDeadline).c_str(),
               status.error_message().c_str());
  std::abort();
}

grpc::Status CreateRound(World& world, const std::string& id) {
  v1::CreateRoundRequest request;
  request.set_request_id(absl::StrCat("setup-create-", id));
  request.set_round_id(id);
  request.add_community_ids(swabwave::fuzz::kCommunity);
  // Half an hour ago: check-ins stamped with the server's clock fall inside.
  swabwave::services::ToProto(absl::Now() - absl::Minutes(30), request.mutable_start_time());
  request.set_pool_ratio(swabwave::fuzz::kPoolRatio);
  v1::CreateRoundResponse response;
  return world.planning->CreateRound(Context().get(), request, &response);
}

grpc::Status PlanRound(World& world, const std::string& id) {
  v1::PlanRoundRequest request;
  request.set_request_id(absl::StrCat("setup-plan-", id));
  request.set_round(swabwave::services::RoundName(id));
  v1::PlanRoundResponse response;
  return world.planning->PlanRound(Context().get(), request, &response);
}

grpc::Status OpenTube(World& world, const std::string& desk, const std::string& barcode) {
  v1::OpenTubeRequest request;
  request.set_request_id(absl::StrCat("setup-tube-", barcode));
  request.set_round(swabwave::services::RoundName(swabwave::fuzz::kOpenRound));
  request.set_desk(desk);
  request.set_tube_barcode(barcode);
  v1::OpenTubeResponse response;
  return world.checkin->OpenTube(Context().get(), request, &response);
}

void StartWorld(World& world) {
  swabwave::services::ServerOptions options;
  options.listen = "127.0.0.1:0";
  options.http_listen = "";  // off
  options.data_dir = "";     // durability off: nothing on disk
  absl::StatusOr<std::unique_ptr<swabwave::services::SwabwaveServer>> server =
      swabwave::services::SwabwaveServer::Start(options);
  if (!server.ok()) {
    std::fprintf(stderr, "request_handler_fuzzer: cannot start the server: %s\n",
                 server.status().ToString().c_str());
    std::abort();
  }
  world.server = *std::move(server);
  world.channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", world.server->port()),
                                      grpc::InsecureChannelCredentials());
  world.planning = v1::PlanningService::NewStub(world.channel);
  world.checkin = v1::CheckInService::NewStub(world.channel);
  world.progress = v1::ProgressService::NewStub(world.channel);
  world.custody = v1::CustodyService::NewStub(world.channel);
  world.lab = v1::LabService::NewStub(world.channel);

  swabwave::engine::testing::Shape shape;
  shape.id = swabwave::fuzz::kCommunity;
  shape.mobility_limited_every = 5;
  shape.exempt_every = 7;
  {
    auto context = Context();
    v1::ImportCommunityResponse response;
    auto writer = world.planning->ImportCommunity(context.get(), &response);
    for (const v1::ImportCommunityRequest& chunk : swabwave::services::CommunityToChunks(
             swabwave::engine::testing::MakeCommunity(shape), "setup-import", 10)) {
      if (!writer->Write(chunk)) break;
    }
    writer->WritesDone();
    Must("ImportCommunity", writer->Finish());
  }
  for (const char* id :
       {swabwave::fuzz::kOpenRound, swabwave::fuzz::kPlannedRound, swabwave::fuzz::kDraftRound}) {
    Must("CreateRound", CreateRound(world, id));
  }
  Must("PlanRound", PlanRound(world, swabwave::fuzz::kOpenRound));
  Must("PlanRound", PlanRound(world, swabwave::fuzz::kPlannedRound));
  {
    v1::OpenRoundRequest request;
    request.set_request_id("setup-open");
    request.set_round(swabwave::services::RoundName(swabwave::fuzz::kOpenRound));
    v1::OpenRoundResponse response;
    Must("OpenRound", world.planning->OpenRound(Context().get(), request, &response));
  }
  Must("OpenTube", OpenTube(world, swabwave::fuzz::kDesk1, swabwave::fuzz::kTube1));
  Must("OpenTube", OpenTube(world, swabwave::fuzz::kDesk2, swabwave::fuzz::kTube2));
}

void StopWorld(World& world) {
  world.watch.reset();
  world.planning.reset();
  world.checkin.reset();
  world.progress.reset();
  world.custody.reset();
  world.lab.reset();
  world.channel.reset();
  world.server->Shutdown(absl::ZeroDuration());
  world.server.reset();
}

// Starts over when an input closed the open round (every later check-in
// would just be refused) or state grew past the bounds.
void BoundState(World& world) {
  swabwave::engine::Registry& registry = world.server->registry();
  const swabwave::engine::Round* open = registry.FindRound(swabwave::fuzz::kOpenRound);
  if (open != nullptr && open->phase() == swabwave::engine::RoundPhase::kOpen &&
      registry.ListRounds().size() <= kMaxRounds && registry.community_count() <= kMaxCommunities) {
    return;
  }
  const absl::Time start = absl::Now();
  StopWorld(world);
  StartWorld(world);
  if (kVerbose) {
    std::fprintf(stderr, "restarted the server in %s\n",
                 absl::FormatDuration(absl::Now() - start).c_str());
  }
}

// Each message that parses is one call: `call(context, request, response)`.
template <typename Request, typename Response, typename Call>
void Unary(Rpc rpc, const swabwave::fuzz::RequestInput& input, Call call) {
  const bool give_up = input.variant % 4 == 3;
  size_t calls = 0;
  for (absl::string_view bytes : input.messages) {
    Request request;
    if (!request.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) continue;
    if (++calls > kMaxUnaryCalls) return;
    Response response;
    const grpc::Status status =
        call(Context(give_up ? kShortDeadline : kDeadline).get(), request, &response);
    CheckAnswered(rpc, status, give_up);
  }
}

void ImportCommunity(World& world, const swabwave::fuzz::RequestInput& input) {
  auto context = Context();
  v1::ImportCommunityResponse response;
  auto writer = world.planning->ImportCommunity(context.get(), &response);
  size_t written = 0;
  for (absl::string_view bytes : input.messages) {
    v1::ImportCommunityRequest chunk;
    if (!chunk.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) continue;
    if (++written > kMaxStreamMessages) break;
    // A failed write: the server has answered already; Finish says how.
    if (!writer->Write(chunk)) break;
  }
  if (input.variant % 2 == 1) {
    context->TryCancel();
  } else {
    writer->WritesDone();
  }
  CheckAnswered(Rpc::kImportCommunity, writer->Finish());
}

void CheckInStream(World& world, const swabwave::fuzz::RequestInput& input) {
  std::vector<v1::CheckInStreamRequest> messages;
  for (absl::string_view bytes : input.messages) {
    v1::CheckInStreamRequest message;
    if (!message.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) continue;
    messages.push_back(std::move(message));
    if (messages.size() == kMaxStreamMessages) break;
  }
  auto context = Context();
  auto stream = world.checkin->CheckInStream(context.get());
  const bool cancel = input.variant % 2 == 1;
  // Written from a second thread, so a server that answers while it reads is
  // never blocked by this client (one reader and one writer at a time).
  std::thread writer([&] {
    for (const v1::CheckInStreamRequest& message : messages) {
      if (!stream->Write(message)) return;  // the server ended the stream
    }
    if (!cancel) stream->WritesDone();
  });
  if (cancel) {
    writer.join();
    context->TryCancel();
  } else {
    v1::CheckInStreamResponse response;
    while (stream->Read(&response)) {
    }
    writer.join();
  }
  CheckAnswered(Rpc::kCheckInStream, stream->Finish());
}

void WatchProgress(World& world, const swabwave::fuzz::RequestInput& input) {
  size_t watches = 0;
  for (absl::string_view bytes : input.messages) {
    v1::WatchProgressRequest request;
    if (!request.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) continue;
    if (++watches > kMaxWatches) return;
    if (input.variant % 3 == 2) {
      world.watch.reset();  // first the one before, if any
      world.watch = std::make_unique<BackgroundWatch>(*world.progress, request, Context());
      continue;
    }
    // The server writes the first update at once and the next after the
    // interval (at least 100 ms): wait for a second one only when it is near.
    int reads = 1;
    if (input.variant % 3 == 0) {
      reads = 0;
    } else if (request.has_interval() && request.interval().seconds() == 0 &&
               request.interval().nanos() <= 200'000'000) {
      reads = 2;
    }
    auto context = Context();
    auto reader = world.progress->WatchProgress(context.get(), request);
    v1::WatchProgressResponse update;
    for (int i = 0; i < reads && reader->Read(&update); ++i) {
    }
    context->TryCancel();
    CheckAnswered(Rpc::kWatchProgress, reader->Finish());
  }
}

void Run(World& world, const swabwave::fuzz::RequestInput& input) {
  v1::PlanningService::Stub& planning = *world.planning;
  v1::CheckInService::Stub& checkin = *world.checkin;
  v1::ProgressService::Stub& progress = *world.progress;
  v1::CustodyService::Stub& custody = *world.custody;
  v1::LabService::Stub& lab = *world.lab;
  // One line per unary RPC: its request and response types and stub method.
#define SWABWAVE_UNARY(stub, Method)                                        \
  Unary<v1::Method##Request, v1::Method##Response>(                         \
      input.rpc, input,                                                     \
      [&](grpc::ClientContext* context, const v1::Method##Request& request, \
          v1::Method##Response* response) { return stub.Method(context, request, response); })
  switch (input.rpc) {
    case Rpc::kImportCommunity:
      return ImportCommunity(world, input);
    case Rpc::kCreateRound:
      return SWABWAVE_UNARY(planning, CreateRound);
    case Rpc::kGetRound:
      return SWABWAVE_UNARY(planning, GetRound);
    case Rpc::kListRounds:
      return SWABWAVE_UNARY(planning, ListRounds);
    case Rpc::kPlanRound:
      return SWABWAVE_UNARY(planning, PlanRound);
    case Rpc::kReplanRound:
      return SWABWAVE_UNARY(planning, ReplanRound);
    case Rpc::kForecastRound:
      return SWABWAVE_UNARY(planning, ForecastRound);
    case Rpc::kGetRoster:
      return SWABWAVE_UNARY(planning, GetRoster);
    case Rpc::kListDoorToDoorRoutes:
      return SWABWAVE_UNARY(planning, ListDoorToDoorRoutes);
    case Rpc::kAdviseFinish:
      return SWABWAVE_UNARY(planning, AdviseFinish);
    case Rpc::kGetPlan:
      return SWABWAVE_UNARY(planning, GetPlan);
    case Rpc::kListAssignments:
      return SWABWAVE_UNARY(planning, ListAssignments);
    case Rpc::kListDoorToDoor:
      return SWABWAVE_UNARY(planning, ListDoorToDoor);
    case Rpc::kOpenRound:
      return SWABWAVE_UNARY(planning, OpenRound);
    case Rpc::kCloseRound:
      return SWABWAVE_UNARY(planning, CloseRound);
    case Rpc::kOpenTube:
      return SWABWAVE_UNARY(checkin, OpenTube);
    case Rpc::kCheckIn:
      return SWABWAVE_UNARY(checkin, CheckIn);
    case Rpc::kCheckInStream:
      return CheckInStream(world, input);
    case Rpc::kSealTube:
      return SWABWAVE_UNARY(checkin, SealTube);
    case Rpc::kRecordVisit:
      return SWABWAVE_UNARY(checkin, RecordVisit);
    case Rpc::kRegisterWalkIn:
      return SWABWAVE_UNARY(checkin, RegisterWalkIn);
    case Rpc::kGetProgress:
      return SWABWAVE_UNARY(progress, GetProgress);
    case Rpc::kListUntested:
      return SWABWAVE_UNARY(progress, ListUntested);
    case Rpc::kGetResidentHistory:
      return SWABWAVE_UNARY(progress, GetResidentHistory);
    case Rpc::kListMissed:
      return SWABWAVE_UNARY(progress, ListMissed);
    case Rpc::kWatchProgress:
      return WatchProgress(world, input);
    case Rpc::kPackBox:
      return SWABWAVE_UNARY(custody, PackBox);
    case Rpc::kPickUpBox:
      return SWABWAVE_UNARY(custody, PickUpBox);
    case Rpc::kReceiveBox:
      return SWABWAVE_UNARY(custody, ReceiveBox);
    case Rpc::kListBoxes:
      return SWABWAVE_UNARY(custody, ListBoxes);
    case Rpc::kReportResults:
      return SWABWAVE_UNARY(lab, ReportResults);
    case Rpc::kListRecalls:
      return SWABWAVE_UNARY(lab, ListRecalls);
    case Rpc::kTakeFollowUpSwab:
      return SWABWAVE_UNARY(checkin, TakeFollowUpSwab);
    case Rpc::kListTubesToPack:
      return SWABWAVE_UNARY(custody, ListTubesToPack);
    case Rpc::kCount:
      return;  // the input decoder never picks it: not an RPC
  }
#undef SWABWAVE_UNARY
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  // The server logs every start and drain; protobuf logs every string field
  // that is not UTF-8. Neither is a finding, and both slow the fuzzer down.
  spdlog::set_level(spdlog::level::off);
  google::protobuf::SetLogHandler(nullptr);
  StartWorld(TheWorld());
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  World& world = TheWorld();
  const absl::Time start = absl::Now();
  const swabwave::fuzz::RequestInput input = swabwave::fuzz::DecodeRequestInput(
      absl::string_view(reinterpret_cast<const char*>(data), size));
  Run(world, input);
  if (kVerbose) {
    std::fprintf(stderr, "%s variant %d: %zu messages in %s\n", swabwave::fuzz::RpcName(input.rpc),
                 input.variant, input.messages.size(),
                 absl::FormatDuration(absl::Now() - start).c_str());
  }
  BoundState(world);
  return 0;
}
