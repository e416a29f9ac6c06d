#!/usr/bin/python3
"""e2e: clients that have not authenticated cannot use up the gateway.

gssocksd with max-unauthenticated 6 and max-unauthenticated-per-address 4:
  - An authenticated session is opened first and relays data.
  - 4 silent connections from 127.0.0.1 (they never send a greeting): the
    5th from 127.0.0.1 is closed at accept, with the audit record
    `event=refuse reason=max-unauthenticated-per-address`.
  - 2 more silent ones from 127.0.0.2 fill max-unauthenticated: the next,
    from 127.0.0.3, is closed with `event=refuse reason=max-unauthenticated`.
  - Meanwhile the authenticated session still relays data.
  - Once the silent connections are closed (the master records their
    end), a greeting from 127.0.0.1 gets 05 01 and a new authenticated
    session works.
"""

import os
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gssocks_harness import (Client, Echo, Gateway, Realm, check_sanitizers,  # noqa: E402
                             main, raw_greeting, recv_exact, require, socks5_connect,
                             wait_for)

PER_ADDRESS = 4
TOTAL = 6


def silent(port, source):
    """A connection that never sends a greeting."""
    return socket.create_connection(("127.0.0.1", port), timeout=10,
                                    source_address=(source, 0))


def refused(port, source):
    """Connect from SOURCE, offer GSS-API; True when closed without an answer."""
    s = silent(port, source)
    try:
        s.sendall(b"\x05\x01\x01")
        try:
            return s.recv(2) == b""
        except ConnectionError:
            return True
        except socket.timeout:
            return False
    finally:
        s.close()


def echo_ok(tap, s, what):
    try:
        s.sendall(b"limits" * 100)
        return tap.eq(recv_exact(s, 600), b"limits" * 100, what)
    except OSError as e:
        return tap.ok(False, what, "error: %r" % e)


def refuse_records(gw, reason):
    return [r for r in gw.syslog.records(event="refuse") if r["kv"].get("reason") == reason]


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

    held = [silent(gw.port, "127.0.0.1") for _ in range(PER_ADDRESS)]
    tap.ok(refused(gw.port, "127.0.0.1"),
           "silent connection %d from 127.0.0.1 is closed at accept" % (PER_ADDRESS + 1))
    recs = gw.syslog.wait(event="refuse", reason="max-unauthenticated-per-address")
    tap.ok(recs and recs[0]["kv"].get("client", "").startswith("127.0.0.1:") and
           recs[0]["kv"].get("max") == str(PER_ADDRESS),
           "event=refuse reason=max-unauthenticated-per-address client=127.0.0.1:P max=%d"
           % PER_ADDRESS, "records: %r" % [r["text"] for r in recs])

    held += [silent(gw.port, "127.0.0.2") for _ in range(TOTAL - PER_ADDRESS)]
    tap.ok(refused(gw.port, "127.0.0.3"),
           "with %d unauthenticated, a connection from 127.0.0.3 is closed at accept" % TOTAL)
    recs = gw.syslog.wait(event="refuse", reason="max-unauthenticated")
    tap.ok(recs and recs[0]["kv"].get("client", "").startswith("127.0.0.3:") and
           recs[0]["kv"].get("max") == str(TOTAL),
           "event=refuse reason=max-unauthenticated client=127.0.0.3:P max=%d" % TOTAL,
           "records: %r" % [r["text"] for r in recs])
    tap.eq(len(refuse_records(gw, "max-unauthenticated-per-address")), 1,
           "127.0.0.3 was not counted against 127.0.0.1's budget")

    echo_ok(tap, live, "the authenticated session still relays data during the flood")

    for s in held:
        s.close()
    tap.ok(wait_for(lambda: len([r for r in gw.syslog.records(event="end")
                                 if r["kv"].get("reason") == "client-close" and
                                 r["kv"].get("phase") == "greeting"]) >= TOTAL),
           "the master saw the %d silent connections close" % TOTAL)
    ans, _ = raw_greeting(("127.0.0.1", gw.port), [1])
    tap.eq(ans, b"\x05\x01", "then a greeting from 127.0.0.1 gets 05 01")
    rep, s, _ = socks5_connect(client.addr, "127.0.0.1", echo.port)
    if tap.eq(rep, 0, "and a new authenticated session is accepted"):
        echo_ok(tap, s, "which relays data")
        s.close()
    echo_ok(tap, live, "the first session still relays data")
    live.close()
    tap.ok(gw.alive(), "gssocksd still running")
    client.stop()
    gw.stop()
    check_sanitizers(tap, gw, client)
    echo.stop()


if __name__ == "__main__":
    main(body)
