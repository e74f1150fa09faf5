#!/usr/bin/env python3
"""hostile_server.py - loopback servers that misbehave, one way each.

Reads tests/hostile/manifest.csv (one row per target: ip, port, name, the
outcomes a correct scan may record, ...) and, for every row, listens on
ip:port and serves the misbehaviour registered under that name below. A
manifest row without a behaviour, or a behaviour without a row, is an error:
the manifest and this table stay in step.

Prints "READY <n>" on stdout once every listener is bound, then serves until
SIGTERM/SIGINT, stdin EOF (with --stdin-eof) or --max-seconds. Every accepted
connection is logged to --events ("accept NAME PEER"), so a harness can tell
which targets were reached and that the redirect canary never was.

Run it only on loopback or inside a private network namespace
(tests/netns-run.sh): it binds 127.32.0.0/16 addresses.
"""
import argparse
import csv
import gzip
import itertools
import json
import os
import signal
import socket
import ssl
import struct
import sys
import tempfile
import threading
import time
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import certgen  # noqa: E402

# What is streamed past a ceiling stops at twice the largest ceiling (the
# 1 MiB body): enough to cross it, little enough that the server, one
# Python process, never becomes the slow side of the test on a loaded box.
# Every connection handler gives up after this long, whatever it is doing:
# loops here are bounded in time as well as in bytes.
CONN_CAP_S = 30.0
CANARY = ("127.32.1.1", 6443)  # the redirect target; must never be reached
MIB = 1024 * 1024

# ------------------------------------------------------------------ manifest

MANIFEST_FIELDS = ["ip", "port", "name", "outcome", "phase", "git_version",
                   "notes"]


class Target:
    """One manifest row. outcomes/phases are sets of vocabulary strings;
    git_version is bytes (must be stored exactly), None (must be NULL) or
    ANY (not checked)."""
    ANY = object()

    def __init__(self, row):
        self.ip = row["ip"]
        self.port = int(row["port"])
        self.name = row["name"]
        self.outcomes = set(row["outcome"].split("|"))
        self.phases = set(p for p in row["phase"].split("|") if p)
        gv = row["git_version"]
        if gv == "":
            self.git_version = Target.ANY
        elif gv == "NULL":
            self.git_version = None
        else:
            self.git_version = bytes.fromhex(gv)
        self.notes = row["notes"]

    @property
    def endpoint(self):
        return "%s:%d" % (self.ip, self.port)


def load_manifest(path):
    with open(path, newline="") as f:
        lines = [ln for ln in f if ln.strip() and not ln.startswith("#")]
    rows = list(csv.DictReader(lines))
    if not rows or list(rows[0].keys()) != MANIFEST_FIELDS:
        raise ValueError("%s: header must be %s" % (path, ",".join(
            MANIFEST_FIELDS)))
    targets = [Target(r) for r in rows]
    seen = set()
    for t in targets:
        if t.endpoint in seen:
            raise ValueError("%s: duplicate endpoint %s" % (path, t.endpoint))
        seen.add(t.endpoint)
    return targets


# ------------------------------------------------------------------ helpers


class Env:
    """What every handler shares: TLS contexts, the event log, stop flag."""

    def __init__(self, workdir, events_path):
        self.workdir = workdir
        self.stop = threading.Event()
        self._lock = threading.Lock()
        self._events = open(events_path, "a") if events_path else None
        self._ctx = {}
        self.kp = certgen.KeyPair(workdir)
        self.keep = []  # sockets that must stay open (backlog fillers)
        # Built before READY: compressing takes longer than a scan timeout.
        self.bomb = gzip.compress(b"\0" * (16 * MIB), 6)

    def log(self, *words):
        if self._events is None:
            return
        with self._lock:
            self._events.write(" ".join(str(w) for w in words) + "\n")
            self._events.flush()

    def ctx(self, name):
        with self._lock:
            if name not in self._ctx:
                self._ctx[name] = CONTEXTS[name](self)
            return self._ctx[name]


class Deadline:
    def __init__(self, seconds=CONN_CAP_S):
        self.end = time.monotonic() + seconds

    def left(self):
        return self.end - time.monotonic()

    def over(self):
        return self.left() <= 0


def sink(sock, dl, stop):
    """Read and discard until the peer goes, the cap or the stop flag."""
    sock.settimeout(0.5)
    while not dl.over() and not stop.is_set():
        try:
            if not sock.recv(65536):
                return
        except (socket.timeout, ssl.SSLWantReadError):
            continue
        except (OSError, ssl.SSLError):
            return


def send_quiet(sock, data):
    try:
        sock.sendall(data)
        return True
    except (OSError, ssl.SSLError):
        return False


def stream(sock, chunk, total, dl):
    """Sends chunk repeatedly up to total bytes (or until the peer goes)."""
    sent = 0
    while sent < total and not dl.over():
        if not send_quiet(sock, chunk):
            return False
        sent += len(chunk)
    return True


def trickle(sock, data, dl, stop, interval=1.0):
    """One byte per interval, cycling through data, until the peer goes."""
    i = 0
    while not dl.over() and not stop.is_set():
        if not send_quiet(sock, data[i % len(data):i % len(data) + 1]):
            return
        i += 1
        stop.wait(interval)


def rst_close(sock):
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                    struct.pack("ii", 1, 0))
    sock.close()


def read_tls_record(sock, dl):
    """Reads one whole TLS record (the ClientHello); None on EOF/timeout."""
    buf = b""
    sock.settimeout(1.0)
    while not dl.over():
        need = 5 if len(buf) < 5 else 5 + struct.unpack(">H", buf[3:5])[0]
        if len(buf) >= need and len(buf) >= 5:
            return buf
        try:
            d = sock.recv(need - len(buf))
        except socket.timeout:
            continue
        except OSError:
            return None
        if not d:
            return None
        buf += d
    return None


def read_request(conn, dl):
    """Reads one HTTP request head; returns the path or None."""
    buf = b""
    conn.settimeout(1.0)
    while b"\r\n\r\n" not in buf and not dl.over():
        if len(buf) > 65536:
            return None
        try:
            d = conn.recv(4096)
        except (socket.timeout, ssl.SSLWantReadError):
            continue
        except (OSError, ssl.SSLError):
            return None
        if not d:
            return None
        buf += d
    if b"\r\n\r\n" not in buf:
        return None
    line = buf.split(b"\r\n", 1)[0].split(b" ")
    return line[1].decode("latin-1") if len(line) >= 2 else "/"


def split_records(data):
    """TLS records in data (the last one may be partial)."""
    out, i = [], 0
    while i + 5 <= len(data):
        n = struct.unpack(">H", data[i + 3:i + 5])[0]
        out.append(data[i:i + 5 + n])
        i += 5 + n
    if i < len(data):
        out.append(data[i:])
    return out


# ------------------------------------------------------------------ HTTP bits

K8S_VERSION_FIELDS = [
    ("major", "1"), ("minor", "29"), ("gitVersion", "v1.29.3"),
    ("gitCommit", "6813625b7cd706db5bc7388921be03071e1a492d"),
    ("gitTreeState", "clean"), ("buildDate", "2024-03-14T23:58:36Z"),
    ("goVersion", "go1.21.8"), ("compiler", "gc"),
    ("platform", "linux/amd64"),
]


def version_body(git_json=None, **overrides):
    """A /version body; git_json is the raw JSON text of gitVersion."""
    parts = []
    for k, v in K8S_VERSION_FIELDS:
        if k == "gitVersion" and git_json is not None:
            parts.append(b'"gitVersion":' + git_json)
            continue
        v = overrides.get(k, v)
        parts.append(json.dumps(k).encode() + b":" + json.dumps(v).encode())
    return b"{" + b",".join(parts) + b"}"


def json_str(raw):
    """JSON text for a string holding exactly the bytes raw (UTF-8)."""
    return json.dumps(raw.decode("utf-8"), ensure_ascii=True).encode()


def response(status=200, reason="OK", body=b"", ctype="application/json",
             extra=(), length=True):
    h = ["HTTP/1.1 %d %s" % (status, reason)]
    if ctype:
        h.append("Content-Type: " + ctype)
    if length:
        h.append("Content-Length: %d" % len(body))
    h.append("Audit-Id: 4f1c2a55-8a41-4e0e-9a0a-7d6ef0a1f001")
    h.extend(extra)
    return ("\r\n".join(h) + "\r\n\r\n").encode("latin-1") + body


STATUS_403 = (b'{"kind":"Status","apiVersion":"v1","metadata":{},'
              b'"status":"Failure","message":"forbidden: User '
              b'\\"system:anonymous\\" cannot get path \\"/\\"",'
              b'"reason":"Forbidden","details":{},"code":403}')


def k8s_answer(path, version=None):
    """What a locked-down API server says to an anonymous probe."""
    if path == "/version":
        return response(body=version if version is not None
                        else version_body())
    if path in ("/healthz", "/livez", "/readyz"):
        return response(body=b"ok", ctype="text/plain; charset=utf-8")
    return response(403, "Forbidden", STATUS_403)


def nginx_404(path):
    body = (b"<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>"
            b"\r\n<center><h1>404 Not Found</h1></center>\r\n<hr><center>"
            b"nginx</center>\r\n</body>\r\n</html>\r\n")
    return response(404, "Not Found", body, ctype="text/html")


# ------------------------------------------------------------------ TLS contexts


def _server_ctx(env, certs, name, min_v=ssl.TLSVersion.TLSv1_2,
                max_v=ssl.TLSVersion.TLSv1_3, ciphers=None):
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    path = certgen.write_chain(os.path.join(env.workdir, name + ".pem"),
                               certs)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    if ciphers:
        ctx.set_ciphers(ciphers)
    ctx.minimum_version = min_v
    ctx.maximum_version = max_v
    ctx.load_cert_chain(path, env.kp.key)
    return ctx


def _days(n):
    import datetime
    return (datetime.datetime.now(datetime.timezone.utc).replace(
        microsecond=0) + datetime.timedelta(days=n))


def ctx_default(env):
    return _server_ctx(env, [certgen.make_cert(env.kp)], "default")


def ctx_tls12(env):
    return _server_ctx(env, [certgen.make_cert(env.kp)], "tls12",
                       max_v=ssl.TLSVersion.TLSv1_2)


def ctx_expired(env):
    c = certgen.make_cert(env.kp, cn=b"expired.hostile", not_before=_days(
        -3650), not_after=_days(-1000))
    return _server_ctx(env, [c], "expired")


def ctx_not_yet_valid(env):
    c = certgen.make_cert(env.kp, cn=b"future.hostile", not_before=_days(
        3650), not_after=_days(7300))
    return _server_ctx(env, [c], "notyet")


def ctx_sans_2000(env):
    sans = [b"san-%04d.hostile.example" % i for i in range(2000)]
    return _server_ctx(env, [certgen.make_cert(env.kp, sans=sans)], "sans")


# Every kind of byte a subject should not carry into a report unescaped.
HOSTILE_SUBJECT = (b"evil\x00nul\x01\x07\x1b[31mred\x1b]0;title\x07"
                   b"\r\nInjected: 1,\"q\",'s'<script>alert(1)</script>]]>"
                   b"&amp;=cmd|' /C calc'!A0\xe2\x80\xae\xc2\x9b")


def ctx_hostile_subject(env):
    c = certgen.make_cert(env.kp, cn=HOSTILE_SUBJECT,
                          issuer_cn=b"issuer\x00" + HOSTILE_SUBJECT,
                          sans=[b"a\x00b.example", b"<x>&\x1b[2J"],
                          org=b"\xff\xfe\x80\x1b[1m\x00")
    return _server_ctx(env, [c], "subject")


def ctx_cn_16k(env):
    return _server_ctx(env, [certgen.make_cert(env.kp, cn=b"C" * 16384)],
                       "cn16k")


def ctx_chain_300k(env):
    filler = certgen.extension(certgen.OID_FILLER, b"\xab" * 15000)
    # One bulky certificate sent 20 times: the size is the point, and one
    # signature keeps start-up quick.
    bulky = certgen.make_cert(env.kp, cn=b"chain-filler", sans=(),
                              extra_exts=[filler], serial=100)
    return _server_ctx(env, [certgen.make_cert(env.kp)] + [bulky] * 20,
                       "chain300k")


def ctx_tls10(env):
    return _server_ctx(env, [certgen.make_cert(env.kp)], "tls10",
                       min_v=ssl.TLSVersion.TLSv1,
                       max_v=ssl.TLSVersion.TLSv1,
                       ciphers="DEFAULT:@SECLEVEL=0")


def ctx_null_cipher(env):
    return _server_ctx(env, [certgen.make_cert(env.kp)], "nullcipher",
                       max_v=ssl.TLSVersion.TLSv1_2,
                       ciphers="ECDHE-ECDSA-NULL-SHA:@SECLEVEL=0")


def ctx_cbc_sha1(env):
    return _server_ctx(env, [certgen.make_cert(env.kp)], "cbcsha1",
                       max_v=ssl.TLSVersion.TLSv1_2,
                       ciphers="ECDHE-ECDSA-AES128-SHA")


def ctx_client_cert(env):
    ctx = ctx_default(env)
    ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.load_verify_locations(cadata=certgen.pem(certgen.make_cert(
        env.kp, cn=b"client-ca")))
    return ctx


def ctx_h2(env):
    ctx = ctx_default(env)
    ctx.set_alpn_protocols(["h2"])
    return ctx


CONTEXTS = {
    "default": ctx_default, "tls12": ctx_tls12, "expired": ctx_expired,
    "not_yet_valid": ctx_not_yet_valid, "sans_2000": ctx_sans_2000,
    "hostile_subject": ctx_hostile_subject, "cn_16k": ctx_cn_16k,
    "chain_300k": ctx_chain_300k, "tls10": ctx_tls10,
    "null_cipher": ctx_null_cipher, "cbc_sha1": ctx_cbc_sha1,
    "client_cert": ctx_client_cert, "h2": ctx_h2,
}

# ------------------------------------------------------------------ behaviours
#
# Four layers. "raw": fn(env, sock) owns the accepted TCP socket. "tls":
# fn(env, ssock) runs after a completed handshake with context `ctx`.
# "http": fn(env, ssock, path) answers one request; returning True keeps the
# connection for the next request. "listen": fn(env, target) sets up the
# listener itself (or none).

BEHAVIOURS = {}


def behaviour(name, layer, ctx="default"):
    def reg(fn):
        if name in BEHAVIOURS:
            raise ValueError("duplicate behaviour " + name)
        BEHAVIOURS[name] = (layer, fn, ctx)
        return fn
    return reg


# --- TCP

@behaviour("baseline_ok", "http")
def b_baseline(env, c, path):
    return send_quiet(c, k8s_answer(path))


@behaviour("tcp_close_at_once", "raw")
def b_close(env, s):
    s.close()


@behaviour("tcp_rst_at_once", "raw")
def b_rst(env, s):
    rst_close(s)


@behaviour("tcp_silent", "raw")
def b_silent(env, s):
    sink(s, Deadline(), env.stop)


@behaviour("tcp_port_closed", "listen")
def l_closed(env, t):
    return None  # nothing listens: the kernel answers RST to the SYN


@behaviour("tcp_backlog_full", "listen")
def l_backlog(env, t):
    """listen(0) and never accept; our own connections fill the queue, so
    the kernel drops further SYNs (tcp_abort_on_overflow=0)."""
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((t.ip, t.port))
    ls.listen(0)
    env.keep.append(ls)
    for _ in range(3):
        f = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        f.setblocking(False)
        f.connect_ex((t.ip, t.port))
        env.keep.append(f)
    time.sleep(0.2)
    return None


@behaviour("tcp_close_after_clienthello", "raw")
def b_close_ch(env, s):
    read_tls_record(s, Deadline(5))
    s.close()


@behaviour("tcp_rst_after_clienthello", "raw")
def b_rst_ch(env, s):
    read_tls_record(s, Deadline(5))
    rst_close(s)


# --- TLS: the handshake itself

@behaviour("tls_garbage_serverhello", "raw")
def b_garbage(env, s):
    if read_tls_record(s, Deadline(5)) is not None:
        send_quiet(s, bytes((i * 7 + 13) % 256 for i in range(4096)))
    sink(s, Deadline(), env.stop)


@behaviour("tls_plain_http", "raw")
def b_plain_http(env, s):
    """What nginx without ssl says to a ClientHello."""
    if read_tls_record(s, Deadline(5)) is not None:
        body = b"<html><body><h1>400 Bad Request</h1></body></html>\r\n"
        send_quiet(s, response(400, "Bad Request", body, ctype="text/html",
                               extra=["Connection: close"]))
    s.close()


@behaviour("tls_stall_before_serverhello", "raw")
def b_stall_sh(env, s):
    read_tls_record(s, Deadline(5))
    sink(s, Deadline(), env.stop)


@behaviour("tls_alert_handshake_failure", "raw")
def b_alert(env, s):
    if read_tls_record(s, Deadline(5)) is not None:
        send_quiet(s, b"\x15\x03\x03\x00\x02\x02\x28")
    sink(s, Deadline(5), env.stop)


def bio_handshake(env, s, ctx_name, on_flight):
    """Drives a server handshake through memory BIOs; on_flight(sock, data,
    n) decides what of the n-th outgoing flight reaches the wire and returns
    False to stop sending anything more (the connection then stalls)."""
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = env.ctx(ctx_name).wrap_bio(inc, out, server_side=True)
    dl = Deadline()
    s.settimeout(0.5)
    n, sending = 0, True
    while not dl.over() and not env.stop.is_set():
        try:
            d = s.recv(65536)
        except socket.timeout:
            continue
        except OSError:
            return
        if not d:
            return
        if not sending:
            continue
        inc.write(d)
        try:
            obj.do_handshake()
        except ssl.SSLWantReadError:
            pass
        except ssl.SSLError:
            return
        data = out.read()
        if data:
            sending = on_flight(s, data, n)
            n += 1


@behaviour("tls_stall_after_serverhello", "raw")
def b_stall_after_sh(env, s):
    def first_record_only(sock, data, n):
        send_quiet(sock, split_records(data)[0])
        return False
    bio_handshake(env, s, "default", first_record_only)


@behaviour("tls12_stall_before_finished", "raw")
def b_stall_fin(env, s):
    def first_flight_only(sock, data, n):
        send_quiet(sock, data)
        return False
    bio_handshake(env, s, "tls12", first_flight_only)


@behaviour("tls_handshake_1byte_per_s", "raw")
def b_trickle_hs(env, s):
    def slow(sock, data, n):
        dl = Deadline()
        for i in range(len(data)):
            if dl.over() or env.stop.is_set():
                return False
            if not send_quiet(sock, data[i:i + 1]):
                return False
            env.stop.wait(1.0)
        return True
    bio_handshake(env, s, "default", slow)


# --- TLS: certificates (the HTTP answer itself is a normal one)

def _cert_target(name, ctx):
    def fn(env, c, path):
        return send_quiet(c, k8s_answer(path))
    behaviour(name, "http", ctx)(fn)


for _n, _c in [("cert_expired", "expired"),
               ("cert_not_yet_valid", "not_yet_valid"),
               ("cert_2000_sans", "sans_2000"),
               ("cert_hostile_subject", "hostile_subject"),
               ("cert_16k_cn", "cn_16k"),
               ("cert_chain_300k", "chain_300k"),
               ("tls10_only", "tls10"),
               ("tls_null_cipher_only", "null_cipher"),
               ("tls12_cbc_sha1_only", "cbc_sha1")]:
    _cert_target(_n, _c)


@behaviour("tls_client_cert_required", "raw")
def b_client_cert(env, s):
    try:
        ss = env.ctx("client_cert").wrap_socket(s, server_side=True)
        sink(ss, Deadline(5), env.stop)
    except (OSError, ssl.SSLError):
        pass


# --- TLS: right after the handshake

@behaviour("tls_close_notify_after_handshake", "tls")
def b_close_notify(env, ss):
    try:
        ss.unwrap()
    except (OSError, ssl.SSLError):
        pass


@behaviour("tls_fin_after_handshake", "tls")
def b_fin(env, ss):
    ss.shutdown(socket.SHUT_WR)
    sink(ss, Deadline(5), env.stop)


@behaviour("tls_rst_after_handshake", "tls")
def b_rst_hs(env, ss):
    rst_close(ss)


# --- TLS: post-handshake messages Python's ssl cannot send (rawssl.py)

def _raw_serve(env, s, version, before_answer, write=None):
    """Serves k8s answers over libssl directly, calling before_answer(conn)
    ahead of every answer (a KeyUpdate, a renegotiation request; False
    ends the connection unanswered) and write(conn, data) to send it."""
    import rawssl
    with env._lock:
        if ("raw", version) not in env._ctx:
            chain = certgen.write_chain(os.path.join(env.workdir, "raw.pem"),
                                        [certgen.make_cert(env.kp)])
            env._ctx[("raw", version)] = rawssl.Context(chain, env.kp.key,
                                                        version)
        rctx = env._ctx[("raw", version)]
    s.setblocking(True)
    tv = struct.pack("ll", 2, 0)  # every blocking libssl call ends in 2 s
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, tv)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, tv)
    conn = rawssl.Conn(rctx, s)
    try:
        if not conn.accept():
            return
        dl = Deadline()
        for _ in range(16):
            req = b""
            while b"\r\n\r\n" not in req and len(req) < 65536 \
                    and not dl.over():
                d = conn.read()
                if not d:
                    return
                req += d
            parts = req.split(b" ", 2)
            path = parts[1].decode("latin-1") if len(parts) > 2 else "/"
            if before_answer(conn) is False:
                return
            if not (write or _conn_write)(conn, k8s_answer(path)):
                return
    finally:
        conn.close()


@behaviour("tls13_key_update", "raw")
def b_key_update(env, s):
    import rawssl
    _raw_serve(env, s, rawssl.TLS1_3_VERSION, lambda c: c.key_update())


@behaviour("tls12_renegotiation_request", "raw")
def b_reneg(env, s):
    import rawssl
    _raw_serve(env, s, rawssl.TLS1_2_VERSION, lambda c: c.renegotiate())


def _conn_write(conn, data):
    return conn.write(data)


def _reneg_forever(conn):
    """Renegotiation after renegotiation, each waited for, never an
    answer (200 rounds at most; each wait is 20 peeks of 0.1 s)."""
    conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO,
                         struct.pack("ll", 0, 100000))
    for _ in range(200):
        if not conn.renegotiate() or not conn.renegotiation_done(20):
            return False
    return False


@behaviour("tls12_renegotiate_forever", "raw")
def b_reneg_forever(env, s):
    import rawssl
    _raw_serve(env, s, rawssl.TLS1_2_VERSION, _reneg_forever)


def _write_key_updates(conn, data):
    """The answer in 64-byte records, a KeyUpdate (update_requested) after
    each one."""
    import rawssl
    for i in range(0, len(data), 64):
        if not conn.write(data[i:i + 64]) or not conn.key_update():
            return False
    return rawssl.SSL_do_handshake(conn.ssl) == 1  # sends the last one


@behaviour("tls13_key_update_every_record", "raw")
def b_key_update_records(env, s):
    import rawssl
    _raw_serve(env, s, rawssl.TLS1_3_VERSION, lambda c: None,
               write=_write_key_updates)


# --- HTTP: timing

@behaviour("http_silent", "tls")
def b_http_silent(env, ss):
    sink(ss, Deadline(), env.stop)


@behaviour("http_1byte_per_s", "http")
def b_http_trickle(env, c, path):
    trickle(c, b"HTTP/1.1 200 OK\r\nX-Slow: " + b"z" * 64 + b"\r\n",
            Deadline(), env.stop)


# --- HTTP: size

@behaviour("http_headers_1mib", "http")
def b_h1mib(env, c, path):
    head = b"HTTP/1.1 200 OK\r\nX-Big: "
    if send_quiet(c, head):
        stream(c, b"a" * 65536, MIB, Deadline())
        send_quiet(c, b"\r\nContent-Length: 2\r\n\r\n{}")
    sink(c, Deadline(5), env.stop)


@behaviour("http_100k_headers", "http")
def b_h100k(env, c, path):
    if send_quiet(c, b"HTTP/1.1 200 OK\r\n"):
        stream(c, b"X-H: v\r\n" * 1000, 100000 * 8, Deadline())
        send_quiet(c, b"Content-Length: 2\r\n\r\n{}")
    sink(c, Deadline(5), env.stop)


@behaviour("http_status_line_1mib", "http")
def b_status_huge(env, c, path):
    if send_quiet(c, b"HTTP/1.1 200 "):
        stream(c, b"O" * 65536, MIB, Deadline())
        send_quiet(c, b"\r\nContent-Length: 2\r\n\r\n{}")
    sink(c, Deadline(5), env.stop)


# --- HTTP: status lines

def _raw_answer(name, data, then_close=True):
    def fn(env, c, path):
        send_quiet(c, data)
        if not then_close:
            sink(c, Deadline(), env.stop)
        return False
    behaviour(name, "http")(fn)


_VB = version_body()
_raw_answer("http_status_no_crlf", b"HTTP/1.1 200 OK")
_raw_answer("http_09_body_only", _VB)
_raw_answer("http_status_0", b"HTTP/1.1 0 OK\r\nContent-Length: %d\r\n\r\n"
            % len(_VB) + _VB)
_raw_answer("http_status_999", b"HTTP/1.1 999 Odd\r\nContent-Length: %d\r\n"
            b"\r\n" % len(_VB) + _VB)
_raw_answer("http_status_abc", b"HTTP/1.1 abc OK\r\nContent-Length: %d\r\n"
            b"\r\n" % len(_VB) + _VB)
_raw_answer("http_header_no_colon", b"HTTP/1.1 200 OK\r\nNoColonHere\r\n"
            b"Content-Length: %d\r\n\r\n" % len(_VB) + _VB)

# --- HTTP: framing
_raw_answer("http_cl_missing_close", b"HTTP/1.1 200 OK\r\nContent-Type: "
            b"application/json\r\nConnection: close\r\n\r\n" + _VB)
_raw_answer("http_cl_negative", b"HTTP/1.1 200 OK\r\nContent-Length: -5\r\n"
            b"\r\n" + _VB)
_raw_answer("http_cl_1e18", b"HTTP/1.1 200 OK\r\nContent-Length: 1e18\r\n"
            b"\r\n" + _VB)
_raw_answer("http_cl_2p64_plus_1", b"HTTP/1.1 200 OK\r\nContent-Length: "
            b"18446744073709551617\r\n\r\n" + _VB, then_close=False)
_raw_answer("http_cl_conflicting", b"HTTP/1.1 200 OK\r\nContent-Length: 2"
            b"\r\nContent-Length: %d\r\n\r\n" % len(_VB) + _VB)
_raw_answer("http_cl_and_chunked", b"HTTP/1.1 200 OK\r\nContent-Length: 5"
            b"\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n" % len(_VB) + _VB +
            b"\r\n0\r\n\r\n")
_raw_answer("http_chunk_size_bogus", b"HTTP/1.1 200 OK\r\nTransfer-Encoding:"
            b" chunked\r\n\r\nzz\r\n" + _VB + b"\r\n0\r\n\r\n")
_raw_answer("http_chunk_size_2p64", b"HTTP/1.1 200 OK\r\nTransfer-Encoding:"
            b" chunked\r\n\r\n10000000000000000\r\n" + _VB, then_close=False)
_raw_answer("http_bare_lf", b"HTTP/1.1 200 OK\nContent-Type: application/"
            b"json\nContent-Length: %d\n\n" % len(_VB) + _VB)
_raw_answer("http_ctl_in_header", b"HTTP/1.1 200 OK\r\nContent-Type: appli"
            b"cation/json\x01\x1b[2J\x7f\r\nContent-Length: %d\r\n\r\n"
            % len(_VB) + _VB)
_raw_answer("http_two_responses_one_write", response(body=_VB) +
            response(body=b'{"second":true}'))
_raw_answer("http_1xx_then_ok", b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 "
            b"Early Hints\r\nLink: </x>\r\n\r\n" + response(body=_VB))


@behaviour("http_cl_1e18_digits", "http")
def b_cl_huge(env, c, path):
    """Declares 10^18 bytes and sends 2 MiB: too large either way, whether
    the client checks the header or counts the bytes."""
    if send_quiet(c, b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                  b"Content-Length: 1000000000000000000\r\n\r\n"):
        stream(c, b" " * 65536, 2 * MIB, Deadline())
    sink(c, Deadline(5), env.stop)


@behaviour("http_chunks_endless", "http")
def b_chunks(env, c, path):
    if send_quiet(c, b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"):
        stream(c, b"400\r\n" + b" " * 1024 + b"\r\n", 2 * MIB, Deadline())
    sink(c, Deadline(5), env.stop)


@behaviour("http_body_endless", "http")
def b_body(env, c, path):
    if send_quiet(c, b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n"):
        stream(c, b"[" * 65536, 2 * MIB, Deadline())
    sink(c, Deadline(5), env.stop)


@behaviour("http_gzip_bomb", "http", ctx="default")
def b_gzip(env, c, path):
    """16 MiB of zeros in ~16 KB of gzip: a client that inflates must stop
    at its body ceiling."""
    return send_quiet(c, response(body=env.bomb, extra=[
        "Content-Encoding: gzip"]))


@behaviour("http_1xx_endless", "http")
def b_1xx(env, c, path):
    stream(c, b"HTTP/1.1 102 Processing\r\n\r\n" * 512, 4 * MIB, Deadline())
    sink(c, Deadline(5), env.stop)


@behaviour("http_redirect", "http")
def b_redirect(env, c, path):
    loc = "https://%s:%d/version" % CANARY
    return send_quiet(c, response(302, "Found", b"", extra=[
        "Location: " + loc]))


@behaviour("http2_frames_after_alpn", "tls", ctx="h2")
def b_h2(env, ss):
    """A server that speaks HTTP/2 whatever was negotiated: SETTINGS, then
    GOAWAY(PROTOCOL_ERROR) once the HTTP/1.1 request arrives."""
    settings = struct.pack(">I", 6)[1:] + b"\x04\x00" + struct.pack(">I", 0)
    settings += struct.pack(">HI", 3, 100)
    send_quiet(ss, settings)
    read_request(ss, Deadline(5))
    goaway = struct.pack(">I", 8)[1:] + b"\x07\x00" + struct.pack(">I", 0)
    goaway += struct.pack(">II", 0, 1)
    send_quiet(ss, goaway)
    sink(ss, Deadline(5), env.stop)


# --- JSON: /version bodies on an otherwise Kubernetes-like server

def _version_target(name, body, others=k8s_answer):
    def fn(env, c, path):
        if path == "/version":
            return send_quiet(c, response(body=body))
        return send_quiet(c, others(path))
    behaviour(name, "http")(fn)


_version_target("json_invalid", b'{"major":"1","minor":"29","gitVersion":'
                b'"v1.29.3",')
_version_target("json_nested_30k", b"[" * 30000 + b"]" * 30000)
_version_target("json_nested_100k", b"[" * 100000 + b"]" * 100000)
_version_target("json_wrong_types_numbers", b'{"major":1,"minor":29,'
                b'"gitVersion":1.29,"gitCommit":0,"gitTreeState":false,'
                b'"buildDate":1e400,"goVersion":-0,"compiler":{},'
                b'"platform":[]}')
_version_target("json_wrong_types_null", b'{"major":null,"minor":null,'
                b'"gitVersion":null,"gitCommit":null,"gitTreeState":null,'
                b'"buildDate":null,"goVersion":null,"compiler":null,'
                b'"platform":null}')
_version_target("json_wrong_types_arrays", b'{"major":["1"],"minor":["29"],'
                b'"gitVersion":["v1.29.3"],"gitCommit":[],"platform":[[]]}')
_version_target("json_minor_plus", version_body(json_str(b"v1.29.4-gke.1043"
                                                         b"000"), minor="29+"))
_version_target("json_top_level_array", b'["v1.29.3"]')
_version_target("json_top_level_string", b'"v1.29.3"')
_version_target("json_duplicate_keys", b'{"gitVersion":"v1.28.0",'
                b'"major":"1","minor":"28","gitVersion":"v1.29.3","minor":'
                b'"29"}')
_version_target("json_plausible_not_k8s", version_body(),
                others=lambda p: nginx_404(p))


@behaviour("json_50mib", "http")
def b_json_50(env, c, path):
    head = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n" % (50 * MIB))
    if send_quiet(c, head + b'{"gitVersion":"'):
        stream(c, b"v" * 65536, 2 * MIB, Deadline())
    sink(c, Deadline(5), env.stop)


# --- Strings: gitVersion values. The expected bytes come from the manifest
# (git_version column) so the server sends exactly what the check expects.

def _string_target(name):
    def fn(env, c, path, target=None):
        if path != "/version":
            return send_quiet(c, k8s_answer(path))
        return send_quiet(c, response(body=version_body(
            json_str(STRING_VALUES[name]))))
    behaviour(name, "http")(fn)


STRING_VALUES = {}  # filled from the manifest at start-up
STRING_TARGETS = ["str_csv_formula", "str_quotes_commas", "str_crlf",
                  "str_sql_quotes", "str_markup", "str_ansi_escapes",
                  "str_rtl_override", "str_u2028", "str_unicode_escapes",
                  "str_max_field"]
for _n in STRING_TARGETS:
    _string_target(_n)

# Strings whose JSON is not a valid string value (or holds NUL): the exact
# bytes of the body are the point, and what a scanner stores is its choice
# (NULL, or bytes that then must stay harmless downstream).
_version_target("str_nul", version_body(b'"v1.29.3\\u0000\\u001b[2Jevil"'))
_version_target("str_invalid_utf8", version_body(b'"v1.29.3\xff\xfe\xc0\xaf'
                                                 b'\xed\xa0\x80"'))
_version_target("str_lone_surrogate", version_body(b'"v1.29.3\\ud800x'
                                                   b'\\udfff"'))
_version_target("str_60k", version_body(b'"v1.29.3-' + b"x" * 60000 + b'"'))
_version_target("str_1mib", version_body(b'"v1.29.3-' + b"x" * MIB + b'"'))


# --- Later probes: /version is fine, what follows is hostile. The target's
# outcome is that of /version (ok); its deadline must still hold.

@behaviour("late_probe_silent", "http")
def b_late_silent(env, c, path):
    if path == "/version":
        return send_quiet(c, k8s_answer(path))
    sink(c, Deadline(), env.stop)
    return False


@behaviour("late_probe_1byte_per_s", "http")
def b_late_trickle(env, c, path):
    if path == "/version":
        return send_quiet(c, k8s_answer(path))
    trickle(c, b"HTTP/1.1 200 OK\r\nX-Slow: " + b"z" * 64 + b"\r\n",
            Deadline(), env.stop)
    return False


@behaviour("late_probe_headers_1mib", "http")
def b_late_big(env, c, path):
    if path == "/version":
        return send_quiet(c, k8s_answer(path))
    return b_h1mib(env, c, path)


_LIE = itertools.count()  # connections served by close_each_lying


def _lie(n, path):
    """The story connection n tells: a stock API server, an older one, an
    nginx site, a JSON API that is not Kubernetes."""
    kind = n % 4
    if kind == 0:
        return k8s_answer(path)
    if kind == 1:
        return k8s_answer(path, version_body(gitVersion="v1.13.0"))
    if kind == 2:
        return nginx_404(path)
    return response(body=b'{"hello":"world"}')


@behaviour("close_each_lying", "http")
def b_close_lying(env, c, path):
    """Connection: close after every answer, and every connection lies
    differently: a scanner that reconnects must still end in time."""
    data = _lie(next(_LIE), path)
    send_quiet(c, data.replace(b"\r\n", b"\r\nConnection: close\r\n", 1))
    return False


_raw_answer("http_1xx_10000", b"HTTP/1.1 100 Continue\r\n\r\n" * 10000
            + response(body=_VB))


@behaviour("close_after_version", "http")
def b_close_after(env, c, path):
    """Answers one request per connection, saying so, then closes."""
    send_quiet(c, response(body=version_body() if path == "/version" else
                           STATUS_403, extra=["Connection: close"]))
    return False


@behaviour("canary", "http")
def b_canary(env, c, path):
    env.log("canary-hit", path)
    return send_quiet(c, k8s_answer(path))


# ------------------------------------------------------------------ serving


def serve_conn(env, t, sock):
    layer, fn, ctx = BEHAVIOURS[t.name]
    try:
        if layer == "raw":
            fn(env, sock)
            return
        sock.settimeout(10)
        ss = env.ctx(ctx).wrap_socket(sock, server_side=True)
        if layer == "tls":
            fn(env, ss)
            return
        dl = Deadline()
        for _ in range(32):  # bounded keep-alive
            path = read_request(ss, dl)
            if path is None or not fn(env, ss, path):
                break
        # A clean end: close_notify first (a close-delimited body is only
        # complete with it), without waiting long for the peer's.
        ss.settimeout(0.5)
        ss.unwrap()
    except (OSError, ssl.SSLError, ValueError):
        pass
    finally:
        try:
            sock.close()
        except OSError:
            pass


def accept_loop(env, t, ls):
    ls.settimeout(0.5)
    while not env.stop.is_set():
        try:
            s, peer = ls.accept()
        except socket.timeout:
            continue
        except OSError:
            return
        env.log("accept", t.name, "%s:%d" % peer)
        threading.Thread(target=serve_conn, args=(env, t, s),
                         daemon=True).start()


def start(env, targets):
    n = 0
    for t in targets:
        if t.name not in BEHAVIOURS:
            raise ValueError("manifest target %s has no behaviour" % t.name)
        layer, fn, ctx = BEHAVIOURS[t.name]
        if layer != "listen":
            env.ctx(ctx)  # build certificates before READY
        if layer == "listen":
            fn(env, t)
            n += 1
            continue
        ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind((t.ip, t.port))
        ls.listen(128)
        threading.Thread(target=accept_loop, args=(env, t, ls),
                         daemon=True).start()
        n += 1
    return n


def spawn(events, max_seconds=300, extra=(), ready_timeout=30):
    """Starts this server as a child process (for harnesses) and waits for
    READY. Returns the Popen; stop it with stop()."""
    import subprocess
    p = subprocess.Popen([sys.executable, os.path.abspath(__file__),
                          "--events", events, "--max-seconds",
                          str(max_seconds)] + list(extra),
                         stdout=subprocess.PIPE, stdin=subprocess.DEVNULL,
                         bufsize=0)
    line = b""
    end = time.monotonic() + ready_timeout
    import selectors
    sel = selectors.DefaultSelector()
    sel.register(p.stdout, selectors.EVENT_READ)
    while time.monotonic() < end and not line.endswith(b"\n"):
        if sel.select(timeout=0.5):
            c = p.stdout.read(1)
            if not c:
                break
            line += c
    sel.close()
    if not line.startswith(b"READY"):
        p.kill()
        p.wait()
        raise RuntimeError("hostile server did not start: %r" % line)
    return p


def stop(p):
    p.terminate()
    try:
        p.wait(timeout=5)
    except Exception:
        p.kill()
        p.wait()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--manifest", default=os.path.join(here, "manifest.csv"))
    ap.add_argument("--workdir", help="for keys/certs (default: a temp dir)")
    ap.add_argument("--events", help="append connection events here")
    ap.add_argument("--max-seconds", type=float, default=600)
    ap.add_argument("--only", help="comma-separated target names")
    args = ap.parse_args()

    targets = load_manifest(args.manifest)
    names = set(t.name for t in targets)
    missing = set(BEHAVIOURS) - names - {"canary"}
    if missing:
        sys.exit("hostile_server: behaviours not in the manifest: %s"
                 % ", ".join(sorted(missing)))
    for t in targets:
        if t.name in STRING_TARGETS:
            if not isinstance(t.git_version, bytes):
                sys.exit("hostile_server: %s needs a git_version" % t.name)
            STRING_VALUES[t.name] = t.git_version
    if args.only:
        keep = set(args.only.split(","))
        targets = [t for t in targets if t.name in keep]

    tmp = None
    workdir = args.workdir
    if workdir is None:
        tmp = tempfile.TemporaryDirectory(prefix="hostile-")
        workdir = tmp.name
    env = Env(workdir, args.events)
    canary = Target({"ip": CANARY[0], "port": str(CANARY[1]),
                     "name": "canary", "outcome": "ok", "phase": "",
                     "git_version": "", "notes": ""})
    n = start(env, targets + [canary]) - 1

    def on_signal(signum, frame):
        env.stop.set()
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        os.nice(-5)  # the simulated internet must not starve under load
    except OSError:
        pass
    print("READY %d" % n, flush=True)
    env.stop.wait(args.max_seconds)
    env.stop.set()
    if tmp is not None:
        tmp.cleanup()
    sys.stdout.flush()
    os._exit(0)  # daemon threads may sit in blocking calls


if __name__ == "__main__":
    main()
