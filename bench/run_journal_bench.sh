#!/usr/bin/env bash
# Runs journal_bench (release build) and prints the ratios RESULTS.md
# records: the journal's durable records per second against bare fdatasync
# loops on the same disk, per producer count.
#   bench/run_journal_bench.sh [repetitions] [paired runs] [dir]
#     (defaults 3, 7, $TMPDIR or /tmp; about 6 minutes)
# First every benchmark once with `repetitions` repetitions (medians), then
# BM_JournalAgainstBare alone in `paired runs` separate processes: its ratio
# is bimodal from one process to the next on this VM (see RESULTS.md), so the
# goal is read from the median over processes, with every run's ratio shown.
set -euo pipefail
cd "$(dirname "$0")/.."
reps="${1:-3}"
runs="${2:-7}"
dir="${3:-${TMPDIR:-/tmp}}"
work=$(mktemp -d /tmp/journal_bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
build/release/bench/journal_bench --dir="$dir" --benchmark_filter='-BM_JournalAgainstBare' \
  --benchmark_repetitions="$reps" --benchmark_report_aggregates_only=true \
  --benchmark_out="$work/all.json" --benchmark_out_format=json > /dev/null
for run in $(seq "$runs"); do
  build/release/bench/journal_bench --dir="$dir" --benchmark_filter='BM_JournalAgainstBare' \
    --benchmark_out="$work/paired-$run.json" --benchmark_out_format=json > /dev/null
done
python3 - "$work" "$runs" <<'PY'
import json, re, statistics, sys
work, runs = sys.argv[1], int(sys.argv[2])
rate, per_fsync = {}, {}
for b in json.load(open(f"{work}/all.json"))["benchmarks"]:
    if b.get("aggregate_name") != "median":
        continue
    m = re.match(r"(BM_\w+)(?:/(\d+))?.*?(?:threads:(\d+))?$", b["run_name"])
    name, arg, threads = m.group(1), m.group(2), int(m.group(3) or 1)
    key = (name, int(arg) if arg and name in ("BM_BareBatched", "BM_JournalAsync") else threads)
    rate[key] = b["items_per_second"]
    if "records_per_fsync" in b:
        per_fsync[key] = b["records_per_fsync"]
g = lambda n, k: rate.get((n, k), float("nan"))
f = lambda n, k: per_fsync.get((n, k), 0)
print("records per second (records per fdatasync); ratios against the bare batched loop\n"
      "of 32 x P records (the most P producers of 32-record messages can have pending),\n"
      "separate benchmarks")
print(f"{'P':>3} {'bare/record':>11} {'bare 32P':>9} {'reactors':>16} {'ratio':>6}"
      f" {'threads':>16} {'ratio':>6} {'bare P':>8} {'single':>14} {'ratio':>6}")
for p in (1, 4, 16, 64):
    b32, b1, per = g("BM_BareBatched", 32 * p), g("BM_BareBatched", p), g("BM_BareSyncPerRecord", p)
    a, j, j1 = g("BM_JournalAsync", p), g("BM_Journal", p), g("BM_JournalSingle", p)
    print(f"{p:>3} {per/1e3:>10.1f}k {b32/1e3:>8.0f}k {a/1e3:>8.0f}k ({f('BM_JournalAsync', p):>5.0f})"
          f" {a/b32:>5.0%} {j/1e3:>8.0f}k ({f('BM_Journal', p):>5.0f}) {j/b32:>5.0%}"
          f" {b1/1e3:>7.1f}k {j1/1e3:>6.1f}k ({f('BM_JournalSingle', p):>4.1f}) {j1/b1:>5.0%}")
for d in (4, 16):
    print(f"durable check-ins in process, {d} desks x 32 per message: "
          f"{g('BM_DurableCheckIns', d)/1e3:.0f}k/s")

paired = {}
for run in range(1, runs + 1):
    for b in json.load(open(f"{work}/paired-{run}.json"))["benchmarks"]:
        p, m = (int(x) for x in b["name"].split("/")[1:3])
        paired.setdefault((p, m), []).append(b)
print(f"\nP reactors with M-record messages against the bare batched loop of M x P records,\n"
      f"in alternating slices of the same records, {runs} processes: each process's ratio\n"
      f"(the median of its slices'), their median, the least share of the journal's time\n"
      f"in write + fdatasync (disk busy) and the median of its write + fdatasync time\n"
      f"against the bare loop's (writes/bare)")
print(f"{'P':>3} {'M':>3} {'bare MP':>9} {'journal':>9} {'median':>7} {'disk busy':>10}"
      f" {'writes/bare':>12}  ratio per process")
for m in (32, 1):
    for p in (1, 4, 16, 64):
        runs_of = paired.get((p, m), [])
        if not runs_of:
            continue
        med = lambda key: statistics.median(b[key] for b in runs_of)
        print(f"{p:>3} {m:>3} {med('bare_per_s')/1e3:>8.1f}k {med('journal_per_s')/1e3:>8.1f}k"
              f" {med('ratio'):>6.0%} {min(b['disk_busy'] for b in runs_of):>9.0%}"
              f" {med('writes_vs_bare'):>12.2f}  "
              + " ".join(f"{b['ratio']:.2f}" for b in runs_of))
PY
