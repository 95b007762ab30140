#!/usr/bin/env bash
# The Debian package as an operations team meets it (issue 26):
#   1. installs the .deb with dpkg -i;
#   2. checks the files, their modes and owners, the conffile and the
#      swabwave system user the package created;
#   3. runs the installed swabwaved --version and swabwave --version, and
#      checks the flag file lists every flag swabwaved takes;
#   4. verifies the unit with systemd-analyze verify;
#   5. starts the installed swabwaved as the swabwave user with the
#      installed flag file (on loopback, ports it picks), the way systemd
#      would: $NOTIFY_SOCKET set, READY=1 expected only once it serves;
#   6. runs one small round through it with the installed CLI and replay
#      tool, and stops it with SIGTERM (STOPPING=1, exit 0, a snapshot);
#   7. purges the package and checks it left only the journal behind.
# Needs root (dpkg). Refuses to run where a swabwave package is installed.
#   tests/package/install_test.sh build/release/packages/swabwave_X_amd64.deb
set -euo pipefail
deb=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"

fail() { echo "install_test: FAIL: $*" >&2; exit 1; }
trap 'echo "install_test: FAIL: a command failed at line $LINENO" >&2' ERR
if dpkg-query -W -f='${Status}' swabwave 2>/dev/null | grep -q "installed"; then
  fail "a swabwave package is already installed here; remove it first (dpkg --purge swabwave)"
fi
user_before=$(getent passwd swabwave || true)
state_before=$([ -e /var/lib/swabwave ] && echo yes || echo no)

work=$(mktemp -d /tmp/swabwave-package.XXXXXX)
chmod 0755 "$work"
server_pid=""
listener_pid=""
cleanup() {
  [ -n "$server_pid" ] && $SUDO kill -KILL "$server_pid" 2>/dev/null || true
  [ -n "$listener_pid" ] && kill "$listener_pid" 2>/dev/null || true
  $SUDO dpkg --purge swabwave > /dev/null 2>&1 || true
  # What this test created, and only that.
  [ "$state_before" = no ] && $SUDO rm -rf /var/lib/swabwave
  [ -z "$user_before" ] && getent passwd swabwave > /dev/null && $SUDO userdel swabwave
  rm -rf "$work"
}
trap cleanup EXIT

# The mode, owner and group of a path, "0700 swabwave swabwave".
stat_of() { stat -c '%a %U %G' "$1" | sed 's/^\([0-7][0-7][0-7]\) /0\1 /'; }
expect_stat() {
  local got
  got=$(stat_of "$1") || fail "$1 is missing"
  [ "$got" = "$2" ] || fail "$1 is $got, expected $2"
}

echo "== dpkg -i $(basename "$deb")"
$SUDO dpkg -i "$deb" > "$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log"; fail "dpkg -i failed"; }

echo "== the files, modes and user it created"
expect_stat /usr/bin/swabwaved "0755 root root"
expect_stat /usr/bin/swabwave "0755 root root"
expect_stat /usr/bin/swabwave-replay "0755 root root"
expect_stat /lib/systemd/system/swabwaved.service "0644 root root"
expect_stat /etc/swabwave/swabwaved.flags "0644 root root"
expect_stat /etc/swabwave/tokens "0640 root swabwave"
expect_stat /var/lib/swabwave "0700 swabwave swabwave"
expect_stat /usr/share/bash-completion/completions/swabwave "0644 root root"
expect_stat /usr/share/doc/swabwave/README.md "0644 root root"
dpkg-query --showformat='${Conffiles}\n' --show swabwave | grep -q "/etc/swabwave/swabwaved.flags" \
  || fail "/etc/swabwave/swabwaved.flags is not a conffile"
IFS=: read -r _ _ uid _ _ home shell < <(getent passwd swabwave) || fail "no swabwave user"
[ "$uid" -lt 1000 ] || fail "the swabwave user (uid $uid) is not a system user"
[ "$home" = /var/lib/swabwave ] || fail "the swabwave user's home is $home"
[ "$shell" = /usr/sbin/nologin ] || fail "the swabwave user's shell is $shell"
grep -q '^--data_dir=/var/lib/swabwave$' /etc/swabwave/swabwaved.flags \
  || fail "the flag file does not set --data_dir=/var/lib/swabwave"
grep -q '^--tokens_file=/etc/swabwave/tokens$' /etc/swabwave/swabwaved.flags \
  || fail "the flag file does not set --tokens_file=/etc/swabwave/tokens"

echo "== the installed --version, and every flag in the flag file"
version=$(/usr/bin/swabwaved --version)
[[ "$version" =~ ^swabwaved\ [0-9]+\.[0-9]+\.[0-9]+\ \(revision\ [0-9a-f]+ ]] \
  || fail "swabwaved --version printed '$version'"
/usr/bin/swabwave --version | grep -Eq '^swabwave [0-9]+\.[0-9]+\.[0-9]+ \(revision [0-9a-f]+' \
  || fail "swabwave --version printed '$(/usr/bin/swabwave --version)'"
echo "   $version"
# absl's help flags exit 1 after printing.
help=$(/usr/bin/swabwaved --helpon=main 2>&1 || true)
flags=$(grep -Eo '^    --[a-z_]+' <<< "$help" | sed 's/^ *--//')
[ "$(wc -l <<< "$flags")" -gt 20 ] || fail "swabwaved --helpon=main listed too few flags"
for flag in $flags; do
  [ "$flag" = print_flag_file ] && continue
  grep -Eq "^#?--$flag=" /etc/swabwave/swabwaved.flags || fail "the flag file lacks --$flag"
done

echo "== systemd-analyze verify"
systemd-analyze verify /lib/systemd/system/swabwaved.service \
  || fail "systemd-analyze verify failed on the unit"
grep -q '^Type=notify$' /lib/systemd/system/swabwaved.service || fail "the unit is not Type=notify"

echo "== tokens: the command center's and one per site, in /etc/swabwave/tokens"
/usr/bin/swabwave generate --preset kangcheng --out "$work/data" > /dev/null
command_token=$($SUDO /usr/bin/swabwave new-token --role command --communities kangcheng \
  --tokens_file /etc/swabwave/tokens 2> /dev/null)
for site in $(tail -n +2 "$work/data/kangcheng/sites.csv" | cut -d, -f1); do
  echo "$site $($SUDO /usr/bin/swabwave new-token --role tablet --site "$site" --token_rate 0 \
    --tokens_file /etc/swabwave/tokens 2> /dev/null)" >> "$work/site-tokens"
done
expect_stat /etc/swabwave/tokens "0640 root swabwave"

echo "== the installed swabwaved, as the swabwave user, with the installed flag file"
python3 "$here/notify_listener.py" "$work/notify" "$work/notifications" 300 &
listener_pid=$!
for _ in $(seq 100); do grep -q LISTENING "$work/notifications" 2>/dev/null && break; sleep 0.05; done
install -d -m 0777 "$work/run"
$SUDO env NOTIFY_SOCKET="$work/notify" SWABWAVE_LOG_LEVEL=info \
  setpriv --reuid=swabwave --regid=swabwave --init-groups \
  /usr/bin/swabwaved --flagfile=/etc/swabwave/swabwaved.flags \
  --listen=127.0.0.1:0 --http_listen=127.0.0.1:0 --port_file="$work/run/ports" \
  > "$work/swabwaved.log" 2>&1 &
server_pid=$!
for _ in $(seq 600); do grep -q '^READY=1$' "$work/notifications" && break; sleep 0.05; done
grep -q '^READY=1$' "$work/notifications" || { cat "$work/swabwaved.log"; fail "no READY=1"; }
[ -s "$work/run/ports" ] || fail "READY=1 came before the ports were written"
read -r grpc_port http_port < "$work/run/ports"
grep -q "^STATUS=serving gRPC on port $grpc_port" "$work/notifications" \
  || fail "the STATUS= line does not name port $grpc_port"
server="--server=127.0.0.1:$grpc_port"
export SWABWAVE_TOKEN="$command_token"

echo "== one small round through it"
/usr/bin/swabwave import "$work/data" "$server" > "$work/import.log"
round="package-test"
/usr/bin/swabwave round create --round_id "$round" --communities kangcheng \
  --start "$(date -u -d '-1 minute' +%Y-%m-%dT%H:%M:%SZ)" "$server" > /dev/null
/usr/bin/swabwave plan "$round" "$server" > /dev/null
/usr/bin/swabwave round open "$round" "$server" > /dev/null
/usr/bin/swabwave-replay --round "$round" --fraction 0.05 --site_tokens "$work/site-tokens" \
  "$server" > "$work/replay.log" || { cat "$work/replay.log"; fail "the replay failed"; }
sampled=$(/usr/bin/swabwave progress "$round" --level community --output json "$server" |
  python3 -c 'import json, sys; print(int(json.load(sys.stdin)["total"]["sampled"]))')
[ "$sampled" -gt 500 ] || fail "$sampled residents sampled; the replay sent 5 % of 17,000"
echo "   $sampled residents sampled"
curl -sf -H "Authorization: Bearer $command_token" "http://127.0.0.1:$http_port/metrics" | grep -q '^swabwave_build_info' \
  || fail "/metrics has no swabwave_build_info"
$SUDO ls /var/lib/swabwave | grep -q . || fail "nothing was journaled in /var/lib/swabwave"

echo "== SIGTERM: STOPPING=1, a clean exit"
$SUDO kill -TERM "$server_pid"
status=0
wait "$server_pid" || status=$?
server_pid=""
[ "$status" -eq 0 ] || { cat "$work/swabwaved.log"; fail "swabwaved exited $status on SIGTERM"; }
wait "$listener_pid" || true
listener_pid=""
grep -q '^STOPPING=1$' "$work/notifications" || fail "no STOPPING=1"
grep -q "snapshot covering" "$work/swabwaved.log" || fail "no snapshot at shutdown"

echo "== dpkg --purge"
$SUDO dpkg --purge swabwave > "$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log"; fail "purge failed"; }
for path in /usr/bin/swabwaved /usr/bin/swabwave /lib/systemd/system/swabwaved.service \
            /etc/swabwave /usr/share/doc/swabwave; do
  [ ! -e "$path" ] || fail "$path is still there after dpkg --purge"
done
[ -d /var/lib/swabwave ] || fail "dpkg --purge removed the journal in /var/lib/swabwave"
echo "== package test passed"
