#!/bin/sh
# kcensus scan as a command: usage errors, --dry-run, --resume with nothing
# to resume, a tiny real scan (nothing listens in this private netns) with
# --jsonl and --status-file. usage: cli_scan.sh KCENSUS
set -u
k=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
expect_rc() { # want cmd...
    want=$1; shift
    "$@" >"$work/out" 2>"$work/err"
    rc=$?
    [ $rc = "$want" ] || { cat "$work/out" "$work/err"; fail "$* exited $rc, want $want"; }
}
for bad in "-c 0" "--rate x" "--probes bogus" "--store some" "--timeout 0" \
           "--user-agent=" "--threads 0"; do
    # shellcheck disable=SC2086
    expect_rc 2 "$k" scan -d "$work/x.db" $bad --allow-loopback 127.0.0.1
done
expect_rc 2 "$k" scan -d "$work/x.db" 127.0.0.1  # loopback blocked by default
expect_rc 0 "$k" scan --dry-run -d "$work/x.db" --allow-loopback -p 443,6443 --rate 100 127.0.0.0/30
grep -q "targets: *8" "$work/out" || { cat "$work/out"; fail "dry-run plan"; }
[ ! -e "$work/x.db" ] || fail "dry-run wrote a database"
expect_rc 1 "$k" scan --resume -d "$work/x.db"
grep -q "no unfinished scan" "$work/err" || fail "resume message"
expect_rc 0 "$k" scan -q -d "$work/s.db" --allow-loopback -p 1,2 --store all \
    --jsonl - --status-file "$work/status.jsonl" --label cli-test 127.0.0.1
[ "$(grep -c '"outcome":"refused"' "$work/out")" = 2 ] || { cat "$work/out"; fail "jsonl"; }
[ "$(sqlite3 "$work/s.db" "SELECT count(*) FROM results WHERE outcome='refused'")" = 2 ] || fail "stored"
[ "$(sqlite3 "$work/s.db" "SELECT label || ' ' || status FROM scans")" = "cli-test done" ] || fail "scan row"
grep -q '"completed":2' "$work/status.jsonl" || { cat "$work/status.jsonl"; fail "status file"; }
echo "cli_scan: ok"
