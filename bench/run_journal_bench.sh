#!/usr/bin/env bash
# Runs journal_bench (release build) and prints the ratios RESULTS.md
# records: the journal's durable records per second against bare fdatasync
# loops on the same disk, per producer count, from medians of one run.
#   bench/run_journal_bench.sh [repetitions] [dir]   (default 3, $TMPDIR or /tmp; ~6 min)
set -euo pipefail
cd "$(dirname "$0")/.."
reps="${1:-3}"
dir="${2:-${TMPDIR:-/tmp}}"
out=$(mktemp /tmp/journal_bench.XXXXXX.json)
build/release/bench/journal_bench --dir="$dir" --benchmark_repetitions="$reps" \
  --benchmark_report_aggregates_only=true --benchmark_out="$out" --benchmark_out_format=json \
  > /dev/null
python3 - "$out" <<'PY'
import json, re, sys
rate, per_fsync = {}, {}
for b in json.load(open(sys.argv[1]))["benchmarks"]:
    if b.get("aggregate_name") != "median":
        continue
    m = re.match(r"(BM_\w+)(?:/(\d+))?.*?(?:threads:(\d+))?$", b["run_name"])
    name, arg, threads = m.group(1), m.group(2), int(m.group(3) or 1)
    key = (name, int(arg) if arg and name == "BM_BareBatched" else threads)
    rate[key] = b["items_per_second"]
    if "records_per_fsync" in b:
        per_fsync[key] = b["records_per_fsync"]
g = lambda n, k: rate.get((n, k), float("nan"))
print(f"{'producers':>9} {'per-record':>10} {'journal/32':>10} {'rec/fsync':>9} {'bare 32P':>9}"
      f" {'journal/1':>9} {'rec/fsync':>9} {'bare P':>9} {'j32/bare':>8} {'j1/bare':>8} {'j1/per-rec':>10}")
for p in (1, 4, 16, 64):
    j, j1 = g("BM_Journal", p), g("BM_JournalSingle", p)
    b32, b1, per = g("BM_BareBatched", 32 * p), g("BM_BareBatched", p), g("BM_BareSyncPerRecord", p)
    print(f"{p:>9} {per/1e3:>9.1f}k {j/1e3:>9.1f}k {per_fsync.get(('BM_Journal', p), 0):>9.0f}"
          f" {b32/1e3:>8.1f}k {j1/1e3:>8.1f}k {per_fsync.get(('BM_JournalSingle', p), 0):>9.1f}"
          f" {b1/1e3:>8.1f}k {j/b32:>7.0%} {j1/b1:>7.0%} {j1/per:>9.1f}x")
for d in (4, 16):
    print(f"durable check-ins in process, {d} desks x 32 per message: "
          f"{g('BM_DurableCheckIns', d)/1e3:.0f}k/s")
PY
