#!/usr/bin/env python3
"""Starts kcensus-fleet with a spec and checks its truth CSV against what an
independent client really sees: every (ip, port) row is probed with the
default probe sequence (plus /api/v1/namespaces for posture_extended) and
classified by the rules of docs/classification.md, re-implemented here in a few lines, so
the fleet's truth is tested against its own wire behaviour.

Usage: check_truth.py FLEET SPEC [EXPECTED_MEMBERS [EXPECTED_BIND]]
(inside a private netns)
"""
import csv, http.client, json, os, re, signal, socket, ssl, subprocess, sys
import tempfile, time

PROBES = ["/version", "/healthz", "/livez", "/readyz",
          "/api/v1/namespaces/kube-public/configmaps/cluster-info", "/api"]
NAMESPACES = "/api/v1/namespaces"
TIMEOUT = 1.0
HEADER = ("ip,port,outcome,phase,is_kubernetes,posture,posture_extended,"
          "git_version,vendor,cert_cn")


def cert_cn(der):
    with tempfile.NamedTemporaryFile("w", suffix=".pem", delete=False) as f:
        f.write(ssl.DER_cert_to_PEM_cert(der))
    try:
        info = ssl._ssl._test_decode_cert(f.name)
    finally:
        os.unlink(f.name)
    for rdn in info.get("subject", ()):
        for k, v in rdn:
            if k == "commonName":
                return v
    return ""


def open_tls(ip, port):
    """Returns (tls socket, None) or (None, (outcome, phase))."""
    try:
        sock = socket.create_connection((ip, port), timeout=TIMEOUT)
    except ConnectionRefusedError:
        return None, ("refused", "")
    except ConnectionResetError:
        return None, ("closed", "")
    except socket.timeout:
        return None, ("timeout", "connect")
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    try:
        return ctx.wrap_socket(sock, server_hostname=None), None
    except socket.timeout:
        sock.close()
        return None, ("timeout", "tls")
    except ssl.SSLError:
        sock.close()
        return None, ("tls_error", "")
    except (ConnectionResetError, BrokenPipeError, ssl.SSLEOFError, OSError):
        sock.close()
        return None, ("closed", "")


def probe(ip, port, paths):
    """Returns (outcome, phase, cn, answers) with answers a list of
    (path, status, headers-dict-lowercase, body-bytes). A server that ends
    the connection after an answer (Connection: close, HTTP/1.0, a body
    that ends at close) gets the next path on a new connection, as the
    scanner does: at most one per path."""
    tls, failed = open_tls(ip, port)
    if failed:
        return failed[0], failed[1], "", []
    cn = cert_cn(tls.getpeercert(binary_form=True))
    conn = http.client.HTTPConnection(ip, port, timeout=TIMEOUT)
    conn.sock = tls
    answers = []
    for i, path in enumerate(paths):
        if conn.sock is None:  # http.client closed it after the answer
            conn.sock, failed = open_tls(ip, port)
            if failed:
                break
        try:
            conn.request("GET", path, headers={"Accept": "application/json, */*"})
            r = conn.getresponse()
            body = r.read()
        except socket.timeout:
            if i == 0:
                conn.close()
                return "timeout", "response", cn, []
            break
        except (ConnectionError, http.client.HTTPException):
            if i == 0:
                conn.close()
                return "closed", "", cn, []
            break
        answers.append((path, r.status,
                        {k.lower(): v for k, v in r.getheaders()}, body))
    conn.close()
    return "ok", "", cn, answers


def is_status(status, body):
    try:
        j = json.loads(body)
    except ValueError:
        return False
    return (isinstance(j, dict) and j.get("kind") == "Status"
            and j.get("apiVersion") == "v1" and j.get("code") == status)


def predates_livez(by):
    """/version answered 200 with a gitVersion older than 1.16."""
    status, _, body = by.get("/version", (0, {}, b""))
    if status != 200:
        return False
    try:
        g = json.loads(body).get("gitVersion")
    except (ValueError, AttributeError):
        return False
    m = re.match(r"v?(\d+)\.(\d+)", g) if isinstance(g, str) else None
    return bool(m) and int(m.group(1)) == 1 and int(m.group(2)) < 16


def classify(answers):
    """The classification rules: (is_kubernetes, posture, git_version)."""
    by = {p: (s, h, b) for p, s, h, b in answers}
    positive = contradiction = False
    git = ""
    for path, status, hdr, body in answers:
        if is_status(status, body) or "x-kubernetes-pf-flowschema-uid" in hdr:
            positive = True
        health = path in ("/healthz", "/livez", "/readyz")
        if path == "/version" and status == 200:
            try:
                j = json.loads(body)
                if all(isinstance(j.get(k), str)
                       for k in ("major", "minor", "gitVersion")):
                    positive = True
                    git = j["gitVersion"]
            except (ValueError, AttributeError):
                pass
        if health and status == 200:
            if body == b"ok" and hdr.get("content-type", "").startswith("text/plain"):
                positive = True
            else:
                contradiction = True
        if health or path.startswith("/api"):
            if b"<html" in body.lower():
                contradiction = True
            elif status == 404 and not is_status(status, body):
                # Before 1.16 there is no /livez or /readyz: a server that
                # authorizes everyone answers Go's plain 404 there.
                if not (path in ("/livez", "/readyz") and predates_livez(by)):
                    contradiction = True
    k8s = positive and not contradiction
    if not k8s:
        return 0, "", ""
    st = [s for _, s, _, _ in answers]
    R = [s == 401 for s in st]
    A = [s in (200, 403, 404) for s in st]
    if by.get(NAMESPACES, (0,))[0] == 200:
        posture = "wide_open"
    elif by.get("/api", (0,))[0] == 200:
        posture = "legacy"
    elif all(R):
        posture = "disabled"
    elif any(R) and any(A):
        posture = "limited"
    elif all(A) and by["/version"][0] == 200:
        posture = "open"
    elif all(A) and by["/version"][0] == 403:
        posture = "rbac_denied"
    else:
        posture = "unknown"
    return 1, posture, git


def observed(ip, port):
    outcome, phase, cn, ans = probe(ip, port, PROBES + [NAMESPACES])
    row = {"outcome": outcome, "phase": phase, "cert_cn": cn,
           "is_kubernetes": "", "posture": "", "posture_extended": "",
           "git_version": ""}
    if outcome == "ok":
        k8s, post, git = classify(ans[:len(PROBES)])
        _, post_ext, _ = classify(ans)
        row.update(is_kubernetes=str(k8s), posture=post,
                   posture_extended=post_ext, git_version=git)
    return row


def main():
    fleet, spec = sys.argv[1], sys.argv[2]
    want_members = int(sys.argv[3]) if len(sys.argv) > 3 else None
    tmp = tempfile.mkdtemp()
    truth_path = os.path.join(tmp, "truth.csv")
    proc = subprocess.Popen([fleet, "--spec", spec, "--truth", truth_path,
                             "--duration", "120"], stdout=subprocess.PIPE,
                            text=True)
    failures = 0
    try:
        ready = proc.stdout.readline().strip()
        print(ready)
        assert ready.startswith("READY fleet members="), ready
        fields = dict(kv.split("=", 1) for kv in ready.split()[2:])
        if want_members is not None:
            assert int(fields["members"]) == want_members, ready
        if len(sys.argv) > 4:
            assert fields["bind"] == sys.argv[4], ready
        with open(truth_path) as f:
            assert f.readline().rstrip("\n") == HEADER
        with open(truth_path) as f:
            rows = list(csv.DictReader(f))
        assert len(rows) == int(fields["members"]) * len(fields["ports"].split(","))
        for t in rows:
            o = observed(t["ip"], int(t["port"]))
            for k, v in o.items():
                if t[k] != v:
                    failures += 1
                    print(f"MISMATCH {t['ip']}:{t['port']} {k}: truth "
                          f"'{t[k]}' observed '{v}'")
        # Not in the plan: served by nobody (refused or reset at once).
        o = probe("127.15.255.255", int(fields["ports"].split(",")[0]), PROBES)
        if o[0] not in ("refused", "closed"):
            failures += 1
            print("MISMATCH address outside the plan answered:", o[0])
        print(f"{len(rows)} rows checked, {failures} mismatches")
    finally:
        proc.send_signal(signal.SIGTERM)
        rc = proc.wait(timeout=20)
    if rc != 0:
        print("fleet exit code", rc)
        failures += 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
