#!/usr/bin/env python3
"""check_outputs.py DIR - hostile strings in report outputs are harmless:
every CSV parses back (RFC 4180) with formulas neutralised, no key column
is empty, every SVG is well-formed XML without scripts, the HTML parses
with every server string escaped (no element but the page's own, links
relative and resolving to a file), terminal output holds no raw control
bytes. Walks DIR's subdirectories too (a --site tree). --plain: the data
holds no hostile gitVersion, so its presence is not required."""
import csv
import html.parser
import io
import os
import sys
import xml.etree.ElementTree as ET

plain = sys.argv[1] == '--plain'
d = sys.argv[-1]
errors = []


def check_csv(path):
    raw = open(path, 'rb').read()
    text = raw.decode('utf-8', 'surrogateescape')
    rows = list(csv.reader(io.StringIO(text, newline=''), strict=True))
    width = len(rows[0])
    # Key columns: everything before hosts, except the integer major/minor
    # of the no_version row and the trend's label.
    keys = [i for i, h in enumerate(rows[0][:rows[0].index('hosts')])
            if h not in ('major', 'minor', 'label')] \
        if 'hosts' in rows[0] else []
    for r in rows[1:]:
        for i in keys:
            if i < len(r) and r[i] == '':
                errors.append('%s: empty key %s in %r' % (path, rows[0][i], r))
    for r in rows:
        if len(r) != width:
            errors.append('%s: row %r has %d fields' % (path, r, len(r)))
        for f in r:
            if f[:1] in ('=', '+', '-', '@', '\t', '\r'):
                errors.append('%s: formula cell %r' % (path, f))


def check_svg(path):
    root = ET.parse(path).getroot()
    for el in root.iter():
        tag = el.tag.split('}')[-1]
        if tag in ('script', 'foreignObject'):
            errors.append('%s: <%s>' % (path, tag))
        for k in el.attrib:
            if k.lower().startswith('on'):
                errors.append('%s: event attribute %s' % (path, k))


ALLOWED = {'html', 'head', 'meta', 'title', 'style', 'body', 'h1', 'h2',
           'ul', 'li', 'b', 'figure', 'img', 'table', 'tr', 'th', 'td', 'p',
           'a'}


class Page(html.parser.HTMLParser):
    def __init__(self, path):
        super().__init__()
        self.path = path
        self.text = []

    def handle_starttag(self, tag, attrs):
        if tag not in ALLOWED:
            errors.append('%s: unexpected element <%s>' % (self.path, tag))
        for k, v in attrs:
            if k.startswith('on'):
                errors.append('%s: event attribute %s' % (self.path, k))
            if k == 'src' and not v.startswith('data:image/svg+xml;base64,'):
                errors.append('%s: external src %r' % (self.path, v[:40]))
            if k == 'href':
                self.check_link(v)

    def check_link(self, href):
        """Relative, no scheme, and the file it names exists."""
        if ':' in href or href.startswith('/') or '?' in href or '#' in href:
            errors.append('%s: link %r is not relative' % (self.path, href))
            return
        target = os.path.join(os.path.dirname(self.path), href)
        if not os.path.isfile(target):
            errors.append('%s: link %r resolves to nothing' % (self.path,
                                                               href))

    def handle_data(self, data):
        self.text.append(data)


def check_html(path):
    p = Page(path)
    p.feed(open(path, encoding='utf-8').read())
    p.close()
    body = ''.join(p.text)
    # A site's index lists scans; the gitVersions are on the scan pages.
    here = os.path.dirname(path)
    index = os.path.basename(path) == 'index.html' and any(
        n.startswith('scan-') for n in os.listdir(here))
    if not (index or plain) and '<script>alert(1)</script>' not in body:
        errors.append('%s: the hostile version is not shown as text' % path)
    for ch in body:
        if ord(ch) < 0x20 and ch not in '\n' or 0x7f <= ord(ch) <= 0x9f:
            errors.append('%s: control character %r in text' % (path, ch))
            break


def check_terminal(path):
    for i, b in enumerate(open(path, 'rb').read()):
        if (b < 0x20 and b != 0x0a) or b == 0x7f:
            errors.append('%s: raw control byte 0x%02x at %d' % (path, b, i))
            break
    open(path, 'rb').read().decode('utf-8')  # valid UTF-8 or raises


for path in sorted(os.path.join(root, f) for root, _, files in os.walk(d)
                   for f in files):
    name = os.path.basename(path)
    if name.endswith('.csv'):
        check_csv(path)
    elif name.endswith('.svg'):
        check_svg(path)
    elif name.endswith('.html'):
        check_html(path)
    elif name.endswith('.txt'):
        check_terminal(path)

for e in errors:
    print('FAIL:', e)
sys.exit(1 if errors else 0)
