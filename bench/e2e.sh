#!/usr/bin/env bash
# The end-to-end ceiling figures of issue 5: bench/grpc_ceiling (the real
# check-in path, journal on, against an empty echo service of the same
# message shapes, same load client, same run) on the reference community
# (streams; unary one call per desk, and flat out with 256 calls in flight:
# the unary ceiling) and on a 1-million-resident city slice (streams).
# Prints each run and the real/echo ratios; bench/RESULTS.md holds them.
#   bench/e2e.sh [runs]     (default 3; about 5 minutes on 2 vCPUs)
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-3}"
scripts/build release > /dev/null
echo "== reference community (17,000 residents, 24 desks)"
build/release/bench/grpc_ceiling --preset kangcheng --runs "$runs" 2> /dev/null
echo "== city slice (1,000,000 residents), streams only"
build/release/bench/grpc_ceiling --preset city --residents 1000000 --runs "$runs" --unary=false \
  2> /dev/null
