#!/usr/bin/python3
"""e2e: the acceptor's replay cache works inside authproc's sandbox.

ARCHITECTURE.md invariant 2 and issue 3: the replay cache is opened (or its
directory fixed) before the sandbox and is never disabled.  A replayed
AP-REQ must not authenticate.  This test:
  - runs one real session through a MITM and keeps the client's first
    authentication token (the AP-REQ);
  - checks that authproc is sandboxed (Seccomp 2, NoNewPrivs 1) while it
    serves;
  - opens a raw connection to gssocksd, answers the greeting and sends the
    recorded AP-REQ again: the gateway must answer `01 ff`, record an
    authentication failure naming the replay, and never hand a session on;
  - then a fresh session still works;
  - then the same with authproc-workers 2: the AP-REQ accepted by one worker
    (authproc=K in its auth record) is replayed until a worker other than K
    takes it (new sessions take turns), and that one refuses it too: the
    workers share the replay cache (MIT's file2 cache checks and stores
    each record under an exclusive lock of the file).
"""

import os
import socket
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gssocks_harness import (Client, Echo, Gateway, Mitm, Realm, check_sanitizers,  # noqa: E402
                             main, recv_exact, require, socks5_connect)


def children_of(pid):
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/status" % entry) as f:
                status = f.read()
        except OSError:
            continue
        fields = dict(line.split(":\t", 1) for line in status.splitlines() if ":\t" in line)
        if fields.get("PPid", "").strip() == str(pid):
            out.append((int(entry), fields.get("Name", "").strip(), fields))
    return out


def replay(port, token):
    """Greeting, then the recorded AP-REQ; returns every byte the gateway sends."""
    s = socket.create_connection(("127.0.0.1", port), timeout=20)
    try:
        s.sendall(b"\x05\x01\x01")
        if recv_exact(s, 2) != b"\x05\x01":
            return b"no-method"
        s.sendall(b"\x01\x01" + struct.pack("!H", len(token)) + token)
        got = b""
        while True:
            d = s.recv(65536)
            if not d:
                return got
            got += d
    finally:
        s.close()


def body(tap):
    require()
    realm = Realm(tap).start()
    gw = Gateway(realm, tap).start()
    mitm = Mitm(("127.0.0.1", gw.port))
    client = Client(realm, "localhost:%d" % mitm.port, tap, level="integrity").start()
    echo = Echo()

    rep, s, _ = socks5_connect(client.addr, "127.0.0.1", echo.port)
    if not tap.eq(rep, 0, "first session: CONNECT through the gateway"):
        return
    s.sendall(b"replay-test")
    tap.eq(recv_exact(s, 11), b"replay-test", "first session relays data")
    s.close()

    sess = mitm.wait_sessions(1)[0]
    auth = sess.frames_of("c2s", 1)
    if not tap.ok(len(auth) >= 1, "the client's AP-REQ was recorded", repr(sess.frames)):
        return
    ap_req = auth[0].token

    authprocs = [c for c in children_of(gw.proc.proc.pid) if c[1].startswith("gssocks-auth")]
    if tap.ok(len(authprocs) == 1, "one authproc runs under gssocksd", repr(authprocs)):
        fields = authprocs[0][2]
        tap.eq(fields.get("Seccomp", "").strip(), "2", "authproc is in seccomp filter mode")
        tap.eq(fields.get("NoNewPrivs", "").strip(), "1", "authproc has no_new_privs")

    fails_before = len(gw.syslog.records(event="auth", result="fail"))
    got = replay(gw.port, ap_req)
    tap.eq(got, b"\x01\xff", "the replayed AP-REQ gets `01 ff` and the connection closes")
    recs = gw.syslog.wait(event="auth", result="fail", count=fails_before + 1)
    reasons = " ".join(r["kv"].get("reason", "") for r in recs)
    tap.ok("replay" in reasons.lower(), "the audit record names the replay",
           "auth fail records: %r" % recs)
    tap.eq(len(gw.syslog.records(event="request")), 1,
           "no request was decided for the replayed connection (only the first session's)")

    authprocs_after = [c for c in children_of(gw.proc.proc.pid)
                       if c[1].startswith("gssocks-auth")]
    tap.ok([c[0] for c in authprocs_after] == [c[0] for c in authprocs],
           "authproc survived the replay (same pid)")

    rep, s, _ = socks5_connect(client.addr, "127.0.0.1", echo.port)
    if tap.eq(rep, 0, "a fresh session after the replay succeeds"):
        s.sendall(b"again")
        tap.eq(recv_exact(s, 5), b"again", "fresh session relays data")
        s.close()
    client.stop()
    mitm.stop()
    gw.stop()
    check_sanitizers(tap, gw, client)
    replay_across_workers(tap, realm, echo)
    echo.stop()


def replay_across_workers(tap, realm, echo):
    gw = Gateway(realm, tap, authproc_workers="2").start()
    mitm = Mitm(("127.0.0.1", gw.port))
    client = Client(realm, "localhost:%d" % mitm.port, tap, level="integrity").start()

    authprocs = [c for c in children_of(gw.proc.proc.pid) if c[1].startswith("gssocks-auth")]
    tap.eq(len(authprocs), 2, "authproc-workers 2: two authprocs run under gssocksd")
    tap.ok(all(c[2].get("Seccomp", "").strip() == "2" and
               c[2].get("NoNewPrivs", "").strip() == "1" for c in authprocs),
           "both are sandboxed (seccomp filter, no_new_privs)")

    rep, s, _ = socks5_connect(client.addr, "127.0.0.1", echo.port)
    if not tap.eq(rep, 0, "two workers: a session through the gateway"):
        return
    s.close()
    ok = gw.syslog.wait(event="auth", result="ok", count=1)
    first = ok[0]["kv"].get("authproc")
    tap.ok(first in ("0", "1"), "its auth record names the worker (authproc=%s)" % first)
    sess = mitm.wait_sessions(1)[0]
    auth = sess.frames_of("c2s", 1)
    if not tap.ok(len(auth) >= 1, "the client's AP-REQ was recorded", repr(sess.frames)):
        return
    ap_req = auth[0].token

    # Handshakes take turns over the idle workers: at most a few tries
    # before the other worker gets the replay.
    other = None
    for attempt in range(6):
        got = replay(gw.port, ap_req)
        tap.eq(got, b"\x01\xff", "replay %d gets `01 ff`" % (attempt + 1))
        fails = gw.syslog.wait(event="auth", result="fail", count=attempt + 1)
        last = fails[-1]["kv"]
        if last.get("authproc") != first:
            other = last
            break
    if tap.ok(other is not None, "a worker other than authproc=%s took the replay" % first):
        tap.ok("replay" in other.get("reason", "").lower(),
               "authproc=%s refused the AP-REQ authproc=%s had accepted, as a replay"
               % (other.get("authproc"), first), repr(other))
    tap.eq(len(gw.syslog.records(event="request")), 1,
           "no request was decided for a replayed connection")
    tap.eq(len(gw.syslog.records(event="auth", result="ok")), 1,
           "no replay authenticated")
    client.stop()
    mitm.stop()
    gw.stop()
    check_sanitizers(tap, gw, client)


if __name__ == "__main__":
    main(body)
