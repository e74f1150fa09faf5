#!/bin/sh
# Memory per in-flight target: kcensus holds N targets that never finish
# and its RSS is sampled once they are all in flight; compared with a scan
# of one such target. Three states: TCP connecting (a listener whose accept
# queue is full drops every further SYN, so connects stay in SYN_SENT),
# TLS (fleet members that stay silent after the ClientHello) and response
# (silent after the request). Inside a private netns; loopback only.
# usage: bench/scanner/memory.sh [BUILD_DIR]
#   env: N (default 2000); KCENSUS (binary, default BUILD_DIR/cli/kcensus:
#   set it to compare two builds in the same run)
set -eu
build=${1:-build}
root=$(cd "$(dirname "$0")/../.." && pwd)
if [ -z "${KC_BENCH_NETNS:-}" ]; then
    KC_BENCH_NETNS=1 exec "$root/tests/netns-run.sh" "$0" "$@"
fi
cd "$root"
N=${N:-2000}
work=$(mktemp -d)
. "$root/tests/lib/fleet.sh"
syn_pid=
trap 'stop_fleet; [ -n "$syn_pid" ] && kill "$syn_pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
FLEET=$build/tests/fleet/kcensus-fleet
start_fleet bench/scanner/memory.json "$work/truth.csv" --netns-wildcard || exit 1
# The SYN sink: listen(0) on port 7443, never accept (killed on exit; it
# gives up by itself after 10 minutes).
python3 -c '
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 7443)); s.listen(0); print("READY", flush=True); time.sleep(600)
' >"$work/syn.out" &
syn_pid=$!
i=0
until grep -q '^READY' "$work/syn.out"; do
    i=$((i + 1))
    [ $i -le 100 ] || { echo "bench: SYN sink did not start" >&2; exit 1; }
    sleep 0.1
done

rss_of() { # n first_addr port -> RSS KiB of kcensus with n targets in flight
    rm -f "$work"/m.db*
    last=$(python3 -c "import ipaddress,sys; print(ipaddress.IPv4Address('$2') + $1 - 1)")
    "${KCENSUS:-$build/cli/kcensus}" scan -q -d "$work/m.db" --allow-loopback -p "$3" --threads 1 \
        -c "$1" --rate 0 --timeout 12s "$2-$last" &
    pid=$!
    # Sampled at 6 s: every target has reached its state by then on a
    # loaded machine, and the loops' once-a-second malloc_trim has run
    # since (RSS at 4 s was bimodal, 30 or 40 KB in the response state,
    # depending on whether the last handshakes ended before the last trim).
    sleep 6
    awk '/VmRSS/ {print $2}' /proc/$pid/status
    # How many of the targets really are in the state (stderr: a check).
    echo "$(ss -Htn state syn-sent | wc -l) SYN-SENT, $(ss -Htn state established | wc -l) established sockets" >&2
    kill -INT $pid; sleep 0.2; kill -INT $pid 2>/dev/null || true
    wait $pid 2>/dev/null || true
}
for phase in connect:127.21.0.0:7443 tls:127.20.0.0:6443 response:127.20.7.208:6443; do
    name=${phase%%:*} rest=${phase#*:}
    first=${rest%%:*} port=${rest#*:}
    one=$(rss_of 1 "$first" "$port")
    many=$(rss_of "$N" "$first" "$port")
    echo "waiting in $name: RSS 1 target ${one} KiB, $N targets ${many} KiB," \
         "per target $(( (many - one) * 1024 / N )) bytes"
done
