#!/usr/bin/python3
"""e2e: a wrong set-up is refused by `gssocksd -t` and at start-up.

Issue 7 part 5.  Before, `gssocksd -t` only read the configuration and
the policy: with a missing keytab it exited 0, the daemon logged
event=start and stayed up while authproc crash-looped, and clients got a
bare close.  Now `-t` and start-up check the set-up (master/setup_check.c;
the keytab through `gssocks-authproc --check` as the auth user, never by
the master) and a child that keeps failing at start stops the daemon
(master/startfail.c).  One case per mistake, each with its exact message:
  - keytab missing;
  - keytab unreadable by the auth user (gssocksd run as nobody: every
    role is that user; the keytab is root's, mode 0400);
  - replay-cache-dir that cannot be created (its parent is missing);
  - libexec-dir without the child binaries;
  - a child that fails at every start though the checks pass (a fake
    gssocks-authproc that passes --check and then dies with an error
    line): gssocksd gives up with the child's last error and exits 78.
For each: `gssocksd -t` exits 1 with the message on stderr; `gssocksd -D`
exits 78 with the same message, within a bounded time, without listening.
A correct set-up passes `-t` (exit 0) and creates replay-cache-dir with
mode 0700 at start-up.
"""

import os
import pwd
import re
import shutil
import stat
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gssocks_harness import (Gateway, Realm, binary, free_port, listening,  # noqa: E402
                             main, require, tempdir)

SETUP_EXIT = 78
START_BOUND_S = 10.0

FAKE_AUTHPROC = r'''#!/usr/bin/python3
# A gssocks-authproc that passes --check and fails at every real start.
import socket, struct, sys
if "--check" in sys.argv:
    sys.exit(0)
text = b"fake authproc: cannot start (test_setup_errors)"
payload = struct.pack("!BH", 0, len(text)) + text
socket.socket(fileno=3).sendmsg([struct.pack("!HHI", 12, 0, len(payload)) + payload])
sys.exit(1)
'''


def run(argv, env, timeout=60, user=None):
    """(exit status, stderr text, seconds) of argv."""
    if user is not None:
        argv = ["setpriv", "--reuid=%d" % user.pw_uid, "--regid=%d" % user.pw_gid,
                "--clear-groups"] + argv
    t0 = time.time()
    r = subprocess.run(argv, env=env, stdin=subprocess.DEVNULL, capture_output=True,
                       timeout=timeout)
    return r.returncode, r.stderr.decode(errors="replace"), time.time() - t0


def case(tap, realm, name, gw, message, user=None, debug=False, check_sees=True):
    """-t and a real start of gw's configuration must fail with message
    (unless not check_sees: then -t passes and only the start fails)."""
    port = free_port()
    conf = gw.write_conf(port)
    rc, err, _ = run([binary("gssocksd"), "-t", "-f", conf], realm.env, user=user)
    if check_sees:
        tap.eq(rc, 1, "%s: gssocksd -t exits 1" % name)
        tap.ok(message in err, "%s: gssocksd -t says: %s" % (name, message), err[-1500:])
    else:
        tap.eq(rc, 0, "%s: gssocksd -t passes (only a real start shows it)" % name)
    argv = [binary("gssocksd"), "-d" if debug else "-D", "-f", conf]
    rc, err, took = run(argv, realm.env, timeout=60, user=user)
    tap.eq(rc, SETUP_EXIT, "%s: gssocksd start-up exits %d" % (name, SETUP_EXIT))
    tap.ok(message in err, "%s: start-up says: %s" % (name, message), err[-2500:])
    tap.ok(took < (3 * START_BOUND_S if debug else START_BOUND_S),
           "%s: start-up gave up within bounds (%.1f s)" % (name, took))
    tap.ok(not listening(port), "%s: nothing left listening" % name)
    return err


def open_for(path, uid, gid):
    """Let uid reach path: directories up to / searchable, path owned."""
    os.chown(path, uid, gid)
    d = os.path.dirname(path)
    while d not in ("/", ""):
        st = os.stat(d)
        os.chmod(d, stat.S_IMODE(st.st_mode) | 0o711)
        d = os.path.dirname(d)


def body(tap):
    require()
    realm = Realm(tap).start()

    good = Gateway(realm, tap, dual=False)
    conf = good.write_conf(free_port())
    rc, err, _ = run([binary("gssocksd"), "-t", "-f", conf], realm.env)
    tap.eq(rc, 0, "a correct set-up passes gssocksd -t (%s)" % err.strip()[-300:])
    if "running a role as root" in err:
        tap.ok(re.search(r"^gssocksd\[\d+\]: running a role as root", err, re.M),
               "gssocksd -t names itself gssocksd[PID] in its diagnostics", err[-300:])
    else:
        tap.skip("gssocksd -t names itself gssocksd[PID] in its diagnostics",
                 "no diagnostic line to look at (roles are not root here)")
    rcache = os.path.join(good.dir, "rcache")
    tap.ok(not os.path.exists(rcache), "-t creates no replay-cache-dir")
    good.start()
    st = os.stat(rcache) if os.path.isdir(rcache) else None
    tap.ok(st is not None and stat.S_IMODE(st.st_mode) == 0o700,
           "start-up creates replay-cache-dir, mode 0700")
    good.stop()

    missing = os.path.join(tempdir(), "gssocks.keytab")
    gw = Gateway(realm, tap, dual=False, keytab=missing)
    case(tap, realm, "missing keytab", gw,
         "keytab %s: cannot read: Key table file '%s' not found" % (missing, missing))

    gw = Gateway(realm, tap, dual=False)
    gw.conf["replay_cache_dir"] = os.path.join(gw.dir, "no-such-dir", "rcache")
    case(tap, realm, "replay-cache-dir that cannot be made", gw,
         "replay-cache-dir %s: cannot create: No such file or directory"
         % gw.conf["replay_cache_dir"])

    gw = Gateway(realm, tap, dual=False)
    wrong = os.path.join(gw.dir, "no-libexec")
    gw.conf["libexec_dir"] = wrong
    case(tap, realm, "wrong libexec-dir", gw,
         "libexec-dir %s: cannot exec %s/gssocks-authproc: No such file or directory"
         % (wrong, wrong))

    gw = Gateway(realm, tap, dual=False)
    fake = os.path.join(gw.libexec, "gssocks-authproc")
    os.unlink(fake)
    with open(fake, "w") as f:
        f.write(FAKE_AUTHPROC)
    os.chmod(fake, 0o755)
    err = case(tap, realm, "authproc failing at every start", gw,
               'event=child name=authproc action=give-up start-failures=5', debug=True,
               check_sees=False)
    tap.ok('last-error="fake authproc: cannot start (test_setup_errors)"' in err,
           "the give-up names the child's last error", err[-1500:])
    tap.ok("event=start " in err, "this one did start (the checks passed) before giving up")

    if os.geteuid() != 0:
        tap.skip("unreadable keytab", "needs root to run gssocksd as another user")
        return
    nobody = pwd.getpwnam("nobody")
    gw = Gateway(realm, tap, dual=False)
    keytab = os.path.join(gw.dir, "root-only.keytab")
    shutil.copyfile(realm.keytab, keytab)
    os.chmod(keytab, 0o400)
    gw.conf.update({"keytab": keytab, "user": None, "authproc_user": None,
                    "relay_user": None, "syslog_socket": "/dev/null/none"})
    for sub in ("policy", "libexec"):
        for dirpath, dirnames, filenames in os.walk(os.path.join(gw.dir, sub)):
            for n in dirnames + filenames:
                os.lchown(os.path.join(dirpath, n), nobody.pw_uid, nobody.pw_gid)
        open_for(os.path.join(gw.dir, sub), nobody.pw_uid, nobody.pw_gid)
    conf_path = gw.write_conf(free_port())
    open_for(conf_path, nobody.pw_uid, nobody.pw_gid)
    os.chown(gw.dir, nobody.pw_uid, nobody.pw_gid)
    open_for(realm.vars["KRB5_CONFIG"], 0, 0)
    os.chmod(realm.vars["KRB5_CONFIG"], 0o644)
    case(tap, realm, "keytab unreadable by the auth user", gw,
         "keytab %s: cannot read: Permission denied" % keytab, user=nobody)


if __name__ == "__main__":
    main(body)
