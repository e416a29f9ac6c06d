#!/usr/bin/python3
"""sandbox e2e: no silent downgrade when the kernel has no Landlock.

gssocksd runs under tests/sandbox/no_landlock, a launcher whose seccomp
filter answers the Landlock calls with ENOSYS (what a kernel without
Landlock says), inherited by every process of the gateway.
- Without `sandbox-without-landlock yes`: start-up is refused, exit status
  1, and the log says why (no Landlock, the keytab) and names the keyword.
- With `sandbox-without-landlock yes`: the gateway starts, warns (the
  master and authproc, which gets --sandbox-without-landlock), and a
  session through it relays data.
- Control: `sandbox-without-landlock yes` on this kernel (Landlock
  present) is no warning at all (skipped if this kernel has no Landlock).
"""

import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
from gssocks_harness import (BUILD, Client, Echo, Gateway, Realm, main, require,  # noqa: E402
                             skip_all, socks5_connect, wait_for)
from live_procs import echoes  # noqa: E402

LAUNCHER = os.path.join(BUILD, "tests", "sandbox", "no_landlock")
NOT_CONFINED = "no Landlock in this kernel"


def landlock_in_kernel():
    """The running kernel's Landlock ABI (0: none), asked like landlock.c does."""
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    SYS_landlock_create_ruleset = 444          # x86_64, aarch64 and the rest: one number
    return max(libc.syscall(SYS_landlock_create_ruleset, None, 0, 1), 0)


def body(tap):
    require()
    if not os.access(LAUNCHER, os.X_OK):
        skip_all("launcher not built: %s" % LAUNCHER)
    realm = Realm(tap).start()

    # 1. No Landlock, no opt-out: refused, with the reason.
    gw = Gateway(realm, tap, launcher=[LAUNCHER])
    try:
        gw.start(timeout=10.0)
        started = True
    except RuntimeError:
        started = False
    tap.ok(not started, "without Landlock and without the keyword, gssocksd does not start")
    rc = gw.proc.proc.returncode if gw.proc else None
    tap.eq(rc, 1, "exit status 1")
    log = gw.log_text()
    tap.ok("refusing to start" in log and "keytab" in log,
           "the refusal says why (no Landlock; the keytab)", log[-1500:])
    tap.ok('sandbox-without-landlock yes' in log, "the refusal names the opt-out keyword")
    tap.ok("event=spawner" not in log, "refused before any spawner was started")
    gw.stop()

    # 2. No Landlock, opt-out written: it runs, says so, and serves.
    gw = Gateway(realm, tap, launcher=[LAUNCHER], sandbox_without_landlock="yes").start()
    client = Client(realm, "127.0.0.1:%d" % gw.port, tap).start()
    echo = Echo()
    rep, s, _ = socks5_connect(client.addr, "127.0.0.1", echo.port)
    tap.eq(rep, 0, "with sandbox-without-landlock yes a session connects")
    tap.ok(s is not None and echoes(s), "and relays data")
    if s is not None:
        s.close()
    wait_for(lambda: "authproc sandbox: " + NOT_CONFINED in gw.log_text(), timeout=5)
    log = gw.log_text()
    tap.ok("running without it as sandbox-without-landlock yes says" in log,
           "the master warns at start-up")
    tap.ok("authproc sandbox: " + NOT_CONFINED in log,
           "authproc (given --sandbox-without-landlock) warns and runs")
    tap.ok("refusing" not in log, "nothing refused")
    client.stop()
    gw.stop()
    echo.stop()

    # 3. Control: with Landlock in the kernel, the keyword changes nothing.
    if not landlock_in_kernel():
        tap.skip("with Landlock the keyword is silent", "no Landlock in this kernel")
    else:
        gw = Gateway(realm, tap, sandbox_without_landlock="yes").start()
        time.sleep(0.3)
        tap.ok(NOT_CONFINED not in gw.log_text() and gw.alive(),
               "with Landlock in the kernel the keyword is silent and Landlock applies")
        gw.stop()


if __name__ == "__main__":
    main(body)
