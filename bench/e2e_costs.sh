#!/usr/bin/env bash
# What durability or access control costs end to end: the reference
# community's check-ins through swabwave-replay (24 desks, one
# CheckInStream each, flat out) against swabwaved in two configurations,
# alternating, several runs each; prints the medians and their ratio.
# Client and server share this machine.
#   bench/e2e_costs.sh durability [runs]   journal (--data_dir) vs --durability=none
#   bench/e2e_costs.sh access [runs]       tokens (every call authenticated) vs --auth=none,
#                                          both with the journal
#   bench/e2e_costs.sh versions [runs] OLD_BIN
#                                          tokens and journal, this build's swabwaved vs
#                                          OLD_BIN/swabwaved (a build/release/services of
#                                          another revision): what a change costs
# (default 3 runs; about 1 minute a run)
set -euo pipefail
cd "$(dirname "$0")/.."
what="${1:?usage: bench/e2e_costs.sh durability|access|versions [runs] [OLD_BIN]}"
runs="${2:-3}"
old_bin="${3:-}"
case "$what" in
  durability) modes=(journal none) ;;
  access) modes=(tokens open) ;;
  versions)
    [ -x "$old_bin/swabwaved" ] || { echo "bench/e2e_costs.sh versions needs OLD_BIN" >&2; exit 2; }
    modes=(tokens before)
    ;;
  *) echo "bench/e2e_costs.sh: durability, access or versions, not $what" >&2; exit 2 ;;
esac
bin=build/release/services
work=$(mktemp -d /tmp/swabwave-e2e.XXXXXX)
server_pid=""
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then kill -TERM "$server_pid"; fi
  rm -rf "$work"
}
trap cleanup EXIT

"$bin/swabwave" generate --preset kangcheng --out "$work/data" > /dev/null
# Tokens for the access comparison: a command token, and a tablet token per
# site without a rate limit (the replay plays every desk flat out).
command_token=$("$bin/swabwave" new-token --role command --communities kangcheng \
  --tokens_file "$work/tokens" 2> /dev/null)
for site in $(tail -n +2 "$work/data/kangcheng/sites.csv" | cut -d, -f1); do
  echo "$site $("$bin/swabwave" new-token --role tablet --site "$site" --token_rate 0 \
    --tokens_file "$work/tokens" 2> /dev/null)" >> "$work/site-tokens"
done

# run MODE: one server, one round, one replay; prints the replay's rate.
run() {
  local mode=$1 server_flags=() client_flags=() server_bin=$bin
  rm -rf "$work/journal" "$work/ports"
  case "$mode" in
    journal | open) server_flags=(--data_dir "$work/journal" --auth=none) ;;
    none) server_flags=(--durability=none --auth=none) ;;
    tokens | before)
      server_flags=(--data_dir "$work/journal" --tokens_file "$work/tokens")
      client_flags=(--token "$command_token")
      if [ "$mode" = before ]; then server_bin=$old_bin; fi
      ;;
  esac
  "$server_bin/swabwaved" --listen 127.0.0.1:0 --http_listen= --port_file "$work/ports" \
    "${server_flags[@]}" > "$work/server-$mode.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 100); do [ -s "$work/ports" ] && break; sleep 0.1; done
  read -r port _ < "$work/ports"
  local cli=("--server=127.0.0.1:$port" "${client_flags[@]}")
  "$bin/swabwave" import "$work/data" "${cli[@]}" > /dev/null
  "$bin/swabwave" round create --round_id e2e --communities kangcheng \
    --start "$(date -u +%Y-%m-%dT%H:%M:00Z)" --ratio 10 "${cli[@]}" > /dev/null
  "$bin/swabwave" plan e2e "${cli[@]}" > /dev/null
  "$bin/swabwave" round open e2e "${cli[@]}" > /dev/null
  "$bin/swabwave-replay" --round e2e --site_tokens "$work/site-tokens" "${cli[@]}" \
    > "$work/replay-$mode.txt"
  kill -TERM "$server_pid"; wait "$server_pid"; server_pid=""
  awk '/^rate/ {print $2}' "$work/replay-$mode.txt"
}

a=(); b=()
for i in $(seq "$runs"); do
  b+=("$(run "${modes[1]}")")
  a+=("$(run "${modes[0]}")")
  echo "run $i: ${modes[0]} ${a[-1]} check-ins/s, ${modes[1]} ${b[-1]} check-ins/s" >&2
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ma=$(median "${a[@]}"); mb=$(median "${b[@]}")
echo "${modes[0]}: $ma check-ins/s (median of $runs)"
echo "${modes[1]}: $mb check-ins/s (median of $runs)"
awk -v a="$ma" -v b="$mb" -v na="${modes[0]}" -v nb="${modes[1]}" \
  'BEGIN {printf "%s / %s: %.2f\n", na, nb, a / b}'
