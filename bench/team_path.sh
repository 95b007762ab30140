#!/usr/bin/env bash
# Door-to-door check-ins through the team path against the desks' stream,
# in the same run on the same server (issue 18's figure): a journaled
# swabwaved on loopback and a generated city slice. Per run, a fresh round
# with as many teams as the slice has desks (so both sides stream on as
# many CheckInStreams): every team samples every homebound resident
# on its route at the door (swabwave-replay teams: nobody out, no
# neighbours), and the desks' tablets check in as many site-due residents
# (swabwave-replay --fraction), so the two runs have the same shape and
# differ only in the path; which goes first alternates. Prints both rates and the ratio;
# bench/RESULTS.md holds them.
#   bench/team_path.sh [runs] [residents]   (defaults 3, 1000000)
# Access control is off (--auth=none): both paths would pay the same for
# it, and the figure is the path, not the token check.
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-3}"
residents="${2:-1000000}"
source bench/city_server.sh
start_city_server team-path "$residents"

# Teams per community: as many team streams in all as the slice has desks
# (at most 64 a community, the round's limit).
# (desks is the third field from the end: a site's name may hold commas.)
desks=$(awk -F, 'FNR > 1 {d += $(NF-2)} END {print d}' "$work"/data/*/sites.csv)
count=$(ls "$work/data" | wc -l)
teams=$(( (desks + count - 1) / count )); [ "$teams" -le 64 ] || teams=64

# "rate N check-ins/s" and the stream count ("desks N" / "teams N") of a report.
rate() { awk '/^rate/ {print $2}' "$1"; }
streams() { awk '/^(desks|teams)/ {print $2}' "$1"; }
for run in $(seq "$runs"); do
  round="path-$run"
  "$bin/swabwave" round create --round_id "$round" --communities "$communities" \
    --start "$(date -u +%Y-%m-%dT%H:%M:00Z)" --ratio 10 --teams "$teams" "$server" > /dev/null
  "$bin/swabwave" plan "$round" "$server" > /dev/null
  "$bin/swabwave" round open "$round" "$server" > /dev/null
  # Before any check-in: the door-to-door left is what the teams will
  # sample; the rest of the remaining is due at sites.
  read -r site_due door_to_door < <("$bin/swabwave" progress "$round" --output json "$server" |
    python3 -c 'import json, sys
t = json.load(sys.stdin)["total"]
print(int(t["remaining"]) - int(t["door_to_door"]), int(t["door_to_door"]))')
  fraction=$(awk -v t="$door_to_door" -v s="$site_due" 'BEGIN { f = t / s; print (f > 1 ? 1 : f) }')
  play_teams() {
    "$bin/swabwave-replay" teams --round "$round" --not_home 0 --refused 0 --in_hospital 0 \
      --moved_away 0 --neighbours 0 "$server" > "$work/teams.txt"
  }
  play_desks() {
    "$bin/swabwave-replay" --round "$round" --fraction "$fraction" "$server" > "$work/desks.txt"
  }
  # Odd runs the teams go first, even runs the desks: the first of a
  # round's streams touches every cold word, and that is not the path.
  if [ $((run % 2)) -eq 1 ]; then play_teams; play_desks; else play_desks; play_teams; fi
  sent_teams=$(awk '/^at the door/ {print $4}' "$work/teams.txt")
  desk_rate=$(rate "$work/desks.txt"); team_rate=$(rate "$work/teams.txt")
  desk_streams=$(streams "$work/desks.txt"); team_streams=$(streams "$work/teams.txt")
  sent_desks=$(awk '/^check-ins/ {print $2}' "$work/desks.txt")
  awk -v r="$run" -v dr="$desk_rate" -v tr="$team_rate" -v d="$desk_streams" \
      -v t="$team_streams" -v sd="$sent_desks" -v st="$sent_teams" 'BEGIN {
    printf "run %d: teams %d streams, %d check-ins, %.0f/s; desks %d streams, %d check-ins, " \
           "%.0f/s; teams/desks %.2f\n", r, t, st, tr, d, sd, dr, tr / dr }'
done
