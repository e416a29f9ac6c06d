#!/usr/bin/python3
"""e2e: RFC 1928 BIND through gssocks-client -> gssocksd, protected end to end.

At integrity and at confidentiality (and at clear, where the policy allows
it, with the replies plain):
  - BIND expecting 127.0.0.1 (any port): the first reply names 127.0.0.1
    and a port; a loopback test peer connects back to it; the second reply
    names that peer (its address and port, as the peer sees its own
    socket); then 16 MiB each way at the same time, SHA-256 checked at both
    ends; audit: event=request cmd=bind result=allowed with the policy
    line, event=bind result=listening / accepted peer=..., event=end with
    the bytes each way.
Then (confidentiality):
  - a peer from another address (127.0.0.2) is reset and recorded
    (event=bind result=refused reason=unexpected-address), the local
    program gets no second reply for it, and the expected peer can still
    connect and is relayed;
  - a peer from the expected address but another port than DST.PORT is
    refused (reason=unexpected-port);
  - a BIND nobody connects to gets the second reply REP 06 (TTL expired)
    at bind-timeout (3 s here), then the end of the connection, and an
    event=bind result=timeout record; the port no longer listens;
  - a program that gives up (closes) while its BIND waits: the session
    ends and the gateway stops listening;
  - DST 0.0.0.0 port 0 (any peer, what Dante's client sends): a peer the
    bind rules deny (127.0.0.2 here) is refused (reason=policy), another
    one is accepted;
  - DST by name (localhost): a peer from one of its addresses is accepted;
  - DST ::1 over an IPv4 control connection: REP 08 (the gateway listens
    only on the address the client came in on, never a wildcard);
  - a principal whose policy allows connect only gets REP 02 for BIND;
  - gssocksctl counters: each refused peer counts once under
    gssocks_refusals_total{reason="bind-peer-REASON"}, as many as there
    are event=bind result=refused records of that reason.
"""

import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gssocks_harness import (MIB, Client, Gateway, Realm, check_sanitizers,  # noqa: E402
                             det_sha256, det_stream, download, main, require, socks5_bind,
                             socks5_read_reply, wait_for)

BIND_TIMEOUT = 3
NBYTES = 16 * MIB
POLICY = {
    "default": ("levels clear integrity confidentiality\n"
                "preferred confidentiality\n"
                "deny bind 127.0.0.2\n"
                "allow any any\n"),
    "bob@GSSOCKS.TEST": ("levels integrity confidentiality\n"
                         "allow connect any\n"),
}


def pump(sock, seed, nbytes, result, key):
    """Send NBYTES of stream SEED, half-close; read to EOF and hash it."""
    def sender():
        try:
            for chunk in det_stream(seed, nbytes):
                sock.sendall(chunk)
            sock.shutdown(socket.SHUT_WR)
        except OSError as e:
            result[key + "-send-error"] = str(e)
    t = threading.Thread(target=sender, daemon=True)
    t.start()
    try:
        result[key] = download(sock)
    except OSError as e:
        result[key + "-recv-error"] = str(e)
    t.join(120)


def connect_from(source, bound, timeout=10):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.bind(source)
    s.connect(bound)
    return s


def peer_refused(source, bound):
    """Connect from SOURCE to BOUND: True when the gateway resets or closes
    that connection without a byte (the reset may even beat connect's
    return on a busy host)."""
    try:
        s = connect_from(source, bound)
    except ConnectionResetError:
        return True
    with s:
        try:
            return s.recv(1) == b""
        except ConnectionResetError:
            return True
        except socket.timeout:
            return False


def no_reply_yet(app):
    app.settimeout(0.5)
    try:
        return app.recv(1) == b"x"   # never: nothing may arrive
    except socket.timeout:
        return True
    except OSError:
        return False
    finally:
        app.settimeout(30)


def test_transfer(tap, gw, client, level, seed):
    before = len(gw.syslog.records(event="bind", result="listening"))
    rep, app, bound = socks5_bind(client.addr, "127.0.0.1", 0)
    if not tap.eq(rep, 0, "%s: first reply REP 00" % level):
        return
    with app:
        tap.ok(bound[0] == "127.0.0.1" and bound[1] != 0,
               "%s: first reply names the gateway's address and a port" % level, repr(bound))
        rec = gw.syslog.wait(event="bind", result="listening", count=before + 1)
        session = rec[before]["kv"].get("session") if len(rec) > before else None
        peer = connect_from(("127.0.0.1", 0), ("127.0.0.1", bound[1]))
        with peer:
            app.settimeout(30)
            rep2, who = socks5_read_reply(app)
            tap.eq(rep2, 0, "%s: second reply REP 00" % level)
            tap.eq(who, peer.getsockname(), "%s: second reply names the peer" % level)
            app.settimeout(120)
            peer.settimeout(120)
            result = {}
            t = threading.Thread(target=pump, args=(peer, seed + 1, NBYTES, result, "peer"),
                                 daemon=True)
            t.start()
            pump(app, seed, NBYTES, result, "app")
            t.join(180)
        tap.eq(result.get("peer"), (NBYTES, det_sha256(seed, NBYTES)),
               "%s: 16 MiB program -> peer arrived intact (bytes, SHA-256)" % level)
        tap.eq(result.get("app"), (NBYTES, det_sha256(seed + 1, NBYTES)),
               "%s: 16 MiB peer -> program arrived intact (bytes, SHA-256)" % level)
    req = gw.syslog.wait(event="request", cmd="bind", session=session)
    kv = req[0]["kv"] if req else {}
    tap.ok(kv.get("result") == "allowed" and kv.get("rep") == "0" and "policy" in kv and
           kv.get("level") == level,
           "%s: event=request cmd=bind level=%s result=allowed with the policy line"
           % (level, level),
           repr([r["text"] for r in req]))
    acc = gw.syslog.wait(event="bind", result="accepted", session=session)
    tap.ok(bool(acc) and acc[0]["kv"].get("peer") == "127.0.0.1:%d" % who[1],
           "%s: event=bind result=accepted names the peer" % level,
           repr([r["text"] for r in acc]))
    end = gw.syslog.wait(event="end", session=session)
    kv = end[0]["kv"] if end else {}
    tap.ok(kv.get("bytes_from_client") == str(NBYTES) and kv.get("bytes_to_client") == str(NBYTES),
           "%s: event=end with 16 MiB each way" % level, repr([r["text"] for r in end]))


def test_wrong_peer(tap, gw, client):
    rep, app, bound = socks5_bind(client.addr, "127.0.0.1", 0)
    if not tap.eq(rep, 0, "wrong peer: first reply REP 00"):
        return
    with app:
        tap.ok(peer_refused(("127.0.0.2", 0), ("127.0.0.1", bound[1])),
               "a peer from 127.0.0.2 is reset or closed")
        rec = gw.syslog.wait(event="bind", result="refused")
        kv = rec[-1]["kv"] if rec else {}
        tap.ok(kv.get("reason") == "unexpected-address" and
               kv.get("peer", "").startswith("127.0.0.2:"),
               "event=bind result=refused peer=127.0.0.2:... reason=unexpected-address",
               repr([r["text"] for r in rec]))
        tap.ok(no_reply_yet(app), "the program gets no second reply for the stranger")
        peer = connect_from(("127.0.0.1", 0), ("127.0.0.1", bound[1]))
        with peer:
            rep2, who = socks5_read_reply(app)
            tap.ok(rep2 == 0 and who == peer.getsockname(),
                   "the expected peer still connects; second reply names it", repr(who))
            peer.sendall(b"hello from the peer")
            peer.shutdown(socket.SHUT_WR)
            got = b""
            while len(got) < 19:
                d = app.recv(100)
                if not d:
                    break
                got += d
            tap.eq(got, b"hello from the peer", "its bytes reach the program")


def test_wrong_port(tap, gw, client):
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    want_port = probe.getsockname()[1]
    probe.close()
    rep, app, bound = socks5_bind(client.addr, "127.0.0.1", want_port)
    if not tap.eq(rep, 0, "wrong port: first reply REP 00"):
        return
    with app:
        tap.ok(peer_refused(("127.0.0.1", 0), ("127.0.0.1", bound[1])),
               "a peer from another port than DST.PORT is refused")
        rec = gw.syslog.wait(event="bind", result="refused", reason="unexpected-port")
        tap.ok(bool(rec), "event=bind result=refused reason=unexpected-port")
        peer = connect_from(("127.0.0.1", want_port), ("127.0.0.1", bound[1]))
        with peer:
            rep2, who = socks5_read_reply(app)
            tap.ok(rep2 == 0 and who == ("127.0.0.1", want_port),
                   "the peer from DST.PORT is accepted", repr(who))


def test_timeout(tap, gw, client):
    rep, app, bound = socks5_bind(client.addr, "127.0.0.1", 0)
    if not tap.eq(rep, 0, "timeout: first reply REP 00"):
        return
    with app:
        start = time.monotonic()
        app.settimeout(BIND_TIMEOUT + 20)
        rep2, _ = socks5_read_reply(app)
        took = time.monotonic() - start
        tap.eq(rep2, 6, "nobody connects: second reply REP 06 (TTL expired)")
        tap.ok(BIND_TIMEOUT - 0.5 <= took <= BIND_TIMEOUT + 10,
               "it comes at bind-timeout (%d s): %.1f s" % (BIND_TIMEOUT, took))
        try:
            rest = app.recv(10)
        except OSError:
            rest = b""
        tap.eq(rest, b"", "then the connection ends")
    tap.ok(refused_port(bound[1]), "the port no longer listens")
    rec = gw.syslog.wait(event="bind", result="timeout")
    tap.ok(bool(rec), "event=bind result=timeout recorded", repr([r["text"] for r in rec]))
    tap.ok(gw.syslog.wait(event="end", session=rec[0]["kv"].get("session")) if rec else False,
           "and the session's event=end")


def refused_port(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
        return False
    except ConnectionRefusedError:
        return True


def test_client_leaves(tap, gw, client):
    ends = len(gw.syslog.records(event="end"))
    rep, app, bound = socks5_bind(client.addr, "127.0.0.1", 0)
    if not tap.eq(rep, 0, "client leaves: first reply REP 00"):
        return
    app.close()
    tap.ok(len(gw.syslog.wait(event="end", count=ends + 1)) > ends,
           "a program that closes while its BIND waits ends the session")
    tap.ok(wait_for(lambda: refused_port(bound[1]), 10), "and the gateway stops listening")


def test_any_peer(tap, gw, client):
    rep, app, bound = socks5_bind(client.addr, "0.0.0.0", 0)
    if not tap.eq(rep, 0, "DST 0.0.0.0: first reply REP 00"):
        return
    with app:
        tap.eq(bound[0], "127.0.0.1", "DST 0.0.0.0: the gateway listens where the client came in")
        tap.ok(peer_refused(("127.0.0.2", 0), ("127.0.0.1", bound[1])),
               "DST 0.0.0.0: a peer the bind rules deny is reset")
        rec = gw.syslog.wait(event="bind", result="refused", reason="policy")
        tap.ok(bool(rec) and rec[0]["kv"].get("peer", "").startswith("127.0.0.2:"),
               "event=bind result=refused peer=127.0.0.2:... reason=policy",
               repr([r["text"] for r in gw.syslog.records(event="bind")]))
        peer = connect_from(("127.0.0.1", 0), ("127.0.0.1", bound[1]))
        with peer:
            app.settimeout(30)
            rep2, who = socks5_read_reply(app)
            tap.ok(rep2 == 0 and who == peer.getsockname(),
                   "DST 0.0.0.0: a peer the rules allow is accepted", repr((rep2, who)))


def test_name(tap, gw, client):
    rep, app, bound = socks5_bind(client.addr, "localhost", 0)
    if not tap.eq(rep, 0, "DST localhost: first reply REP 00"):
        return
    with app:
        peer = connect_from(("127.0.0.1", 0), ("127.0.0.1", bound[1]))
        with peer:
            app.settimeout(30)
            rep2, who = socks5_read_reply(app)
            tap.ok(rep2 == 0 and who == peer.getsockname(),
                   "DST localhost: a peer from 127.0.0.1 is accepted", repr((rep2, who)))


def test_family(tap, client):
    rep, app, _ = socks5_bind(client.addr, "::1", 0)
    if app:
        app.close()
    tap.eq(rep, 8, "DST ::1 over an IPv4 control connection: REP 08")


def test_denied(tap, realm, gw):
    realm.kinit("bob")
    client = Client(realm, "127.0.0.1:%d" % gw.port, tap, level="confidentiality").start()
    try:
        rep, app, _ = socks5_bind(client.addr, "127.0.0.1", 0)
        tap.eq(rep, 2, "a policy without bind rules: REP 02")
        if app:
            app.close()
    finally:
        client.stop()
        realm.kinit("alice")


def test_counted(tap, gw):
    """Each refused peer counts in gssocksctl's counters, once per record."""
    counters = gw.counters()
    for why in ("unexpected-address", "unexpected-port", "policy"):
        n = counters.get('gssocks_refusals_total{reason="bind-peer-%s"}' % why, 0)
        recs = gw.syslog.wait(event="bind", result="refused", reason=why, count=max(n, 1))
        tap.ok(n >= 1 and n == len(recs),
               "gssocks_refusals_total{reason=\"bind-peer-%s\"} counts each "
               "event=bind result=refused reason=%s" % (why, why),
               "counted %d, records %d" % (n, len(recs)))


def body(tap):
    require()
    realm = Realm(tap).start()
    gw = Gateway(realm, tap, policy=POLICY, bind_timeout=str(BIND_TIMEOUT),
                 protection_levels="integrity confidentiality", allow_clear="yes").start()
    clients = []
    seed = 300
    for level in ("clear", "integrity", "confidentiality"):
        client = Client(realm, "127.0.0.1:%d" % gw.port, tap, level=level).start()
        clients.append(client)
        tap.run("%s transfer" % level, test_transfer, tap, gw, client, level, seed)
        seed += 10
    tap.run("wrong peer", test_wrong_peer, tap, gw, clients[-1])
    tap.run("wrong port", test_wrong_port, tap, gw, clients[-1])
    tap.run("timeout", test_timeout, tap, gw, clients[-1])
    tap.run("client leaves", test_client_leaves, tap, gw, clients[-1])
    tap.run("any peer", test_any_peer, tap, gw, clients[-1])
    tap.run("name", test_name, tap, gw, clients[-1])
    tap.run("family", test_family, tap, clients[-1])
    for c in clients:
        tap.ok(c.alive(), "gssocks-client still running")
        c.stop()
    tap.run("denied", test_denied, tap, realm, gw)
    tap.run("counted", test_counted, tap, gw)
    tap.ok(gw.alive(), "gssocksd still running")
    gw.stop()
    check_sanitizers(tap, gw, *clients)


if __name__ == "__main__":
    main(body)
