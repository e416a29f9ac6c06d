#!/usr/bin/python3
"""e2e: handshakes on every core (authproc-workers, issue 11 part 2).

gssocksd with authproc-workers 2 and two relay workers, gssocks-client in
front of it, an echo target:

  - two gssocks-authproc processes run, each sandboxed (seccomp filter,
    no_new_privs);
  - sessions one after the other are authenticated by both workers: the
    master hands each new session to the worker holding the fewest
    handshakes, equal ones in turn (authproc=K in each event=auth record);
  - SIGKILL of worker 0 while two sessions relay (one authenticated by
    each worker): both go on echoing (a relayed session no longer needs
    authproc); sessions started right after the kill are served by worker
    1 while worker 0 is down (between its exit and its new start record),
    none is refused; worker 0 comes back (a new generation) and takes
    sessions again; no session ends with reason authproc-died;
  - SIGHUP replaces both workers (two action=retire records, a new
    generation in each slot); the sessions relayed before go on and new
    sessions are authenticated by both new workers.

Worker pids and generations come from the master's event=child records
(tests/sandbox/live_procs.py).  Fails on code without authproc-workers
(the keyword is refused, or one worker does everything).
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
from live_procs import children, echoes, status_fields  # noqa: E402

EXIT = re.compile(r"event=child name=authproc slot=(\d+) pid=(\d+) action=exit")
METHOD = re.compile(r"event=method session=(\d+) result=gssapi")


def worker_of(gw):
    """{session id: authproc worker} from the event=auth result=ok records."""
    return {int(r["kv"]["session"]): int(r["kv"]["authproc"])
            for r in gw.syslog.records(event="auth", result="ok") if "authproc" in r["kv"]}


def session(tap, gw, client, echo, what):
    """An echoing session; returns (socket, its authproc worker) or (None, None)."""
    before = set(worker_of(gw))
    rep, s, _ = socks5_connect(client.addr, "127.0.0.1", echo.port)
    if not tap.eq(rep, 0, "%s: CONNECT succeeded" % what):
        return None, None
    CLEANUP.push(s.close)
    tap.ok(echoes(s, what.encode()), "%s: echoes" % what)
    new = set(worker_of(gw)) - before
    return s, (worker_of(gw)[max(new)] if new else None)


def sessions_while_down(gw, pid, generation):
    """Sessions the master handed out between worker 0's exit (pid) and its
    next start record; None while that start record is not there yet."""
    log = gw.log_text()
    exit_at = None
    for m in EXIT.finditer(log):
        if m.group(1) == "0" and int(m.group(2)) == pid:
            exit_at = m.end()
    if exit_at is None:
        return None
    start = re.compile(r"event=child name=authproc slot=0 pid=\d+ action=start "
                       r"generation=(\d+)")
    m = next((m for m in start.finditer(log, exit_at) if int(m.group(1)) > generation), None)
    if m is None:
        return None
    return [int(x.group(1)) for x in METHOD.finditer(log[exit_at:m.start()])]


def exited(gw, pid):
    return any(m.group(1) == "0" and int(m.group(2)) == pid
               for m in EXIT.finditer(gw.log_text()))


def kill_worker0(tap, gw, client, echo, attempt):
    """SIGKILL worker 0, then open sessions until it is back; returns the
    session ids handed out while it was down (possibly none on a very slow
    host)."""
    pid, generation = children(gw)[("authproc", 0)]
    os.kill(pid, signal.SIGKILL)
    # Once the master has reaped it (its exit record), new sessions cannot
    # go to it; the master respawns it 250 ms after it died.
    tap.ok(wait_for(lambda: exited(gw, pid), 10),
           "kill %d: the master saw worker 0 (pid %d) die" % (attempt, pid))
    opened, failed = 0, 0
    t0 = time.time()
    while time.time() - t0 < 5.0 and children(gw)[("authproc", 0)][1] == generation:
        rep, s, _ = socks5_connect(client.addr, "127.0.0.1", echo.port)
        opened += 1
        if rep != 0 or not echoes(s, b"while worker 0 is down"):
            failed += 1
        if s is not None:
            s.close()
    tap.eq(failed, 0, "kill %d: all %d session(s) opened until worker 0 was back worked" %
           (attempt, opened))
    tap.ok(wait_for(lambda: children(gw).get(("authproc", 0), (0, 0))[1] > generation, 10),
           "kill %d: worker 0 respawned with a new generation" % attempt)
    while_down = sessions_while_down(gw, pid, generation)
    workers = worker_of(gw)
    down = [workers.get(sid) for sid in (while_down or [])]
    tap.ok(down == [1] * len(down),
           "kill %d: the %d session(s) handed out while worker 0 was down went to worker 1" %
           (attempt, len(down)), repr(down))
    return while_down or []


def body(tap):
    require()
    realm = Realm(tap).start()
    gw = Gateway(realm, tap, relay_workers="2", authproc_workers="2").start()
    client = Client(realm, "localhost:%d" % gw.port, tap).start()
    echo = Echo()

    procs = children(gw)
    workers = sorted(slot for (name, slot) in procs if name == "authproc")
    tap.eq(workers, [0, 1], "two authproc workers started (slots 0 and 1)")
    for w in workers:
        f = status_fields(procs[("authproc", w)][0])
        tap.ok(f.get("Seccomp") == "2" and f.get("NoNewPrivs") == "1",
               "worker %d is sandboxed (Seccomp %s, NoNewPrivs %s)" %
               (w, f.get("Seccomp"), f.get("NoNewPrivs")))

    made = lambda: set(re.findall(r"gssocks-relay\[\d+\] slot (\d): channel to authproc "
                                  r"worker (\d) made", gw.log_text()))
    tap.ok(wait_for(lambda: made() == {("0", "0"), ("0", "1"), ("1", "0"), ("1", "1")}, 10),
           "each relay's log names the authproc worker of each channel it made",
           "found %r" % sorted(made()))

    held = {}
    for i in range(4):
        s, w = session(tap, gw, client, echo, "session %d" % i)
        if s is not None and w is not None and w not in held:
            held[w] = s
    tap.eq(sorted(set(worker_of(gw).values())), [0, 1],
           "sessions in a row were authenticated by both workers")
    if not tap.ok(sorted(held) == [0, 1], "a relayed session of each worker is held"):
        return

    down = []
    for attempt in range(1, 4):
        down += kill_worker0(tap, gw, client, echo, attempt)
        if down:
            break
    tap.ok(len(down) > 0, "worker 1 served %d new session(s) while worker 0 was down" %
           len(down))
    tap.ok(echoes(held[0], b"worker 0's session after its kill"),
           "the session worker 0 authenticated goes on after worker 0's death")
    tap.ok(echoes(held[1], b"worker 1's session"), "the session worker 1 authenticated goes on")

    before = set(worker_of(gw))
    for i in range(4):
        s, _ = session(tap, gw, client, echo, "after the respawn %d" % i)
        if s is not None:
            s.close()
    after = {worker_of(gw)[sid] for sid in set(worker_of(gw)) - before}
    tap.eq(sorted(after), [0, 1], "after the respawn both workers take sessions again")
    tap.eq(gw.syslog.records(event="end", reason="authproc-died"), [],
           "no session ended with reason authproc-died")

    gens = {w: children(gw)[("authproc", w)][1] for w in (0, 1)}
    gw.reload()
    tap.ok(wait_for(lambda: all(children(gw)[("authproc", w)][1] > gens[w] for w in (0, 1)), 10),
           "SIGHUP: both workers replaced (new generations)")
    tap.ok(wait_for(lambda: len(re.findall(r"event=child name=authproc slot=\d pid=\d+ "
                                           r"action=retire", gw.log_text())) == 2, 10),
           "SIGHUP: both old workers retired")
    tap.ok(echoes(held[0], b"after SIGHUP") and echoes(held[1], b"after SIGHUP"),
           "the sessions relayed before the SIGHUP go on")
    before = set(worker_of(gw))
    for i in range(4):
        s, _ = session(tap, gw, client, echo, "after SIGHUP %d" % i)
        if s is not None:
            s.close()
    after = {worker_of(gw)[sid] for sid in set(worker_of(gw)) - before}
    tap.eq(sorted(after), [0, 1], "after SIGHUP both new workers take sessions")
    tap.ok(gw.alive(), "gssocksd still runs")
    client.stop()
    echo.stop()
    gw.stop()
    check_sanitizers(tap, gw, client)


if __name__ == "__main__":
    main(body)
