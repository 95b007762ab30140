#include "services/swabwave/client.h"

#include <grpcpp/support/client_interceptor.h>

#include <atomic>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "engine/io/csv.h"

namespace swabwave::services {

const char kRetryServiceConfig[] = R"json({
  "methodConfig": [
    {
      "name": [
        {"service": "swabwave.v1.PlanningService"},
        {"service": "swabwave.v1.CheckInService"},
        {"service": "swabwave.v1.ProgressService"},
        {"service": "swabwave.v1.CustodyService"},
        {"service": "swabwave.v1.LabService"}
      ],
      "retryPolicy": {
        "maxAttempts": 5,
        "initialBackoff": "0.2s",
        "maxBackoff": "5s",
        "backoffMultiplier": 2,
        "retryableStatusCodes": ["UNAVAILABLE", "RESOURCE_EXHAUSTED"]
      }
    },
    {
      "name": [
        {"service": "swabwave.v1.CheckInService", "method": "CheckInStream"},
        {"service": "swabwave.v1.PlanningService", "method": "ImportCommunity"}
      ]
    }
  ],
  "retryThrottling": {"maxTokens": 20, "tokenRatio": 0.2}
})json";

namespace {

constexpr char kAuthorization[] = "authorization";

// Adds the client's bearer token to every call that does not carry one.
class BearerInterceptor final : public grpc::experimental::Interceptor {
 public:
  explicit BearerInterceptor(const std::string* header) : header_(header) {}
  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            grpc::experimental::InterceptionHookPoints::PRE_SEND_INITIAL_METADATA)) {
      std::multimap<std::string, std::string>* metadata = methods->GetSendInitialMetadata();
      if (metadata->find(kAuthorization) == metadata->end()) {
        metadata->emplace(kAuthorization, *header_);
      }
    }
    methods->Proceed();
  }

 private:
  const std::string* header_;
};

class BearerInterceptorFactory final
    : public grpc::experimental::ClientInterceptorFactoryInterface {
 public:
  explicit BearerInterceptorFactory(std::string token) : header_("Bearer " + token) {}
  grpc::experimental::Interceptor* CreateClientInterceptor(
      grpc::experimental::ClientRpcInfo*) override {
    return new BearerInterceptor(&header_);
  }

 private:
  const std::string header_;  // lives as long as the channel, which owns this factory
};

// The file's contents into `out`; false when it cannot be read.
bool ReadFile(const std::string& path, std::string* out) {
  absl::StatusOr<std::string> text = engine::ReadFileToString(path);
  if (!text.ok()) return false;
  *out = *std::move(text);
  return true;
}

}  // namespace

Client::Client(const ClientOptions& options) : site_tokens_(options.site_tokens) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(64 * 1024 * 1024);
  if (options.retries) {
    args.SetServiceConfigJSON(kRetryServiceConfig);
  } else {
    args.SetInt(GRPC_ARG_ENABLE_RETRIES, 0);
  }
  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials();
  if (!options.tls_ca_file.empty()) {
    grpc::SslCredentialsOptions ssl;
    bool readable = ReadFile(options.tls_ca_file, &ssl.pem_root_certs);
    if (!options.tls_cert_file.empty()) {
      readable = readable && ReadFile(options.tls_cert_file, &ssl.pem_cert_chain) &&
                 ReadFile(options.tls_key_file, &ssl.pem_private_key);
    }
    if (!readable) {
      // No credentials at all rather than weaker ones: every call fails.
      ssl.pem_root_certs = "unreadable";
    }
    credentials = grpc::SslCredentials(ssl);
    if (!options.tls_server_name.empty()) {
      args.SetSslTargetNameOverride(options.tls_server_name);
    }
  }
  std::vector<std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>> interceptors;
  if (!options.token.empty()) {
    interceptors.push_back(std::make_unique<BearerInterceptorFactory>(options.token));
  }
  channel_ = grpc::experimental::CreateCustomChannelWithInterceptors(
      options.address, credentials, args, std::move(interceptors));
  planning_ = v1::PlanningService::NewStub(channel_);
  checkin_ = v1::CheckInService::NewStub(channel_);
  progress_ = v1::ProgressService::NewStub(channel_);
  custody_ = v1::CustodyService::NewStub(channel_);
  lab_ = v1::LabService::NewStub(channel_);
}

void Client::AuthorizeAtSite(grpc::ClientContext& context, const std::string& site_id) const {
  const auto it = site_tokens_.find(site_id);
  if (it != site_tokens_.end()) context.AddMetadata(kAuthorization, "Bearer " + it->second);
}

std::string Client::NewRequestId(const std::string& prefix) {
  static const uint64_t run = absl::BitGen()();
  static std::atomic<uint64_t> counter{0};
  return absl::StrFormat("%s-%016x-%d", prefix, run, counter.fetch_add(1));
}

grpc::Status Client::Call(const std::function<grpc::Status(grpc::ClientContext&)>& call,
                          absl::Duration timeout) {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  return call(context);
}

}  // namespace swabwave::services
