#!/bin/sh
# The HTML page in a real headless browser (Debian's chromium): it renders
# and the screenshot is not blank. Skips (77) when chromium is absent.
# Runs under tests/netns-run.sh and refuses to start chromium when the
# namespace has any interface but loopback (chromium probes DNS and UDP).
# Usage: netns-run.sh report_browser.sh KCENSUS MAKE_FLEET_DB
set -eu
kcensus=$1
make_db=$2
browser=$(command -v chromium || command -v chromium-browser || true)
[ -n "$browser" ] || { echo "skip: no chromium"; exit 77; }
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
# Loopback only: any other interface in this process's namespace
# (/proc/self/net/dev, not the host's /sys) means a shared namespace.
others=$(awk -F: 'NR > 2 { gsub(/ /, "", $1); if ($1 != "lo") print $1 }' \
    /proc/self/net/dev)
[ -z "$others" ] || fail "not in a private network namespace:" $others

"$make_db" "$t/fleet.db"
"$kcensus" report -d "$t/fleet.db" --trend --html "$t/page.html"
# No network: the page is self-contained (CSP: data: images only).
timeout 120 "$browser" --headless --no-sandbox --disable-gpu \
    --user-data-dir="$t/profile" --window-size=1000,3000 \
    --screenshot="$t/shot.png" "file://$t/page.html" >"$t/log" 2>&1 ||
    { cat "$t/log" >&2; fail "chromium failed"; }
[ -s "$t/shot.png" ] || fail "no screenshot"
# Non-blank: the charts put many colours on the page; a blank or
# broken-image page has a handful.
python3 - "$t/shot.png" <<'PY' || fail "screenshot looks blank"
import struct, sys, zlib
data = open(sys.argv[1], 'rb').read()
assert data[:8] == b'\x89PNG\r\n\x1a\n'
pos, idat, w, h = 8, b'', 0, 0
while pos < len(data):
    n, typ = struct.unpack('>I4s', data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if typ == b'IHDR':
        w, h, depth, ctype = struct.unpack('>IIBB', body[:10])
        bpp = {2: 3, 6: 4}[ctype]
    elif typ == b'IDAT':
        idat += body
    pos += 12 + n
raw = zlib.decompress(idat)
stride = w * bpp + 1
colours = set()
prev = bytearray(w * bpp)
for y in range(h):
    f = raw[y * stride]
    line = bytearray(raw[y * stride + 1:(y + 1) * stride])
    for x in range(len(line)):
        a = line[x - bpp] if x >= bpp else 0
        b = prev[x]
        c = prev[x - bpp] if x >= bpp else 0
        if f == 1: line[x] = (line[x] + a) & 255
        elif f == 2: line[x] = (line[x] + b) & 255
        elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            pr = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
            line[x] = (line[x] + pr) & 255
    prev = line
    if y % 4 == 0:
        for x in range(0, w * bpp, bpp * 4):
            colours.add(bytes(line[x:x + 3]))
print('distinct colours sampled:', len(colours))
sys.exit(0 if len(colours) > 50 else 1)
PY
echo "ok: page renders in chromium"
