// What swabwaved tells systemd about itself (sd_notify, for Type=notify
// units): ready only once recovery is done and both ports listen, reloading
// while it re-reads the tokens file, stopping once SIGTERM starts the drain.
// Outside systemd ($NOTIFY_SOCKET unset) each call does nothing.
//
// Thread-safety: call from main's thread.
#ifndef SWABWAVE_SERVICES_SWABWAVED_SERVICE_MANAGER_H_
#define SWABWAVE_SERVICES_SWABWAVED_SERVICE_MANAGER_H_

namespace swabwave::services {

// READY=1, with a STATUS= line naming the ports.
void NotifyReady(int grpc_port, int http_port);
// RELOADING=1 (SIGHUP: the tokens file); NotifyReady ends it.
void NotifyReloading();
// STOPPING=1: the drain has begun.
void NotifyStopping();

}  // namespace swabwave::services

#endif  // SWABWAVE_SERVICES_SWABWAVED_SERVICE_MANAGER_H_
