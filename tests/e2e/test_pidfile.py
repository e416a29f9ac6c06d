#!/usr/bin/python3
"""e2e: the pid-file of a detached gssocksd is written at start-up and
removed again on SIGTERM, under the master's sandbox.

gssocksd runs without -D/-d: it detaches, writes `pid-file` (its own pid),
forks the spawners and enters its sandbox (Landlock: read on the pid-file,
remove-file on its directory and nothing else there).  SIGTERM stops it;
the pid-file must be gone afterwards and nothing else in its directory
(a neighbour file stays: the master may remove the pid-file only because
it still holds its own pid, and removes nothing else).
"""

import ctypes
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gssocks_harness import (CLEANUP, Gateway, Realm, binary, free_port,  # noqa: E402
                             listening, main, require, tempdir, wait_for)


def landlock_abi():
    """The running kernel's Landlock ABI, 0 when none (as common/landlock.c)."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    # SYS_landlock_create_ruleset (444 on x86_64 and aarch64), VERSION flag 1
    return max(0, libc.syscall(ctypes.c_long(444), None, ctypes.c_size_t(0),
                               ctypes.c_uint32(1)))


def alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def body(tap):
    require()
    tap.diag("Landlock ABI %d" % landlock_abi())
    realm = Realm(tap).start()
    run_dir = tempdir("gssocks-run-")
    pid_file = os.path.join(run_dir, "gssocksd.pid")
    neighbour = os.path.join(run_dir, "other.pid")
    with open(neighbour, "w") as f:
        f.write("1\n")
    gw = Gateway(realm, tap, dual=False, pid_file=pid_file)
    port = free_port()
    conf = gw.write_conf(port)
    started = subprocess.run([binary("gssocksd"), "-f", conf], env=realm.env,
                             stdin=subprocess.DEVNULL, capture_output=True, timeout=30)
    tap.eq(started.returncode, 0, "gssocksd detaches with status 0")
    tap.ok(wait_for(lambda: os.path.exists(pid_file), 10), "pid-file written")
    pid = 0
    if os.path.exists(pid_file):
        with open(pid_file) as f:
            pid = int(f.read().strip() or "0")
    if pid <= 0:
        tap.ok(False, "pid-file holds a pid", started.stderr.decode(errors="replace"))
        return

    def kill():
        if alive(pid):
            os.kill(pid, signal.SIGKILL)
    CLEANUP.push(kill)
    with open("/proc/%d/comm" % pid) as f:
        tap.eq(f.read().strip(), "gssocksd", "pid-file names the detached gssocksd")
    tap.ok(wait_for(lambda: listening(port), 15), "detached gssocksd listens")
    # The sandbox is in place once the children run (they start after it).
    time.sleep(0.5)
    with open("/proc/%d/status" % pid) as f:
        seccomp = [l.split()[1] for l in f if l.startswith("Seccomp:")]
    tap.eq(seccomp, ["2"], "master runs under its seccomp filter")
    os.kill(pid, signal.SIGTERM)
    tap.ok(wait_for(lambda: not alive(pid), 15), "gssocksd stops on SIGTERM")
    tap.ok(not os.path.exists(pid_file), "pid-file removed at exit")
    tap.ok(os.path.exists(neighbour), "nothing else removed from the pid-file's directory")
    tap.ok(not os.path.exists(pid_file + ".tmp"), "no temporary pid-file left")


if __name__ == "__main__":
    main(body)
