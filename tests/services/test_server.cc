#include "tests/services/test_server.h"

#include <arpa/inet.h>
#include <google/protobuf/any.pb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>

#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "services/api/proto_convert.h"
#include "services/api/resource_names.h"
#include "swabwave/v1/common.pb.h"

namespace swabwave::services::testing {

engine::Community MakeCommunity(const CommunitySpec& spec) {
  engine::CommunityBuilder builder(spec.id, absl::StrCat("Community ", spec.id), 0);
  // The first failure is reported once; later Add* calls then fail too.
  absl::Status status;
  auto must = [&status](absl::Status s) {
    if (status.ok()) status = std::move(s);
  };
  for (int c = 0; c < spec.compounds; ++c) {
    must(builder.AddCompound(absl::StrCat("c", c), absl::StrCat("Compound ", c),
                             engine::CompoundKind::kResidential));
  }
  int n = 0;
  for (int b = 0; b < spec.buildings; ++b) {
    const std::string building = absl::StrCat("b", b);
    must(builder.AddBuilding(building, absl::StrCat("c", b % spec.compounds), building,
                             engine::Location{100.0 * b, 0}));
    for (int u = 0; u < spec.units_per_building; ++u) {
      const std::string unit = absl::StrCat(building, "-u", u);
      must(builder.AddUnit(unit, building, unit));
      for (int h = 0; h < spec.households_per_unit; ++h) {
        const std::string household = absl::StrCat(unit, "-h", h);
        must(builder.AddHousehold(household, unit));
        for (int r = 0; r < spec.residents_per_household; ++r) {
          ++n;
          const bool mobility =
              spec.mobility_limited_every > 0 && n % spec.mobility_limited_every == 0;
          const bool exempt = spec.exempt_every > 0 && n % spec.exempt_every == 0;
          must(builder.AddResident(
              Code(spec.id, n), household, mobility,
              exempt ? engine::ExemptionReason::kMedical : engine::ExemptionReason::kNone));
        }
      }
    }
  }
  for (int s = 0; s < spec.sites; ++s) {
    engine::Site site;
    site.id = absl::StrCat(spec.id, "-s", s);
    site.name = absl::StrCat("Site ", s);
    site.location = engine::Location{150.0 * s, 50};
    site.desks = spec.desks_per_site;
    // Open all day: a round can start whenever the test runs.
    site.opens_at_minute = 0;
    site.closes_at_minute = engine::kMinutesPerDay;
    must(builder.AddSite(std::move(site)));
  }
  for (int s = 0; s < spec.staff; ++s) {
    must(builder.AddStaff(absl::StrCat(spec.id, "-st", s),
                          s % 2 == 0 ? engine::kRoleSampler : engine::kRoleScanner,
                          // A sampler and a scanner per site, so the sites can open desks.
                          spec.sites > 0 ? absl::StrCat(spec.id, "-s", (s / 2) % spec.sites)
                                         : ""));
  }
  absl::StatusOr<engine::Community> community = std::move(builder).Finish();
  if (status.ok()) status = community.status();
  EXPECT_TRUE(status.ok()) << "the test's own community spec is invalid: " << status;
  return community.ok() ? *std::move(community) : engine::Community{};
}

std::string Code(const std::string& community, int n) { return absl::StrCat(community, "-R", n); }

std::string Desk(const std::string& site, int n) {
  return absl::StrCat("sites/", site, "/desks/", n);
}

std::optional<v1::ExistingCheckIn> ExistingCheckInOf(const grpc::Status& status) {
  v1::ErrorStatus details;
  if (status.error_details().empty() || !details.ParseFromString(status.error_details())) {
    return std::nullopt;
  }
  for (const google::protobuf::Any& any : details.details()) {
    v1::ExistingCheckIn existing;
    if (any.UnpackTo(&existing)) return existing;
  }
  return std::nullopt;
}

std::map<std::string, v1::CheckInOutcome> ById(const std::vector<v1::CheckInOutcome>& outcomes) {
  std::map<std::string, v1::CheckInOutcome> by_id;
  for (const v1::CheckInOutcome& outcome : outcomes) by_id[outcome.request_id()] = outcome;
  return by_id;
}

void ServerTest::SetUp() {
  // Loopback only, ports chosen by the OS: tests never collide with each
  // other or with a swabwaved running on the machine.
  StartServer(ServerOptions{.listen = "127.0.0.1:0", .http_listen = "127.0.0.1:0"});
}

void ServerTest::RestartServer() {
  client_.reset();
  server_->Shutdown(absl::Seconds(1));
  server_.reset();
  StartServer(options_);
}

void ServerTest::StartServer(const ServerOptions& options) {
  options_ = options;
  absl::StatusOr<std::unique_ptr<SwabwaveServer>> server = SwabwaveServer::Start(options);
  ASSERT_TRUE(server.ok()) << server.status();
  server_ = *std::move(server);
  ASSERT_GT(server_->port(), 0);
  ASSERT_GT(server_->http_port(), 0);
  client_ = std::make_unique<Client>(
      ClientOptions{.address = absl::StrCat("127.0.0.1:", server_->port()), .token = token_});
}

void ServerTest::TearDown() {
  client_.reset();
  if (server_ != nullptr) server_->Shutdown(absl::Seconds(1));
  server_.reset();
}

std::unique_ptr<grpc::ClientContext> ServerTest::Context(absl::Duration timeout) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  return context;
}

grpc::Status ServerTest::ImportChunks(const std::vector<v1::ImportCommunityRequest>& chunks,
                                      v1::ImportCommunityResponse* response) {
  v1::ImportCommunityResponse ignored;
  auto context = Context();
  auto writer =
      client_->planning().ImportCommunity(context.get(), response != nullptr ? response : &ignored);
  for (const v1::ImportCommunityRequest& chunk : chunks) {
    // A failed write means the server has answered already; Finish says how.
    if (!writer->Write(chunk)) break;
  }
  writer->WritesDone();
  return writer->Finish();
}

grpc::Status ServerTest::Import(const engine::Community& community,
                                v1::ImportCommunityResponse* response, size_t entities_per_chunk) {
  return ImportChunks(
      CommunityToChunks(community, Client::NewRequestId("import"), entities_per_chunk), response);
}

v1::CreateRoundRequest ServerTest::RoundRequest(const std::string& round_id,
                                                const std::vector<std::string>& community_ids,
                                                int pool_ratio) {
  v1::CreateRoundRequest request;
  request.set_request_id(Client::NewRequestId("create"));
  request.set_round_id(round_id);
  for (const std::string& id : community_ids) request.add_community_ids(id);
  ToProto(kRoundStart, request.mutable_start_time());
  request.set_pool_ratio(pool_ratio);
  return request;
}

grpc::Status ServerTest::CreateRound(const v1::CreateRoundRequest& request,
                                     v1::CreateRoundResponse* response) {
  v1::CreateRoundResponse ignored;
  return client_->planning().CreateRound(Context().get(), request,
                                         response != nullptr ? response : &ignored);
}

grpc::Status ServerTest::CreateRound(const std::string& round_id, const std::string& community,
                                     int pool_ratio, v1::CreateRoundResponse* response) {
  return CreateRound(RoundRequest(round_id, {community}, pool_ratio), response);
}

grpc::Status ServerTest::Plan(const std::string& round_id, v1::PlanRoundResponse* response,
                              const std::string& request_id) {
  v1::PlanRoundRequest request;
  request.set_request_id(request_id.empty() ? Client::NewRequestId("plan") : request_id);
  request.set_round(RoundName(round_id));
  v1::PlanRoundResponse ignored;
  return client_->planning().PlanRound(Context().get(), request,
                                       response != nullptr ? response : &ignored);
}

grpc::Status ServerTest::Open(const std::string& round_id, const std::string& request_id) {
  v1::OpenRoundRequest request;
  request.set_request_id(request_id.empty() ? Client::NewRequestId("open") : request_id);
  request.set_round(RoundName(round_id));
  v1::OpenRoundResponse response;
  return client_->planning().OpenRound(Context().get(), request, &response);
}

grpc::Status ServerTest::Close(const std::string& round_id, const std::string& request_id,
                               v1::CloseRoundResponse* response) {
  v1::CloseRoundRequest request;
  request.set_request_id(request_id.empty() ? Client::NewRequestId("close") : request_id);
  request.set_round(RoundName(round_id));
  v1::CloseRoundResponse ignored;
  return client_->planning().CloseRound(Context().get(), request,
                                        response != nullptr ? response : &ignored);
}

grpc::Status ServerTest::GetRound(const std::string& name, v1::GetRoundResponse* response) {
  v1::GetRoundRequest request;
  request.set_round(name);
  v1::GetRoundResponse ignored;
  return client_->planning().GetRound(Context().get(), request,
                                      response != nullptr ? response : &ignored);
}

grpc::Status ServerTest::OpenTube(const std::string& round_id, const std::string& desk,
                                  const std::string& barcode, v1::OpenTubeResponse* response,
                                  const std::string& request_id) {
  v1::OpenTubeRequest request;
  request.set_request_id(request_id.empty() ? Client::NewRequestId("tube") : request_id);
  request.set_round(RoundName(round_id));
  request.set_desk(desk);
  request.set_tube_barcode(barcode);
  v1::OpenTubeResponse ignored;
  return client_->checkin().OpenTube(Context().get(), request,
                                     response != nullptr ? response : &ignored);
}

grpc::Status ServerTest::SealTube(const std::string& round_id, const std::string& desk,
                                  const std::string& barcode, v1::SealTubeResponse* response,
                                  const std::string& request_id) {
  v1::SealTubeRequest request;
  request.set_request_id(request_id.empty() ? Client::NewRequestId("seal") : request_id);
  request.set_round(RoundName(round_id));
  request.set_desk(desk);
  request.set_tube_barcode(barcode);
  v1::SealTubeResponse ignored;
  return client_->checkin().SealTube(Context().get(), request,
                                     response != nullptr ? response : &ignored);
}

v1::CheckInRequest ServerTest::CheckInRequest(const std::string& round_id, const std::string& desk,
                                              const std::string& code,
                                              const std::string& request_id) {
  v1::CheckInRequest request;
  request.set_request_id(request_id.empty() ? Client::NewRequestId("checkin") : request_id);
  request.set_round(RoundName(round_id));
  request.set_desk(desk);
  request.set_resident_code(code);
  return request;
}

grpc::Status ServerTest::CheckIn(const v1::CheckInRequest& request, v1::CheckInResponse* response) {
  v1::CheckInResponse ignored;
  return client_->checkin().CheckIn(Context().get(), request,
                                    response != nullptr ? response : &ignored);
}

grpc::Status ServerTest::CheckIn(const std::string& round_id, const std::string& desk,
                                 const std::string& code, v1::CheckInResponse* response,
                                 const std::string& request_id) {
  return CheckIn(CheckInRequest(round_id, desk, code, request_id), response);
}

grpc::Status ServerTest::Stream(const std::vector<v1::CheckInStreamRequest>& messages,
                                std::vector<v1::CheckInOutcome>* outcomes) {
  auto context = Context();
  auto stream = client_->checkin().CheckInStream(context.get());
  // gRPC allows one reader and one writer on a stream at a time.
  std::thread writer([&] {
    for (const v1::CheckInStreamRequest& message : messages) {
      if (!stream->Write(message)) return;  // the server ended the stream
    }
    stream->WritesDone();
  });
  v1::CheckInStreamResponse response;
  // Bounded by the context's deadline: Read fails once it passes.
  while (stream->Read(&response)) {
    for (const v1::CheckInOutcome& outcome : response.outcomes()) outcomes->push_back(outcome);
  }
  writer.join();
  return stream->Finish();
}

v1::GetProgressResponse ServerTest::Progress(const std::string& round_id, v1::ProgressLevel level) {
  v1::GetProgressRequest request;
  request.set_round(RoundName(round_id));
  request.set_level(level);
  request.set_page_size(5000);
  v1::GetProgressResponse response;
  const grpc::Status status = client_->progress().GetProgress(Context().get(), request, &response);
  EXPECT_TRUE(status.ok()) << v1::ProgressLevel_Name(level) << ": " << status.error_message();
  return response;
}

void ServerTest::OpenRound(const CommunitySpec& spec, const std::string& round_id, int pool_ratio) {
  grpc::Status status = Import(MakeCommunity(spec));
  ASSERT_TRUE(status.ok()) << "import: " << status.error_message();
  status = CreateRound(round_id, spec.id, pool_ratio);
  ASSERT_TRUE(status.ok()) << "create: " << status.error_message();
  status = Plan(round_id);
  ASSERT_TRUE(status.ok()) << "plan: " << status.error_message();
  status = Open(round_id);
  ASSERT_TRUE(status.ok()) << "open: " << status.error_message();
}

HttpReply HttpRequest(int port, const std::string& method, const std::string& path,
                      const std::string& authorization) {
  HttpReply reply;
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return reply;
  timeval timeout{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    close(fd);
    return reply;
  }
  const std::string request = absl::StrCat(
      method, " ", path, " HTTP/1.1\r\nHost: 127.0.0.1\r\n",
      authorization.empty() ? "" : absl::StrCat("Authorization: ", authorization, "\r\n"),
      "Content-Length: 0\r\nConnection: close\r\n\r\n");
  if (write(fd, request.data(), request.size()) != static_cast<ssize_t>(request.size())) {
    close(fd);
    return reply;
  }
  std::string raw;
  char buffer[16384];
  for (ssize_t n; (n = read(fd, buffer, sizeof(buffer))) > 0;) raw.append(buffer, n);
  close(fd);
  const size_t blank = raw.find("\r\n\r\n");
  if (blank == std::string::npos) return reply;
  reply.headers = raw.substr(0, blank);
  reply.body = raw.substr(blank + 4);
  // "HTTP/1.1 200 OK"
  const std::vector<std::string> status_line = absl::StrSplit(raw.substr(0, raw.find("\r\n")), ' ');
  if (status_line.size() >= 2) reply.status = std::stoi(status_line[1]);
  return reply;
}

HttpReply HttpGet(int port, const std::string& path, const std::string& authorization) {
  return HttpRequest(port, "GET", path, authorization);
}


void JournaledServerTest::SetUp() {
  const ::testing::TestInfo* test = ::testing::UnitTest::GetInstance()->current_test_info();
  dir_ = (std::filesystem::path(::testing::TempDir()) /
          absl::StrCat("swabwave-", test->test_suite_name(), "-", test->name(), "-", getpid()))
             .string();
  std::filesystem::remove_all(dir_);
  StartServer(ServerOptions{.listen = "127.0.0.1:0", .http_listen = "127.0.0.1:0",
                            .data_dir = dir_});
}

void JournaledServerTest::TearDown() {
  ServerTest::TearDown();
  std::filesystem::remove_all(dir_);
}

}  // namespace swabwave::services::testing
