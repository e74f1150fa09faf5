"""certgen.py - certificates with exactly the bytes a hostile server wants.

The `openssl` command cannot put a NUL byte in a subject, make a 16 KB CN or
back-date a certificate (OpenSSL 3.0's `req -x509` has no -not_before). So
the TBSCertificate is built here, byte by byte, as DER, and only the
signature comes from `openssl dgst -sign` (Python's stdlib has no ECDSA).
All certificates share one P-256 key generated at start-up: nothing secret
is committed and nothing here needs to verify, only to parse.
"""
import datetime
import os
import subprocess

# ------------------------------------------------------------------ DER


def _len(n):
    if n < 0x80:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(b)]) + b


def tlv(tag, content):
    return bytes([tag]) + _len(len(content)) + content


def seq(*items):
    return tlv(0x30, b"".join(items))


def der_set(*items):
    return tlv(0x31, b"".join(items))


def integer(v):
    b = v.to_bytes(max(1, (v.bit_length() + 8) // 8), "big", signed=True)
    return tlv(0x02, b)


def oid(dotted):
    parts = [int(p) for p in dotted.split(".")]
    out = bytes([40 * parts[0] + parts[1]])
    for p in parts[2:]:
        chunk = [p & 0x7F]
        p >>= 7
        while p:
            chunk.append(0x80 | (p & 0x7F))
            p >>= 7
        out += bytes(reversed(chunk))
    return tlv(0x06, out)


def utf8(raw):
    """UTF8String holding raw bytes as given (they need not be UTF-8)."""
    return tlv(0x0C, raw)


def der_time(dt):
    if 1950 <= dt.year < 2050:
        return tlv(0x17, dt.strftime("%y%m%d%H%M%SZ").encode())
    return tlv(0x18, dt.strftime("%Y%m%d%H%M%SZ").encode())


OID_CN = "2.5.4.3"
OID_O = "2.5.4.10"
OID_ECDSA_SHA256 = "1.2.840.10045.4.3.2"
OID_SAN = "2.5.29.17"
OID_FILLER = "1.3.6.1.4.1.55555.1"  # private arc: a bulky opaque extension


def name(cn, org=b"kcensus hostile suite", org_tag=0x0C):
    """A Name with O and CN; cn/org are raw bytes. OpenSSL refuses invalid
    UTF-8 in a UTF8String name (it canonicalises names), so raw high bytes
    go in org as a T61String (org_tag=0x14), read as Latin-1."""
    return seq(der_set(seq(oid(OID_O), tlv(org_tag, org))),
               der_set(seq(oid(OID_CN), utf8(cn))))


def extension(ext_oid, value):
    return seq(oid(ext_oid), tlv(0x04, value))


def san_dns(names):
    return extension(OID_SAN, seq(*[tlv(0x82, n) for n in names]))


# ------------------------------------------------------------------ keys


class KeyPair:
    """One EC P-256 key in dir_: key.pem plus its SubjectPublicKeyInfo."""

    def __init__(self, dir_):
        self.dir = dir_
        self.key = os.path.join(dir_, "key.pem")
        subprocess.run(["openssl", "genpkey", "-algorithm", "EC",
                        "-pkeyopt", "ec_paramgen_curve:P-256",
                        "-out", self.key], check=True, capture_output=True)
        self.spki = subprocess.run(
            ["openssl", "pkey", "-in", self.key, "-pubout", "-outform", "DER"],
            check=True, capture_output=True).stdout
        self._n = 0

    def sign(self, tbs):
        self._n += 1
        path = os.path.join(self.dir, "tbs%d.der" % self._n)
        with open(path, "wb") as f:
            f.write(tbs)
        sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", self.key,
                              path], check=True, capture_output=True).stdout
        os.unlink(path)
        return sig


def make_cert(kp, cn=b"kcensus-hostile", issuer_cn=None, not_before=None,
              not_after=None, sans=(b"localhost",), extra_exts=(), serial=1,
              org=None):
    """DER certificate signed by kp (self-signed unless issuer_cn differs)."""
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    nb = not_before or now - datetime.timedelta(days=1)
    na = not_after or now + datetime.timedelta(days=365)
    exts = []
    if sans:
        exts.append(san_dns(sans))
    exts.extend(extra_exts)
    tbs = seq(
        tlv(0xA0, integer(2)),
        integer(serial),
        seq(oid(OID_ECDSA_SHA256)),
        name(issuer_cn if issuer_cn is not None else cn),
        seq(der_time(nb), der_time(na)),
        name(cn) if org is None else name(cn, org, 0x14),
        kp.spki,
        tlv(0xA3, seq(*exts)) if exts else b"",
    )
    sig = kp.sign(tbs)
    return seq(tbs, seq(oid(OID_ECDSA_SHA256)), tlv(0x03, b"\x00" + sig))


def pem(der):
    import base64
    b = base64.encodebytes(der).decode().replace("\n", "")
    lines = [b[i:i + 64] for i in range(0, len(b), 64)]
    return ("-----BEGIN CERTIFICATE-----\n" + "\n".join(lines) +
            "\n-----END CERTIFICATE-----\n")


def write_chain(path, ders):
    with open(path, "w") as f:
        for d in ders:
            f.write(pem(d))
    return path
