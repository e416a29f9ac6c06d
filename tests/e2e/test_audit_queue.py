#!/usr/bin/python3
"""e2e: no audit record is lost while syslog does not read.

  - The test's syslog sink stops reading (its socket queue holds about
    ten datagrams, then gssocksd's sends fail with EAGAIN); thirty short
    sessions run through gssocks-client meanwhile, several records each.
  - After the sink reads again, every session's auth, request and end
    records arrive, in that order per session, each once, and no
    event=audit-dropped record says records were lost.
  - The gateway served every session while syslog was stalled.
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gssocks_harness import (Client, Echo, Gateway, Realm, check_sanitizers,  # noqa: E402
                             main, recv_exact, require, socks5_connect)

SESSIONS = 30


def one_session(tap, client, echo, i):
    rep, s, _ = socks5_connect(client.addr, "127.0.0.1", echo.port)
    if rep != 0:
        return False
    msg = b"session-%02d" % i
    s.sendall(msg)
    ok = recv_exact(s, len(msg)) == msg
    s.close()
    return ok


def test_stalled_sink(tap, realm, gw, echo):
    client = Client(realm, "127.0.0.1:%d" % gw.port, tap, level="integrity").start()
    gw.syslog.pause()
    before = len(gw.syslog.records())
    served = sum(1 for i in range(SESSIONS) if one_session(tap, client, echo, i))
    tap.eq(served, SESSIONS, "all sessions served while syslog was not reading")
    # Let the last end records be written (into the queue) before reading.
    time.sleep(1.5)
    stalled = len(gw.syslog.records())
    tap.ok(stalled == before, "the sink read nothing while paused",
           "before %d, while paused %d" % (before, stalled))
    gw.syslog.resume()
    ends = gw.syslog.wait(event="end", count=SESSIONS, timeout=20)
    tap.eq(len(ends), SESSIONS, "one end record per session after resume")
    time.sleep(0.5)
    recs = gw.syslog.records()
    by_session = {}
    for r in recs:
        sid = r["kv"].get("session")
        if sid is not None:
            by_session.setdefault(sid, []).append(r["kv"].get("event"))
    complete = 0
    bad = []
    for sid, events in by_session.items():
        want = [e for e in events if e in ("auth", "request", "end")]
        if want == ["auth", "request", "end"]:
            complete += 1
        else:
            bad.append((sid, events))
    tap.eq(complete, SESSIONS, "each session: auth, request, end, once each and in order")
    if bad:
        tap.diag("incomplete sessions: %r" % bad[:5])
    tap.eq(len(gw.syslog.records(event="audit-dropped")), 0, "no event=audit-dropped record")
    tap.ok(all("bad" not in r for r in recs), "every datagram is a well-formed record")
    client.stop()


def body(tap):
    require()
    realm = Realm(tap).start()
    echo = Echo()
    gw = Gateway(realm, tap).start()
    tap.run("stalled syslog sink", test_stalled_sink, tap, realm, gw, echo)
    tap.ok(gw.alive(), "gssocksd still running")
    gw.stop()
    check_sanitizers(tap, gw)
    echo.stop()


if __name__ == "__main__":
    main(body)
