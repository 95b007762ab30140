#!/usr/bin/env bash
# Scaling across cores, on a machine with more of them than this one (the
# 16-core device machine some sessions are lent). Two halves:
#   bench/device_scaling.sh pack      here: copies core_bench, grpc_ceiling, plan_bench
#                                     and the Debian 12 libraries they load
#                                     into .devrun/ (ignored by git)
#   bench/device_scaling.sh run DIR   there: runs them from .devrun/ and
#                                     writes the reports into DIR
# The run: core_bench at 1..16 threads (one repetition: three took over
# 4 minutes there; ratios printed by run_core_bench.sh), then grpc_ceiling on the reference community and on a
# 1-million-resident city slice. Each step has its own time limit, so a
# slow step still leaves the others' figures.
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in
  pack)
    scripts/build release > /dev/null
    rm -rf .devrun && mkdir -p .devrun/bin .devrun/lib
    cp build/release/bench/core_bench build/release/bench/grpc_ceiling build/release/bench/plan_bench \
      .devrun/bin/
    strip .devrun/bin/*
    # Every shared library but the C library's own, which the other machine
    # has in a newer, compatible version.
    ldd .devrun/bin/* | awk '$3 ~ /^\// {print $3}' | sort -u |
      grep -v -E '/(libc|libm|libdl|librt|libpthread|ld-linux[^/]*)\.so' |
      xargs -I{} cp -L {} .devrun/lib/
    du -sh .devrun
    ;;
  run)
    out="$2"
    export LD_LIBRARY_PATH="$PWD/.devrun/lib"
    { nproc; lscpu | grep -E 'Model name|^CPU\(s\)|Thread|Socket|NUMA node\(s\)'; free -g; } \
      > "$out/machine.txt" 2>&1 || true
    SWABWAVE_BIN=.devrun/bin timeout 300 bench/run_core_bench.sh 1 1,2,4,8,16 \
      > "$out/core_bench.txt" 2>&1 || echo "core_bench: exit $?" >> "$out/core_bench.txt"
    timeout 150 .devrun/bin/grpc_ceiling --preset kangcheng --runs 3 \
      > "$out/ceiling_reference.txt" 2>&1 || echo "exit $?" >> "$out/ceiling_reference.txt"
    timeout 100 .devrun/bin/grpc_ceiling --preset city --residents 1000000 --runs 1 --unary=false \
      > "$out/ceiling_city.txt" 2>&1 || echo "exit $?" >> "$out/ceiling_city.txt"
    ;;
  *)
    echo "usage: bench/device_scaling.sh pack | run OUT_DIR" >&2
    exit 2
    ;;
esac
