// anonymous_load: what one client without a token can make swabwaved hold
// (issue 25 item 7). It sends --calls GetRound requests at once, each
// --bytes long, with no token (or an unknown one), --waves times over, and
// counts the answers by status code. bench/anonymous_memory.sh runs it
// against a server and reads the server's peak memory.
#include <grpcpp/grpcpp.h>

#include <cstdio>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "services/swabwave/client.h"

ABSL_FLAG(std::string, server, "127.0.0.1:50051", "swabwaved's gRPC address");
ABSL_FLAG(std::string, tls_ca, "", "the CA of the server's certificate: use TLS");
ABSL_FLAG(std::string, token, "", "a token to send (empty: none)");
ABSL_FLAG(int, calls, 16, "requests in flight at once");
ABSL_FLAG(int, waves, 4, "times the calls are sent");
ABSL_FLAG(int64_t, bytes, int64_t{60} << 20, "size of each request");

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const int calls = absl::GetFlag(FLAGS_calls);
  const int waves = absl::GetFlag(FLAGS_waves);
  swabwave::v1::GetRoundRequest request;
  request.set_round(std::string(static_cast<size_t>(absl::GetFlag(FLAGS_bytes)), 'r'));
  absl::Mutex mu;
  std::map<std::string, int> codes;
  const absl::Time start = absl::Now();
  for (int wave = 0; wave < waves; ++wave) {
    std::vector<std::thread> threads;
    for (int c = 0; c < calls; ++c) {
      threads.emplace_back([&] {
        // A channel each: as many connections as calls, the worst case.
        swabwave::services::Client client(swabwave::services::ClientOptions{
            .address = absl::GetFlag(FLAGS_server),
            .token = absl::GetFlag(FLAGS_token),
            .tls_ca_file = absl::GetFlag(FLAGS_tls_ca),
            .tls_server_name = absl::GetFlag(FLAGS_tls_ca).empty() ? "" : "localhost"});
        grpc::ClientContext context;
        context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(60)));
        swabwave::v1::GetRoundResponse response;
        const grpc::Status status = client.planning().GetRound(&context, request, &response);
        absl::MutexLock lock(&mu);
        ++codes[absl::StrCat(status.error_code())];
      });
    }
    for (std::thread& t : threads) t.join();
  }
  std::printf("%d calls of %lld bytes in %.1f s; status codes:", calls * waves,
              static_cast<long long>(absl::GetFlag(FLAGS_bytes)),
              absl::ToDoubleSeconds(absl::Now() - start));
  for (const auto& [code, n] : codes) std::printf(" %s=%d", code.c_str(), n);
  std::printf("\n");
  return 0;
}
