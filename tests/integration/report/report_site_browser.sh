#!/bin/sh
# The static site of the demo scan plus the imported 2024-02-05 Censys
# census, every page in headless chromium (browser_check.py: console
# errors, failed loads, links, image natural sizes, the negative control),
# and every page on disk reached from the index. The fleet, the scan and
# chromium all run in this private network namespace (tests/netns-run.sh).
# Usage: netns-run.sh report_site_browser.sh KCENSUS FLEET SOURCE_ROOT
set -eu
kcensus=$1
FLEET=$2
src=$3
here=$src/tests/integration/report
command -v chromium >/dev/null || { echo "skip: no chromium"; exit 77; }
t=$(mktemp -d)
. "$src/tests/lib/fleet.sh"
trap 'stop_fleet; rm -rf "$t"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

start_fleet "$src/tests/fleet/specs/demo.json" "$t/truth.csv" || exit 1
"$kcensus" scan -q -d "$t/c.db" --allow-loopback -p "$FLEET_PORTS" \
    --store all --label demo "$FLEET_RANGE"
stop_fleet
"$kcensus" import -q -d "$t/c.db" --date 2024-02-05 --label censys \
    --buckets "$src/tests/data/censys-2024-02-05-gitversions.csv"
"$kcensus" report -d "$t/c.db" --site "$t/site"

python3 "$here/check_outputs.py" --plain "$t/site" || fail "site outputs"
python3 "$here/browser_check.py" "$t/site/index.html" > "$t/check.log" ||
    { cat "$t/check.log" >&2; fail "the site has problems in chromium"; }
cat "$t/check.log"
pages=$(find "$t/site" -name '*.html' | wc -l)
grep -q "index.html: $pages pages, 0 problems" "$t/check.log" ||
    fail "$pages pages on disk, not all reached from the index"
[ "$pages" = 3 ] || fail "$pages pages for two scans"
echo "ok: the site of the demo scan and the 2024-02-05 census in chromium"
