#!/usr/bin/env bash
# Household-aware pooling against plain scan order (issue 17's last
# figure), on a replayed day of the reference community (17,000 residents
# in 6,558 households, DESIGN.md §2) on a journaled swabwaved on loopback.
# Per run (a seed): two identical rounds at 10 a tube; one day generated
# with every household arriving together at one desk (swabwave-replay
# generate --households_together: arrivals spread over each wave as the
# plan has them, the reference rate), played onto the first round with the
# households as groups and onto the second in plain scan order
# (--plain_order). Prints, both ways: tubes used, households per tube,
# households split over tubes, and people recalled per positive resident
# (simulated infections over the server's tube assignment, the same for
# both: services/replay/pooling_figures.h); then the ratios.
#   bench/household_pooling.sh [runs] [household_prevalence] [attack_rate]
#   (defaults 3, 0.002, 0.4)
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-3}"
prevalence="${2:-0.002}"
attack="${3:-0.4}"
source bench/city_server.sh
start_city_server households kangcheng

figures() {  # report file -> "tubes households_per_tube split recalled_per_positive"
  awk '/^pooling/ { for (i = 1; i <= NF; ++i) {
         if ($i == "tubes,") t = $(i-1); if ($i == "households" && $(i+1) == "a") h = $(i-1);
         if ($i == "split") s = $(i-2) } }
       /^recalls/ { r = $2 }
       END { print t, h, s, r }' "$1"
}
for run in $(seq "$runs"); do
  for round in together-$run plain-$run; do
    "$bin/swabwave" round create --round_id "$round" --communities "$communities" \
      --start "$(date -u +%Y-%m-%dT%H:%M:00Z)" --ratio 10 "$server" > /dev/null
    "$bin/swabwave" plan "$round" "$server" > /dev/null
    "$bin/swabwave" round open "$round" "$server" > /dev/null
  done
  "$bin/swabwave-replay" generate --round "together-$run" --households_together --seed "$run" \
    --out "$work/day.csv" "$server" > /dev/null
  play=(--trace "$work/day.csv" --speed 0 --seed "$run" --household_prevalence "$prevalence"
        --attack_rate "$attack")
  "$bin/swabwave-replay" play --round "together-$run" "${play[@]}" "$server" > "$work/together.txt"
  "$bin/swabwave-replay" play --round "plain-$run" --plain_order "${play[@]}" "$server" \
    > "$work/plain.txt"
  read -r t_tubes t_per t_split t_recalled < <(figures "$work/together.txt")
  read -r p_tubes p_per p_split p_recalled < <(figures "$work/plain.txt")
  echo "run $run (seed $run):"
  grep -E '^(pooling|recalls|MISMATCH)' "$work/together.txt" "$work/plain.txt" |
    sed "s#$work/##; s/^/   /"
  awk -v tt="$t_tubes" -v pt="$p_tubes" -v tr="$t_recalled" -v pr="$p_recalled" \
      -v ts="$t_split" -v ps="$p_split" -v th="$t_per" -v ph="$p_per" 'BEGIN {
    printf "   together/plain: tubes %.3f, households a tube %.2f/%.2f, split %d/%d, " \
           "recalled per positive %.3f (%.2f/%.2f)\n", tt / pt, th, ph, ts, ps, tr / pr, tr, pr }'
done
