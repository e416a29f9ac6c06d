#!/usr/bin/python3
"""e2e: messages a person can act on (gssocks-client, gssocks-connect, and
what the gateway records about a malformed context token).

  - gssocks-connect with KRB5CCNAME naming a file that does not exist, and
    one that is empty: exit 1 with exactly one stderr line telling the user
    to run kinit, naming the cache; the gateway never sees a connection.
  - An expired ticket (kinit -l 2s, then waited out): exactly one line
    naming the principal and the cache, telling to run kinit PRINCIPAL.
  - gssocks-client started with that expired ticket says so at start-up
    and again for each local connection (the local program gets REP 01),
    and once kinit renewed the same cache, serves the next connection
    without a restart.
  - Service nokey (in the KDC, not in the gateway's keytab): the gateway
    aborts (01 ff) and gssocks-connect's one line lists the likely causes
    (no key / old kvno for nokey/localhost, clock skew) and points to the
    gateway's log, which names the missing key.
  - A client that sends an empty context token (01 01 00 00) gets 01 ff and
    the event=auth result=fail record says it was an empty token (not "No
    credentials were supplied").
"""

import os
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gssocks_harness import (BUILD, Client, Echo, Gateway, Realm, check_sanitizers,  # noqa: E402
                             main, recv_exact, require, socks5_connect, tempdir, wait_for)

CONNECT = os.path.join(BUILD, "client", "gssocks-connect")
ALICE = "alice@GSSOCKS.TEST"


def run_connect(env, gw, echo, extra=()):
    argv = [CONNECT, "-g", "localhost:%d" % gw.port] + list(extra) + \
        ["127.0.0.1", str(echo.port)]
    r = subprocess.run(argv, env=env, stdin=subprocess.DEVNULL, capture_output=True,
                       timeout=60)
    return r.returncode, r.stderr.decode(errors="replace")


def accepts(gw):
    return len(gw.syslog.records(event="accept"))


def no_ticket_line(cache):
    return "gssocks-connect: no Kerberos ticket in %s: run kinit, then try again\n" % cache


def expired_line(program, cache):
    return ("%s: the Kerberos ticket of %s in %s has expired: run kinit %s, then try again"
            % (program, ALICE, cache, ALICE))


def kinit(realm, cache, lifetime=None):
    argv = ["kinit"] + (["-l", lifetime] if lifetime else []) + \
        ["-k", "-t", os.path.join(realm.rdir, "alice.keytab"), ALICE]
    env = dict(realm.env, KRB5CCNAME=cache)
    subprocess.run(argv, env=env, check=True, timeout=30)


def test_no_ticket(tap, realm, gw, echo, tmp):
    for what, path in (("missing cache", os.path.join(tmp, "nonexistent")),
                       ("empty cache", os.path.join(tmp, "empty"))):
        if what == "empty cache":
            open(path, "w").close()
        cache = "FILE:" + path
        before = accepts(gw)
        rc, err = run_connect(dict(realm.env, KRB5CCNAME=cache), gw, echo)
        tap.eq(rc, 1, "%s: gssocks-connect exits 1" % what)
        tap.eq(err, no_ticket_line(cache), "%s: one line telling to run kinit" % what)
        time.sleep(0.2)
        tap.eq(accepts(gw), before, "%s: the gateway saw no connection" % what)


def test_expired(tap, realm, gw, echo, tmp):
    cache = "FILE:" + os.path.join(tmp, "short.ccache")
    kinit(realm, cache, "2s")
    env = dict(realm.env, KRB5CCNAME=cache)
    # gssocks-client is started while the ticket is still valid
    cl = Client(realm, "localhost:%d" % gw.port, tap, env=env).start()
    time.sleep(3.2)                     # the ticket's 2 s run out
    before = accepts(gw)
    rc, err = run_connect(env, gw, echo)
    tap.eq(rc, 1, "expired ticket: gssocks-connect exits 1")
    tap.eq(err, expired_line("gssocks-connect", cache) + "\n",
           "expired ticket: one line naming principal and cache, telling to run kinit")

    line = expired_line("gssocks-client", cache)
    said = cl.log_text().count(line)
    for i in range(2):
        rep, s, _ = socks5_connect(cl.addr, "127.0.0.1", echo.port)
        if s:
            s.close()
        tap.eq(rep, 1, "expired ticket: local connection %d gets REP 01" % (i + 1))
    tap.ok(wait_for(lambda: cl.log_text().count(line) == said + 2, 10),
           "expired ticket: gssocks-client says so for each connection",
           "log: %r" % cl.log_text()[-2000:])
    tap.eq(accepts(gw), before, "expired ticket: the gateway saw no connection")
    cl.stop()

    # started with the expired ticket: said at start-up; kinit then suffices
    cl = Client(realm, "localhost:%d" % gw.port, tap, env=env).start()
    tap.ok(wait_for(lambda: line in cl.log_text(), 10),
           "gssocks-client started with an expired ticket says so at start-up")
    kinit(realm, cache)
    rep, s, _ = socks5_connect(cl.addr, "127.0.0.1", echo.port)
    if tap.eq(rep, 0, "after kinit, the running gssocks-client serves a connection"):
        s.sendall(b"renewed")
        tap.eq(recv_exact(s, 7), b"renewed", "after kinit: data echoed")
        s.close()
    cl.stop()
    check_sanitizers(tap, cl)


def test_abort_causes(tap, realm, gw, echo):
    rc, err = run_connect(realm.env, gw, echo, ["-s", "nokey"])
    tap.eq(rc, 1, "service nokey: gssocks-connect exits 1")
    want = ("gssocks-connect: GSS-API authentication to nokey@localhost: the gateway refused "
            "the authentication (01 ff); likely causes: the gateway's keytab has no key for "
            "nokey/localhost or only an older key version (kvno) than the KDC's, or the "
            "clocks of this host and the gateway differ by more than the allowed skew "
            "(5 minutes by default); the gateway's log names the cause\n")
    tap.eq(err, want, "service nokey: one line with the likely causes and the gateway's log")
    tap.ok(wait_for(lambda: "nokey/localhost@GSSOCKS.TEST not found in keytab"
                    in gw.log_text(), 10),
           "the gateway's log names the missing key")
    f = gw.syslog.wait(event="auth", result="fail")
    tap.ok(f and "not found in keytab" in f[-1]["kv"].get("reason", ""),
           "the auth record names the missing key", "records: %r" % [x["text"] for x in f])


def test_empty_token(tap, gw):
    before = len(gw.syslog.records(event="auth", result="fail"))
    s = socket.create_connection(("127.0.0.1", gw.port), timeout=10)
    s.sendall(b"\x05\x01\x01")
    tap.eq(recv_exact(s, 2), b"\x05\x01", "empty token: method 01 chosen")
    s.sendall(b"\x01\x01\x00\x00")
    tap.eq(recv_exact(s, 2), b"\x01\xff", "empty token: the gateway aborts (01 ff)")
    s.close()
    f = gw.syslog.wait(event="auth", result="fail", count=before + 1)
    reasons = [x["kv"].get("reason", "") for x in f[before:]]
    tap.ok(len(reasons) == 1 and "empty context token" in reasons[0] and
           "No credentials" not in reasons[0],
           "empty token: the auth record says so", "reasons: %r" % reasons)


def body(tap):
    require(("gssocksd", "gssocks-authproc", "gssocks-relay", "gssocks-client"))
    realm = Realm(tap).start()
    tmp = tempdir("gssocks-msg-")
    echo = Echo()
    gw = Gateway(realm, tap).start()
    tap.run("no ticket", test_no_ticket, tap, realm, gw, echo, tmp)
    tap.run("expired ticket", test_expired, tap, realm, gw, echo, tmp)
    tap.run("abort causes", test_abort_causes, tap, realm, gw, echo)
    tap.run("empty token", test_empty_token, tap, gw)
    tap.ok(gw.alive(), "gssocksd still running")
    gw.stop()
    echo.stop()
    check_sanitizers(tap, gw)


if __name__ == "__main__":
    main(body)
