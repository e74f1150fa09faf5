#!/usr/bin/env python3
"""check_report.py - reports made from a scan of the hostile suite are safe.

Scans the suite (as check_scan.py does, without judging outcomes), then runs
`kcensus report` in one output form and checks it:
  terminal  the table output has no raw C0/C1 control bytes, no DEL and is
            valid UTF-8 (bidi overrides are listed, not failed);
  csv       every aggregation's CSV parses (strictly) with one width, no
            cell can start a spreadsheet formula, and every hostile
            gitVersion the database holds for a Kubernetes endpoint comes
            back from the git_version CSV as the same value (a neutralising
            leading ' allowed);
  json      parses, and the same gitVersions come back exactly;
  markup    the HTML page has no element or event handler from a server
            string, and every SVG (standalone from -o DIR, and embedded as
            data: URIs) parses as XML with no script.
Skips (77) while `kcensus scan` or `kcensus report` is not built.

Usage: check_report.py KCENSUS terminal|csv|json|markup
       check_report.py --selftest   (the validators against known-bad output)
"""
import base64
import csv
import html.parser
import io
import json
import os
import re
import sqlite3
import subprocess
import sys
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scanrun  # noqa: E402

C0_C1 = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\x80-\x9f]")
BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")
AGGS = ["minor", "git_version", "vendor", "posture", "port", "country",
        "asn", "upstream_eol", "posture_vendor", "minor_vendor"]


def report(kcensus, db, args):
    p = subprocess.run([kcensus, "report", "-d", db] + args,
                       capture_output=True, timeout=60)
    if p.returncode != 0:
        raise AssertionError("kcensus report %s exited %d: %s" % (
            " ".join(args), p.returncode, p.stderr[-300:]))
    return p.stdout


def hostile_versions(db):
    """[(target name, gitVersion bytes)] stored for Kubernetes endpoints."""
    names = {t.endpoint: t.name for t in scanrun.hostile_server.load_manifest(
        os.path.join(scanrun.HOSTILE, "manifest.csv"))}
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    con.text_factory = bytes
    rows = con.execute("SELECT ip, port, git_version FROM results WHERE "
                       "is_kubernetes = 1 AND git_version IS NOT NULL")
    out = [(names.get("%s:%d" % (scanrun.ip_text(r[0]), int(r[1])), "?"),
            r[2]) for r in rows]
    con.close()
    return out


class Problems(list):
    """Problems, some of them known (xfail.txt lines 'report-KIND/NAME
    reason'): a known one is printed but does not fail the test."""

    def __init__(self, kind, xfail):
        super().__init__()
        self.kind, self.xfail, self.known = kind, xfail, []

    def target(self, name, msg):
        key = "report-%s/%s" % (self.kind, name)
        if key in self.xfail:
            self.known.append("%s: %s (known: %s)" % (name, msg,
                                                      self.xfail[key]))
        else:
            self.append("%s: %s" % (name, msg))


def check_terminal(kcensus, db, problems, notes):
    validate_terminal(report(kcensus, db, []), problems, notes)


def validate_terminal(out, problems, notes):
    try:
        s = out.decode("utf-8")
    except UnicodeDecodeError as e:
        problems.append("table output is not valid UTF-8: %s" % e)
        s = out.decode("utf-8", "replace")
    for m in C0_C1.finditer(s):
        problems.append("raw control character U+%04X at %d: %r" % (
            ord(m.group()), m.start(), s[max(0, m.start() - 20):m.end() + 20]))
        break
    if BIDI.search(s):
        notes.append("table output carries raw bidi controls (U+202A..E, "
                     "U+2066..9): visible reordering, not an escape")
    if "v1.29.3" not in s:
        problems.append("table output does not mention v1.29.3 at all")


def formula_cell(c):
    if c[:1] in ("=", "@", "\t", "\r"):
        return True
    return c[:1] in ("+", "-") and not re.fullmatch(r"[+-][0-9.eE+-]*", c)


def unneutralise(c):
    return c[1:] if c[:1] == "'" and formula_cell(c[1:]) else c


def check_csv(kcensus, db, problems, notes):
    versions = set()
    for agg in AGGS:
        rows = validate_csv(agg + ".csv", report(
            kcensus, db, ["--format", "csv", "--by", agg]), problems)
        if rows and agg == "git_version":
            col = rows[0].index("git_version") if "git_version" in rows[0] \
                else 0
            versions = set(unneutralise(r[col]) for r in rows[1:]
                           if len(r) > col)
    for name, v in hostile_versions(db):
        s = v.decode("utf-8", "surrogateescape")
        if s not in versions:
            problems.target(name, "gitVersion %r does not come back from "
                            "git_version.csv" % v[:60])


def validate_csv(name, out, problems):
    """The rows of one CSV output, or None; problems appended."""
    try:
        text = out.decode("utf-8")
    except UnicodeDecodeError as e:
        problems.append("%s is not valid UTF-8: %s" % (name, e))
        return None
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except csv.Error as e:
        problems.append("%s does not parse: %s" % (name, e))
        return None
    if not rows:
        problems.append("%s is empty" % name)
        return None
    for i, r in enumerate(rows):
        if len(r) != len(rows[0]):
            problems.append("%s row %d has %d cells, header %d" % (
                name, i, len(r), len(rows[0])))
        for c in r:
            if formula_cell(c):
                problems.append("%s row %d: formula cell %r" % (name, i,
                                                               c[:40]))
    return rows


def check_json(kcensus, db, problems, notes):
    out = report(kcensus, db, ["--format", "json"])
    try:
        doc = json.loads(out)
    except ValueError as e:
        problems.append("JSON does not parse: %s" % e)
        return
    strings = set()

    def walk(x):
        if isinstance(x, dict):
            for v in x.values():
                walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)
        elif isinstance(x, str):
            strings.add(x)
    walk(doc)
    for name, v in hostile_versions(db):
        try:
            s = v.decode("utf-8")
        except UnicodeDecodeError:
            continue  # not representable as a JSON string as such
        if s not in strings:
            problems.target(name, "gitVersion %r not in the JSON report"
                            % v[:60])


class TagCollector(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags, self.handlers, self.images = [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for k, v in attrs:
            if k.startswith("on"):
                self.handlers.append((tag, k, v))
            if tag == "img" and k == "src" and v and v.startswith(
                    "data:image/svg+xml;base64,"):
                self.images.append(base64.b64decode(v.split(",", 1)[1]))


def check_svg(name, data, problems):
    try:
        root = ET.fromstring(data)
    except ET.ParseError as e:
        problems.append("%s does not parse as XML: %s" % (name, e))
        return
    for el in root.iter():
        if el.tag.split("}")[-1].lower() in ("script", "foreignobject"):
            problems.append("%s has a <%s> element" % (name, el.tag))
        for k in el.attrib:
            if k.lower().startswith("on"):
                problems.append("%s has an event handler %s" % (name, k))


def check_markup(kcensus, db, problems, notes, workdir):
    page = os.path.join(workdir, "report.html")
    report(kcensus, db, ["--html", page])
    with open(page, "rb") as f:
        images = validate_html(f.read(), problems, notes)
    # The standalone charts (and CSVs) of --output DIR.
    outdir = os.path.join(workdir, "out")
    report(kcensus, db, ["-o", outdir])
    svgs = sorted(f for f in os.listdir(outdir) if f.endswith(".svg"))
    if not svgs:
        problems.append("-o wrote no SVG chart")
    for f in svgs:
        with open(os.path.join(outdir, f), "rb") as fh:
            check_svg(f, fh.read(), problems)
    # Every page of the static site (--site DIR): the index and each scan's.
    site = os.path.join(workdir, "site")
    report(kcensus, db, ["--site", site])
    pages = sorted(os.path.join(root, f) for root, _, files in os.walk(site)
                   for f in files if f.endswith(".html"))
    if len(pages) < 2:
        problems.append("--site wrote %d pages" % len(pages))
    for page in pages:
        with open(page, "rb") as f:
            images += validate_html(f.read(), problems, [])
    print("checked the page, %d site pages, %d embedded and %d standalone "
          "SVGs" % (len(pages), images, len(svgs)))


def validate_html(data, problems, notes):
    """Checks one HTML page and its embedded SVGs; returns their number."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        problems.append("HTML is not valid UTF-8: %s" % e)
        text = data.decode("utf-8", "replace")
    p = TagCollector()
    p.feed(text)
    p.close()
    if "script" in p.tags:
        problems.append("HTML has a <script> element")
    for h in p.handlers:
        problems.append("HTML has an event handler: %r" % (h,))
    for raw in (b"<script>alert(1)", b"<img src=x onerror", b"]]><![CDATA["):
        if raw in data:
            problems.append("HTML carries %r unescaped" % raw)
    if C0_C1.search(text.replace("\r", "").replace("\t", " ")):
        problems.append("HTML carries raw control characters")
    for i, svg in enumerate(p.images):
        check_svg("embedded SVG %d" % i, svg, problems)
    if not p.images:
        notes.append("no embedded SVG charts found in the page")
    if "&lt;script&gt;alert(1)" not in text:
        notes.append("the <script> gitVersion does not appear (escaped) in "
                     "the page")
    return len(p.images)


# Outputs a broken report could produce: each must be caught (--selftest).
BAD_SAMPLES = [
    ("terminal", b"v1.29.3 \x1b[2J ok\n"),
    ("terminal", b"v1.29.3 \xc2\x9b31m\n"),
    ("terminal", b"v1.29.3 \xff\n"),
    ("csv", b"git_version,hosts\r\n=cmd|' /C calc'!A0,1\r\n"),
    ("csv", b"git_version,hosts\r\n\"v1\"x\",1\r\n"),
    ("csv", b"git_version,hosts\r\nv1,2,3\r\n"),
    ("html", b"<html><body><td><script>alert(1)</script></td></body></html>"),
    ("html", b"<html><body><img src=x onerror=alert(1)></body></html>"),
    ("svg", b"<svg xmlns='http://www.w3.org/2000/svg'><text>a<b</text></svg>"),
    ("svg", b"<svg xmlns='http://www.w3.org/2000/svg'><script>x</script>"
            b"</svg>"),
]
GOOD_SAMPLES = [
    ("terminal", b"v1.29.3 \\x1b[2J ok\n"),
    ("csv", b"git_version,hosts\r\n\"'=cmd|' /C calc'!A0\",1\r\n-1,2\r\n"),
    ("html", b"<html><body><td>&lt;script&gt;alert(1)</td></body></html>"),
    ("svg", b"<svg xmlns='http://www.w3.org/2000/svg'><text>a&lt;b</text>"
            b"</svg>"),
]


def selftest():
    """The validators catch every bad sample and pass every good one."""
    def run(kind, data):
        problems, notes = [], []
        if kind == "terminal":
            validate_terminal(data + b" v1.29.3", problems, notes)
        elif kind == "csv":
            validate_csv("sample.csv", data, problems)
        elif kind == "html":
            validate_html(data, problems, notes)
        else:
            check_svg("sample.svg", data, problems)
        return problems
    bad = 0
    for kind, data in BAD_SAMPLES:
        if not run(kind, data):
            print("FAIL: %s validator misses %r" % (kind, data))
            bad += 1
    for kind, data in GOOD_SAMPLES:
        p = run(kind, data)
        if p:
            print("FAIL: %s validator rejects %r: %s" % (kind, data, p))
            bad += 1
    print("check_report selftest: %d samples, %d wrong" % (
        len(BAD_SAMPLES) + len(GOOD_SAMPLES), bad))
    return 1 if bad else 0


def main():
    if sys.argv[1:] == ["--selftest"]:
        return selftest()
    if len(sys.argv) != 3 or sys.argv[2] not in ("terminal", "csv", "json",
                                                  "markup"):
        sys.exit(__doc__)
    kcensus, kind = sys.argv[1], sys.argv[2]
    scanrun.command_help(kcensus, "report")
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import check_scan
    problems = Problems(kind, check_scan.load_xfail(os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "xfail.txt")))
    notes = []
    with scanrun.workdir() as wd:
        scan = scanrun.Scan(kcensus, 2.0, 128, wd)
        status = scan.run(hard_cap=60)
        if status != 0 or not os.path.exists(scan.db):
            print("FAIL: the scan exited %d" % status)
            return 1
        n = len(hostile_versions(scan.db))
        print("scan: %d Kubernetes gitVersions stored" % n)
        if kind == "terminal":
            check_terminal(kcensus, scan.db, problems, notes)
        elif kind == "csv":
            check_csv(kcensus, scan.db, problems, notes)
        elif kind == "json":
            check_json(kcensus, scan.db, problems, notes)
        else:
            check_markup(kcensus, scan.db, problems, notes, wd)
    for n in notes:
        print("note: " + n)
    for k in problems.known:
        print("XFAIL " + k)
    for p in problems:
        print("FAIL: " + p)
    print("check_report %s: %d problems" % (kind, len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except AssertionError as e:
        print("FAIL: %s" % e)
        sys.exit(1)
