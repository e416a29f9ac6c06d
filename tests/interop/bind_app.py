#!/usr/bin/python3
"""An ordinary BIND user for tests/interop/test_dante_bind.py, run under
Dante's client library (LD_PRELOAD libdsocksd): it knows nothing of any
proxy.  socket(), bind() to port 0, listen(), getsockname() (Dante answers
with the proxy's first BIND reply), then accept() (Dante reads the second
reply) and a stream each way:

    bind_app.py SEED NBYTES

stdout, one line each: "LISTEN host port", "PEER host port" (what accept
returned), then "GOT nbytes sha256" of everything the peer sent until its
end of file; then it sends NBYTES of the stream SEED and closes.  One
thread only: Dante's library keeps per-process state about the call it is
in, and two threads in it at once confuse it (it then lets a send through
unwrapped).
Exit 0 when all of that worked.

Trust zone: test only.
"""

import ctypes
import os
import socket
import sys

sys.path.insert(0, os.path.join(os.environ.get("GSSOCKS_SOURCE", ""), "tests", "e2e"))
from gssocks_harness import det_stream, download  # noqa: E402


def accept(ls):
    """accept(2) itself: Python's socket.accept() calls accept4(2), which
    Dante's library does not intercept (it would reach the kernel with the
    control connection, EINVAL); programs that call accept() are what
    socksify serves."""
    libc = ctypes.CDLL(None, use_errno=True)
    addr = ctypes.create_string_buffer(128)
    alen = ctypes.c_uint32(128)
    fd = libc.accept(ls.fileno(), addr, ctypes.byref(alen))
    if fd < 0:
        raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))
    c = socket.socket(fileno=fd)
    return c, c.getpeername()


def main():
    seed, nbytes = int(sys.argv[1]), int(sys.argv[2])
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.bind(("0.0.0.0", 0))
    ls.listen(1)
    host, port = ls.getsockname()
    print("LISTEN %s %d" % (host, port), flush=True)
    c, peer = accept(ls)
    print("PEER %s %d" % peer, flush=True)

    n, sha = download(c)
    for chunk in det_stream(seed, nbytes):
        c.sendall(chunk)
    print("GOT %d %s" % (n, sha), flush=True)
    c.close()
    ls.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
