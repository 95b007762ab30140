#!/usr/bin/env bash
# What durability costs end to end: the reference community's check-ins
# through swabwave-replay (24 desks, one CheckInStream each, flat out)
# against swabwaved with the journal (--data_dir) and with
# --durability=none, alternating, several runs each; prints the medians and
# their ratio. Client and server share this machine.
#   bench/e2e_durability.sh [runs]     (default 3; about 1 minute a run)
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-3}"
bin=build/release/services
work=$(mktemp -d /tmp/swabwave-e2e.XXXXXX)
server_pid=""
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then kill -TERM "$server_pid"; fi
  rm -rf "$work"
}
trap cleanup EXIT

"$bin/swabwave" generate --preset kangcheng --out "$work/data" > /dev/null

# run MODE: one server, one round, one replay; prints the replay's rate.
run() {
  local mode=$1 flags=()
  rm -rf "$work/journal" "$work/ports"
  if [ "$mode" = journal ]; then flags=(--data_dir "$work/journal"); else flags=(--durability=none); fi
  "$bin/swabwaved" --listen 127.0.0.1:0 --http_listen= --port_file "$work/ports" --auth=none \
    "${flags[@]}" \
    > "$work/server-$mode.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 100); do [ -s "$work/ports" ] && break; sleep 0.1; done
  read -r port _ < "$work/ports"
  local server="--server=127.0.0.1:$port"
  "$bin/swabwave" import "$work/data" "$server" > /dev/null
  "$bin/swabwave" round create --round_id e2e --communities kangcheng \
    --start "$(date -u +%Y-%m-%dT%H:%M:00Z)" --ratio 10 "$server" > /dev/null
  "$bin/swabwave" plan e2e "$server" > /dev/null
  "$bin/swabwave" round open e2e "$server" > /dev/null
  "$bin/swabwave-replay" --round e2e "$server" > "$work/replay-$mode.txt"
  kill -TERM "$server_pid"; wait "$server_pid"; server_pid=""
  awk '/^rate/ {print $2}' "$work/replay-$mode.txt"
}

journal=(); none=()
for i in $(seq "$runs"); do
  none+=("$(run none)")
  journal+=("$(run journal)")
  echo "run $i: journal ${journal[-1]} check-ins/s, none ${none[-1]} check-ins/s" >&2
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
mj=$(median "${journal[@]}"); mn=$(median "${none[@]}")
echo "journal (fdatasync before every answer): $mj check-ins/s (median of $runs)"
echo "--durability=none:                       $mn check-ins/s (median of $runs)"
awk -v j="$mj" -v n="$mn" 'BEGIN {printf "journal / none: %.2f\n", j / n}'
