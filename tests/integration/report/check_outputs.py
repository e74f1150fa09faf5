#!/usr/bin/env python3
"""check_outputs.py DIR - hostile strings in report outputs are harmless:
every CSV parses back (RFC 4180) with formulas neutralised, every SVG is
well-formed XML without scripts, the HTML parses with every server string
escaped (no element but the page's own), terminal output holds no raw
control bytes."""
import csv
import html.parser
import io
import os
import sys
import xml.etree.ElementTree as ET

d = sys.argv[1]
errors = []


def check_csv(path):
    raw = open(path, 'rb').read()
    text = raw.decode('utf-8', 'surrogateescape')
    rows = list(csv.reader(io.StringIO(text, newline=''), strict=True))
    width = len(rows[0])
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
           'ul', 'li', 'b', 'figure', 'img', 'table', 'tr', 'th', 'td'}


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

    def handle_data(self, data):
        self.text.append(data)


def check_html(path):
    p = Page(path)
    p.feed(open(path, encoding='utf-8').read())
    p.close()
    body = ''.join(p.text)
    if '<script>alert(1)</script>' not in body:
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


for name in sorted(os.listdir(d)):
    path = os.path.join(d, name)
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
