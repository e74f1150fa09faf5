#!/usr/bin/env python3
"""Checks for tests/integration/ops/numbers.sh.

  check_numbers.py jsonl FILE UID DB      every line parses, carries UID and
                                          a target index; together they
                                          cover every stored target
  check_numbers.py status FILE UID TOTAL  status lines: ISO time, scan uid,
                                          both rates, a right ETA
  check_numbers.py recipes SCHEMA_MD DB REPORT_JSON...
                                          every ```sql block's statements
                                          return rows; the first block's
                                          eol_pct equals each report's
"""
import json
import re
import sqlite3
import sys


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def check_jsonl(path, uid, db):
    seen = set()
    with open(path, "rb") as f:
        data = f.read()
    if not data.endswith(b"\n"):
        fail("the JSON lines file does not end with a newline")
    for n, line in enumerate(data.split(b"\n")[:-1], 1):
        try:
            o = json.loads(line)
        except ValueError as e:
            fail(f"line {n} is not JSON ({e}): {line[:120]!r}")
        if o.get("scan_uid") != uid:
            fail(f"line {n}: scan_uid {o.get('scan_uid')!r}, want {uid}")
        if not isinstance(o.get("target_index"), int):
            fail(f"line {n}: no target_index")
        seen.add((o["scan_uid"], o["target_index"]))
    con = sqlite3.connect(db)
    stored = {r[0] for r in con.execute("SELECT target_index FROM results")}
    missing = stored - {i for _, i in seen}
    if missing:
        fail(f"{len(missing)} stored targets have no JSON line")
    print(f"{len(data.splitlines())} lines, {len(seen)} distinct "
          "(scan_uid, target_index)")


ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


def check_status(path, uid, total):
    total = int(total)
    lines = [json.loads(l) for l in open(path) if l.strip()]
    if not lines:
        fail("no status lines")
    for n, o in enumerate(lines, 1):
        for k in ("time", "scan_uid", "targets_per_s", "targets_per_s_avg",
                  "eta_s", "completed", "total"):
            if k not in o:
                fail(f"status line {n}: no {k}")
        if not ISO.match(o["time"]):
            fail(f"status line {n}: time {o['time']!r} is not ISO-8601 UTC")
        if o["scan_uid"] != uid:
            fail(f"status line {n}: scan_uid {o['scan_uid']!r}")
        left = o["total"] - o["completed"]
        # Targets left: an ETA, or null while the rate is unknown; never 0.
        if left > 0 and o["eta_s"] == 0:
            fail(f"status line {n}: eta_s 0 with {left} targets left")
    last = lines[-1]
    if last["completed"] != total or last["eta_s"] != 0:
        fail(f"last status line: completed {last['completed']} of {total},"
             f" eta_s {last['eta_s']}")
    print(f"{len(lines)} status lines")


def sql_blocks(md):
    return re.findall(r"```sql\n(.*?)```", open(md).read(), re.S)


def statements(block):
    cur = ""
    for line in block.splitlines(keepends=True):
        cur += line
        if sqlite3.complete_statement(cur):
            yield cur.strip()
            cur = ""
    if cur.strip() and not all(l.strip().startswith("--")
                               for l in cur.strip().splitlines()):
        yield cur.strip()


def check_recipes(md, db, reports):
    con = sqlite3.connect(db)
    blocks = sql_blocks(md)
    if len(blocks) < 5:
        fail(f"only {len(blocks)} sql blocks in {md}")
    first = None
    for b, block in enumerate(blocks):
        for st in statements(block):
            cur = con.execute(st)
            rows = cur.fetchall()
            if not rows:
                fail(f"block {b + 1} returns no row:\n{st}")
            if first is None:
                cols = [d[0] for d in cur.description]
                first = [dict(zip(cols, r)) for r in rows]
    eol = {r["id"]: (r["eol_pct"], r["versioned"]) for r in first}
    for path in reports:
        rep = json.load(open(path))
        sid = rep["scan_id"]
        # The EOL share's denominator: endpoints that showed a 1.x version.
        v1x = rep.get("versioned_1x", rep["versioned"])
        if v1x == 0:
            continue
        want = round(100.0 * rep["past_eol"] / v1x, 1)
        if sid not in eol:
            fail(f"EOL recipe lists no scan {sid}")
        pct, versioned = eol[sid]
        if versioned != v1x or abs(pct - want) > 0.05 + 1e-9:
            fail(f"scan {sid}: EOL recipe {pct} % of {versioned}, report "
                 f"{want} % of {v1x}")
        print(f"scan {sid}: EOL {want} % in both")
    print(f"{len(blocks)} sql blocks ran")


def main():
    kind = sys.argv[1]
    if kind == "jsonl":
        check_jsonl(*sys.argv[2:5])
    elif kind == "status":
        check_status(*sys.argv[2:5])
    elif kind == "recipes":
        check_recipes(sys.argv[2], sys.argv[3], sys.argv[4:])
    else:
        fail(f"unknown check {kind}")


if __name__ == "__main__":
    main()
