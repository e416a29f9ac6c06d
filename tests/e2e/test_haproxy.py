#!/usr/bin/python3
"""e2e: two gateways behind Debian's HAProxy with send-proxy-v2.

HAProxy (TCP mode, started here in the foreground) balances over two
gssocksd instances that share the realm's keytab; each has
`proxy-protocol-from 127.0.0.1/32`, the address HAProxy connects from.
The clients are python3-gssapi sessions (harness GssSession) bound to
127.0.0.2 and 127.0.0.3.  Checked:
  - HAProxy's health checks (a LOCAL header, then close, every 500 ms)
    leave no audit record at either gateway;
  - 20 sessions through HAProxy, from 127.0.0.2 and 127.0.0.3 in turn,
    each authenticate and CONNECT to an echo server; both gateways took
    some; every `event=auth result=ok` record names 127.0.0.2 or
    127.0.0.3 as the client (as sent), none HAProxy's 127.0.0.1;
  - max-unauthenticated-per-address counts the client: 6 silent
    connections from 127.0.0.2 through HAProxy make each gateway evict
    under prefix 127.0.0.2/32 (never HAProxy's), while a session from
    127.0.0.3 succeeds;
  - one gateway is stopped mid-run: HAProxy marks it DOWN (its log), and
    10 more sessions all succeed, every one at the other gateway (no
    retry by the test: HAProxy redispatches a connection the dead one
    refuses before its health check notices);
  - a PROXY header sent straight to a gateway from 127.0.0.2 (not
    listed) is a malformed greeting: closed without an answer, no
    session authenticates; a direct client from 127.0.0.2 still works;
  - a plain SOCKS greeting from the listed 127.0.0.1 without a header is
    closed without an answer and counted: `event=refuse
    reason=proxy-header`.
"""

import os
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gssocks_harness import (Echo, Gateway, GssSession, Process, Realm,  # noqa: E402
                             check_sanitizers, free_port, gss_credentials, listening, main,
                             require, skip_all, tempdir, wait_for)

HAPROXY = "/usr/sbin/haproxy"
SOURCES = ("127.0.0.2", "127.0.0.3")
BALANCER = "127.0.0.1"
SIGNATURE = b"\r\n\r\n\x00\r\nQUIT\n"
PER_ADDRESS = 2

try:
    import gssapi  # noqa: F401
except ImportError as e:
    gssapi = None
    GSSAPI_ERROR = str(e)


def haproxy_config(path, port, gateways):
    servers = "".join(
        "  server gw%d 127.0.0.1:%d send-proxy-v2 check inter 500 fall 1 rise 1\n"
        % (i + 1, gw.port) for i, gw in enumerate(gateways))
    with open(path, "w") as f:
        f.write("global\n"
                "  log stderr format short local0 info\n"
                "defaults\n"
                "  mode tcp\n"
                "  log global\n"
                "  option redispatch\n"
                "  retries 2\n"
                "  timeout connect 2s\n"
                "  timeout client 30s\n"
                "  timeout server 30s\n"
                "frontend socks\n"
                "  bind 127.0.0.1:%d\n"
                "  default_backend gateways\n"
                "backend gateways\n"
                "  balance roundrobin\n" % port + servers)


def session(port, creds, source, echo, n):
    """One session from SOURCE: authenticate, level 2, CONNECT, echo.
    None when it worked, else what went wrong."""
    try:
        sess = GssSession(port, creds, source=source)
    except OSError as e:
        return "connect: %s" % e
    try:
        sess.authenticate()
        level = sess.ask_level(2)
        if level != 2:
            return "level %d answered" % level
        if not sess.connect(2, echo.port, b"session %d from %s" % (n, source.encode())):
            return "CONNECT or echo failed"
        return None
    except Exception as e:  # noqa: BLE001 - any failure is the answer
        return "%s: %s" % (type(e).__name__, e)
    finally:
        sess.close()


def auth_clients(gw):
    """The client address (without port) of each event=auth result=ok."""
    return [r["kv"].get("client", "").rsplit(":", 1)[0]
            for r in gw.syslog.records(event="auth", result="ok")]


def names_balancer(gw):
    """Records whose client= is HAProxy's address."""
    return [r["text"] for r in gw.syslog.records()
            if r["kv"].get("client", "").startswith(BALANCER + ":")]


def run_sessions(tap, port, creds, echo, first, count, what):
    failures = []
    for n in range(first, first + count):
        source = SOURCES[n % 2]
        why = session(port, creds, source, echo, n)
        if why is not None:
            failures.append("session %d from %s: %s" % (n, source, why))
    tap.ok(not failures, "%s: %d sessions succeed" % (what, count), "\n".join(failures))


def closed_without_answer(s):
    s.settimeout(10)
    try:
        return s.recv(64) == b""
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


def body(tap):
    if not os.access(HAPROXY, os.X_OK):
        skip_all("%s not installed (Debian: haproxy)" % HAPROXY)
    if gssapi is None:
        skip_all("python3-gssapi not importable (%s)" % GSSAPI_ERROR)
    require(binaries=("gssocksd", "gssocks-authproc", "gssocks-relay"))
    realm = Realm(tap).start()
    for k, v in realm.vars.items():
        os.environ[k] = v
    alice = gss_credentials(realm, "alice")
    gws = [Gateway(realm, tap, dual=False, proxy_protocol_from=BALANCER + "/32",
                   max_unauthenticated_per_address=str(PER_ADDRESS)).start()
           for _ in range(2)]
    echo = Echo()

    hdir = tempdir("gssocks-haproxy-")
    cfg = os.path.join(hdir, "haproxy.cfg")
    port = free_port()
    haproxy_config(cfg, port, gws)
    hap = Process([HAPROXY, "-db", "-f", cfg], dict(os.environ),
                  os.path.join(hdir, "haproxy.log"), tap, "haproxy log")
    tap.ok(wait_for(lambda: listening(port), 10), "haproxy listens on 127.0.0.1:%d" % port)

    # health checks: a LOCAL header and a close, twice a second each
    tap.ok(wait_for(lambda: all(gw.log_text().count("event=health-check") >= 3 for gw in gws),
                    10), "both gateways see HAProxy's health checks (LOCAL, then close)")
    tap.ok(all(not gw.syslog.records() for gw in gws),
           "health checks leave no audit record",
           "\n".join(gw.syslog.text() for gw in gws)[-2000:])

    run_sessions(tap, port, alice, echo, 0, 20, "through HAProxy from 127.0.0.2 and .3")
    clients = [auth_clients(gw) for gw in gws]
    tap.ok(all(len(c) > 0 for c in clients) and sum(len(c) for c in clients) == 20,
           "sessions landed on both gateways (%d and %d)" % (len(clients[0]), len(clients[1])))
    every = clients[0] + clients[1]
    tap.ok(every and all(c in SOURCES for c in every),
           "audit records name the clients 127.0.0.2/.3", repr(every))
    tap.ok(set(every) == set(SOURCES), "both client addresses seen", repr(set(every)))
    tap.ok(not any(names_balancer(gw) for gw in gws),
           "no audit record names HAProxy's address as the client",
           "\n".join(names_balancer(gws[0]) + names_balancer(gws[1]))[-2000:])

    # per-address limits count the client's address, not HAProxy's
    silent = [socket.create_connection(("127.0.0.1", port), timeout=10,
                                       source_address=(SOURCES[0], 0))
              for _ in range(2 * PER_ADDRESS + 2)]
    evicted = [gw.syslog.wait(timeout=5, event="evict") for gw in gws]
    tap.ok(all(e and all(r["kv"].get("prefix") == SOURCES[0] + "/32" for r in e)
               for e in evicted),
           "max-unauthenticated-per-address: evictions on both gateways, prefix=%s/32"
           % SOURCES[0], repr([[r["text"] for r in e] for e in evicted]))
    tap.ok(session(port, alice, SOURCES[1], echo, 50) is None,
           "meanwhile a session from 127.0.0.3 succeeds")
    for c in silent:
        c.close()

    # one gateway goes away mid-run
    gws[1].stop()
    before = len(auth_clients(gws[0]))
    t0 = time.time()
    run_sessions(tap, port, alice, echo, 20, 10, "after gw2 stopped")
    tap.ok(len(auth_clients(gws[0])) == before + 10,
           "all 10 sessions after the stop went to gw1",
           "gw1 auth records %d -> %d" % (before, len(auth_clients(gws[0]))))
    tap.ok(wait_for(lambda: "gw2 is DOWN" in hap.log_text(), max(0.5, 5 - (time.time() - t0))),
           "HAProxy's health check marked gw2 DOWN", hap.log_text()[-2000:])
    tap.ok(session(port, alice, SOURCES[0], echo, 99) is None,
           "a session after gw2 is marked DOWN succeeds")

    # a PROXY header from an address that is not listed: garbage
    gw = gws[0]
    header = (SIGNATURE + bytes([0x21, 0x11]) + struct.pack("!H", 12) +
              socket.inet_aton("192.0.2.66") + socket.inet_aton("127.0.0.1") +
              struct.pack("!HH", 40000, gw.port))
    s = socket.create_connection(("127.0.0.1", gw.port), timeout=10,
                                 source_address=(SOURCES[0], 0))
    s.sendall(header + b"\x05\x01\x01")
    tap.ok(closed_without_answer(s), "PROXY header from unlisted 127.0.0.2: closed, no answer")
    s.close()
    tap.ok(not any("192.0.2.66" in c for c in auth_clients(gw)),
           "the unlisted header's address is never a client")
    direct = len(auth_clients(gw))
    tap.ok(session(gw.port, alice, SOURCES[1], echo, 100) is None and
           auth_clients(gw)[direct:] == [SOURCES[1]],
           "a direct client from unlisted 127.0.0.3 works and is named as itself")

    # the listed balancer's address without a header: refused, counted
    s = socket.create_connection(("127.0.0.1", gw.port), timeout=10,
                                 source_address=(BALANCER, 0))
    s.sendall(b"\x05\x01\x01")
    tap.ok(closed_without_answer(s), "greeting without header from listed 127.0.0.1: closed")
    s.close()
    got = gw.syslog.wait(timeout=5, event="refuse", reason="proxy-header")
    tap.ok(len(got) == 1 and got[0]["kv"].get("count") == "1" and
           got[0]["kv"].get("balancer", "").startswith(BALANCER + ":"),
           "counted: event=refuse reason=proxy-header count=1 balancer=127.0.0.1",
           gw.syslog.text()[-2000:])

    tap.ok(gws[0].alive(), "gw1 still running")
    hap.stop()
    echo.stop()
    gws[0].stop()
    check_sanitizers(tap, *gws)


if __name__ == "__main__":
    main(body)
