#!/bin/bash
# deploy/systemd: the units parse (systemd-analyze verify, no warnings
# allowed; a structural check where systemd-analyze is missing), and the
# overlap lock works as the service uses it: while one `flock -n LOCK
# kcensus scan` runs, a second exits at once with flock's conflict code and
# leaves the first run's scan alone. bash for $EPOCHREALTIME. Inside a
# private netns (the first run scans a silent loopback listener).
# usage: systemd_units.sh SRC_ROOT KCENSUS
set -u
root=$1 kcensus=$2
units=$root/deploy/systemd
work=$(mktemp -d)
holder='' listener=''
trap 'kill $holder 2>/dev/null; kill $listener 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
now_ms() { local t=${EPOCHREALTIME/[.,]/}; echo $((10#$t / 1000)); }

# 1. The units parse. verify needs the files under their own names.
cp "$units/kcensus.service" "$units/kcensus.timer" "$work/"
if command -v systemd-analyze >/dev/null; then
    systemd-analyze verify --man=no "$work/kcensus.service" "$work/kcensus.timer" \
        >"$work/verify.out" 2>&1 || { cat "$work/verify.out"; fail "systemd-analyze verify"; }
    # Unknown keys and bad values are only warnings there: none allowed.
    if grep -v '^$' "$work/verify.out" | grep -q .; then
        cat "$work/verify.out"; fail "systemd-analyze verify warned"
    fi
    echo "ok: systemd-analyze verify"
else
    echo "systemd-analyze not installed: structural check only"
fi
# Structural: sections, the keys the docs promise, the same lock everywhere.
svc=$(sed -e ':a' -e '/\\$/N; s/\\\n/ /; ta' "$units/kcensus.service")
for want in '^\[Unit\]' '^\[Service\]' '^Type=oneshot' '^ExecStart=' \
            '^ExecStartPre=-' '^SuccessExitStatus=.*\b75\b' '^ReadWritePaths=/var/lib/kcensus'; do
    echo "$svc" | grep -Eq "$want" || fail "kcensus.service lacks $want"
done
for want in '^\[Timer\]' '^OnCalendar=' '^Persistent=true' '^\[Install\]' '^WantedBy=timers.target'; do
    grep -Eq "$want" "$units/kcensus.timer" || fail "kcensus.timer lacks $want"
done
locks=$(echo "$svc" | grep -E '^Exec' | grep -o 'flock -n -E 75 [^ ]*' | sort -u)
[ "$(echo "$svc" | grep -cE '^Exec')" = 2 ] || fail "want ExecStartPre and ExecStart"
locked=$(echo "$svc" | grep -E '^Exec' | grep -c 'flock -n -E 75 ')
if [ "$locked" != 2 ] || [ -z "$locks" ] || [ "$(echo "$locks" | wc -l)" != 1 ]; then
    fail "every Exec line must take the same 'flock -n -E 75 LOCK': $locks"
fi
echo "ok: unit structure, one lock: ${locks##* }"

# 2. The lock. A listener that accepts and never answers keeps run 1 busy
# until its --timeout.
python3 -c '
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 6443)); s.listen(16); print("up", flush=True)
conns = []
while True:
    c, _ = s.accept(); conns.append(c)
' >"$work/listener.out" &
listener=$!
i=0
until grep -q up "$work/listener.out"; do
    i=$((i + 1)); [ $i -lt 100 ] || fail "listener did not start"; sleep 0.05
done
lock=$work/census.lock
run() { # db -> the service's command shape, on loopback
    flock -n -E 75 "$lock" "$kcensus" scan -q -d "$1" --allow-loopback -p 6443 \
        --timeout 3s --store all --label "weekly-$(date +%G-%V)" 127.0.0.1
}
t0=$(now_ms)
run "$work/first.db" >"$work/first.log" 2>&1 &
holder=$!
# The second run starts once the first holds the lock (progress, not a
# clock; bounded wait). flock starts kcensus only once it holds the lock,
# and kcensus creates its database first, so the file says the lock is
# taken. (Probing with `flock -n LOCK true` would take the lock itself for
# a moment, and a first run starting in that moment would exit 75.)
i=0
until [ -e "$work/first.db" ]; do
    i=$((i + 1)); [ $i -lt 600 ] && kill -0 $holder 2>/dev/null || break
    sleep 0.05
done
kill -0 $holder 2>/dev/null || { cat "$work/first.log"; fail "first run ended early"; }
t1=$(now_ms)
run "$work/second.db" >"$work/second.log" 2>&1
rc=$?
t2=$(now_ms)
[ $rc = 75 ] || { cat "$work/second.log"; fail "overlapping run exited $rc, want 75"; }
[ ! -e "$work/second.db" ] || fail "overlapping run created its database"
# It gave up at once rather than waiting for the lock: the first run (a
# 3 s timeout against a silent listener) is still going.
kill -0 $holder 2>/dev/null || fail "first run did not survive the second (the second waited for the lock?)"
wait $holder; rc=$?
holder=''
[ $rc = 0 ] || { cat "$work/first.log"; fail "first run exited $rc"; }
[ "$("$kcensus" sql -d "$work/first.db" --csv "SELECT outcome FROM results" | tail -1 | tr -d '\r')" = timeout ] ||
    fail "first run's result is not the expected timeout"
echo "ok: overlapping run exited 75 after $((t2 - t1)) ms; first run finished after $(($(now_ms) - t0)) ms"
# Once the lock is free, the next run goes ahead.
run "$work/third.db" >"$work/third.log" 2>&1 || { cat "$work/third.log"; fail "run after the lock was freed"; }
echo "ok: next run after release"
