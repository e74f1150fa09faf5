#!/usr/bin/env python3
"""refclient.py - a small reference prober that checks the manifest itself.

Before any scanner is judged against tests/hostile/manifest.csv, the manifest
is judged against this: a strict, bounded, deadline-driven HTTP/1.1-over-TLS
client written from RFC 9112 with kcensus's ceilings (headers 64 KiB, bodies
1 MiB, the /version body kept 64 KiB, one deadline per target). For every
target, its outcome must be one the manifest allows and, where the manifest
names exact gitVersion bytes, it must decode exactly those. A row this client
disagrees with is a wrong row (or a broken server), not a scanner bug.

Usage: refclient.py [--timeout S] [--only a,b] (inside a private netns).
"""
import argparse
import concurrent.futures
import json
import os
import re
import socket
import ssl
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hostile_server  # noqa: E402

HEAD_MAX = 64 * 1024
BODY_MAX = 1024 * 1024
VERSION_KEEP = 65536
FIELD_MAX = 1024

STATUS_RE = re.compile(rb"HTTP/1\.[01] ([0-9]{3})(?: [\t\x20-\x7e\x80-\xff]*)?")
HEADER_RE = re.compile(rb"([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*(.*?)[ \t]*")
CTL_RE = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")


class Fail(Exception):
    def __init__(self, outcome, phase=""):
        super().__init__(outcome)
        self.outcome, self.phase = outcome, phase


class Reader:
    """Bounded reads from a TLS socket against one deadline."""

    def __init__(self, ss, end):
        self.ss, self.end, self.buf, self.eof = ss, end, b"", False

    def more(self):
        left = self.end - time.monotonic()
        if left <= 0:
            raise Fail("timeout", "response")
        self.ss.settimeout(left)
        try:
            d = self.ss.recv(65536)
        except socket.timeout:
            raise Fail("timeout", "response")
        except (ssl.SSLEOFError, ConnectionResetError, BrokenPipeError):
            d = b""
        except ssl.SSLError:
            raise Fail("tls_error")
        except OSError:
            raise Fail("closed")
        if not d:
            self.eof = True
        self.buf += d
        return bool(d)

    def take(self, n):
        out, self.buf = self.buf[:n], self.buf[n:]
        return out


def read_head(rd, budget):
    """One response head (status line + headers), at most budget bytes."""
    while True:
        if len(rd.buf) >= 5 and not rd.buf.startswith(b"HTTP/"):
            raise Fail("protocol_error")
        m = re.search(rb"\r?\n\r?\n", rd.buf[:budget + 4])
        if m:
            if m.end() > budget:
                raise Fail("too_large")
            return rd.take(m.end())[:m.start()]
        if len(rd.buf) > budget:
            raise Fail("too_large")
        if not rd.more():
            raise Fail("closed" if not rd.buf else "protocol_error")


def parse_head(head):
    lines = [ln[:-1] if ln.endswith(b"\r") else ln
             for ln in head.split(b"\n")]
    m = STATUS_RE.fullmatch(lines[0])
    if not m:
        raise Fail("protocol_error")
    headers = []
    for ln in lines[1:]:
        h = HEADER_RE.fullmatch(ln)
        if not h or CTL_RE.search(h.group(2)):
            raise Fail("protocol_error")
        headers.append((h.group(1).lower(), h.group(2)))
    return int(m.group(1)), headers


def read_chunked(rd):
    body = b""
    while True:
        while b"\n" not in rd.buf:
            if len(rd.buf) > 4096:
                raise Fail("protocol_error")
            if not rd.more():
                raise Fail("protocol_error")
        line = rd.take(rd.buf.index(b"\n") + 1).rstrip(b"\r\n")
        m = re.fullmatch(rb"([0-9a-fA-F]+)(;.*)?", line)
        if not m:
            raise Fail("protocol_error")
        size = int(m.group(1), 16)
        if len(body) + size > BODY_MAX:
            raise Fail("too_large")
        if size == 0:
            read_head_trailers(rd)
            return body
        while len(rd.buf) < size + 2:
            if not rd.more():
                raise Fail("protocol_error")
        body += rd.take(size)
        if rd.take(2) != b"\r\n":
            raise Fail("protocol_error")


def read_head_trailers(rd):
    while not re.match(rb"(.*\r?\n)*?\r?\n", rd.buf, re.S):
        if len(rd.buf) > HEAD_MAX:
            raise Fail("too_large")
        if not rd.more():
            raise Fail("protocol_error")


def read_body(rd, status, headers):
    te = [v for k, v in headers if k == b"transfer-encoding"]
    cl = [v for k, v in headers if k == b"content-length"]
    if te:
        if cl or te[-1].lower() != b"chunked":
            raise Fail("protocol_error")
        return read_chunked(rd)
    if cl:
        if len(set(cl)) != 1 or not re.fullmatch(rb"[0-9]+", cl[0]):
            raise Fail("protocol_error")
        n = int(cl[0])
        if n > BODY_MAX:
            raise Fail("too_large")
        while len(rd.buf) < n:
            if not rd.more():
                raise Fail("closed")
        return rd.take(n)
    if status in (204, 304):
        return b""
    while not rd.eof:
        if len(rd.buf) > BODY_MAX:
            raise Fail("too_large")
        rd.more()
    if len(rd.buf) > BODY_MAX:
        raise Fail("too_large")
    return rd.take(len(rd.buf))


def git_version(body):
    if len(body) > VERSION_KEEP:
        return None
    try:
        v = json.loads(body)
    except (ValueError, RecursionError):
        return None
    if not isinstance(v, dict) or not isinstance(v.get("gitVersion"), str):
        return None
    try:
        raw = v["gitVersion"].encode("utf-8")
    except UnicodeEncodeError:
        return None
    return raw if len(raw) <= FIELD_MAX else None


def client_ctx():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_ciphers("DEFAULT")  # what a C client on OpenSSL 3 gets
    ctx.set_alpn_protocols(["http/1.1"])
    return ctx


def probe(ip, port, timeout):
    """(outcome, phase, git_version bytes or None) for one target."""
    end = time.monotonic() + timeout
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.settimeout(timeout)
        try:
            s.connect((ip, port))
        except ConnectionRefusedError:
            return "refused", "", None
        except socket.timeout:
            return "timeout", "connect", None
        except ConnectionResetError:  # up, then RST before we looked
            return "closed", "", None
        except OSError:
            return "unreachable", "", None
        try:
            ss = client_ctx().wrap_socket(s, do_handshake_on_connect=False)
            ss.settimeout(max(0.01, end - time.monotonic()))
            ss.do_handshake()
        except socket.timeout:
            return "timeout", "tls", None
        except (ssl.SSLEOFError, ssl.SSLZeroReturnError, ConnectionResetError,
                BrokenPipeError):
            return "closed", "", None
        except ssl.SSLError:
            return "tls_error", "", None
        except OSError:
            return "closed", "", None
        try:
            ss.sendall(b"GET /version HTTP/1.1\r\nHost: %s:%d\r\nUser-Agent: "
                       b"hostile-refclient\r\nAccept: application/json\r\n"
                       b"\r\n" % (ip.encode(), port))
        except (ssl.SSLEOFError, ssl.SSLZeroReturnError):
            return "closed", "", None  # reset or closed under our write
        except ssl.SSLError:
            return "tls_error", "", None
        except OSError:
            return "closed", "", None
        rd = Reader(ss, end)
        try:
            spent = 0
            while True:
                head = read_head(rd, HEAD_MAX - spent)
                spent += len(head)
                status, headers = parse_head(head)
                if not 100 <= status <= 199:
                    break
            body = read_body(rd, status, headers)
        except Fail as f:
            return f.outcome, f.phase, None
        return "ok", "", git_version(body) if status == 200 else None
    finally:
        s.close()


def judge(t, got):
    """Problems with one target's (outcome, phase, git) against the row."""
    outcome, phase, git = got
    bad = []
    if outcome not in t.outcomes:
        bad.append("outcome %s not in %s" % (outcome, "|".join(
            sorted(t.outcomes))))
    elif outcome == "timeout" and phase not in t.phases:
        bad.append("phase %s not in %s" % (phase, "|".join(sorted(
            t.phases))))
    if outcome == "ok" and t.git_version is not hostile_server.Target.ANY \
            and git != t.git_version:
        bad.append("git_version %r, expected %r" % (git, t.git_version))
    return bad


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--timeout", type=float, default=2.0)
    ap.add_argument("--only", help="comma-separated target names")
    args = ap.parse_args()
    here = os.path.dirname(os.path.abspath(__file__))
    targets = hostile_server.load_manifest(os.path.join(here, "manifest.csv"))
    if args.only:
        keep = set(args.only.split(","))
        targets = [t for t in targets if t.name in keep]
    with tempfile.TemporaryDirectory(prefix="hostile-ref-") as tmp:
        events = os.path.join(tmp, "events.log")
        srv = hostile_server.spawn(events)
        t0 = time.monotonic()
        try:
            with concurrent.futures.ThreadPoolExecutor(len(targets)) as ex:
                got = list(ex.map(lambda t: probe(t.ip, t.port, args.timeout),
                                  targets))
        finally:
            hostile_server.stop(srv)
        wall = time.monotonic() - t0
        with open(events) as f:
            canary = [ln for ln in f if ln.startswith("canary-hit")]
    failures = 0
    for t, g in zip(targets, got):
        bad = judge(t, g)
        failures += bool(bad)
        print("%-4s %-36s %-15s %-9s %s" % ("FAIL" if bad else "ok", t.name,
                                           g[0], g[1] or "-", "; ".join(bad)))
    if canary:
        print("FAIL the redirect canary was reached: %s" % canary)
        failures += 1
    print("refclient: %d targets, %d failures, %.1f s" % (len(targets),
                                                         failures, wall))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
