#include "tests/services/test_server.h"

#include "absl/strings/str_cat.h"
#include "services/api/proto_convert.h"

namespace swabwave::services::testing {

void ServerTest::SetUp() {
  ServerOptions options;
  options.listen = "127.0.0.1:0";
  options.http_listen = "127.0.0.1:0";
  absl::StatusOr<std::unique_ptr<SwabwaveServer>> server = SwabwaveServer::Start(options);
  ASSERT_TRUE(server.ok()) << server.status();
  server_ = *std::move(server);
  client_ = std::make_unique<Client>(absl::StrCat("127.0.0.1:", server_->port()));
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

grpc::Status ServerTest::Import(const engine::Community& community,
                                v1::ImportCommunityResponse* response) {
  auto context = Context();
  auto writer = client_->planning().ImportCommunity(context.get(), response);
  for (const v1::ImportCommunityRequest& chunk :
       CommunityToChunks(community, Client::NewRequestId("import"), 7)) {
    if (!writer->Write(chunk)) break;
  }
  writer->WritesDone();
  return writer->Finish();
}

grpc::Status ServerTest::CreateRound(const std::string& round_id, const std::string& community,
                                     int pool_ratio, v1::CreateRoundResponse* response) {
  v1::CreateRoundRequest request;
  request.set_request_id(Client::NewRequestId("create"));
  request.set_round_id(round_id);
  request.add_community_ids(community);
  ToProto(kRoundStart, request.mutable_start_time());
  request.set_pool_ratio(pool_ratio);
  v1::CreateRoundResponse ignored;
  return client_->planning().CreateRound(Context().get(), request,
                                         response != nullptr ? response : &ignored);
}

grpc::Status ServerTest::Plan(const std::string& round_id, v1::PlanRoundResponse* response) {
  v1::PlanRoundRequest request;
  request.set_request_id(Client::NewRequestId("plan"));
  request.set_round(absl::StrCat("rounds/", round_id));
  v1::PlanRoundResponse ignored;
  return client_->planning().PlanRound(Context().get(), request,
                                       response != nullptr ? response : &ignored);
}

grpc::Status ServerTest::Open(const std::string& round_id) {
  v1::OpenRoundRequest request;
  request.set_request_id(Client::NewRequestId("open"));
  request.set_round(absl::StrCat("rounds/", round_id));
  v1::OpenRoundResponse response;
  return client_->planning().OpenRound(Context().get(), request, &response);
}

grpc::Status ServerTest::Close(const std::string& round_id, const std::string& request_id) {
  v1::CloseRoundRequest request;
  request.set_request_id(request_id.empty() ? Client::NewRequestId("close") : request_id);
  request.set_round(absl::StrCat("rounds/", round_id));
  v1::CloseRoundResponse response;
  return client_->planning().CloseRound(Context().get(), request, &response);
}

grpc::Status ServerTest::OpenTube(const std::string& round_id, const std::string& desk,
                                  const std::string& barcode, v1::OpenTubeResponse* response) {
  v1::OpenTubeRequest request;
  request.set_request_id(Client::NewRequestId("tube"));
  request.set_round(absl::StrCat("rounds/", round_id));
  request.set_desk(desk);
  request.set_tube_barcode(barcode);
  v1::OpenTubeResponse ignored;
  return client_->checkin().OpenTube(Context().get(), request,
                                     response != nullptr ? response : &ignored);
}

grpc::Status ServerTest::CheckIn(const std::string& round_id, const std::string& desk,
                                 const std::string& code, v1::CheckInResponse* response,
                                 const std::string& request_id) {
  v1::CheckInRequest request;
  request.set_request_id(request_id.empty() ? Client::NewRequestId("checkin") : request_id);
  request.set_round(absl::StrCat("rounds/", round_id));
  request.set_desk(desk);
  request.set_resident_code(code);
  v1::CheckInResponse ignored;
  return client_->checkin().CheckIn(Context().get(), request,
                                    response != nullptr ? response : &ignored);
}

void ServerTest::OpenRound(const engine::testing::Shape& shape, const std::string& round_id,
                           int pool_ratio) {
  v1::ImportCommunityResponse imported;
  ASSERT_TRUE(Import(engine::testing::MakeCommunity(shape), &imported).ok());
  grpc::Status status = CreateRound(round_id, shape.id, pool_ratio);
  ASSERT_TRUE(status.ok()) << status.error_message();
  status = Plan(round_id);
  ASSERT_TRUE(status.ok()) << status.error_message();
  status = Open(round_id);
  ASSERT_TRUE(status.ok()) << status.error_message();
}

}  // namespace swabwave::services::testing
