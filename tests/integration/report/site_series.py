#!/usr/bin/env python3
"""site_series.py KCENSUS - a site over 52 weekly scans stays legible, and a
re-run after one more scan only adds.

52 censuses a week apart are imported (version buckets that drift from
1.20 to 1.35 over the year, so that far more than ten minors appear), then
`kcensus report --site DIR`:
  - in each chart over time (the SVGs inlined in index.html) the date
    labels are horizontal, in order and do not overlap (from the x of each
    glyph cairo placed), and there are at least five of them;
  - the minor chart folds minors beyond the ten largest into "other":
    at most 11 fill colours of stacked bars;
then a 53rd scan and `--site DIR` again: its page appears, index.html and
trend.csv change, and every other file is byte-identical."""
import base64
import hashlib
import os
import re
import subprocess
import sys
import tempfile
import datetime
import xml.etree.ElementTree as ET

kcensus = sys.argv[1]
errors = []
GLYPH_ADVANCE = 6.3  # DejaVu Sans digits and '-' at 10 px are narrower
SVG = '{http://www.w3.org/2000/svg}'
XLINK = '{http://www.w3.org/1999/xlink}'


def run(*args):
    subprocess.run([kcensus] + list(args), check=True,
                   stdout=subprocess.DEVNULL)


def buckets(week):
    """git_version,count rows: a window of five minors moving up by one
    every four weeks (16 minors in a year)."""
    lo = 20 + week // 4
    rows = ['git_version,count']
    for i, m in enumerate(range(lo, lo + 5)):
        rows.append('v1.%d.%d,%d' % (m, week % 7, 100 + 40 * i + week))
    rows.append('v1.%d.0-rc.1,%d' % (lo + 5, 3))
    return '\n'.join(rows) + '\n'


def import_week(d, db, week):
    date = datetime.date(2025, 1, 6) + datetime.timedelta(weeks=week)
    path = os.path.join(d, 'week%d.csv' % week)
    with open(path, 'w') as f:
        f.write(buckets(week))
    run('import', '-q', '-d', db, '--date', date.isoformat(),
        '--label', 'week %d' % week, '--buckets', path)


def charts(index):
    html = open(index, encoding='utf-8').read()
    return [base64.b64decode(m) for m in re.findall(
        r'src="data:image/svg\+xml;base64,([^"]*)"', html)]


def date_labels(svg):
    """[(first x, last x)] of the 10-glyph text runs below the plot."""
    root = ET.fromstring(svg)
    runs = []
    for g in root.iter(SVG + 'g'):
        uses = [u for u in g if u.tag == SVG + 'use']
        ys = {u.get('y') for u in uses}
        if len(uses) == 10 and len(ys) == 1 and float(ys.pop()) > 400:
            xs = [float(u.get('x')) for u in uses]
            if xs != sorted(xs):
                errors.append('a date label is not horizontal')
            runs.append((xs[0], xs[-1]))
    return runs


def bar_colours(svg):
    root = ET.fromstring(svg)
    fills = set()
    for p in root.iter(SVG + 'path'):
        m = re.search(r'fill:(rgb\([^)]*\))', p.get('style', ''))
        if m and m.group(1) not in ('rgb(100%,100%,100%)', 'rgb(0%,0%,0%)'):
            fills.add(m.group(1))
    return fills


def check_legible(index):
    svgs = charts(index)
    if len(svgs) < 3:
        errors.append('index.html has %d charts, want 3 over time' %
                      len(svgs))
        return
    for i, svg in enumerate(svgs[:3]):
        runs = date_labels(svg)
        if len(runs) < 5:
            errors.append('chart %d: %d date labels' % (i, len(runs)))
        for (a0, a1), (b0, b1) in zip(runs, runs[1:]):
            if b0 < a1 + GLYPH_ADVANCE + 2:
                errors.append('chart %d: date labels overlap at x=%.1f..%.1f'
                              % (i, a1, b0))
    n = len(bar_colours(svgs[0]))
    if n > 11:
        errors.append('minor chart: %d bar colours, more than ten minors '
                      'and "other"' % n)


def digests(site):
    out = {}
    for root, _, files in os.walk(site):
        for f in files:
            p = os.path.join(root, f)
            out[os.path.relpath(p, site)] = hashlib.sha256(
                open(p, 'rb').read()).hexdigest()
    return out


def main():
    with tempfile.TemporaryDirectory() as d:
        db = os.path.join(d, 'series.db')
        site = os.path.join(d, 'site')
        for week in range(52):
            import_week(d, db, week)
        run('report', '-d', db, '--site', site)
        check_legible(os.path.join(site, 'index.html'))
        before = digests(site)
        pages = [k for k in before if k.endswith('/index.html')]
        if len(pages) != 52:
            errors.append('%d scan pages for 52 scans' % len(pages))
        import_week(d, db, 52)
        run('report', '-d', db, '--site', site)
        after = digests(site)
        added = sorted(set(after) - set(before))
        if not any(a.endswith('/index.html') for a in added):
            errors.append('no page for the 53rd scan: added %r' % added)
        for name in ('index.html', 'trend.csv'):
            if before.get(name) == after.get(name):
                errors.append('%s did not change' % name)
        for name, digest in before.items():
            if name not in ('index.html', 'trend.csv') and \
                    after.get(name) != digest:
                errors.append('%s changed' % name)
        check_legible(os.path.join(site, 'index.html'))
    for e in errors:
        print('FAIL:', e)
    print('site of 53 weekly scans: %d problems' % len(errors))
    sys.exit(1 if errors else 0)


if __name__ == '__main__':
    main()
