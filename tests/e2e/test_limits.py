#!/usr/bin/python3
"""e2e: clients that have not authenticated cannot use up the gateway, and
a full budget makes room instead of refusing (master/admission.c).

gssocksd with max-unauthenticated 6 and max-unauthenticated-per-address 4:
  - An authenticated session is opened first and relays data.
  - 4 silent connections from 127.0.0.1 (they never send a greeting) fill
    its per-address budget: a 5th from 127.0.0.1 is admitted and the
    oldest of the four is evicted: it reads 05 ff and the busy text, then
    end of file; one aggregated record `event=evict
    reason=max-unauthenticated-per-address count=1 max=4
    prefix=127.0.0.1/32`.
  - 2 more silent ones from 127.0.0.2 fill max-unauthenticated: a
    connection from 127.0.0.3 is admitted (it gets 05 01 for its greeting)
    and the oldest silent one of the largest prefix, 127.0.0.1, is evicted
    (`event=evict reason=max-unauthenticated ... prefix=127.0.0.1/32`);
    those of 127.0.0.2 stay open.
  - First, 5 greetings from 127.0.0.4 (a SIGHUP after the second replaces
    authproc): the oldest, held by the retired authproc in the GSS-API
    handshake, is evicted there (AUTH_CANCEL): it reads 01 ff, and authproc
    reports nothing for it.
  - Meanwhile the authenticated session still relays data, and a new
    authenticated session gets in while the budget is full.
A second gssocksd with max-sessions 1, its one session taken by a silent
connection: gssocks-connect says the gateway refuses new connections
(limit reached), and 12 refused connections make one or two
`event=refuse reason=max-sessions count=N` records, not 12.
"""

import os
import re
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gssocks_harness import (BUILD, Client, Echo, Gateway, Realm,  # noqa: E402
                             check_sanitizers, main, recv_exact, require, socks5_connect,
                             wait_for)

PER_ADDRESS = 4
TOTAL = 6
BUSY = b"\x05\xffgssocksd: limit reached\n"
CONNECT = os.path.join(BUILD, "client", "gssocks-connect")


def silent(port, source):
    """A connection that never sends a greeting."""
    return socket.create_connection(("127.0.0.1", port), timeout=10,
                                    source_address=(source, 0))


def evicted(s):
    """Everything the gateway sent before closing s, or None while it stays open."""
    s.settimeout(0.2)
    got = b""
    try:
        while True:
            chunk = s.recv(256)
            if not chunk:
                return got
            got += chunk
    except socket.timeout:
        return None
    except ConnectionError:
        return got


def still_open(s):
    s.settimeout(0.2)
    try:
        return s.recv(1) is None
    except socket.timeout:
        return True
    except OSError:
        return False


def authproc_pid(gw):
    """pid of the authproc started last (gssocksd's log), or None."""
    found = re.findall(r"event=child name=authproc slot=0 pid=(\d+) action=start", gw.log_text())
    return int(found[-1]) if found else None


def echo_ok(tap, s, what):
    try:
        s.sendall(b"limits" * 100)
        return tap.eq(recv_exact(s, 600), b"limits" * 100, what)
    except OSError as e:
        return tap.ok(False, what, "error: %r" % e)


def counted(gw, event, reason):
    return [r for r in gw.syslog.records(event=event) if r["kv"].get("reason") == reason]


def body(tap):
    require()
    realm = Realm(tap).start()
    echo = Echo()
    gw = Gateway(realm, tap, dual=False, max_unauthenticated=str(TOTAL),
                 max_unauthenticated_per_address=str(PER_ADDRESS)).start()
    client = Client(realm, "127.0.0.1:%d" % gw.port, tap).start()

    rep, live, _ = socks5_connect(client.addr, "127.0.0.1", echo.port)
    if not tap.eq(rep, 0, "an authenticated session before the flood"):
        return
    echo_ok(tap, live, "it relays data")

    # Sessions authproc holds (greeting done, no GSS token yet) are evicted
    # too: authproc is told (AUTH_CANCEL), the client reads 01 ff.
    # A SIGHUP after the first two: those are held by the retired authproc
    # (kept running by the second), which must be the one told.
    handed = []
    for i in range(PER_ADDRESS + 1):
        s = silent(gw.port, "127.0.0.4")
        s.sendall(b"\x05\x01\x01")
        s.settimeout(10)
        handed.append((s, recv_exact(s, 2)))
        time.sleep(0.05)
        if i == 1:
            first_pid = authproc_pid(gw)
            gw.reload()
            tap.ok(wait_for(lambda: authproc_pid(gw) not in (None, first_pid), 20),
                   "SIGHUP: a new authproc took over; the first two handshakes stay with the old")
    tap.ok(all(a == b"\x05\x01" for _, a in handed), "5 greetings from 127.0.0.4 get 05 01")
    got = None
    deadline = time.time() + 10
    while got is None and time.time() < deadline:
        got = evicted(handed[0][0])
    tap.eq(got, b"\x01\xff", "the oldest, held by authproc, was evicted: 01 ff and closed")
    tap.ok(all(still_open(s) for s, _ in handed[1:]), "the four younger ones stay")
    recs = gw.syslog.wait(event="evict", phase="authenticating")
    kv = recs[0]["kv"] if recs else {}
    tap.ok(kv.get("reason") == "max-unauthenticated-per-address" and kv.get("count") == "1" and
           kv.get("prefix") == "127.0.0.4/32",
           "event=evict reason=max-unauthenticated-per-address count=1 phase=authenticating",
           "records: %r" % [r["text"] for r in recs])
    for s, _ in handed[1:]:
        s.close()
    tap.ok(wait_for(lambda: len(gw.syslog.records(event="auth", result="fail")) >= PER_ADDRESS),
           "authproc reported the four that closed, not the evicted one",
           "records: %r" % [r["text"] for r in gw.syslog.records(event="auth")])
    time.sleep(0.5)
    tap.eq(len(gw.syslog.records(event="auth", result="fail")), PER_ADDRESS,
           "no auth record for the evicted session")
    tap.ok(not gw.syslog.records(event="child", action="kill"), "authproc was not killed")

    held = []
    for _ in range(PER_ADDRESS):
        held.append(silent(gw.port, "127.0.0.1"))
        time.sleep(0.05)          # distinct ages: the oldest is held[0]
    newer = silent(gw.port, "127.0.0.1")
    got = None
    deadline = time.time() + 10
    while got is None and time.time() < deadline:
        got = evicted(held[0])
    tap.eq(got, BUSY, "the oldest silent connection from 127.0.0.1 was evicted "
           "with 05 ff and the busy text")
    tap.ok(all(still_open(s) for s in held[1:] + [newer]),
           "the newcomer from 127.0.0.1 and the three younger ones stay")
    recs = gw.syslog.wait(event="evict", reason="max-unauthenticated-per-address",
                          prefix="127.0.0.1/32")
    kv = recs[0]["kv"] if recs else {}
    tap.ok(kv.get("count") == "1" and kv.get("max") == str(PER_ADDRESS) and
           kv.get("prefix") == "127.0.0.1/32",
           "event=evict reason=max-unauthenticated-per-address count=1 max=%d "
           "prefix=127.0.0.1/32" % PER_ADDRESS, "records: %r" % [r["text"] for r in recs])
    held = held[1:] + [newer]

    other = [silent(gw.port, "127.0.0.2") for _ in range(TOTAL - PER_ADDRESS)]
    time.sleep(0.1)
    third = silent(gw.port, "127.0.0.3")
    third.sendall(b"\x05\x01\x01")
    third.settimeout(10)
    try:
        ans = recv_exact(third, 2)
    except (OSError, EOFError) as e:
        ans = repr(e)
    tap.eq(ans, b"\x05\x01", "with %d unauthenticated, 127.0.0.3 gets in (05 01)" % TOTAL)
    got = evicted(held[0])
    tap.eq(got, BUSY, "to make room, the oldest of the largest prefix (127.0.0.1) was evicted")
    tap.ok(all(still_open(s) for s in other), "127.0.0.2's connections stay")
    recs = gw.syslog.wait(event="evict", reason="max-unauthenticated")
    kv = recs[0]["kv"] if recs else {}
    tap.ok(kv.get("count") == "1" and kv.get("max") == str(TOTAL) and
           kv.get("prefix") == "127.0.0.1/32",
           "event=evict reason=max-unauthenticated count=1 max=%d prefix=127.0.0.1/32" % TOTAL,
           "records: %r" % [r["text"] for r in recs])
    tap.eq(gw.syslog.records(event="refuse"), [], "nobody was refused")

    echo_ok(tap, live, "the authenticated session still relays data during the flood")
    rep, s, _ = socks5_connect(client.addr, "127.0.0.1", echo.port)
    if tap.eq(rep, 0, "a new authenticated session gets in while the budget is full"):
        echo_ok(tap, s, "which relays data")
        s.close()
    for s in held + other + [third]:
        s.close()
    echo_ok(tap, live, "the first session still relays data")
    live.close()
    tap.ok(gw.alive(), "gssocksd still running")
    client.stop()
    gw.stop()
    check_sanitizers(tap, gw, client)

    # max-sessions 1: refusals, what gssocks-connect says, aggregated records
    gw = Gateway(realm, tap, dual=False, max_sessions="1").start()
    hog = silent(gw.port, "127.0.0.1")
    time.sleep(0.2)
    r = subprocess.run([CONNECT, "-g", "127.0.0.1:%d" % gw.port, "-L", "confidentiality",
                        "127.0.0.1", str(echo.port)], env=realm.env, stdin=subprocess.DEVNULL,
                       capture_output=True, timeout=60)
    err = r.stderr.decode(errors="replace")
    tap.ok(r.returncode == 1 and "refuses new connections (limit reached)" in err and
           "127.0.0.1" in err, "gssocks-connect: the gateway refuses new connections "
           "(limit reached)", "exit %d, stderr %r" % (r.returncode, err))
    answers = []
    for _ in range(11):
        s = silent(gw.port, "127.0.0.1")
        s.sendall(b"\x05\x01\x01")
        s.settimeout(5)
        answers.append(evicted(s))
        s.close()
    tap.ok(all(a == BUSY for a in answers), "11 more connections: each gets 05 ff and the busy "
           "text", repr(answers[:3]))
    tap.ok(still_open(hog), "the session that holds the place stays")
    hog.close()
    tap.ok(gw.alive(), "gssocksd (max-sessions 1) still running")
    # stopped at once: what is still counted is written at shutdown
    gw.stop()

    def refused_total():
        return sum(int(x["kv"]["count"]) for x in counted(gw, "refuse", "max-sessions"))

    wait_for(lambda: refused_total() >= 12, timeout=5)
    recs = counted(gw, "refuse", "max-sessions")
    tap.eq(refused_total(), 12, "the refusals are counted, including those pending at shutdown")
    tap.ok(1 <= len(recs) <= 3 and all(x["kv"].get("max") == "1" for x in recs),
           "in at most one record a second (%d records), not one per connection" % len(recs),
           repr([x["text"] for x in recs]))
    check_sanitizers(tap, gw)
    echo.stop()


if __name__ == "__main__":
    main(body)
