#!/usr/bin/env python3
"""fake_kcensus.py - a stand-in `kcensus scan` built on the reference client.

Only for testing the harness (check_scan.py) itself: it takes the same
command line, probes with tests/hostile/refclient.py and writes the same
`results` table and JSON lines. FAKE_KCENSUS_LIE=NAME makes it record a
wrong outcome for the target at that manifest name, so the harness can be
shown to fail.
"""
import concurrent.futures
import json
import os
import sqlite3
import sys

HOSTILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                       "..", "hostile")
sys.path.insert(0, HOSTILE)
import hostile_server  # noqa: E402
import refclient  # noqa: E402

HELP = """usage: kcensus scan [options] [SPECS...]
  --allow-loopback  -d FILE  --timeout S  -c N  -p PORTS  -i FILE
  --jsonl FILE  --retries N  --store all|responsive|kubernetes
"""


def main(argv):
    if len(argv) < 2 or argv[1] != "scan":
        sys.stderr.write("kcensus %s: not built yet in this version\n"
                         % (argv[1] if len(argv) > 1 else ""))
        return 2
    if "--help" in argv:
        print(HELP)
        return 0
    opts, i = {}, 2
    while i < len(argv):
        a = argv[i]
        if a in ("-d", "--timeout", "-c", "-p", "-i", "--jsonl", "--retries",
                 "--store"):
            opts[a] = argv[i + 1]
            i += 2
        else:
            i += 1
    if "-i" not in opts:
        sys.stderr.write("kcensus scan: no targets\n")
        return 2
    with open(opts["-i"]) as f:
        eps = [ln.strip().rsplit(":", 1) for ln in f if ln.strip()]
    timeout = float(opts.get("--timeout", "2"))
    names = {t.endpoint: t.name for t in hostile_server.load_manifest(
        os.path.join(HOSTILE, "manifest.csv"))}
    lie = os.environ.get("FAKE_KCENSUS_LIE")
    with concurrent.futures.ThreadPoolExecutor(len(eps)) as ex:
        got = list(ex.map(lambda e: refclient.probe(e[0], int(e[1]), timeout),
                          eps))
    con = sqlite3.connect(opts["-d"])
    con.execute("CREATE TABLE results (ip TEXT, port INTEGER, outcome TEXT, "
                "phase TEXT, is_kubernetes INTEGER, posture TEXT, "
                "git_version BLOB, detail TEXT)")
    jf = open(opts["--jsonl"], "w") if "--jsonl" in opts else None
    for (ip, port), (outcome, phase, git) in zip(eps, got):
        if names.get("%s:%s" % (ip, port)) == lie:
            outcome = "closed" if outcome != "closed" else "ok"
        con.execute("INSERT INTO results VALUES (?,?,?,?,?,?,?,?)",
                    (ip, int(port), outcome, phase or None, None, None, git,
                     "fake"))
        if jf:
            jf.write(json.dumps({"ip": ip, "port": int(port),
                                 "outcome": outcome}) + "\n")
    con.commit()
    con.close()
    if jf:
        jf.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
