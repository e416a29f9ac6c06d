#!/usr/bin/python3
"""e2e: refusals end only their own session.

A healthy session (gssocks-client, confidentiality, to an echo server)
keeps exchanging small messages while, one after another:
  - a raw greeting offering only method 00 gets `05 ff` from gssocksd;
  - gssocks-client with service nokey (in the KDC, not in the keytab):
    the gateway aborts with `01 ff`, seen by a MITM, and the local client
    gets a failure reply;
  - service stale (keytab holds an old kvno): the same;
  - CONNECT to a closed port gets REP 05 (connection refused).
Afterwards the healthy session's every echo must have come back intact,
and gssocksd must still be running and serve a new session.
"""

import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gssocks_harness import (MTYP_ABORT, Client, Echo, Gateway, Mitm, Realm,  # noqa: E402
                             check_sanitizers, free_port, main, raw_greeting, recv_exact,
                             require, socks5_connect)


class Healthy(threading.Thread):
    """Sends numbered 1 KiB messages every 20 ms and checks each echo."""

    def __init__(self, sock):
        super().__init__(daemon=True)
        self.sock = sock
        self.sent = 0
        self.good = 0
        self.error = None
        self.stop_ev = threading.Event()

    def run(self):
        try:
            while not self.stop_ev.is_set():
                msg = (b"%08d" % self.sent) * 128
                self.sock.sendall(msg)
                self.sent += 1
                got = recv_exact(self.sock, len(msg))
                if got != msg:
                    self.error = "echo %d differs" % self.sent
                    return
                self.good += 1
                time.sleep(0.02)
        except Exception as e:
            self.error = repr(e)

    def finish(self):
        self.stop_ev.set()
        self.join(30)


def refused_by_service(tap, realm, gw, service):
    mitm = Mitm(("127.0.0.1", gw.port))
    cl = Client(realm, "localhost:%d" % mitm.port, tap, service=service,
                level="confidentiality").start()
    echo = Echo()
    rep, s, _ = socks5_connect(cl.addr, "127.0.0.1", echo.port)
    if s:
        s.close()
    tap.ok(rep not in (0,), "service %s: local client gets no success reply (rep %r)" % (service, rep))
    sess = mitm.wait_sessions(1)[0]
    aborts = sess.frames_of("s2c", MTYP_ABORT)
    tap.ok(len(aborts) == 1, "service %s: gateway sent `01 ff`" % service,
           "frames: %r" % sess.frames)
    tap.ok(not sess.frames_of("s2c", 3) and not sess.frames_of("c2s", 3),
           "service %s: no data frames after the refusal" % service)
    tap.ok(not echo.results and not echo.conns, "service %s: target never contacted" % service)
    cl.stop()
    echo.stop()
    mitm.stop()
    check_sanitizers(tap, cl)


def body(tap):
    require()
    realm = Realm(tap).start()
    gw = Gateway(realm, tap).start()
    client = Client(realm, "127.0.0.1:%d" % gw.port, tap, level="confidentiality").start()

    echo = Echo()
    rep, hs, _ = socks5_connect(client.addr, "127.0.0.1", echo.port)
    if not tap.eq(rep, 0, "healthy session: CONNECT succeeded"):
        return
    healthy = Healthy(hs)
    healthy.start()
    time.sleep(0.3)

    ans, closed = raw_greeting(("127.0.0.1", gw.port), [0])
    tap.eq(ans, b"\x05\xff", "greeting offering only 00 gets 05 ff")
    tap.ok(closed, "connection closed after 05 ff")
    ans, closed = raw_greeting(("127.0.0.1", gw.port), [0, 2, 0x80])
    tap.eq(ans, b"\x05\xff", "greeting offering 00 02 80 gets 05 ff")

    tap.run("service nokey", refused_by_service, tap, realm, gw, "nokey")
    tap.run("service stale", refused_by_service, tap, realm, gw, "stale")

    closed_port = free_port()
    rep, s, _ = socks5_connect(client.addr, "127.0.0.1", closed_port)
    if s:
        s.close()
    tap.eq(rep, 5, "CONNECT to a closed port gets REP 05")

    time.sleep(0.3)
    before = healthy.good
    time.sleep(0.3)
    tap.ok(healthy.good > before, "healthy session still moving data after the refusals",
           "good echoes: %d then %d, error %r" % (before, healthy.good, healthy.error))
    healthy.finish()
    tap.ok(healthy.error is None and healthy.good == healthy.sent and healthy.good > 20,
           "healthy session intact: %d of %d echoes correct" % (healthy.good, healthy.sent),
           "error: %r" % healthy.error)
    hs.close()

    tap.ok(gw.alive(), "gssocksd still running")
    rep, s, _ = socks5_connect(client.addr, "127.0.0.1", echo.port)
    if tap.eq(rep, 0, "a new session after the refusals succeeds"):
        s.sendall(b"ping")
        tap.eq(recv_exact(s, 4), b"ping", "new session echoes")
        s.close()
    client.stop()
    gw.stop()
    check_sanitizers(tap, gw, client)


if __name__ == "__main__":
    main(body)
