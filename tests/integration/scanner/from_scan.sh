#!/bin/sh
# kcensus scan --from-scan: a scan of the test fleet with hostname targets
# (names in a private /etc/hosts, so SNI is stored), then a re-scan of its
# Kubernetes endpoints with one opted-out address: exactly those endpoints
# are scanned again, hostnames and SNI kept, the opted-out one left out,
# across an interruption and --resume; --dry-run counts them, --from-db reads another file, an unknown scan fails.
# Run inside a private netns (tests/netns-run.sh); it adds a private mount
# namespace for the hosts file.
# usage: from_scan.sh KCENSUS FLEET SPEC
set -u
if [ -z "${KC_FROM_SCAN_MNT:-}" ]; then
    KC_FROM_SCAN_MNT=1 exec unshare -m "$0" "$@"
fi
kcensus=$1 fleet=$2 spec=$3
work=$(mktemp -d)
. "$(dirname "$0")/../../lib/fleet.sh"
trap 'stop_fleet; rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
q() { sqlite3 "$db" "$1"; }
FLEET=$fleet FLEET_WAIT=20
start_fleet "$spec" "$work/truth.csv" || exit 1
range=$FLEET_RANGE ports=$FLEET_PORTS

# Three names: two Kubernetes members and one web server (not Kubernetes),
# and one more Kubernetes address to opt out; from the fleet's truth.
python3 - "$work/truth.csv" >"$work/picked" <<'PY' || fail "truth file"
import csv, sys
k8s, web = [], []
for t in csv.DictReader(open(sys.argv[1], newline="")):
    if t["port"] != "6443" or t["outcome"] != "ok":
        continue
    (k8s if t["is_kubernetes"] == "1" else web).append(t["ip"])
k8s = sorted(set(k8s))
print(k8s[0], k8s[1], k8s[2], sorted(set(web))[0])
PY
read -r ip_a ip_b ip_out ip_web <"$work/picked"
printf '127.0.0.1 localhost\n::1 localhost\n%s k8s-a.test\n%s k8s-b.test\n%s web.test\n' \
    "$ip_a" "$ip_b" "$ip_web" >"$work/hosts"
mount --bind "$work/hosts" /etc/hosts || fail "cannot mount a private /etc/hosts"

db=$work/census.db
scan() { "$kcensus" scan -q -d "$db" --allow-loopback --rate 0 --timeout 2s "$@"; }
scan -p "$ports" --store all --label discovery "$range" k8s-a.test \
    k8s-b.test web.test || fail "discovery scan"
q "SELECT ip || ' ' || port || ' ' || sni FROM kubernetes WHERE scan_id = 1
   ORDER BY 1" >"$work/k8s1"
n1=$(wc -l <"$work/k8s1")
[ "$(grep -c ' k8s-a.test$' "$work/k8s1")" = 2 ] ||
    { cat "$work/k8s1"; fail "k8s-a.test not stored with its SNI on both ports"; }
grep -q ' web.test$' "$work/k8s1" && fail "web.test counted as Kubernetes"
grep -q "^$ip_out 6443 \$" "$work/k8s1" || fail "$ip_out:6443 not Kubernetes"

echo "$ip_out/32" >"$work/optout"
grep -v "^$ip_out " "$work/k8s1" >"$work/want"
want=$(wc -l <"$work/want")
out=$(wc -l <"$work/k8s1")
out=$((out - want))
[ "$out" -ge 1 ] || fail "nothing to opt out"

# --dry-run: the count, and no scan row.
scan --dry-run --from-scan 1 --blocklist "$work/optout" >"$work/plan" ||
    fail "dry run"
grep -q "^targets: *$want (excluded $out," "$work/plan" ||
    { cat "$work/plan"; fail "dry run: want $want targets, $out excluded"; }
grep -q "^from scan: *1 (kubernetes endpoints): $n1, of which 4 by hostname" \
    "$work/plan" || { cat "$work/plan"; fail "dry run: from-scan line"; }
[ "$(q 'SELECT count(*) FROM scans')" = 1 ] || fail "dry run began a scan"

# The re-scan, interrupted once it has done a few targets (10/s, so it is
# far from done when its first status line comes) and resumed: exactly the
# Kubernetes endpoints of scan 1, less the opt-out.
"$kcensus" scan -q -d "$db" --allow-loopback --timeout 2s --rate 10 -c 2 \
    --from-scan 1 --blocklist "$work/optout" --store all --label weekly \
    --status-file "$work/status" 2>"$work/weekly.err" &
pid=$!
i=0
until grep -q '"completed":[1-9]' "$work/status" 2>/dev/null; do
    i=$((i + 1))
    [ $i -le 600 ] && kill -0 $pid 2>/dev/null || break
    sleep 0.1
done
kill -INT $pid
wait $pid
rc=$?
[ $rc = 3 ] || { cat "$work/weekly.err"; fail "interrupted re-scan exited $rc, want 3"; }
part=$(q "SELECT count(*) FROM results WHERE scan_id = 2")
[ "$part" -lt "$want" ] || fail "the re-scan was not interrupted ($part stored)"
"$kcensus" scan --resume -q -d "$db" || fail "resuming the re-scan"
[ "$(q 'SELECT count(*) FROM scans')" = 2 ] || fail "resume made a new scan"
q "SELECT ip || ' ' || port || ' ' || sni FROM results WHERE scan_id = 2
   ORDER BY 1" >"$work/got"
diff "$work/want" "$work/got" >"$work/diff" ||
    { cat "$work/diff"; fail "scan 2's endpoints differ from scan 1's Kubernetes endpoints"; }
q "SELECT ip || ' ' || port || ' ' || sni FROM kubernetes WHERE scan_id = 2
   ORDER BY 1" | diff "$work/want" - >/dev/null ||
    fail "scan 2's Kubernetes endpoints differ"
[ "$(q "SELECT count(*) FROM results WHERE scan_id = 2 AND ip = '$ip_out'")" = 0 ] ||
    fail "opted-out $ip_out scanned"
q "SELECT argv FROM scans WHERE id = 2" | grep -q '"--from-scan","1"' ||
    fail "the command line kept for --resume lacks --from-scan"
[ "$(q "SELECT specs FROM scans WHERE id = 2")" = '["scan:1:kubernetes"]' ] ||
    fail "scans.specs of the re-scan: $(q "SELECT specs FROM scans WHERE id = 2")"
"$kcensus" report -q -d "$db" --diff 1 2 >/dev/null || fail "report --diff 1 2"

# --only, --from-db, an unknown scan, a bad --only.
cp "$db" "$work/other.db"
scan --dry-run --from-db "$work/other.db" --from-scan 1 --only all >"$work/plan" ||
    fail "dry run --from-db"
all=$(q "SELECT count(*) FROM results WHERE scan_id = 1")
grep -q "^from scan: *1 (all endpoints): $all," "$work/plan" ||
    { cat "$work/plan"; fail "--only all: want $all endpoints"; }
scan --dry-run --from-scan 99 >"$work/out" 2>&1 && fail "--from-scan 99 succeeded"
grep -q "no scan" "$work/out" || { cat "$work/out"; fail "--from-scan 99 message"; }
scan --dry-run --from-scan 1 --only some >/dev/null 2>&1
[ $? = 2 ] || fail "--only some: want exit 2"
scan --dry-run --from-db "$work/other.db" "$range" >/dev/null 2>&1
[ $? = 2 ] || fail "--from-db without --from-scan: want exit 2"
echo "from_scan: ok ($n1 Kubernetes endpoints in scan 1, $want re-scanned ($part before the interruption), $out opted out)"
