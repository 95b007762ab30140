#include "services/replay/round_reader.h"

#include "services/api/status.h"
#include "swabwave/v1/planning.pb.h"

namespace swabwave::services {

absl::StatusOr<std::map<std::string, int>> DesksOfSites(Client& client, const std::string& round) {
  std::map<std::string, int> desks_of_site;
  v1::GetPlanRequest request;
  request.set_round(round);
  request.set_page_size(1000);
  do {
    v1::GetPlanResponse plan;
    const grpc::Status status = Client::Call([&](grpc::ClientContext& context) {
      return client.planning().GetPlan(&context, request, &plan);
    });
    if (!status.ok()) return FromGrpcStatus(status);
    for (const v1::SitePlan& site : plan.sites()) desks_of_site[site.site_id()] = site.desks();
    request.set_page_token(plan.next_page_token());
  } while (!request.page_token().empty());
  return desks_of_site;
}

absl::Status ForEachUntested(Client& client, const std::string& round,
                             const std::function<void(const v1::UntestedResident&)>& visit) {
  v1::ListUntestedRequest request;
  request.set_round(round);
  request.set_page_size(5000);
  do {
    v1::ListUntestedResponse page;
    const grpc::Status status = Client::Call([&](grpc::ClientContext& context) {
      return client.progress().ListUntested(&context, request, &page);
    });
    if (!status.ok()) return FromGrpcStatus(status);
    for (const v1::UntestedResident& u : page.residents()) visit(u);
    request.set_page_token(page.next_page_token());
  } while (!request.page_token().empty());
  return absl::OkStatus();
}

}  // namespace swabwave::services
