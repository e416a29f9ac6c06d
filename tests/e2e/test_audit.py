#!/usr/bin/python3
"""e2e: the audit trail, read from a test-owned syslog socket.

  - One session's records: event=auth result=ok (principal, the service
    principal the client used, mechanism, client), event=level, event=request result=allowed (destination as
    asked and as resolved, the policy file and line), event=end with the
    bytes each way and the duration; all carry the same session id.
  - Every record is facility authpriv (PRI = 10 * 8 + severity), ident
    gssocksd with gssocksd's pid, one line of key=value.
  - A greeting without GSS-API: event=method result=refused.
  - Authentication failure (stale key in the keytab): event=auth
    result=fail with the client address and the GSS-API reason text.
  - gssocks-client --nec against a gateway without allow-nec: refused with
    event=level result=refused naming the principal, nec=yes,
    reason=nec-not-allowed by=allow-nec (not a bare auth failure); the
    client's line lists the likely causes, the NEC form first.
  - BIND (sent by tests/e2e/socks-command) gets its first reply (REP 00)
    and an event=request result=allowed record with the policy line
    (tests/e2e/test_bind.py has the rest of BIND, tests/e2e/test_udp.py
    has UDP ASSOCIATE).
  - A syslog socket that does not exist: said once on stderr, the daemon
    goes on serving.
"""

import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gssocks_harness import (BUILD, Client, Echo, Gateway, Realm, check_sanitizers,  # noqa: E402
                             main, raw_greeting, recv_exact, require, socks5_connect)

ALICE = "alice@GSSOCKS.TEST"
SOCKS_COMMAND = os.path.join(BUILD, "tests", "e2e", "socks-command")


def test_session_records(tap, realm, gw, echo):
    client = Client(realm, "127.0.0.1:%d" % gw.port, tap, level="confidentiality").start()
    rep, s, _ = socks5_connect(client.addr, "localhost", echo.port)
    if not tap.eq(rep, 0, "CONNECT localhost allowed"):
        client.stop()
        return
    s.sendall(b"x" * 1000)
    tap.eq(recv_exact(s, 1000), b"x" * 1000, "1000 octets echoed")
    s.close()
    req = gw.syslog.wait(event="request", result="allowed")
    if not tap.ok(req, "request record present"):
        client.stop()
        return
    sid = req[0]["kv"]["session"]
    end = gw.syslog.wait(event="end", session=sid)
    recs = gw.syslog.records(session=sid)
    events = [r["kv"].get("event") for r in recs]
    for e in ("level", "auth", "request", "end"):
        tap.ok(e in events, "session %s has an event=%s record" % (sid, e),
               "events: %r" % events)
    auth = [r["kv"] for r in recs if r["kv"].get("event") == "auth"]
    tap.ok(auth and auth[0].get("result") == "ok" and auth[0].get("principal") == ALICE and
           auth[0].get("mechanism") == "krb5" and
           auth[0].get("client", "").startswith("127.0.0.1:"),
           "auth record: result=ok, principal, mechanism, client", "auth: %r" % auth)
    tap.eq(auth[0].get("service") if auth else None, "rcmd/127.0.0.1@GSSOCKS.TEST",
           "auth record: service names the principal the client authenticated to")
    lev = [r["kv"] for r in recs if r["kv"].get("event") == "level"]
    tap.ok(lev and lev[0].get("level") == "confidentiality" and lev[0].get("requested") == "2"
           and lev[0].get("nec") == "no", "level record: level, requested, nec",
           "level: %r" % lev)
    r = req[0]["kv"]
    resolved = r.get("resolved", "")
    tap.ok(r.get("dst") == "localhost:%d" % echo.port and r.get("cmd") == "connect" and
           ("127.0.0.1" in resolved or "::1" in resolved) and r.get("rep") == "0" and
           r.get("policy") == os.path.join(gw.policy_dir, "default") + ":3",
           "request record: cmd, dst as asked, resolved, rep, policy file:line",
           "request: %r" % r)
    e = end[0]["kv"] if end else {}
    tap.ok(e.get("reason") == "client-close" and e.get("bytes_from_client") == "1000" and
           e.get("bytes_to_client") == "1000" and e.get("duration_ms", "").isdigit(),
           "end record: reason=client-close, bytes each way, duration", "end: %r" % e)
    pid = gw.proc.proc.pid
    tap.ok(all(x["facility"] == 10 and x["ident"] == "gssocksd" and x["pid"] == pid
               for x in recs),
           "every record: facility authpriv (10), ident gssocksd[%d]" % pid,
           "records: %r" % [(x["pri"], x["ident"], x["pid"]) for x in recs])
    tap.ok(all(x["pri"] == 10 * 8 + 6 for x in recs if x["kv"].get("result") in ("ok", "allowed")),
           "decisions that allow are severity info (PRI 86)")
    tap.ok(all("\n" not in x["text"] for x in recs), "every record is one line")
    client.stop()
    check_sanitizers(tap, client)


def test_refusals(tap, realm, gw, echo):
    ans, _ = raw_greeting(("127.0.0.1", gw.port), [0])
    tap.eq(ans, b"\x05\xff", "greeting offering only 00 gets 05 ff")
    m = gw.syslog.wait(event="method", result="refused")
    tap.ok(m and m[0]["kv"].get("session", "").isdigit() and
           m[0]["kv"].get("client", "").startswith("127.0.0.1:") and m[0]["severity"] == 5,
           "event=method result=refused record (notice, session, client)",
           "records: %r" % [x["text"] for x in m])

    # stale/localhost: the keytab holds an old key, so the gateway's
    # gss_accept_sec_context fails (the client got a ticket for the new one)
    client = Client(realm, "localhost:%d" % gw.port, tap, service="stale").start()
    rep, s, _ = socks5_connect(client.addr, "127.0.0.1", echo.port)
    if s:
        s.close()
    tap.ok(rep != 0, "service stale: no success reply")
    f = gw.syslog.wait(event="auth", result="fail")
    reason = f[0]["kv"].get("reason", "") if f else ""
    tap.ok(f and f[0]["kv"].get("client", "").startswith("127.0.0.1:") and
           "gss_accept_sec_context" in reason and len(reason) > 30,
           "event=auth result=fail with client and the GSS-API reason text",
           "records: %r" % [x["text"] for x in f])
    tap.ok(not any("principal" in x["kv"] for x in f), "a failed auth names no principal")
    client.stop()
    check_sanitizers(tap, client)


def test_nec_refused(tap, realm, gw, echo):
    """gssocksd.conf has no allow-nec: the level record names the principal."""
    client = Client(realm, "127.0.0.1:%d" % gw.port, tap, level="integrity",
                    extra=["--nec"]).start()
    rep, s, _ = socks5_connect(client.addr, "127.0.0.1", echo.port)
    if s:
        s.close()
    tap.ok(rep != 0, "--nec without allow-nec: no success reply (rep %r)" % rep)
    lv = gw.syslog.wait(event="level", result="refused")
    kv = lv[0]["kv"] if lv else {}
    tap.ok(kv.get("principal") == ALICE and kv.get("nec") == "yes" and
           kv.get("reason") == "nec-not-allowed" and kv.get("by") == "allow-nec" and
           kv.get("requested") == "1" and lv[0]["severity"] == 5,
           "event=level result=refused principal=%s nec=yes reason=nec-not-allowed "
           "by=allow-nec (notice)" % ALICE, "records: %r" % [x["text"] for x in lv])
    sid = kv.get("session")
    f = gw.syslog.wait(event="auth", result="fail", session=sid) if sid else []
    tap.ok(f and "NEC" in f[0]["kv"].get("reason", ""),
           "the same session's auth failure says why", "records: %r" % [x["text"] for x in f])
    want = ("gssocks-client: protection-level subnegotiation (asked integrity): the gateway "
            "authenticated you and then refused (01 ff); likely causes: the gateway does not "
            "allow the NEC form (--nec), you already hold as many sessions as your policy "
            "allows, or the policy leaves you no protection level this connection can use; "
            "the gateway's audit log says which")
    tap.ok(want in client.log_text(), "gssocks-client lists the likely causes, NEC first",
           client.log_text()[-1500:])
    client.stop()
    check_sanitizers(tap, client)


def test_unsupported_commands(tap, realm, gw, echo):
    r = subprocess.run([SOCKS_COMMAND, "127.0.0.1", str(gw.port), "2", "127.0.0.1",
                        str(echo.port)], env=realm.env, capture_output=True, timeout=60)
    tap.eq(r.stdout.decode().strip(), "rep=0", "bind: the gateway's first reply is 00")
    rec = gw.syslog.wait(event="request", cmd="bind")
    kv = rec[0]["kv"] if rec else {}
    tap.ok(kv.get("result") == "allowed" and kv.get("rep") == "0" and "policy" in kv and
           kv.get("principal") == ALICE,
           "bind: event=request result=allowed rep=0 with the policy line",
           "records: %r" % [x["text"] for x in rec])
    # UDP ASSOCIATE: tests/e2e/test_udp.py


def test_missing_socket(tap, realm, echo):
    gw = Gateway(realm, tap, syslog_socket="/nonexistent/gssocks-test/log").start()
    client = Client(realm, "127.0.0.1:%d" % gw.port, tap).start()
    for i in range(2):
        rep, s, _ = socks5_connect(client.addr, "127.0.0.1", echo.port)
        tap.eq(rep, 0, "no syslog socket: session %d served" % (i + 1))
        if s:
            s.close()
    log = gw.log_text()
    tap.eq(log.count("audit: syslog socket /nonexistent/gssocks-test/log"), 1,
           "the missing socket is reported once on stderr")
    tap.ok("event=request" in log, "records still reach stderr with -d")
    client.stop()
    gw.stop()
    check_sanitizers(tap, gw, client)


def test_shutdown(tap, realm, echo):
    """SIGTERM to gssocksd: a live session's end record says reason=shutdown
    and still carries its byte counts (the relay ends its sessions before it
    exits)."""
    gw = Gateway(realm, tap).start()
    cl = Client(realm, "127.0.0.1:%d" % gw.port, tap, level="integrity").start()
    rep, s, _ = socks5_connect(cl.addr, "127.0.0.1", echo.port)
    if not tap.eq(rep, 0, "shutdown: a session is live"):
        return
    s.sendall(b"before-shutdown")
    tap.eq(recv_exact(s, 15), b"before-shutdown", "shutdown: the session relays data")
    sid = gw.syslog.wait(event="request", result="allowed")[0]["kv"]["session"]
    gw.stop()
    # The records were sent before gssocksd exited; the sink's thread may
    # still be reading them.
    ends = gw.syslog.wait(event="end", session=sid, timeout=5)
    tap.eq(len(ends), 1, "shutdown: one end record for the live session")
    if ends:
        kv = ends[0]["kv"]
        tap.eq(kv.get("reason"), "shutdown", "shutdown: reason=shutdown")
        tap.eq((kv.get("bytes_from_client"), kv.get("bytes_to_client")), ("15", "15"),
               "shutdown: the end record carries the bytes each way")
    s.close()
    cl.stop()
    check_sanitizers(tap, gw)


def body(tap):
    require()
    realm = Realm(tap).start()
    echo = Echo()
    gw = Gateway(realm, tap).start()
    tap.run("one session's records", test_session_records, tap, realm, gw, echo)
    tap.run("refusals", test_refusals, tap, realm, gw, echo)
    tap.run("NEC refused by allow-nec", test_nec_refused, tap, realm, gw, echo)
    tap.run("BIND", test_unsupported_commands, tap, realm, gw, echo)
    tap.ok(gw.alive(), "gssocksd still running")
    gw.stop()
    check_sanitizers(tap, gw)
    tap.run("missing syslog socket", test_missing_socket, tap, realm, echo)
    tap.run("shutdown", test_shutdown, tap, realm, echo)
    echo.stop()


if __name__ == "__main__":
    main(body)
