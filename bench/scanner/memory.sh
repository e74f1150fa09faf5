#!/bin/sh
# Memory per in-flight target: kcensus holds N targets that never finish
# (fleet members that stay silent after TCP, or after the TLS handshake)
# and its RSS is sampled once they are all in flight; compared with a scan
# of one such target. Inside a private netns; loopback only.
# usage: bench/scanner/memory.sh [BUILD_DIR]   (env: N, default 2000)
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
trap 'stop_fleet; rm -rf "$work"' EXIT
FLEET=$build/tests/fleet/kcensus-fleet
start_fleet bench/scanner/memory.json "$work/truth.csv" --netns-wildcard || exit 1

rss_of() { # n first_addr -> RSS KiB of kcensus with n silent targets in flight
    rm -f "$work"/m.db*
    last=$(python3 -c "import ipaddress,sys; print(ipaddress.IPv4Address('$2') + $1 - 1)")
    "$build/cli/kcensus" scan -q -d "$work/m.db" --allow-loopback -p 6443 --threads 1 \
        -c "$1" --rate 0 --timeout 8s "$2-$last" &
    pid=$!
    sleep 4
    awk '/VmRSS/ {print $2}' /proc/$pid/status
    kill -INT $pid; sleep 0.2; kill -INT $pid 2>/dev/null || true
    wait $pid 2>/dev/null || true
}
for phase in tls:127.20.0.0 response:127.20.7.208; do
    name=${phase%%:*} first=${phase#*:}
    one=$(rss_of 1 "$first")
    many=$(rss_of "$N" "$first")
    echo "waiting in $name: RSS 1 target ${one} KiB, $N targets ${many} KiB," \
         "per target $(( (many - one) * 1024 / N )) bytes"
done
