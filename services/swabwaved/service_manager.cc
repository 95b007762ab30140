#include "services/swabwaved/service_manager.h"

#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>

#include <string>

#include "absl/strings/str_cat.h"

namespace swabwave::services {
namespace {

void Notify(const std::string& state) {
  // < 0: systemd asked for notifications and did not get this one. A unit
  // waiting for READY=1 would then time out, so say why in the log.
  if (const int sent = sd_notify(/*unset_environment=*/0, state.c_str()); sent < 0) {
    spdlog::warn("could not notify systemd ($NOTIFY_SOCKET) of {}: error {}",
                 state.substr(0, state.find('\n')), -sent);
  }
}

}  // namespace

void NotifyReady(int grpc_port, int http_port) {
  Notify(absl::StrCat("READY=1\nSTATUS=serving gRPC on port ", grpc_port,
                      http_port > 0 ? absl::StrCat(", HTTP on port ", http_port) : ""));
}

void NotifyReloading() { Notify("RELOADING=1\nSTATUS=reloading the tokens file"); }

void NotifyStopping() { Notify("STOPPING=1\nSTATUS=draining"); }

}  // namespace swabwave::services
