#!/usr/bin/env bash
# What one client without a token can make swabwaved hold (issue 25 item 7):
# bench/anonymous_load sends 16 GetRound requests of 60 MiB at once, 4
# times, with no token, to a server with a tokens file, over TLS and over
# plaintext (loopback); the server's peak resident memory (VmHWM) is read
# after. With OLD_BIN, the same runs against that build's swabwaved too
# (the "before"), alternating.
#   bench/anonymous_memory.sh [OLD_BIN] [calls] [MiB]
#     OLD_BIN: a build/release/services folder of another revision
set -euo pipefail
cd "$(dirname "$0")/.."
old_bin="${1:-}"
calls="${2:-16}"
mib="${3:-60}"
new_bin=build/release/services
load=build/release/bench/anonymous_load
work=$(mktemp -d /tmp/swabwave-anon.XXXXXX)
server_pid=""
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then kill -TERM "$server_pid"; fi
  rm -rf "$work"
}
trap cleanup EXIT

# A test CA and a certificate for localhost, as tests/services/tls_test.cc makes them.
(
  cd "$work"
  key="-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes"
  echo "subjectAltName=DNS:localhost,IP:127.0.0.1" > server.ext
  openssl req -x509 $key -keyout ca.key -out ca.pem -days 2 -subj /CN=bench-ca
  openssl req $key -keyout server.key -out server.csr -subj /CN=localhost
  openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem \
    -days 2 -extfile server.ext
) > "$work/openssl.log" 2>&1
"$new_bin/swabwave" new-token --role command --communities '*' --tokens_file "$work/tokens" \
  > /dev/null 2>&1

# run BIN MODE: prints "peak_rss_mib codes".
run() {
  local bin=$1 mode=$2 tls=() client=()
  rm -f "$work/ports"
  if [ "$mode" = tls ]; then
    tls=(--tls_cert "$work/server.pem" --tls_key "$work/server.key")
    client=(--tls_ca "$work/ca.pem")
  fi
  "$bin/swabwaved" --listen 127.0.0.1:0 --http_listen= --port_file "$work/ports" \
    --durability=none --tokens_file "$work/tokens" "${tls[@]}" > "$work/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 100); do [ -s "$work/ports" ] && break; sleep 0.1; done
  read -r port _ < "$work/ports"
  local codes
  codes=$("$load" --server "127.0.0.1:$port" "${client[@]}" --calls "$calls" --waves 4 \
    --bytes $((mib << 20)) | sed 's/.*status codes://')
  local peak
  peak=$(awk '/^VmHWM/ {printf "%.0f", $2 / 1024}' "/proc/$server_pid/status")
  kill -TERM "$server_pid"; wait "$server_pid" || true; server_pid=""
  echo "$peak$codes"
}

echo "peak resident memory of swabwaved (MiB) after $((calls * 4)) anonymous calls of $mib MiB,"
echo "$calls at once (status codes: 16 UNAUTHENTICATED, 8 RESOURCE_EXHAUSTED, 3 INVALID_ARGUMENT)"
for mode in tls plaintext; do
  if [ -n "$old_bin" ]; then echo "before  $mode: $(run "$old_bin" "$mode")"; fi
  echo "after   $mode: $(run "$new_bin" "$mode")"
done
