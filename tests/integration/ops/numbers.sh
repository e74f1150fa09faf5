#!/bin/sh
# The figures around the stored results: a scan of the test fleet with
# --jsonl and --status-file killed (kill -9) once it has made progress, a
# torn JSON line appended as a crash mid-write leaves one, then --resume:
# every JSON line parses and carries the scan uid, every status line its
# time and uid, the scan's counters equal its rows. Then reclassify (0
# changed, exactly 1 after one verdict is altered, unknown scan refused),
# import (impossible date exits 2, a second import of the same census is
# refused), merge (an incomplete shard set is refused), the seed passed
# back, classifier version and geo source filled, and every SQL block of
# docs/schema.md run against the database: each returns rows, and the
# end-of-life recipe equals `kcensus report`. Inside a private netns.
# usage: numbers.sh KCENSUS FLEET SPEC MMDB_DIR CENSYS_CSV SCHEMA_MD CHECK_PY
set -u
kcensus=$1 fleet=$2 spec=$3 mmdb=$4 censys=$5 schema_md=$6 check=$7
work=$(mktemp -d)
. "$(dirname "$0")/../../lib/fleet.sh"
scan_pid=
trap 'stop_fleet; [ -n "$scan_pid" ] && kill -9 $scan_pid 2>/dev/null; rm -rf "$work"' EXIT
fails=0
ok() { echo "ok - $1"; }
bad() { echo "not ok - $1"; fails=$((fails + 1)); }
check() { d=$1; shift; if "$@"; then ok "$d"; else bad "$d"; fi; }
q() { sqlite3 "$db" "$1"; }

FLEET=$fleet FLEET_WAIT=30
start_fleet "$spec" "$work/truth.csv" || exit 1
range=$FLEET_RANGE ports=$FLEET_PORTS
total=$(($(wc -l <"$work/truth.csv") - 1))
db="$work/n.db"
jsonl="$work/out.jsonl"
status="$work/status.jsonl"

# 1. Kill -9 on progress: once a checkpoint is committed (the scanner
# saves one every 5 s) and the status file reports 4 targets completed
# beyond its next_dispatch, which a resume dispatches again (bounded wait). 4 targets/s:
# the scan takes 14 s or more, so it is still running then.
"$kcensus" scan -q -d "$db" --allow-loopback -p "$ports" --timeout 2s \
    --rate 4 -c 8 --jsonl "$jsonl" --status-file "$status" \
    --label first "$range" 2>"$work/scan.err" &
scan_pid=$!
want=
i=0 last=
while [ $i -lt 1200 ]; do
    last=$(tail -n 1 "$status" 2>/dev/null | sed -n 's/.*"completed":\([0-9]*\).*/\1/p')
    cp=$(sqlite3 "$db" "SELECT next_dispatch FROM scans" 2>/dev/null)
    [ -z "$want" ] && [ "${cp:-0}" -gt 0 ] && want=$((cp + 4))
    [ -n "$want" ] && [ "${last:-0}" -ge "$want" ] && break
    kill -0 $scan_pid 2>/dev/null || break
    i=$((i + 1))
    sleep 0.1
done
kill -9 $scan_pid 2>/dev/null
wait $scan_pid 2>/dev/null
scan_pid=
check "killed mid-scan (status said $last of $total completed)" \
    [ "$(q "SELECT status FROM scans")" = running ]
# What a crash mid-write leaves: part of a line, no newline.
printf '{"scan_uid":"torn","ip":"127.16.0.' >>"$jsonl"
timeout 120 "$kcensus" scan --resume -q -d "$db" --jsonl "$jsonl" \
    --status-file "$status" 2>>"$work/scan.err"
rc=$?
check "resume exits 0 (got $rc)" [ $rc = 0 ]
check "resumed scan done" [ "$(q "SELECT status FROM scans")" = done ]
uid=$(q "SELECT uid FROM scans WHERE id = 1")

python3 "$check" jsonl "$jsonl" "$uid" "$db" && ok "every JSON line parses, carries the scan uid, covers every target" ||
    bad "JSON lines"
python3 "$check" status "$status" "$uid" "$total" && ok "status lines: time, uid, rates, ETA" ||
    bad "status lines"

# 2. Counters equal the stored rows (store policy responsive: the targets
# not stored count once in completed).
check "stored = rows" [ "$(q "SELECT stored = (SELECT count(*) FROM results) FROM scans")" = 1 ]
check "kubernetes = Kubernetes rows" \
    [ "$(q "SELECT kubernetes = (SELECT count(*) FROM results WHERE is_kubernetes = 1) FROM scans")" = 1 ]
check "count_ok = ok rows" \
    [ "$(q "SELECT count_ok = (SELECT count(*) FROM results WHERE outcome = 'ok') FROM scans")" = 1 ]
check "completed = targets_total = $total" \
    [ "$(q "SELECT completed || ' ' || targets_total FROM scans")" = "$total $total" ]
check "outcome counters add up to completed" \
    [ "$(q "SELECT count_ok + count_refused + count_timeout + count_tls_error + count_protocol_error + count_too_large + count_closed + count_blocked + count_dns_error + count_unreachable = completed FROM scans")" = 1 ]
refused=$(awk -F, 'NR > 1 && /,refused,/' "$work/truth.csv" | wc -l)
check "count_refused = the fleet's refused targets ($refused)" \
    [ "$(q "SELECT count_refused FROM scans")" = "$refused" ]

# 3. Provenance: classifier version; the seed passed back gives the same plan.
check "scans.classifier_version filled" \
    [ "$(q "SELECT classifier_version = (SELECT max(classifier_version) FROM results) FROM scans")" = 1 ]
seed=$(q "SELECT seed FROM scans")
"$kcensus" scan --dry-run -q --allow-loopback -p "$ports" --seed "$seed" "$range" >"$work/plan" 2>&1
unsigned=$(python3 -c "print($seed % 2**64)")
check "the stored seed ($seed) is taken back by --seed" grep -q "^seed: *$unsigned\$" "$work/plan"

# 4. A second scan, located: geo_source filled.
"$kcensus" scan -q -d "$db" --allow-loopback -p "$ports" --timeout 2s \
    --geoip "$mmdb/country.mmdb" --geoip "$mmdb/asn.mmdb" --label second \
    "$range" 2>"$work/scan.err" || bad "second scan"
check "scan --geoip fills geo_source" \
    [ "$(q "SELECT count(*) = sum(geo_source IS NOT NULL) FROM results WHERE scan_id = 2")" = 1 ]

# 5. reclassify: nothing changes on a fresh scan; one altered verdict is one.
"$kcensus" reclassify -d "$db" --scan 2 >"$work/out" 2>&1
check "reclassify of a fresh scan: 0 changed" grep -q ": 0 changed" "$work/out"
q "UPDATE result_rows SET is_kubernetes = 0 WHERE id = (SELECT min(id) FROM result_rows WHERE scan_id = 2 AND is_kubernetes = 1)"
"$kcensus" reclassify -d "$db" >"$work/out" 2>&1
check "reclassify after one altered verdict: 1 changed" grep -q ": 1 changed" "$work/out"
# A row the rules judge the same but an older classifier judged is
# stamped with the current one, and so are the scans; not a change.
q "INSERT INTO texts (value) SELECT 'old-rules' WHERE NOT EXISTS (SELECT 1 FROM texts WHERE value = 'old-rules')"
q "UPDATE result_rows SET classifier_version = (SELECT id FROM texts WHERE value = 'old-rules') WHERE id = (SELECT max(id) FROM result_rows WHERE scan_id = 2 AND is_kubernetes = 1)"
"$kcensus" reclassify -d "$db" >"$work/out" 2>&1
check "reclassify of an older classifier's row: 0 changed, 1 stamped" \
    grep -q ": 0 changed, 1 unchanged but judged by an older classifier" "$work/out"
cls=$(q "SELECT classifier_version FROM scans WHERE id = 1")
check "every answered row and scan names the current classifier ($cls)" \
    [ "$(q "SELECT count(*) FROM results WHERE outcome = 'ok' AND classifier_version IS NOT '$cls'") $(q "SELECT count(*) FROM scans WHERE probes IS NOT 'import' AND classifier_version IS NOT '$cls'")" = "0 0" ]
check "unanswered targets stay not evaluated" \
    [ "$(q "SELECT count(*) FROM results WHERE outcome <> 'ok' AND is_kubernetes IS NOT NULL")" = 0 ]
"$kcensus" reclassify -d "$db" --scan 99 >"$work/out" 2>&1
rc=$?
check "reclassify --scan 99 fails (exit $rc)" [ $rc = 1 ]
check "reclassify says no scan 99" grep -q "no scan with id 99" "$work/out"

# 6. import: dates checked, a second import of the same census refused.
"$kcensus" import -d "$db" --buckets "$censys" --date 2024-02-31 >"$work/out" 2>&1
check "import --date 2024-02-31 exits 2" [ $? = 2 ]
"$kcensus" import -q -d "$db" --buckets "$censys" --date 2024-02-05 --label censys
check "import" [ $? = 0 ]
"$kcensus" import -d "$db" --buckets "$censys" --date 2024-02-05 >"$work/out" 2>&1
rc=$?
check "a second import of the same census is refused (exit $rc)" [ $rc = 1 ]
check "it says --force" grep -q -- "--force" "$work/out"
check "nothing stored by the refused import" [ "$(q "SELECT count(*) FROM scans WHERE probes = 'import'")" = 1 ]

# 7. merge: half a sharded scan is refused; -d names the output.
"$kcensus" scan -q -d "$work/s0.db" --allow-loopback -p "$ports" --timeout 2s \
    --shard 0/2 --seed 5 "$range" 2>"$work/scan.err" || bad "shard scan"
"$kcensus" merge -d "$work/m.db" "$work/s0.db" >"$work/out" 2>&1
rc=$?
check "merge of shard 0/2 alone is refused (exit $rc)" [ $rc = 1 ]
check "merge says which shard is missing" grep -q "no finished shard 1 of 2" "$work/out"
"$kcensus" merge -d "$work/m.db" --allow-partial "$work/s0.db" >"$work/out" 2>&1
check "merge -d --allow-partial" [ $? = 0 ]
n=$(sqlite3 "$work/s0.db" "SELECT count(*) FROM results")
check "merge counts results ($n)" grep -q ": $n new results" "$work/out"
"$kcensus" targets -d "$work/m.db" --count --allow-loopback -p "$ports" "$range" >/dev/null 2>&1
check "targets takes -d" [ $? = 0 ]

# 8. Every SQL block of docs/schema.md returns rows; the EOL recipe equals
# the report of each scan it lists.
for s in 1 2 3; do
    "$kcensus" report -d "$db" --scan $s --format json >"$work/report$s.json" 2>"$work/out" ||
        bad "report of scan $s"
done
python3 "$check" recipes "$schema_md" "$db" "$work/report1.json" \
    "$work/report2.json" "$work/report3.json" && ok "every docs/schema.md recipe returns rows; EOL recipe = report" ||
    bad "schema.md recipes"

[ $fails = 0 ] || { echo "$fails failed"; cat "$work/scan.err"; exit 1; }
echo "all passed"
