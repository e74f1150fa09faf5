#!/bin/bash
# The pipeline recipes of docs/OPERATIONS.md, with shell producers standing
# in for zmap and masscan: `... | kcensus scan -i - -p 6443`.
#  1. ZMap-style `saddr` CSV, written slowly (a line, a sleep): kcensus
#     scans while the producer is still writing (results before EOF), every
#     line gets a result, and the producer's writes are never held up.
#  2. masscan -oL (`open tcp PORT ADDR TS`), slow lines for the fleet then a
#     burst of 3,000 lines (~120 KB, more than a pipe buffer holds) of
#     addresses where nothing listens: the burst is drained in bounded time
#     and every line gets a result.
# bash for $EPOCHREALTIME: timing a write must not fork `date`.
# Inside a private netns (tests/netns-run.sh). usage: pipeline.sh KCENSUS FLEET SPEC
set -u
kcensus=$1 fleet=$2 spec=$3
work=$(mktemp -d)
. "$(dirname "$0")/../../lib/fleet.sh"
trap 'stop_fleet; rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
now_us() { local t=${EPOCHREALTIME/[.,]/}; echo $((10#$t)); }
now_ms() { echo $(($(now_us) / 1000)); }

FLEET=$fleet FLEET_WAIT=20
start_fleet "$spec" "$work/truth.csv" || fail "fleet did not start"
# Fleet members listening on 6443 (the truth CSV: ip,port,...).
awk -F, 'NR > 1 && $2 == 6443 {print $1}' "$work/truth.csv" | sort -u >"$work/members"
nm=$(wc -l <"$work/members")
[ "$nm" -ge 10 ] || fail "fleet has $nm members on 6443"

completed() { # status file -> last "completed" figure (0 if none yet)
    c=$(grep -o '"completed":[0-9]*' "$1" 2>/dev/null | tail -1 | cut -d: -f2)
    echo "${c:-0}"
}
value() { # db query
    "$kcensus" sql -d "$1" --csv "$2" | tail -1 | tr -d '\r'
}

# The producer: header, then half the lines slowly; waits (at most 10 s)
# until kcensus has finished some of them, which it can only do while
# reading a stream it has not seen the end of; then the rest slowly; then
# an optional burst. Records its longest single write and how long the
# burst took.
produce() { # header line-format status burst-file
    printf '%s\n' "$1"
    half=$((nm / 2)) k=0 longest=0
    while read -r ip; do
        t0=${EPOCHREALTIME/[.,]/}
        # shellcheck disable=SC2059
        printf "$2\n" "$ip"
        t1=${EPOCHREALTIME/[.,]/}
        d=$((10#$t1 - 10#$t0))
        [ $d -gt $longest ] && longest=$d
        k=$((k + 1))
        if [ $k = $half ]; then
            w=0
            while [ "$(completed "$3")" -lt 1 ] && [ $w -lt 100 ]; do
                sleep 0.1; w=$((w + 1))
            done
            completed "$3" >"$work/seen_mid"
        fi
        sleep 0.05
    done <"$work/members"
    t0=$(now_ms)
    [ -n "$4" ] && cat "$4"
    echo "$longest $(($(now_ms) - t0))" >"$work/busy"
}

scan_stream() { # name header line-format burst-file
    rm -f "$work/seen_mid" "$work/busy"
    start=$(now_ms)
    produce "$2" "$3" "$work/$1.status" "$4" |
        "$kcensus" scan -q -i - -p 6443 -d "$work/$1.db" --allow-loopback \
            --store all -c 200 --rate 0 --timeout 2s \
            --status-file "$work/$1.status" >"$work/$1.log" 2>&1 ||
        { cat "$work/$1.log"; fail "$1: kcensus scan exited $?"; }
    took=$(($(now_ms) - start))
    [ -s "$work/busy" ] || fail "$1: producer did not finish"
    mid=$(cat "$work/seen_mid")
    [ "$mid" -ge 1 ] || fail "$1: no result while the producer was still writing"
    # shellcheck disable=SC2046 # two numbers, split on purpose
    set -- "$1" $(cat "$work/busy")
    echo "$1: results before EOF: $mid; longest line write ${2} us, burst ${3} ms; scan ${took} ms"
    # Slow lines: a write into a pipe that kcensus drains never waits.
    [ "$2" -lt 500000 ] || fail "$1: a producer write waited $2 us"
    [ "$3" -lt 10000 ] || fail "$1: burst took $3 ms to drain"
}

# 1. ZMap: `zmap -p 6443 -o -` prints a "saddr" header, then addresses.
scan_stream zmap saddr '%s' ""
got=$(value "$work/zmap.db" "SELECT count(*) FROM results WHERE port = 6443")
[ "$got" = "$nm" ] || fail "zmap: $got results, want $nm"
ok=$(value "$work/zmap.db" "SELECT count(*) FROM results WHERE is_kubernetes = 1")
[ "$ok" -ge 1 ] || fail "zmap: no Kubernetes API server found in the fleet"

# 2. masscan -oL, with a burst of 3,000 lines to closed addresses.
i=0
while [ $i -lt 3000 ]; do
    echo "open tcp 6443 127.18.$((i / 250)).$((i % 250 + 1)) 1764400000"
    i=$((i + 1))
done >"$work/burst"
echo "# end" >>"$work/burst"
[ "$(wc -c <"$work/burst")" -gt 65536 ] || fail "burst smaller than a pipe buffer"
scan_stream masscan '#masscan' 'open tcp 6443 %s 1764400000' "$work/burst"
got=$(value "$work/masscan.db" "SELECT count(*) FROM results")
[ "$got" = $((nm + 3000)) ] || fail "masscan: $got results, want $((nm + 3000))"
refused=$(value "$work/masscan.db" "SELECT count(*) FROM results WHERE ip LIKE '127.18.%' AND outcome = 'refused'")
[ "$refused" = 3000 ] || fail "masscan: $refused of the burst refused, want 3000"
# The fleet part gives the same answers as the ZMap run.
q="SELECT ip, outcome, is_kubernetes, posture, git_version FROM results WHERE ip LIKE '127.16.%' ORDER BY ip"
[ "$("$kcensus" sql -d "$work/zmap.db" --csv "$q")" = "$("$kcensus" sql -d "$work/masscan.db" --csv "$q")" ] ||
    fail "zmap and masscan runs disagree on the fleet"
echo "ok: zmap ($nm lines) and masscan ($nm + 3000 lines) streams"
