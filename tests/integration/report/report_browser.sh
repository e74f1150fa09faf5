#!/bin/sh
# The --html page (two scans: the census over time, then the latest scan)
# in a real headless browser (Debian's chromium, browser_check.py): no
# console error or failed load, every image with a non-zero natural size,
# the chart area differs once the images are removed; and pages broken on
# purpose (no chart, a missing image) are caught. browser_check.py refuses
# to start chromium outside a private network namespace: run under
# tests/netns-run.sh. Skips (77) when chromium is absent.
# Usage: netns-run.sh report_browser.sh KCENSUS MAKE_FLEET_DB
set -eu
kcensus=$1
make_db=$2
here=$(cd "$(dirname "$0")" && pwd)
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$make_db" "$t/fleet.db"
"$kcensus" report -d "$t/fleet.db" --html "$t/page.html"
grep -q '<h1>Kubernetes census, ' "$t/page.html" || fail "no trend on the page"
rc=0
python3 "$here/browser_check.py" "$t/page.html" || rc=$?
[ $rc = 77 ] && exit 77
[ $rc = 0 ] || fail "the page has problems in chromium"

# Negative controls: a text-only copy of the page and one whose chart is
# a missing file must both be reported.
mkdir "$t/bad"
sed 's/<figure>.*<\/figure>//' "$t/page.html" > "$t/bad/text-only.html"
sed 's/src="data:image\/svg+xml;base64,[^"]*"/src="missing.svg"/' \
    "$t/page.html" > "$t/bad/missing-image.html"
python3 "$here/browser_check.py" --expect-fail "$t/bad/text-only.html" \
    "$t/bad/missing-image.html" || fail "broken pages were not caught"
echo "ok: the page renders in chromium"
