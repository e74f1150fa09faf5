"""rawssl.py - the few OpenSSL calls Python's ssl module does not expose.

Python cannot ask for a TLS 1.3 KeyUpdate or a TLS 1.2 renegotiation, so
the targets that need one drive libssl (the same libssl.so.3 Python's ssl
module loaded) through ctypes on a blocking socket: SSL_CTX from a cert
chain and key file, SSL_accept, SSL_read/SSL_write, SSL_key_update,
SSL_renegotiate. Test code only.
"""
import ctypes
import ctypes.util

_lib = ctypes.CDLL(ctypes.util.find_library("ssl") or "libssl.so.3")
_vp, _int, _cp = ctypes.c_void_p, ctypes.c_int, ctypes.c_char_p


def _fn(name, res, *args):
    f = getattr(_lib, name)
    f.restype, f.argtypes = res, list(args)
    return f


TLS_server_method = _fn("TLS_server_method", _vp)
SSL_CTX_new = _fn("SSL_CTX_new", _vp, _vp)
SSL_CTX_free = _fn("SSL_CTX_free", None, _vp)
SSL_CTX_use_certificate_chain_file = _fn("SSL_CTX_use_certificate_chain_file",
                                         _int, _vp, _cp)
SSL_CTX_use_PrivateKey_file = _fn("SSL_CTX_use_PrivateKey_file", _int, _vp,
                                  _cp, _int)
SSL_CTX_ctrl = _fn("SSL_CTX_ctrl", ctypes.c_long, _vp, _int, ctypes.c_long,
                   _vp)
SSL_CTX_set_options = _fn("SSL_CTX_set_options", ctypes.c_uint64, _vp,
                          ctypes.c_uint64)
SSL_new = _fn("SSL_new", _vp, _vp)
SSL_free = _fn("SSL_free", None, _vp)
SSL_set_fd = _fn("SSL_set_fd", _int, _vp, _int)
SSL_accept = _fn("SSL_accept", _int, _vp)
SSL_read = _fn("SSL_read", _int, _vp, _vp, _int)
SSL_write = _fn("SSL_write", _int, _vp, _cp, _int)
SSL_do_handshake = _fn("SSL_do_handshake", _int, _vp)
SSL_key_update = _fn("SSL_key_update", _int, _vp, _int)
SSL_renegotiate = _fn("SSL_renegotiate", _int, _vp)
SSL_renegotiate_pending = _fn("SSL_renegotiate_pending", _int, _vp)
SSL_peek = _fn("SSL_peek", _int, _vp, _vp, _int)
SSL_shutdown = _fn("SSL_shutdown", _int, _vp)

SSL_FILETYPE_PEM = 1
SSL_CTRL_SET_MIN_PROTO_VERSION = 123
SSL_CTRL_SET_MAX_PROTO_VERSION = 124
TLS1_2_VERSION = 0x0303
TLS1_3_VERSION = 0x0304
SSL_KEY_UPDATE_REQUESTED = 1
SSL_OP_ALLOW_CLIENT_RENEGOTIATION = 1 << 8
SSL_OP_NO_RENEGOTIATION = 1 << 30


class Context:
    """An SSL_CTX serving one chain file and key, pinned to one version."""

    def __init__(self, chain, key, version):
        self.ctx = SSL_CTX_new(TLS_server_method())
        if not self.ctx:
            raise OSError("SSL_CTX_new failed")
        ok = SSL_CTX_use_certificate_chain_file(self.ctx, chain.encode())
        ok = ok and SSL_CTX_use_PrivateKey_file(self.ctx, key.encode(),
                                                SSL_FILETYPE_PEM)
        if not ok:
            raise OSError("cannot load %s / %s" % (chain, key))
        SSL_CTX_ctrl(self.ctx, SSL_CTRL_SET_MIN_PROTO_VERSION, version, None)
        SSL_CTX_ctrl(self.ctx, SSL_CTRL_SET_MAX_PROTO_VERSION, version, None)


class Conn:
    """One server-side connection on a connected, blocking socket (the
    socket's SO_RCVTIMEO bounds every blocking call)."""

    def __init__(self, context, sock):
        self.sock = sock  # keeps the fd alive
        self.ssl = SSL_new(context.ctx)
        SSL_set_fd(self.ssl, sock.fileno())

    def accept(self):
        return SSL_accept(self.ssl) == 1

    def read(self, n=16384):
        buf = ctypes.create_string_buffer(n)
        got = SSL_read(self.ssl, buf, n)
        return buf.raw[:got] if got > 0 else b""

    def write(self, data):
        return SSL_write(self.ssl, data, len(data)) == len(data)

    def key_update(self):
        return SSL_key_update(self.ssl, SSL_KEY_UPDATE_REQUESTED) == 1

    def renegotiate(self):
        if SSL_renegotiate(self.ssl) != 1:
            return False
        return SSL_do_handshake(self.ssl) == 1

    def renegotiation_done(self, rounds):
        """After renegotiate(): drives the handshake (one peek per socket
        timeout, at most rounds) until the client has renegotiated."""
        buf = ctypes.create_string_buffer(1)
        for _ in range(rounds):
            if not SSL_renegotiate_pending(self.ssl):
                return True
            if SSL_peek(self.ssl, buf, 1) <= 0 and \
                    not SSL_renegotiate_pending(self.ssl):
                return True
        return not SSL_renegotiate_pending(self.ssl)

    def close(self):
        SSL_shutdown(self.ssl)
        SSL_free(self.ssl)
        self.ssl = None
