#!/usr/bin/python3
"""e2e: the spawners' diagnostics reach the master's log over IPC.

A spawner's stderr is /dev/null once gssocksd detached, so each spawner
sends its log lines to the master as IPC_LOG on its channel, and the
master writes them as `gssocks-spawner-ROLE[PID]: text`, with the pid it
forked the spawner with (its `event=spawner name=ROLE pid=PID` line).
gssocksd -d: a spawner logs each child it starts (a debug line), so the
start of authproc and of each relay slot must appear under the right
spawner's name and pid, naming the pid of the child the master recorded.
A spawner killed: gssocksd stops and exits with status 1 (not 0, which
systemd's Restart=on-failure would take for a wanted stop).
"""

import os
import re
import signal
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gssocks_harness import Gateway, Realm, main, require, wait_for  # noqa: E402


def body(tap):
    require()
    realm = Realm(tap).start()
    gw = Gateway(realm, tap, dual=False).start()

    def lines():
        return gw.log_text()

    spawners = {}
    for role in ("authproc", "relay"):
        m = re.search(r"event=spawner name=%s pid=(\d+)" % role, lines())
        tap.ok(m is not None, "master logged the %s spawner's start" % role)
        spawners[role] = int(m.group(1)) if m else -1
    for role, slots in (("authproc", [0]), ("relay", [0, 1])):
        for slot in slots:
            pat = re.compile(r"gssocks-spawner-%s\[%d\]: started slot %d as pid (\d+)"
                             % (role, spawners[role], slot))
            found = wait_for(lambda: pat.search(lines()) is not None, 10)
            tap.ok(found, "%s spawner's line for slot %d arrives under its pid %d"
                   % (role, slot, spawners[role]))
            m = pat.search(lines())
            if m:
                child = int(m.group(1))
                tap.ok(re.search(r"event=child[^\n]*pid=%d" % child, lines()) is not None
                       or os.path.exists("/proc/%d" % child),
                       "%s slot %d: the pid the spawner names is a child of the master"
                       % (role, slot))
    tap.ok(not re.search(r"gssocksd-spawner-(authproc|relay)", lines()),
           "no spawner line written by the spawner itself to stderr")
    # A spawner that dies leaves no way to start a child: gssocksd stops,
    # with a failure status so that systemd's Restart=on-failure restarts
    # it (exit 0 would leave the service down).
    if spawners["relay"] > 0:
        os.kill(spawners["relay"], signal.SIGKILL)
        try:
            status = gw.proc.proc.wait(15)
        except subprocess.TimeoutExpired:
            status = None
        tap.ok("no child can be started any more, stopping" in lines(),
               "relay spawner killed: gssocksd says it stops")
        tap.eq(status, 1, "and exits with status 1 (a failure systemd restarts)")
    gw.stop()


if __name__ == "__main__":
    main(body)
