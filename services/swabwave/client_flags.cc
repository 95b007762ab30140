#include "services/swabwave/client_flags.h"

#include <cstdlib>
#include <map>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "engine/io/csv.h"
#include "services/net/loopback.h"

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

absl::StatusOr<ClientOptions> ClientOptionsFrom(const ClientFlags& flags) {
  ClientOptions options;
  options.address = flags.server;
  options.token = flags.token;
  if (options.token.empty()) {
    if (const char* env = std::getenv("SWABWAVE_TOKEN")) options.token = env;
  }
  options.tls_ca_file = flags.tls_ca;
  options.tls_cert_file = flags.tls_cert;
  options.tls_key_file = flags.tls_key;
  options.tls_server_name = flags.tls_server_name;
  if (options.tls_cert_file.empty() != options.tls_key_file.empty()) {
    return absl::InvalidArgumentError("--tls_cert and --tls_key go together");
  }
  if (!options.tls_cert_file.empty() && options.tls_ca_file.empty()) {
    return absl::InvalidArgumentError("--tls_cert needs --tls_ca (the server's CA)");
  }
  if (const std::string& path = flags.site_tokens; !path.empty()) {
    if (absl::Status s = ReadDeskTokens(path, "--site_tokens", "<site id> <tablet token>",
                                        /*teams=*/false, options.site_tokens);
        !s.ok()) {
      return s;
    }
  }
  if (const std::string& path = flags.team_tokens; !path.empty()) {
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
  if (sends_tokens && options.tls_ca_file.empty() && !flags.insecure &&
      !net::IsLoopbackAddress(options.address)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "refusing to send a bearer token in clear to ", options.address,
        ", which is not on loopback: give --tls_ca (the CA of the server's certificate), or "
        "--insecure on a network you trust"));
  }
  return options;
}

}  // namespace swabwave::services
