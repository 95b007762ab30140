#!/usr/bin/env bash
# Runs core_bench (release build) and prints the ratios RESULTS.md records:
# the core against the mutex + hash-map baseline and against the bare CAS
# loop, and the lookup+CAS floor ("floor": what any code index plus atomic
# claim costs) against the baseline, per size and thread count, from
# medians of the same run.
#   bench/run_core_bench.sh [repetitions] [thread counts]
#   (defaults 5 and 1,2,4: about 13 minutes on 2 vCPUs)
# SWABWAVE_BIN names another folder holding core_bench (a copied build).
set -euo pipefail
cd "$(dirname "$0")/.."
reps="${1:-5}"
threads="${2:-1,2,4}"
bin="${SWABWAVE_BIN:-build/release/bench}"
out=$(mktemp /tmp/core_bench.XXXXXX.json)
"$bin/core_bench" --threads="$threads" --benchmark_repetitions="$reps" \
  --benchmark_report_aggregates_only=true --benchmark_out="$out" --benchmark_out_format=json \
  > /dev/null
python3 - "$out" <<'PY'
import json, re, sys
rows = {}
memory = {}
for b in json.load(open(sys.argv[1]))["benchmarks"]:
    if b.get("aggregate_name") != "median":
        continue
    m = re.match(r"(BM_\w+)/(\d+)/.*?(?:threads:(\d+))?$", b["run_name"])
    name, size, threads = m.group(1), int(m.group(2)), int(m.group(3) or 1)
    if name == "BM_Memory":
        memory[size] = b
        continue
    rows[(name, size, threads)] = b["items_per_second"]
for size in sorted({k[1] for k in rows}):
    print(f"\n{size:,} residents")
    print(f"{'threads':>7} {'core':>7} {'core/32':>7} {'baseline':>8} {'base/32':>7} {'floor':>7}"
          f" {'floor/32':>8} {'bare CAS':>8} {'core/base':>9} {'b32/b32':>7} {'core/CAS':>8}"
          f" {'b32/CAS':>7} {'floor/base':>10} {'fl32/b32':>8}")
    for t in sorted({k[2] for k in rows if k[1] == size}):
        g = lambda n: rows.get((n, size, t), float("nan"))
        core, batch = g("BM_CoreCheckIn"), g("BM_CoreCheckInBatch")
        base, base_b = g("BM_MutexMapCheckIn"), g("BM_MutexMapCheckInBatch")
        floor, floor_b, cas = g("BM_LookupCas"), g("BM_LookupCasBatch"), g("BM_BareCas")
        print(f"{t:>7} {core/1e6:>6.1f}M {batch/1e6:>6.1f}M {base/1e6:>7.2f}M {base_b/1e6:>6.2f}M"
              f" {floor/1e6:>6.1f}M {floor_b/1e6:>7.1f}M {cas/1e6:>7.1f}M {core/base:>8.1f}x"
              f" {batch/base_b:>6.1f}x {core/cas:>7.0%} {batch/cas:>6.0%} {floor/base:>9.1f}x"
              f" {floor_b/base_b:>7.1f}x")
    if size in memory:
        b = memory[size]
        print(f"memory: core state and index {b['core_B_per_resident']:.1f} B/resident "
              f"(table {b['table_B_per_resident']:.1f}), world RSS {b['world_rss_MiB']:.0f} MiB")
PY
