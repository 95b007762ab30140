#!/usr/bin/env bash
# Durable lab results through LabService against the check-in stream, in
# the same run on the same server (issue 17's first figure): a journaled
# swabwaved on loopback and a generated city slice. Per run, a fresh round:
# the desks' tablets check every site-due resident in (swabwave-replay, flat
# out: the check-in rate), then the lab day (swabwave-replay lab: every
# sealed tube packed into boxes of 1,000, shipped, received and reported
# in batches of 1,000 per ReportResults call, each durable before its
# answer; 0.1% positive, 0.5% invalid; the recalled retested). Prints both
# rates and the ratio; bench/RESULTS.md holds them.
#   bench/lab_path.sh [runs] [residents] [in_flight]   (defaults 3, 1000000, 4)
# Access control is off (--auth=none): the figure is the path.
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-3}"
residents="${2:-1000000}"
in_flight="${3:-4}"
source bench/city_server.sh
start_city_server lab-path "$residents"

for run in $(seq "$runs"); do
  round="lab-$run"
  "$bin/swabwave" round create --round_id "$round" --communities "$communities" \
    --start "$(date -u +%Y-%m-%dT%H:%M:00Z)" --ratio 10 --box_capacity 1000 "$server" > /dev/null
  "$bin/swabwave" plan "$round" "$server" > /dev/null
  "$bin/swabwave" round open "$round" "$server" > /dev/null
  "$bin/swabwave-replay" --round "$round" "$server" > "$work/desks.txt"
  "$bin/swabwave-replay" lab --round "$round" --box_tubes 1000 --positive 0.001 \
    --invalid 0.005 --lab_id lab-1 --in_flight "$in_flight" "$server" > "$work/lab.txt"
  check_in_rate=$(awk '/^rate/ {print $2}' "$work/desks.txt")
  check_ins=$(awk '/^check-ins/ {print $4}' "$work/desks.txt")
  results=$(awk '/^results/ {print $2}' "$work/lab.txt")
  result_rate=$(awk '/^results/ {print $(NF-1)}' "$work/lab.txt")
  awk -v r="$run" -v c="$check_ins" -v cr="$check_in_rate" -v n="$results" -v rr="$result_rate" \
    'BEGIN { printf "run %d: %d check-ins at %.0f/s; %d results at %.0f/s; results/check-ins %.2f\n",
             r, c, cr, n, rr, rr / cr }'
  grep -E '^(recalled|retested|errors|MISMATCH)' "$work/lab.txt" | sed 's/^/   /'
done
