#!/usr/bin/python3
"""sandbox e2e: a live gateway's processes, inspected and killed.

The gateway runs two authproc workers (authproc-workers 2) and two relays.
While sessions are live: every process (master, both spawners, both
authprocs, relays) shows NoNewPrivs 1, Seccomp 2 and CapEff 0 in /proc/PID/status (the
master also CapBnd 0 when started as root); the children's parent is the
master (the spawners clone them with CLONE_PARENT); no gssocks process has
the keytab open (authproc closed it after loading).  A relay killed by
SIGSYS (what a seccomp violation looks like to the master) is logged with
the signal and respawned.
SIGKILL of a relay ends only its session: the other one still echoes, the
relay is respawned within a second and a new session works.  SIGKILL of
the authproc worker holding a handshake in flight (the one whose debug
line names the session) closes that client's connection, the other worker
is not touched, and the next session succeeds.
"""

import os
import re
import signal
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
from gssocks_harness import (Client, Echo, Gateway, Realm, main, require,  # noqa: E402
                             socks5_connect, wait_for)
from live_procs import SPAWNER, children, echoes, open_files, status_fields  # noqa: E402

METHOD = re.compile(r"event=method session=(\d+) result=gssapi")


def body(tap):
    require()
    realm = Realm(tap).start()
    gw = Gateway(realm, tap, authproc_workers="2").start()
    client = Client(realm, "127.0.0.1:%d" % gw.port, tap).start()
    echo = Echo()

    wait_for(lambda: len(children(gw)) >= 4)
    kids = children(gw)
    tap.eq(sorted(slot for name, slot in kids if name == "authproc"), [0, 1],
           "two authproc workers started")
    master = gw.proc.proc.pid
    sessions = []
    for _ in range(2):
        rep, s, _ = socks5_connect(client.addr, "127.0.0.1", echo.port)
        tap.eq(rep, 0, "session through the gateway connected")
        if s is not None:
            sessions.append(s)
    tap.ok(all(echoes(s) for s in sessions), "both sessions relay data")

    for (name, slot), (pid, _) in sorted(kids.items()):
        st = status_fields(pid)
        tap.eq((st.get("NoNewPrivs"), st.get("Seccomp"), st.get("CapEff")),
               ("1", "2", "0000000000000000"),
               "%s slot %d: NoNewPrivs 1, Seccomp 2, CapEff 0" % (name, slot))
    mst = status_fields(master)
    tap.eq((mst.get("NoNewPrivs"), mst.get("Seccomp"), mst.get("CapEff")),
           ("1", "2", "0000000000000000"), "master: NoNewPrivs 1, Seccomp 2, CapEff 0")
    if os.geteuid() == 0:
        tap.eq((mst.get("CapPrm"), mst.get("CapBnd")), ("0000000000000000", "0000000000000000"),
               "master (started as root): CapPrm 0, CapBnd 0")
    spawners = {m.group(1): int(m.group(2)) for m in SPAWNER.finditer(gw.log_text())}
    tap.eq(sorted(spawners), ["authproc", "relay"], "two spawners started")
    for name, pid in sorted(spawners.items()):
        st = status_fields(pid)
        tap.eq((st.get("NoNewPrivs"), st.get("Seccomp"), st.get("CapEff"), st.get("PPid")),
               ("1", "2", "0000000000000000", str(master)),
               "%s spawner: NoNewPrivs 1, Seccomp 2, CapEff 0, parent the master" % name)
    tap.eq(sorted(set(status_fields(pid).get("PPid") for pid, _ in kids.values())),
           [str(master)], "every child's parent is the master (CLONE_PARENT)")
    keytab = os.path.realpath(realm.keytab)
    holders = [pid for pid in [master] + [p for p, _ in kids.values()]
               if keytab in open_files(pid)]
    tap.eq(holders, [], "no gssocks process has the keytab open during a session")

    # SIGKILL one relay: only its session ends; respawned within a second.
    victim_slot = 0
    victim, gen = kids[("relay", victim_slot)]
    killed_at = time.time()
    os.kill(victim, signal.SIGKILL)
    respawned = wait_for(lambda: children(gw).get(("relay", victim_slot), (0, gen))[1] > gen,
                         timeout=3.0)
    took = time.time() - killed_at
    tap.ok(respawned and took < 1.0, "killed relay respawned (%.2f s)" % took)
    alive = [echoes(s, b"after") for s in sessions]
    tap.eq(sorted(alive), [False, True], "only the killed relay's session ended")
    rep, s, _ = socks5_connect(client.addr, "127.0.0.1", echo.port)
    tap.ok(rep == 0 and s is not None and echoes(s), "a new session works after the respawn")
    if s is not None:
        sessions.append(s)

    # A relay dying of SIGSYS (a seccomp kill): logged with the signal, respawned.
    victim, gen = children(gw)[("relay", 1)]
    os.kill(victim, signal.SIGSYS)
    tap.ok(wait_for(lambda: children(gw).get(("relay", 1), (0, gen))[1] > gen, timeout=3.0),
           "relay killed by SIGSYS respawned")
    tap.ok(wait_for(lambda: re.search(r"event=child name=relay slot=1 pid=%d action=exit "
                                      r"signal=SIGSYS" % victim, gw.log_text()), timeout=3.0),
           "the master logged the relay's death by SIGSYS")
    tap.ok(gw.syslog.wait(event="sandbox-violation", child="relay", slot="1",
                          pid=str(victim), signal="SIGSYS"),
           "audit record event=sandbox-violation for the relay")

    # SIGKILL the authproc worker holding a handshake in flight.
    raw = socket.create_connection(("127.0.0.1", gw.port), timeout=5)
    raw.sendall(b"\x05\x01\x01")
    tap.eq(raw.recv(2), b"\x05\x01", "in-flight handshake: gateway chose GSS-API")
    sid = max(int(m.group(1)) for m in METHOD.finditer(gw.log_text()))
    started = re.compile(r"gssocks-authproc\[(\d+)\]: session %d from .*handshake started" % sid)
    wait_for(lambda: started.search(gw.log_text()), timeout=5.0)
    holder = started.search(gw.log_text())
    workers = {pid: (slot, gen) for (name, slot), (pid, gen) in children(gw).items()
               if name == "authproc"}
    if not tap.ok(holder and int(holder.group(1)) in workers,
                  "the worker holding session %d is known" % sid):
        return
    apid = int(holder.group(1))
    aslot, agen = workers[apid]
    other = [(pid, gen) for pid, (slot, gen) in workers.items() if slot != aslot]
    os.kill(apid, signal.SIGKILL)
    try:
        rest = raw.recv(16)
    except OSError:
        rest = b""
    tap.ok(rest in (b"", b"\x01\xff"), "in-flight handshake ended cleanly (%r)" % rest)
    raw.close()
    tap.ok(wait_for(lambda: children(gw).get(("authproc", aslot), (0, agen))[1] > agen,
                    timeout=3.0), "authproc worker %d respawned" % aslot)
    tap.eq([children(gw).get(("authproc", 1 - aslot))], other,
           "the other authproc worker was not touched")
    rep, s, _ = socks5_connect(client.addr, "127.0.0.1", echo.port)
    tap.ok(rep == 0 and s is not None and echoes(s), "the next session succeeds")
    for x in sessions + ([s] if s is not None else []):
        x.close()
    st = status_fields(children(gw)[("authproc", aslot)][0])
    tap.eq((st.get("NoNewPrivs"), st.get("Seccomp"), st.get("CapEff")),
           ("1", "2", "0000000000000000"), "respawned authproc is sandboxed too")


if __name__ == "__main__":
    main(body)
