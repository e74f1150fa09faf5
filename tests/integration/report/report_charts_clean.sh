#!/bin/sh
# The chart-drawing commands (-o DIR, --html, --site) end without a leak: in the
# ASan build (`make check` runs the unit suite there with detect_leaks=1)
# cairo's and fontconfig's font caches must be released at exit, or
# LeakSanitizer fails the command. Elsewhere it checks the files appear.
# Usage: report_charts_clean.sh KCENSUS MAKE_FLEET_DB
set -eu
kcensus=$1
make_db=$2
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$make_db" "$t/fleet.db"
"$kcensus" report -d "$t/fleet.db" --scan 1 --html "$t/page.html" ||
    fail "report --html exited $?"
"$kcensus" report -d "$t/fleet.db" --trend -o "$t/out" --html "$t/out/page.html" ||
    fail "report --trend -o --html exited $?"
"$kcensus" report -d "$t/fleet.db" --site "$t/site" ||
    fail "report --site exited $?"
[ -s "$t/page.html" ] && [ -s "$t/out/minor.svg" ] && [ -s "$t/out/page.html" ] &&
    [ -s "$t/out/trend_posture.svg" ] && [ -s "$t/site/index.html" ] ||
    fail "page or charts missing"
echo "charts and pages written, exit 0"
