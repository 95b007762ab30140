# Sourced by the end-to-end bench scripts (bench/team_path.sh,
# bench/lab_path.sh, bench/household_pooling.sh): builds the release tree,
# generates a city slice of `residents` (or, for "kangcheng", the
# reference community of DESIGN.md §2), starts a journaled swabwaved on loopback without access
# control (the figures are paths, not token checks), imports the slice,
# and stops the server and removes everything on exit. Sets bin, work,
# server ("--server=127.0.0.1:PORT") and communities (comma-separated).
#   start_city_server NAME RESIDENTS
start_city_server() {
  scripts/build release > /dev/null
  bin=build/release/services
  work=$(mktemp -d "/tmp/swabwave-$1.XXXXXX")
  server_pid=""
  trap stop_city_server EXIT
  if [ "$2" = kangcheng ]; then
    "$bin/swabwave" generate --preset kangcheng --out "$work/data" > /dev/null
  else
    "$bin/swabwave" generate --preset city --residents "$2" --out "$work/data" > /dev/null
  fi
  "$bin/swabwaved" --listen 127.0.0.1:0 --http_listen 127.0.0.1:0 --port_file "$work/ports" \
    --data_dir "$work/journal" --auth=none > "$work/swabwaved.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 300); do [ -s "$work/ports" ] && break; sleep 0.1; done
  [ -s "$work/ports" ] || { echo "swabwaved did not start"; cat "$work/swabwaved.log"; exit 1; }
  local grpc_port
  read -r grpc_port _ < "$work/ports"
  server="--server=127.0.0.1:$grpc_port"
  "$bin/swabwave" import "$work/data" "$server" > /dev/null
  communities=$(ls "$work/data" | paste -sd, -)
}
stop_city_server() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then kill -TERM "$server_pid"; fi
  wait 2>/dev/null || true
  rm -rf "$work"
}
