#!/bin/sh
# The scanner's OpenSSL key engine (scanner/keyengine.c) changes no stored
# row: each spec's fleet is scanned twice, with the engine switched off
# (KCENSUS_KEY_ENGINE=off) and on, with the same options and target order,
# and the two databases must hold the same results, probes and
# certificates, column by column (every certificate column: key type,
# bits, curve, names, SANs, validity, signature algorithm, DER). Both
# scans must also equal the fleet's truth. Inside a private netns.
# usage: engine_rows.sh KCENSUS FLEET COMPARE_PY SAME_RESULTS_PY SPEC...
set -u
kcensus=$1 fleet=$2 compare=$3 same=$4
shift 4
work=$(mktemp -d)
. "$(dirname "$0")/../../lib/fleet.sh"
trap 'stop_fleet; rm -rf "$work"' EXIT
FLEET=$fleet FLEET_WAIT=60
status=0
# Every certificate column but the row id, in a stable order.
certs_of() {
    sqlite3 "$1" "SELECT sha256, hex(subject), hex(subject_cn), hex(issuer),
        hex(issuer_cn), hex(sans), san_count, key_type, key_bits, key_curve,
        sig_alg, not_before, not_after, chain_len, hex(der)
        FROM certificates ORDER BY sha256"
}
for spec in "$@"; do
    name=$(basename "$spec" .json)
    start_fleet "$spec" "$work/truth-$name.csv" || exit 1
    for mode in off on; do
        KCENSUS_KEY_ENGINE=$mode "$kcensus" scan -q -d "$work/$name-$mode.db" \
            --allow-loopback -p "$FLEET_PORTS" --timeout 5s --store all \
            -c 200 --rate 0 --seed 15 "$FLEET_RANGE" ||
            { echo "$name: scan with the engine $mode failed"; status=1; }
        python3 "$compare" "$work/$name-$mode.db" "$work/truth-$name.csv" ||
            status=1
    done
    stop_fleet
    python3 "$same" "$work/$name-off.db" "$work/$name-on.db" || status=1
    certs_of "$work/$name-off.db" >"$work/certs-off"
    certs_of "$work/$name-on.db" >"$work/certs-on"
    n=$(wc -l <"$work/certs-on")
    if ! cmp -s "$work/certs-off" "$work/certs-on"; then
        echo "$name: certificates differ with and without the engine"
        diff "$work/certs-off" "$work/certs-on" | head -20
        status=1
    elif [ "$n" -eq 0 ]; then
        echo "$name: no certificate stored"; status=1
    fi
    echo "$name: $n certificates, the same with and without the engine"
done
exit $status
