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
            string, and every SVG (standalone and embedded as data: URIs)
            parses as XML with no script.
Skips (77) while `kcensus scan` or `kcensus report` is not built.

Usage: check_report.py KCENSUS terminal|csv|json|markup
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
    """gitVersions (bytes) stored for Kubernetes endpoints."""
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    con.text_factory = bytes
    rows = con.execute("SELECT DISTINCT git_version FROM results WHERE "
                       "is_kubernetes = 1 AND git_version IS NOT NULL")
    out = [r[0] for r in rows]
    con.close()
    return out


def check_terminal(kcensus, db, problems, notes):
    out = report(kcensus, db, [])
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
        out = report(kcensus, db, ["--format", "csv", "--by", agg])
        try:
            text = out.decode("utf-8")
        except UnicodeDecodeError as e:
            problems.append("%s.csv is not valid UTF-8: %s" % (agg, e))
            continue
        try:
            rows = list(csv.reader(io.StringIO(text, newline=""),
                                   strict=True))
        except csv.Error as e:
            problems.append("%s.csv does not parse: %s" % (agg, e))
            continue
        if not rows:
            problems.append("%s.csv is empty" % agg)
            continue
        width = len(rows[0])
        for i, r in enumerate(rows):
            if len(r) != width:
                problems.append("%s.csv row %d has %d cells, header %d" % (
                    agg, i, len(r), width))
            for c in r:
                if formula_cell(c):
                    problems.append("%s.csv row %d: formula cell %r" % (
                        agg, i, c[:40]))
        if agg == "git_version":
            col = rows[0].index("git_version") if "git_version" in rows[0] \
                else 0
            versions = set(unneutralise(r[col]) for r in rows[1:]
                           if len(r) > col)
    for v in hostile_versions(db):
        s = v.decode("utf-8", "surrogateescape")
        if s not in versions:
            problems.append("gitVersion %r does not come back from "
                            "git_version.csv" % v[:60])


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
    for v in hostile_versions(db):
        try:
            s = v.decode("utf-8")
        except UnicodeDecodeError:
            continue  # not representable as a JSON string as such
        if s not in strings:
            problems.append("gitVersion %r not in the JSON report" % v[:60])


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
    out = report(kcensus, db, ["--html", page])
    with open(page, "rb") as f:
        data = f.read()
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
    del out


def main():
    if len(sys.argv) != 3 or sys.argv[2] not in ("terminal", "csv", "json",
                                                  "markup"):
        sys.exit(__doc__)
    kcensus, kind = sys.argv[1], sys.argv[2]
    scanrun.command_help(kcensus, "report")
    problems, notes = [], []
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
