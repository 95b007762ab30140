#include "services/swabwave/client_flags.h"

#include <cstdlib>
#include <map>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "engine/io/csv.h"
#include "services/net/loopback.h"

ABSL_FLAG(std::string, server, "127.0.0.1:50051", "swabwaved's gRPC address");
ABSL_FLAG(std::string, token, "",
          "bearer token for every call (default: $SWABWAVE_TOKEN); prefer the environment, "
          "command lines are visible to other users");
ABSL_FLAG(std::string, site_tokens, "",
          "file of \"<site id> <tablet token>\" lines: calls at a site's desks use its token");
ABSL_FLAG(std::string, team_tokens, "",
          "file of \"<community id>/<team number> <team token>\" lines: calls at a door-to-door "
          "team's desk use its token");
ABSL_FLAG(std::string, tls_ca, "", "PEM CA that signed the server's certificate: use TLS");
ABSL_FLAG(std::string, tls_cert, "", "PEM client certificate, for servers that require one");
ABSL_FLAG(std::string, tls_key, "", "PEM private key of --tls_cert");
ABSL_FLAG(std::string, tls_server_name, "",
          "name the server's certificate must carry, if not the host in --server");
ABSL_FLAG(bool, insecure, false,
          "send tokens without TLS to a server off loopback (its traffic, tokens included, "
          "crosses the network in clear); without it such a call is refused");

namespace swabwave::services {
namespace {

// Reads "<key> <token>" lines into `tokens`: keyed by site id, or (teams)
// by the team's desk name, "communities/{community}/teams/{n}", from a
// "{community}/{n}" key.
absl::Status ReadDeskTokens(const std::string& path, absl::string_view flag,
                            absl::string_view line_shape, bool teams,
                            std::map<std::string, std::string>& tokens) {
  absl::StatusOr<std::string> contents = engine::ReadFileToString(path);
  if (!contents.ok()) return absl::NotFoundError(absl::StrCat("cannot read ", flag, " ", path));
  int number = 0;
  for (absl::string_view line : absl::StrSplit(*contents, '\n')) {
    ++number;
    const absl::string_view text = absl::StripAsciiWhitespace(line);
    if (text.empty() || text.front() == '#') continue;
    const std::vector<absl::string_view> fields =
        absl::StrSplit(text, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    const std::vector<absl::string_view> team = absl::StrSplit(fields[0], '/');
    if (fields.size() != 2 || (teams && team.size() != 2)) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ":", number, ": expected \"", line_shape, "\""));
    }
    const std::string key =
        teams ? absl::StrCat("communities/", team[0], "/teams/", team[1]) : std::string(fields[0]);
    tokens[key] = std::string(fields[1]);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ClientOptions> ClientOptionsFromFlags() {
  ClientOptions options;
  options.address = absl::GetFlag(FLAGS_server);
  options.token = absl::GetFlag(FLAGS_token);
  if (options.token.empty()) {
    if (const char* env = std::getenv("SWABWAVE_TOKEN")) options.token = env;
  }
  options.tls_ca_file = absl::GetFlag(FLAGS_tls_ca);
  options.tls_cert_file = absl::GetFlag(FLAGS_tls_cert);
  options.tls_key_file = absl::GetFlag(FLAGS_tls_key);
  options.tls_server_name = absl::GetFlag(FLAGS_tls_server_name);
  if (options.tls_cert_file.empty() != options.tls_key_file.empty()) {
    return absl::InvalidArgumentError("--tls_cert and --tls_key go together");
  }
  if (!options.tls_cert_file.empty() && options.tls_ca_file.empty()) {
    return absl::InvalidArgumentError("--tls_cert needs --tls_ca (the server's CA)");
  }
  if (const std::string path = absl::GetFlag(FLAGS_site_tokens); !path.empty()) {
    if (absl::Status s = ReadDeskTokens(path, "--site_tokens", "<site id> <tablet token>",
                                        /*teams=*/false, options.site_tokens);
        !s.ok()) {
      return s;
    }
  }
  if (const std::string path = absl::GetFlag(FLAGS_team_tokens); !path.empty()) {
    if (absl::Status s = ReadDeskTokens(path, "--team_tokens",
                                        "<community id>/<team number> <team token>",
                                        /*teams=*/true, options.site_tokens);
        !s.ok()) {
      return s;
    }
  }
  // Issue 25 item 6: a bearer token never leaves the host in clear unless
  // the user says so.
  const bool sends_tokens = !options.token.empty() || !options.site_tokens.empty();
  if (sends_tokens && options.tls_ca_file.empty() && !absl::GetFlag(FLAGS_insecure) &&
      !net::IsLoopbackAddress(options.address)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "refusing to send a bearer token in clear to ", options.address,
        ", which is not on loopback: give --tls_ca (the CA of the server's certificate), or "
        "--insecure on a network you trust"));
  }
  return options;
}

}  // namespace swabwave::services
