// The process metrics every Prometheus exporter has (resident memory, open
// descriptors, CPU seconds, start time, descriptor limit) and a build-info
// gauge with the version and source revision, for /metrics (issue 26).
// Read from /proc and getrusage at each scrape.
//
// Thread-safety: a pure function of the process's state.
#ifndef SWABWAVE_SERVICES_API_PROCESS_METRICS_H_
#define SWABWAVE_SERVICES_API_PROCESS_METRICS_H_

#include <string>

namespace swabwave::services {

// Appends the process_* families and swabwave_build_info to `out`.
void RenderProcessMetrics(std::string& out);

}  // namespace swabwave::services

#endif  // SWABWAVE_SERVICES_API_PROCESS_METRICS_H_
