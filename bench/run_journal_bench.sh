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
rate, per_fsync, paired = {}, {}, {}
for b in json.load(open(sys.argv[1]))["benchmarks"]:
    if b.get("aggregate_name") != "median":
        continue
    m = re.match(r"(BM_\w+)(?:/(\d+))?(?:/(\d+))?.*?(?:threads:(\d+))?$", b["run_name"])
    name, arg, arg2, threads = m.group(1), m.group(2), m.group(3), int(m.group(4) or 1)
    key = (name, int(arg) if arg and name in ("BM_BareBatched", "BM_JournalAsync", "BM_JournalAgainstBare") else threads)
    rate[key] = b["items_per_second"]
    if "records_per_fsync" in b:
        per_fsync[key] = b["records_per_fsync"]
    if name == "BM_JournalAgainstBare":
        paired[(int(arg), int(arg2))] = b
g = lambda n, k: rate.get((n, k), float("nan"))
f = lambda n, k: per_fsync.get((n, k), 0)
print("records per second (records per fdatasync); ratios against the bare batched loop\n"
      "of 32 x P records (the most P producers of 32-record messages can have pending)")
print(f"{'P':>3} {'bare/record':>11} {'bare 32P':>9} {'reactors':>16} {'ratio':>6}"
      f" {'threads':>16} {'ratio':>6} {'bare P':>8} {'single':>14} {'ratio':>6}")
for p in (1, 4, 16, 64):
    b32, b1, per = g("BM_BareBatched", 32 * p), g("BM_BareBatched", p), g("BM_BareSyncPerRecord", p)
    a, j, j1 = g("BM_JournalAsync", p), g("BM_Journal", p), g("BM_JournalSingle", p)
    print(f"{p:>3} {per/1e3:>10.1f}k {b32/1e3:>8.0f}k {a/1e3:>8.0f}k ({f('BM_JournalAsync', p):>5.0f})"
          f" {a/b32:>5.0%} {j/1e3:>8.0f}k ({f('BM_Journal', p):>5.0f}) {j/b32:>5.0%}"
          f" {b1/1e3:>7.1f}k {j1/1e3:>6.1f}k ({f('BM_JournalSingle', p):>4.1f}) {j1/b1:>5.0%}")
print("\nP reactors with M-record messages against the bare batched loop of M x P records,\n"
      "in alternating slices of the same records (median of the slices' ratios; disk busy:\n"
      "the share of the journal's time in write + fdatasync; writes/bare: its write +\n"
      "fdatasync time against the bare loop's)")
print(f"{'P':>3} {'M':>3} {'bare MP':>9} {'journal':>9} {'ratio':>6} {'disk busy':>10} {'writes/bare':>12}")
for m in (32, 1):
    for p in (1, 4, 16, 64):
        b = paired.get((p, m))
        if b:
            print(f"{p:>3} {m:>3} {b['bare_per_s']/1e3:>8.1f}k {b['journal_per_s']/1e3:>8.1f}k"
                  f" {b['ratio']:>5.0%} {b['disk_busy']:>9.0%} {b['writes_vs_bare']:>12.2f}")
for d in (4, 16):
    print(f"durable check-ins in process, {d} desks x 32 per message: "
          f"{g('BM_DurableCheckIns', d)/1e3:.0f}k/s")
PY
