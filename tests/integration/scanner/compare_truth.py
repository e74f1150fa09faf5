#!/usr/bin/env python3
"""Compares a scan stored in a kcensus database with kcensus-fleet's truth CSV.

usage: compare_truth.py DB TRUTH_CSV [--extended] [--scan ID] [--probes-exact]
                        [--reconnected N]

Every truth row must be stored exactly once (store policy `all`), with the
same outcome, phase, is_kubernetes, posture (posture_extended with
--extended), git_version, vendor and certificate CN. Stored rows for
addresses the truth does not list must be `refused` (nothing listens).
With --probes-exact, every probe of an `ok` row must be answered (the
fleet answers every probe it is sent, also when it closes after each
answer: the scanner reconnects), and a row used either one connection or
one per probe; with --reconnected N also, exactly N ok rows used one
connection per probe (more than one probe).
Prints each mismatch; exit 1 if any, 0 otherwise.
"""
import csv
import sqlite3
import sys


def norm(v):
    if v is None:
        return ""
    if isinstance(v, bytes):
        return v.decode("utf-8", "backslashreplace")
    return str(v)


def check_probes(con, scan_id, argv):
    """Problems in the probes and connections of the scan's ok rows."""
    bad = 0
    reconnected = 0
    q = ("SELECT r.id, r.ip, r.port, rr.connections,"
         " count(p.seq), sum(p.answered) FROM results r"
         " JOIN result_rows rr ON rr.id = r.id"
         " JOIN probes p ON p.result_id = r.id"
         " WHERE r.scan_id = ? AND r.outcome = 'ok' GROUP BY r.id")
    for _, ip, port, conns, n, answered in con.execute(q, (scan_id,)):
        if answered != n:
            print(f"unanswered {ip}:{port}: {n - answered} of {n} probes")
            bad += 1
        if conns != 1 and conns != n:
            print(f"connections {ip}:{port}: {conns} for {n} probes")
            bad += 1
        if n > 1 and conns == n:
            reconnected += 1
    if "--reconnected" in argv:
        want = int(argv[argv.index("--reconnected") + 1])
        print(f"rows with a connection per probe: {reconnected} (want {want})")
        if reconnected != want:
            bad += 1
    return bad


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    db, truth_path = argv[1], argv[2]
    extended = "--extended" in argv
    con = sqlite3.connect(db)
    scan_id = con.execute("SELECT max(id) FROM scans").fetchone()[0]
    if "--scan" in argv:
        scan_id = int(argv[argv.index("--scan") + 1])
    rows = {}
    dup = 0
    q = ("SELECT r.ip, r.port, r.outcome, r.phase, r.is_kubernetes, r.posture,"
         " r.git_version, r.vendor, c.subject_cn FROM results r"
         " LEFT JOIN certificates c ON c.id = r.cert_id WHERE r.scan_id = ?")
    for ip, port, *rest in con.execute(q, (scan_id,)):
        key = (ip, int(port))
        if key in rows:
            dup += 1
        rows[key] = [norm(x) for x in rest]
    bad = 0
    n = 0
    with open(truth_path, newline="") as f:
        for t in csv.DictReader(f):
            n += 1
            key = (t["ip"], int(t["port"]))
            want = [t["outcome"], t["phase"], t["is_kubernetes"],
                    t["posture_extended"] if extended else t["posture"],
                    t["git_version"], t["vendor"], t["cert_cn"]]
            got = rows.pop(key, None)
            if got is None:
                print(f"missing {key[0]}:{key[1]} want {want}")
                bad += 1
            elif got != want:
                print(f"mismatch {key[0]}:{key[1]}\n  want {want}\n  got  {got}")
                bad += 1
    for key, got in rows.items():
        if got[0] != "refused":
            print(f"extra {key[0]}:{key[1]} not in truth: {got}")
            bad += 1
    if dup:
        print(f"{dup} targets stored more than once")
        bad += 1
    if "--probes-exact" in argv:
        bad += check_probes(con, scan_id, argv)
    print(f"compare_truth: {n} truth rows, {bad} problems (scan {scan_id})")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
