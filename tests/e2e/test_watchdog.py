#!/usr/bin/python3
"""e2e: a stalled child is noticed (the master's watchdog, child-timeout).

gssocksd with child-timeout 2 and two relay workers, gssocks-client in
front of it, an echo target:

  - SIGSTOP of gssocks-authproc: within child-timeout (plus the ping
    interval and the respawn delay; margins for a loaded host) the master
    kills it (event=child-stalled role=authproc in the audit trail) and a
    new authproc starts; a new handshake then succeeds and the session
    established before goes on echoing;
  - SIGSTOP of the relay carrying one session: the same for the relay
    (event=child-stalled role=relay); that session is lost and ends with a
    reset (part 2), the session on the other relay goes on, and a new one
    works.

The children's pids come from the master's event=child start records
(tests/sandbox/live_procs.py); the relay slot of each session from its
event=method record.
"""

import os
import re
import signal
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "sandbox"))
from gssocks_harness import (CLEANUP, Client, Echo, Gateway, Realm, check_sanitizers,  # noqa: E402
                             main, require, socks5_connect, wait_for)
from live_procs import children, echoes  # noqa: E402

CHILD_TIMEOUT = 2
# ping interval (1 s) + timeout + respawn delay (0.25 s) = 3.25 s; the
# rest is margin for a loaded 2-core host and the sanitizer build.
NOTICED_WITHIN = CHILD_TIMEOUT + 6
METHOD = re.compile(r"event=method session=(\d+) result=gssapi slot=(\d+)")


def slots(gw):
    """[(session, slot)] in the order the master handed sessions out."""
    return [(int(m.group(1)), int(m.group(2))) for m in METHOD.finditer(gw.log_text())]


def open_echo(tap, gw, client, echo, what):
    """An echoing session through gssocks-client; returns (sock, slot)."""
    before = len(slots(gw))
    rep, s, _ = socks5_connect(client.addr, "127.0.0.1", echo.port)
    if not tap.eq(rep, 0, "%s: CONNECT succeeded" % what):
        return None, None
    tap.ok(echoes(s, what.encode()), "%s: echoes" % what)
    got = slots(gw)
    slot = got[-1][1] if len(got) > before else None
    CLEANUP.push(s.close)
    return s, slot


def stop(pid):
    os.kill(pid, signal.SIGSTOP)

    def resume():
        try:
            os.kill(pid, signal.SIGCONT)
        except OSError:
            pass
    CLEANUP.push(resume)


def stall(tap, gw, role, slot):
    """SIGSTOP the child; True when it was replaced in time."""
    pid, generation = children(gw)[(role, slot)]
    t0 = time.time()
    stop(pid)
    replaced = wait_for(lambda: children(gw).get((role, slot), (0, 0))[1] > generation,
                        NOTICED_WITHIN)
    took = time.time() - t0
    tap.ok(replaced, "%s %d (pid %d) stopped: killed and respawned within %d s (%.1f s)" %
           (role, slot, pid, NOTICED_WITHIN, took))
    rec = gw.syslog.wait(timeout=5, event="child-stalled", role=role, pid=str(pid))
    tap.ok(rec, "audit: event=child-stalled role=%s pid=%d" % (role, pid))
    tap.ok(wait_for(lambda: not os.path.exists("/proc/%d" % pid) or
                    "State:\tZ" in open("/proc/%d/status" % pid).read(), 5),
           "the stopped %s is gone" % role)
    return replaced


def body(tap):
    require()
    realm = Realm(tap).start()
    gw = Gateway(realm, tap, relay_workers="2", child_timeout=str(CHILD_TIMEOUT)).start()
    client = Client(realm, "localhost:%d" % gw.port, tap).start()
    echo = Echo()

    a, slot_a = open_echo(tap, gw, client, echo, "session A")
    b, slot_b = open_echo(tap, gw, client, echo, "session B")
    if not tap.ok(a is not None and b is not None and slot_a is not None and
                  slot_b is not None and slot_a != slot_b,
                  "sessions A and B on different relays (%r, %r)" % (slot_a, slot_b)):
        return
    time.sleep(CHILD_TIMEOUT + 1.5)
    tap.eq(gw.syslog.records(event="child-stalled"), [],
           "healthy children are not killed (child-timeout %d s went by)" % CHILD_TIMEOUT)

    # authproc
    stall(tap, gw, "authproc", 0)
    tap.ok(echoes(a, b"A after authproc"), "session A goes on after authproc's respawn")
    tap.ok(echoes(b, b"B after authproc"), "session B goes on after authproc's respawn")
    open_echo(tap, gw, client, echo, "session C (new handshake after the respawn)")

    # the relay of session B
    stall(tap, gw, "relay", slot_b)
    try:
        b.settimeout(10)
        b.sendall(b"B after its relay")
        got = b.recv(100)
        b_end = "eof" if got == b"" else "data %r" % got
    except ConnectionResetError:
        b_end = "reset"
    except OSError as e:
        b_end = repr(e)
    tap.eq(b_end, "reset", "session B, on the stalled relay, ends with a reset")
    tap.ok(echoes(a, b"A after relay"), "session A, on the other relay, goes on")
    open_echo(tap, gw, client, echo, "session D (after the relay's respawn)")
    tap.ok(gw.alive(), "gssocksd still runs")
    check_sanitizers(tap, gw, client)


if __name__ == "__main__":
    main(body)
