#!/usr/bin/python3
"""sandbox e2e, root mode: gssocksd started as root with its three users.

Runs only as root (skipped otherwise).  scripts/create-users makes gssocks,
gssocks-auth and gssocks-relay (skipped if it cannot) and gives a copy of
the gateway keytab to gssocks-auth, mode 0400.  Then, while a session is
live: the master runs as gssocks, the authproc spawner and both authproc
workers (authproc-workers 2) as gssocks-auth, the relay spawner and relays as gssocks-relay; CapEff is 0
everywhere and the master's CapBnd is 0; data is relayed; the master's and
the relay's uids cannot open the keytab while the authproc uid can (so the
check itself works); a killed relay is respawned as gssocks-relay, and
each authproc worker takes the channel the new relay made for it (its
maker is of the relay user's uid: authproc/channel_check.c) and refuses
none.
"""

import os
import pwd
import re
import shutil
import signal
import stat
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
from gssocks_harness import (Client, Echo, Gateway, Realm, main, require,  # noqa: E402
                             skip_all, socks5_connect, wait_for)
from live_procs import SPAWNER, children, echoes, status_fields  # noqa: E402

SOURCE = os.environ.get("GSSOCKS_SOURCE",
                        os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
USERS = {"master": "gssocks", "authproc": "gssocks-auth", "relay": "gssocks-relay"}
ZERO = "0000000000000000"


def real_uid(pid):
    return int(status_fields(pid)["Uid"].split()[0])


def can_open_as(uid, gid, path):
    """Open PATH for reading in a forked child running as UID/GID."""
    pid = os.fork()
    if pid == 0:
        try:
            os.setgroups([])
            os.setgid(gid)
            os.setuid(uid)
            with open(path, "rb") as f:
                f.read(1)
            os._exit(0)
        except PermissionError:
            os._exit(1)
        except BaseException:
            os._exit(2)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def open_up(path):
    """Let the role users traverse/read the test's temp directories."""
    while path not in ("/", "/tmp", ""):
        st = os.stat(path)
        os.chmod(path, stat.S_IMODE(st.st_mode) | 0o755 if stat.S_ISDIR(st.st_mode)
                 else stat.S_IMODE(st.st_mode) | 0o644)
        path = os.path.dirname(path)


def body(tap):
    if os.geteuid() != 0:
        skip_all("root mode needs root (gssocksd changes to three users)")
    require()
    r = subprocess.run(["sh", os.path.join(SOURCE, "scripts", "create-users")],
                       capture_output=True, text=True)
    if r.returncode != 0:
        skip_all("scripts/create-users failed: %s" % (r.stderr.strip() or r.stdout.strip()))
    ids = {role: pwd.getpwnam(name) for role, name in USERS.items()}

    realm = Realm(tap).start()
    # krb5.conf for authproc and relays; the replay cache is authproc's.
    open_up(os.path.join(realm.rdir, "krb5.conf"))
    rcache = realm.vars.get("KRB5RCACHEDIR")
    if rcache:
        os.makedirs(rcache, exist_ok=True)
        os.chown(rcache, ids["authproc"].pw_uid, ids["authproc"].pw_gid)

    gw = Gateway(realm, tap, user=USERS["master"], authproc_user=USERS["authproc"],
                 relay_user=USERS["relay"], authproc_workers="2")
    keytab = os.path.join(gw.dir, "gssocks.keytab")
    shutil.copyfile(realm.keytab, keytab)
    r = subprocess.run(["sh", os.path.join(SOURCE, "scripts", "create-users"), keytab],
                       capture_output=True, text=True)
    tap.eq(r.returncode, 0, "create-users gives the keytab to gssocks-auth")
    st = os.stat(keytab)
    tap.eq((st.st_uid, stat.S_IMODE(st.st_mode)), (ids["authproc"].pw_uid, 0o400),
           "keytab owned by gssocks-auth, mode 0400")
    gw.conf["keytab"] = keytab
    for p in (gw.policy_dir, os.path.join(gw.libexec, "x")):
        open_up(p if os.path.exists(p) else os.path.dirname(p))
    for name in os.listdir(gw.policy_dir):
        open_up(os.path.join(gw.policy_dir, name))
    if gw.syslog is not None:
        open_up(gw.syslog.path)
        os.chmod(gw.syslog.path, 0o666)
    gw.start()
    client = Client(realm, "127.0.0.1:%d" % gw.port, tap).start()
    echo = Echo()

    tap.ok(wait_for(lambda: len(children(gw)) >= 4), "two authprocs and two relays started")
    tap.eq(sorted(slot for name, slot in children(gw) if name == "authproc"), [0, 1],
           "both authproc workers started")
    rep, s, _ = socks5_connect(client.addr, "127.0.0.1", echo.port)
    tap.eq(rep, 0, "session through the gateway connected")
    tap.ok(s is not None and echoes(s), "a session relays data in root mode")

    master = gw.proc.proc.pid
    mst = status_fields(master)
    tap.eq(real_uid(master), ids["master"].pw_uid, "master runs as gssocks")
    tap.eq((mst.get("CapEff"), mst.get("CapPrm"), mst.get("CapBnd"), mst.get("NoNewPrivs")),
           (ZERO, ZERO, ZERO, "1"), "master: CapEff 0, CapPrm 0, CapBnd 0, NoNewPrivs 1")
    tap.ok(mst.get("Groups", "").split() in ([], [str(ids["master"].pw_gid)]),
           "master: supplementary groups dropped (%r)" % mst.get("Groups"))
    for m in SPAWNER.finditer(gw.log_text()):
        role, pid = m.group(1), int(m.group(2))
        sst = status_fields(pid)
        tap.eq((real_uid(pid), sst.get("CapEff"), sst.get("CapBnd")),
               (ids[role].pw_uid, ZERO, ZERO),
               "%s spawner runs as %s, CapEff 0, CapBnd 0" % (role, USERS[role]))
    for (name, slot), (pid, _) in sorted(children(gw).items()):
        cst = status_fields(pid)
        tap.eq((real_uid(pid), cst.get("CapEff"), cst.get("Seccomp"), cst.get("NoNewPrivs")),
               (ids[name].pw_uid, ZERO, "2", "1"),
               "%s slot %d runs as %s, CapEff 0, Seccomp 2, NoNewPrivs 1"
               % (name, slot, USERS[name]))

    # Invariant 1: only the authproc uid can read the keytab.
    tap.eq(can_open_as(ids["authproc"].pw_uid, ids["authproc"].pw_gid, keytab), 0,
           "gssocks-auth can open the keytab (the check works)")
    tap.eq(can_open_as(ids["master"].pw_uid, ids["master"].pw_gid, keytab), 1,
           "the master's uid cannot open the keytab")
    tap.eq(can_open_as(ids["relay"].pw_uid, ids["relay"].pw_gid, keytab), 1,
           "the relay's uid cannot open the keytab")

    victim, gen = children(gw)[("relay", 0)]
    os.kill(victim, signal.SIGKILL)
    tap.ok(wait_for(lambda: children(gw).get(("relay", 0), (0, gen))[1] > gen, timeout=3.0),
           "killed relay respawned")
    new = children(gw).get(("relay", 0), (0, 0))[0]
    tap.ok(new > 0 and real_uid(new) == ids["relay"].pw_uid,
           "respawned relay runs as gssocks-relay")
    # Invariant 1: authproc took the respawned relay's own pair (made by a
    # gssocks-relay process: SO_PEERCRED) and refused no relay's channel.
    new_gen = children(gw).get(("relay", 0), (0, 0))[1]
    ready = re.compile(r"gssocks-authproc\[(\d+)\]: relay slot 0 \(generation %d\): "
                       r"channel ready" % new_gen)
    tap.ok(wait_for(lambda: len(set(ready.findall(gw.log_text()))) == 2, timeout=5.0),
           "both authproc workers took the respawned relay's channel (generation %d)" % new_gen)
    tap.ok("channel refused" not in gw.log_text(),
           "authproc refused no channel made by a gssocks-relay process")
    rep, s2, _ = socks5_connect(client.addr, "127.0.0.1", echo.port)
    tap.ok(rep == 0 and s2 is not None and echoes(s2), "a new session works after the respawn")
    for x in (s, s2):
        if x is not None:
            x.close()


if __name__ == "__main__":
    main(body)
