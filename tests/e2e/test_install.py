#!/usr/bin/python3
"""e2e: what `meson install` puts into a DESTDIR is a tree a package ships,
and the gateway installed there runs.

1. `meson introspect --installed` of this build tree names every file a
   Debian package would carry: gssocksd and gssocksctl (sbin), gssocks-authproc and
   gssocks-relay (libexec/gssocks), gssocks-client and gssocks-connect
   (bin), every man page in man/ under its section, the systemd unit, the
   sysusers file and the examples.
2. `meson install --destdir D --no-rebuild` writes exactly those files into
   D: executables executable, man pages with a .TH header, the unit's
   ExecStart naming the installed gssocksd (without D: the path a package
   installs to), the sysusers file naming the three users.
3. The installed gssocksd (libexec-dir pointing at the installed
   libexec/gssocks) and the installed gssocks-client carry 256 KiB to an
   echo server and back, SHA-256 checked: the installed binaries run on
   their own, not only the build tree's.
"""

import hashlib
import json
import os
import re
import socket
import stat
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gssocks_harness as harness  # noqa: E402
from gssocks_harness import (BUILD, SOURCE, Client, Echo, Gateway, Realm,  # noqa: E402
                             check_sanitizers, main, require, socks5_connect, tempdir,
                             which)

PAYLOAD = 256 * 1024


def installed_map():
    """{source or build path: install destination} from meson introspect."""
    r = subprocess.run(["meson", "introspect", "--installed", BUILD],
                       capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise RuntimeError("meson introspect --installed: " + r.stderr.strip())
    return json.loads(r.stdout)


def expected_suffixes():
    """Install paths (relative to the prefix) a package must carry."""
    want = {
        "sbin/gssocksd": "x",
        "sbin/gssocksctl": "x",
        "libexec/gssocks/gssocks-authproc": "x",
        "libexec/gssocks/gssocks-relay": "x",
        "bin/gssocks-client": "x",
        "bin/gssocks-connect": "x",
        "lib/systemd/system/gssocksd.service": "f",
        "lib/sysusers.d/gssocks.conf": "f",
        "share/doc/gssocks/examples/gssocksd.conf": "f",
        "share/doc/gssocks/examples/policy/default": "f",
    }
    # Every man page in the source tree, so a new page cannot be forgotten.
    for name in sorted(os.listdir(os.path.join(SOURCE, "man"))):
        m = re.match(r"^.+\.([1-8])$", name)
        if m:
            want["share/man/man%s/%s" % (m.group(1), name)] = "m"
    return want


def find_dest(dests, suffix):
    for d in dests:
        if d.endswith("/" + suffix):
            return d
    return None


def body(tap):
    require()
    if which("meson") is None:
        harness.skip_all("meson is not on PATH")
    dests = sorted(installed_map().values())
    want = expected_suffixes()
    found = {}
    for suffix in want:
        d = find_dest(dests, suffix)
        tap.ok(d is not None, "meson install carries .../%s" % suffix,
               None if d else "installed: " + ", ".join(dests))
        if d:
            found[suffix] = d

    root = tempdir("gssocks-destdir-")
    r = subprocess.run(["meson", "install", "-C", BUILD, "--destdir", root, "--no-rebuild",
                        "--quiet"], capture_output=True, text=True, timeout=120)
    tap.eq(r.returncode, 0, "meson install --destdir succeeds")
    if r.returncode != 0:
        tap.diag(r.stdout + r.stderr)
        return

    def staged(dest):
        return os.path.join(root, dest.lstrip("/"))

    for suffix, kind in want.items():
        if suffix not in found:
            continue
        path = staged(found[suffix])
        st = os.stat(path) if os.path.exists(path) else None
        if kind == "x":
            tap.ok(st is not None and stat.S_ISREG(st.st_mode) and st.st_mode & 0o111,
                   "%s is an executable file in DESTDIR" % suffix)
        elif kind == "m":
            head = open(path, errors="replace").read(4096) if st else ""
            tap.ok(re.search(r"(?m)^\.TH ", head) is not None,
                   "%s is a man page (.TH) in DESTDIR" % suffix)
        else:
            tap.ok(st is not None and stat.S_ISREG(st.st_mode) and st.st_size > 0,
                   "%s is a non-empty file in DESTDIR" % suffix)

    if "lib/systemd/system/gssocksd.service" in found and "sbin/gssocksd" in found:
        unit = open(staged(found["lib/systemd/system/gssocksd.service"])).read()
        m = re.search(r"(?m)^ExecStart=(\S+)", unit)
        tap.ok(m is not None and m.group(1) == found["sbin/gssocksd"],
               "unit ExecStart names the installed gssocksd (%s)" % (m.group(1) if m else None))
    if "lib/sysusers.d/gssocks.conf" in found:
        users = open(staged(found["lib/sysusers.d/gssocks.conf"])).read()
        for user in ("gssocks", "gssocks-auth", "gssocks-relay"):
            tap.ok(re.search(r"(?m)^u\s+%s\s" % re.escape(user), users) is not None,
                   "sysusers file creates %s" % user)

    needed = ("sbin/gssocksd", "libexec/gssocks/gssocks-authproc", "bin/gssocks-client")
    if any(s not in found for s in needed):
        tap.ok(False, "installed binaries to run")
        return

    # Run the installed binaries: the harness starts what binary() names.
    harness.BUILD = "/nonexistent-build-tree"
    installed = {
        "gssocksd": staged(found["sbin/gssocksd"]),
        "gssocks-authproc": staged(found["libexec/gssocks/gssocks-authproc"]),
        "gssocks-relay": staged(found["libexec/gssocks/gssocks-relay"]),
        "gssocks-client": staged(found["bin/gssocks-client"]),
    }
    harness.binary = lambda name: installed[name]
    libexec = os.path.dirname(installed["gssocks-authproc"])

    realm = Realm(tap).start()
    gw = Gateway(realm, tap, libexec_dir=libexec)
    gw.start()
    tap.ok(gw.alive(), "installed gssocksd starts with libexec-dir %s" % libexec)
    client = Client(realm, "127.0.0.1:%d" % gw.port, tap, level="confidentiality")
    client.start()
    echo = Echo()
    data = os.urandom(PAYLOAD)
    rep, s, _ = socks5_connect(client.addr, "127.0.0.1", echo.port)
    tap.eq(rep, 0, "CONNECT through the installed client and gateway")
    if s is None:
        return
    with s:
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        got = bytearray()
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            got += chunk
    tap.eq(hashlib.sha256(got).hexdigest(), hashlib.sha256(data).hexdigest(),
           "256 KiB echoed intact through the installed binaries")
    gw.syslog.wait(event="end")
    tap.ok(len(gw.syslog.records(event="auth", result="ok")) >= 1,
           "the installed gateway wrote the auth audit record")
    check_sanitizers(tap, gw, client)


if __name__ == "__main__":
    main(body)
