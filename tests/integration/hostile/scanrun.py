"""scanrun.py - run `kcensus scan` over the hostile suite and load what it
recorded. Shared by check_scan.py and check_report.py.

Exit code 77 (meson's skip) is used only when the command under test is not
built yet; everything else that goes wrong is a failure.
"""
import json
import os
import socket
import sqlite3
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
HOSTILE = os.path.join(HERE, "..", "..", "hostile")
sys.path.insert(0, HOSTILE)
import hostile_server  # noqa: E402

SKIP = 77


def skip(msg):
    print("SKIP: " + msg)
    sys.exit(SKIP)


def command_help(kcensus, cmd):
    """The --help text of a subcommand; skips the test if it is not built."""
    p = subprocess.run([kcensus, cmd, "--help"], capture_output=True,
                       timeout=30)
    text = (p.stdout + p.stderr).decode("utf-8", "replace")
    probe = subprocess.run([kcensus, cmd], capture_output=True, timeout=30)
    if b"not built yet" in probe.stderr:
        skip("kcensus %s is not built yet" % cmd)
    return text


class Scan:
    """One scan of the whole suite: the results by endpoint, the wall time,
    the peak RSS, the server's connection log."""

    def __init__(self, kcensus, timeout, concurrency, workdir, extra=(),
                 only=None, tag="hostile"):
        self.kcensus = kcensus
        self.timeout = timeout
        self.dir = workdir
        self.db = os.path.join(workdir, tag + ".db")
        self.jsonl = os.path.join(workdir, tag + ".jsonl")
        self.events = os.path.join(workdir, tag + "-events.log")
        self.targets = hostile_server.load_manifest(os.path.join(
            HOSTILE, "manifest.csv"))
        if only is not None:
            self.targets = [t for t in self.targets if t.name in only]
        help_text = command_help(kcensus, "scan")
        self.flags = help_text
        lst = os.path.join(workdir, tag + "-targets.txt")
        with open(lst, "w") as f:
            for t in self.targets:
                f.write("%s:%d\n" % (t.ip, t.port))
        argv = [kcensus, "scan", "--allow-loopback", "-d", self.db,
                "--timeout", str(timeout), "-c", str(concurrency),
                "-p", "6443", "-i", lst]
        if "--jsonl" in help_text:
            argv += ["--jsonl", self.jsonl]
        if "--retries" in help_text:
            argv += ["--retries", "0"]  # one attempt: the deadline is exact
        if "--store" in help_text:
            argv += ["--store", "all"]  # refused targets too
        self.argv = argv + list(extra)
        self.store_all = "--store" in help_text

    def run(self, hard_cap):
        """Runs the scan; returns (exit code, wall s, peak RSS KiB, stderr).
        A scan still running after hard_cap seconds is killed (a hang)."""
        srv = hostile_server.spawn(self.events)
        err_path = self.db + ".stderr"
        try:
            with open(err_path, "wb") as err:
                t0 = time.monotonic()
                p = subprocess.Popen(self.argv, stdout=err, stderr=err,
                                     stdin=subprocess.DEVNULL)
                status, rusage, killed = wait_rusage(p, hard_cap)
                self.wall = time.monotonic() - t0
        finally:
            hostile_server.stop(srv)
        with open(err_path, "rb") as f:
            self.stderr = f.read()
        self.killed = killed
        self.status = status
        self.rss_kib = rusage.ru_maxrss
        return status

    def results(self):
        """{endpoint: row dict} from the database (bytes for text), the
        latest row per endpoint."""
        con = sqlite3.connect("file:%s?mode=ro" % self.db, uri=True)
        con.text_factory = bytes
        try:  # kcensus schema v4: results is a view (no rowid); order by id
            cur = con.execute("SELECT * FROM results ORDER BY id")
        except sqlite3.OperationalError:  # fake_kcensus.py's own table
            cur = con.execute("SELECT * FROM results ORDER BY rowid")
        cols = [d[0] for d in cur.description]
        out = {}
        for r in cur:
            row = dict(zip(cols, r))
            out["%s:%d" % (ip_text(row["ip"]), int(row["port"]))] = row
        con.close()
        self.columns = cols
        return out

    def jsonl_rows(self):
        if not os.path.exists(self.jsonl):
            return None
        out = {}
        with open(self.jsonl, "rb") as f:
            for ln in f:
                row = json.loads(ln)
                out["%s:%d" % (ip_text(row["ip"]), int(row["port"]))] = row
        return out

    def accepted(self):
        """Target names the server saw a connection for, and canary hits."""
        seen, canary = set(), []
        with open(self.events) as f:
            for ln in f:
                w = ln.split()
                if w[0] == "accept":
                    seen.add(w[1])
                elif w[0] == "canary-hit":
                    canary.append(ln.strip())
        return seen, canary


def parse_time(v):
    """Epoch seconds from integer milliseconds (schema v3) or an ISO-8601
    UTC text ("...T06:19:16.123456Z", before v3); None if absent or
    unparseable."""
    import datetime
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return v / 1000.0
    s = text(v).rstrip("Z")
    for fmt in ("%Y-%m-%dT%H:%M:%S.%f", "%Y-%m-%dT%H:%M:%S"):
        try:
            return datetime.datetime.strptime(s, fmt).replace(
                tzinfo=datetime.timezone.utc).timestamp()
        except ValueError:
            continue
    return None


def ip_text(v):
    if isinstance(v, bytes):
        return v.decode("ascii", "replace")
    if isinstance(v, int):
        return socket.inet_ntoa(struct.pack(">I", v))
    return str(v)


def text(v):
    """A column value as str ('' for NULL)."""
    if v is None:
        return ""
    if isinstance(v, bytes):
        return v.decode("utf-8", "replace")
    return str(v)


def wait_rusage(p, hard_cap):
    """Waits for p with os.wait4 (its own peak RSS), killing it at hard_cap.
    Returns (exit status, rusage, killed)."""
    end = time.monotonic() + hard_cap
    killed = False
    while True:
        pid, status, ru = os.wait4(p.pid, os.WNOHANG)
        if pid == p.pid:
            p.returncode = os.waitstatus_to_exitcode(status)
            return p.returncode, ru, killed
        if time.monotonic() > end and not killed:
            p.kill()
            killed = True
        time.sleep(0.05)


def workdir():
    return tempfile.TemporaryDirectory(prefix="hostile-scan-")
