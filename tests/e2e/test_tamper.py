#!/usr/bin/python3
"""e2e: a tampered data frame ends the session and none of its bytes arrive.

Through a MITM between gssocks-client and gssocksd, an upload sends
distinct 1000-byte chunks A, B, C, D, one frame each (the test waits until
the sink has each chunk before sending the next, so the client wraps each
alone).  The MITM flips one bit in the 3rd data frame after the request
frame (chunk C).  The relay must fail the unwrap and end the session: the
sink receives exactly A+B, never a byte of C or D, the session closes, and
the gateway goes on serving new sessions.  Done at integrity (bit flip in
the plaintext under the checksum) and confidentiality (in the ciphertext).

The other way, what gssocks-client checks (for AES contexts its RFC 4121
fast path, common/rfc4121.c): chunks A, B, C, D go to an echo server one
at a time, each echoed in one frame from the gateway; the MITM flips one
bit in the gateway's 4th data frame (1 = the reply, then A, B, C).  The
client must end the session: the local socket gets exactly A+B back, never
a byte of C or D.

Both again with a gateway and gssocks-client run with GSSOCKS_NO_FAST_PATH=1
(the bench's switch to MIT's gss_wrap/gss_unwrap): the same refusals, and
both logs say which path protected the session.
"""

import os
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gssocks_harness import (Client, Echo, Gateway, Mitm, Realm, Sink, check_sanitizers,  # noqa: E402
                             main, recv_exact, require, socks5_connect, wait_for)

CHUNK = 1000


def tamper_at(tap, realm, gw, level, env=None):
    # mtyp-3 frames from the client: 1 = request, 2 = A, 3 = B, 4 = C.
    mitm = Mitm(("127.0.0.1", gw.port), tamper_c2s_data=4)
    cl = Client(realm, "127.0.0.1:%d" % mitm.port, tap, level=level, env=env).start()
    sink = Sink(keep=True)
    rep, s, _ = socks5_connect(cl.addr, "127.0.0.1", sink.port)
    if not tap.eq(rep, 0, "%s: CONNECT succeeded" % level):
        return
    chunks = [bytes([ord("A") + i]) * CHUNK for i in range(4)]
    sent = 0
    ended_early = None
    for i, chunk in enumerate(chunks):
        try:
            s.sendall(chunk)
        except OSError as e:
            ended_early = "send of chunk %d: %r" % (i, e)
            break
        sent += len(chunk)
        if i < 2:
            tap.ok(sink.wait_progress(sent, timeout=15),
                   "%s: chunk %s arrived before the next was sent" % (level, "AB"[i]))
        elif i == 2:
            tap.ok(wait_for(lambda: mitm.tampered == 1, 15),
                   "%s: MITM tampered with chunk C's frame" % level)
    # the session must end: the local socket sees EOF or a reset
    s.settimeout(20)
    try:
        while s.recv(65536):
            pass
        end = "EOF"
    except socket.timeout:
        end = "timeout"
    except OSError as e:
        end = "error %r" % e
    tap.ok(end != "timeout", "%s: the session ended (%s)" % (level, end),
           "ended early: %r" % ended_early)
    s.close()
    res = sink.wait(1, timeout=20)[0] if end != "timeout" else {"data": b"?"}
    tap.eq(res.get("data"), chunks[0] + chunks[1],
           "%s: the sink got exactly A+B, no byte of the tampered frame or after" % level)
    tap.eq(res.get("end"), "reset",
           "%s: the cut session reset the target (not an end of file)" % level)
    sess = mitm.wait_sessions(1)[0]
    tap.ok(len(sess.frames_of("c2s", 3)) >= 4, "%s: tampered frame was on the wire" % level,
           repr(sess.frames))
    # the gateway is fine and serves a new session (without tampering)
    mitm.tamper = None
    echo = Echo()
    rep, s2, _ = socks5_connect(cl.addr, "127.0.0.1", echo.port)
    if tap.eq(rep, 0, "%s: a new session through the same gateway succeeds" % level):
        s2.sendall(b"after-tamper")
        tap.eq(recv_exact(s2, 12), b"after-tamper", "%s: new session echoes" % level)
        s2.close()
    cl.stop()
    check_sanitizers(tap, cl)
    path_logged(tap, cl, level, env)
    sink.stop()
    echo.stop()
    mitm.stop()


def tamper_download(tap, realm, gw, level, env=None):
    # mtyp-3 frames from the gateway: 1 = reply, 2 = A, 3 = B, 4 = C.
    mitm = Mitm(("127.0.0.1", gw.port), tamper_s2c_data=4)
    cl = Client(realm, "127.0.0.1:%d" % mitm.port, tap, level=level, env=env).start()
    echo = Echo()
    rep, s, _ = socks5_connect(cl.addr, "127.0.0.1", echo.port)
    if not tap.eq(rep, 0, "%s download: CONNECT succeeded" % level):
        return
    chunks = [bytes([ord("A") + i]) * CHUNK for i in range(4)]
    got = bytearray()
    s.settimeout(20)
    end = None
    for i, chunk in enumerate(chunks):
        try:
            s.sendall(chunk)
            while len(got) < CHUNK * (i + 1):
                d = s.recv(65536)
                if not d:
                    end = "EOF"
                    break
                got += d
        except socket.timeout:
            end = "timeout"
        except OSError as e:
            end = "error %r" % e
        if end is not None:
            break
    tap.ok(end is not None and end != "timeout",
           "%s download: the client ended the session (%s)" % (level, end))
    tap.eq(bytes(got), chunks[0] + chunks[1],
           "%s download: the local socket got exactly A+B back, nothing of C or after" % level)
    tap.eq(mitm.tampered, 1, "%s download: MITM tampered with C's frame from the gateway" % level)
    s.close()
    cl.stop()
    check_sanitizers(tap, cl)
    echo.stop()
    mitm.stop()


def path_logged(tap, cl, level, env):
    want = ("gss_wrap/gss_unwrap (the fast path is off" if env else
            "OpenSSL on the context's")
    tap.ok(want in cl.log_text(), "%s: gssocks-client says: %s" % (level, want),
           cl.log_text()[-1500:])


def body(tap):
    require()
    realm = Realm(tap).start()
    for env in (None, dict(realm.env, GSSOCKS_NO_FAST_PATH="1")):
        gw = Gateway(realm, tap)
        gw.env = env
        gw.start()
        what = " (GSSOCKS_NO_FAST_PATH=1)" if env else ""
        for level in ("integrity", "confidentiality"):
            tap.run("tamper at " + level + what, tamper_at, tap, realm, gw, level, env)
            tap.run("tamper from the gateway at " + level + what, tamper_download, tap, realm,
                    gw, level, env)
        want = ("context protected by gss_wrap_iov: the fast path is off" if env else
                "context protected by the RFC 4121 fast path")
        tap.ok(want in gw.log_text(), "gssocksd%s: the relay logged: %s" % (what, want),
               gw.log_text()[-1500:])
        tap.ok(gw.alive(), "gssocksd%s still running" % what)
        gw.stop()
        check_sanitizers(tap, gw)


if __name__ == "__main__":
    main(body)
