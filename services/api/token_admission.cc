#include "services/api/token_admission.h"

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/string_view.h"

namespace swabwave::services {

namespace {

absl::string_view View(const grpc::string_ref& s) { return absl::string_view(s.data(), s.size()); }

// Open to anyone, as without TLS: they carry no round data.
bool IsOpenMethod(absl::string_view path) {
  return absl::StartsWith(path, "/grpc.health.v1.Health/") ||
         absl::StartsWith(path, "/grpc.reflection.");
}

}  // namespace

grpc::Status TokenAdmission::Process(const InputMetadata& auth_metadata, grpc::AuthContext*,
                                     OutputMetadata*, OutputMetadata*) {
  if (!access_->enabled()) return grpc::Status::OK;
  absl::string_view path, authorization;
  for (const auto& [key, value] : auth_metadata) {
    if (View(key) == ":path") path = View(value);
    if (View(key) == "authorization") authorization = View(value);
  }
  if (IsOpenMethod(path)) return grpc::Status::OK;
  if (access_->FindBearer(authorization) != nullptr) return grpc::Status::OK;
  refused_.fetch_add(1, std::memory_order_relaxed);
  return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                      authorization.empty()
                          ? "this server needs a bearer token: send the metadata 'authorization: "
                            "Bearer <token>' (swabwave --token or SWABWAVE_TOKEN); ask the "
                            "operator for a token"
                          : "the bearer token is not known to this server (revoked, mistyped or "
                            "meant for another server); ask the operator for a token");
}

}  // namespace swabwave::services
