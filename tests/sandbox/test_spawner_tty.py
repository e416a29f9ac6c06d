#!/usr/bin/python3
"""sandbox e2e: no spawner or child keeps the operator's terminal.

gssocksd -d runs on a pseudo-terminal (pty_launcher.py: fds 0-2 and the
controlling terminal, as when started with -D from a console).  The master
keeps it (its stderr is the log), but each spawner replaces fds 0-2 that
are a terminal by /dev/null before its filter, so neither it nor the
authproc and relays it execs hold the terminal a TIOCSTI (or a read of the
operator's typing) could reach.  A session still works.
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
from gssocks_harness import (Client, Echo, Gateway, Realm, main, require,  # noqa: E402
                             socks5_connect, wait_for)
from live_procs import SPAWNER, children, echoes  # noqa: E402

LAUNCHER = [sys.executable, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                         "pty_launcher.py")]


def std_fds(pid):
    """Targets of fds 0, 1 and 2 of PID."""
    out = []
    for fd in range(3):
        try:
            out.append(os.readlink("/proc/%d/fd/%d" % (pid, fd)))
        except OSError as e:
            out.append("(%s)" % e.strerror)
    return out


def body(tap):
    require()
    realm = Realm(tap).start()
    gw = Gateway(realm, tap, launcher=LAUNCHER).start()
    wait_for(lambda: len(children(gw)) >= 3)
    spawners = {m.group(1): int(m.group(2)) for m in SPAWNER.finditer(gw.log_text())}
    master = None
    for pid in spawners.values():
        with open("/proc/%d/status" % pid) as f:
            master = int([line.split()[1] for line in f if line.startswith("PPid:")][0])
    tap.ok(master is not None and all(t.startswith("/dev/pts/") for t in std_fds(master)),
           "the master runs on the pseudo-terminal (the test can tell)",
           master and std_fds(master))
    tap.eq(sorted(spawners), ["authproc", "relay"], "two spawners started")
    for name, pid in sorted(spawners.items()):
        tap.eq(std_fds(pid), ["/dev/null"] * 3, "%s spawner: fds 0-2 are /dev/null" % name)
    for (name, slot), (pid, _) in sorted(children(gw).items()):
        tap.eq(std_fds(pid), ["/dev/null"] * 3, "%s slot %d: fds 0-2 are /dev/null" % (name, slot))

    client = Client(realm, "127.0.0.1:%d" % gw.port, tap).start()
    echo = Echo()
    rep, s, _ = socks5_connect(client.addr, "127.0.0.1", echo.port)
    tap.eq(rep, 0, "a session connects")
    tap.ok(s is not None and echoes(s), "and relays data")
    if s is not None:
        s.close()
    client.stop()
    gw.stop()
    echo.stop()


if __name__ == "__main__":
    main(body)
