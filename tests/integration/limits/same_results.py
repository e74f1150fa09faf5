#!/usr/bin/env python3
"""Compares the latest scan of two kcensus databases result by result.

usage: same_results.py A.db B.db

Every (ip, port, sni) must be stored exactly once in each, with the same
values in every column that does not measure time (outcome, phase, detail,
TLS, certificate, classification, version fields, every probe row with its
body). Prints each difference; exit 1 if any, 0 otherwise.
"""
import sqlite3
import sys

RESULT_COLS = (
    "r.target_index, r.outcome, r.phase, r.detail, r.attempts, r.tls_version,"
    " r.cipher, r.alpn, c.sha256, r.probe_set, r.is_kubernetes, r.evidence,"
    " r.posture, r.git_version, r.major, r.minor, r.patch, r.prerelease,"
    " r.vendor, r.vendor_suffix, r.v_major, r.v_minor, r.git_commit,"
    " r.git_tree_state, r.build_date, r.go_version, r.compiler, r.platform,"
    " r.cluster_info_readable, r.cluster_ca_sha256, r.jws_keys,"
    " r.namespaces_count, r.classifier_version, r.weight")
PROBE_COLS = ("seq, probe, sent, answered, outcome, status, has_audit_id,"
              " has_pf_flowschema, has_pf_prioritylevel, content_type, body,"
              " body_total")


def load(path):
    con = sqlite3.connect(path)
    scan = con.execute("SELECT max(id) FROM scans").fetchone()[0]
    rows, dup = {}, 0
    q = (f"SELECT r.id, r.ip, r.port, r.sni, {RESULT_COLS} FROM results r"
         " LEFT JOIN certificates c ON c.id = r.cert_id WHERE r.scan_id = ?")
    for rid, ip, port, sni, *vals in con.execute(q, (scan,)):
        probes = con.execute(f"SELECT {PROBE_COLS} FROM probes"
                             " WHERE result_id = ? ORDER BY seq",
                             (rid,)).fetchall()
        key = (ip, port, sni)
        dup += key in rows
        rows[key] = (tuple(vals), tuple(probes))
    return rows, dup


def main(argv):
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    a, dup_a = load(argv[1])
    b, dup_b = load(argv[2])
    bad = 0
    if dup_a or dup_b:
        print(f"stored more than once: {dup_a} in A, {dup_b} in B")
        bad += 1
    for key in sorted(set(a) | set(b)):
        if key not in a or key not in b:
            print(f"{key} only in {'B' if key not in a else 'A'}")
            bad += 1
        elif a[key] != b[key]:
            print(f"{key} differs:\n  A {a[key]}\n  B {b[key]}")
            bad += 1
    print(f"same_results: {len(a)} vs {len(b)} results, {bad} differences")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
