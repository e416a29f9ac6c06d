#!/usr/bin/python3
"""e2e: gssocks-connect (stdio front end, ssh ProxyCommand) through gssocksd.

At integrity and confidentiality: 4 MiB piped into gssocks-connect to an
echo server must come back with the same SHA-256, and 4 MiB to a sink must
arrive intact (nothing on stdout); both exit 0.  Half-close: a source that
sends and closes while stdin stays open must end stdout (EOF) first, and
the program exits 0 once stdin ends too.  CONNECT to a closed port exits 1
with one stderr line naming REP 05.  The IPv6 literal ::1 (ATYP 04) and the
name localhost (ATYP 03) both reach their targets.  Usage errors exit 2.
With ssh installed: `ssh -o ProxyCommand='gssocks-connect ... %h %p'`
exchanges SSH version banners with a target through the gateway (no sshd
needed: the target is a banner-only server).
"""

import hashlib
import os
import socket
import subprocess
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gssocks_harness import (BUILD, CLEANUP, MIB, Echo, Gateway, Realm, Sink, Source,  # noqa: E402
                             _Server, check_sanitizers, det_sha256, det_stream, free_port,
                             ipv6_loopback, main, require, tempdir, which)

CONNECT = os.path.join(BUILD, "client", "gssocks-connect")
BULK = 4 * MIB
SMALL = 64 * 1024
TIMEOUT = 120


class Run:
    """gssocks-connect ARGS with stdin fed from a thread; stdout hashed."""

    def __init__(self, realm, gw, level, host, port, extra=(), feed=None, keep_stdin=False):
        self.argv = [CONNECT, "-g", "127.0.0.1:%d" % gw.port, "-L", level] + list(extra) + \
            [host, str(port)]
        self.proc = subprocess.Popen(self.argv, env=realm.env, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     start_new_session=True)
        CLEANUP.push(self.kill)
        self.out_bytes = 0
        self.out_hash = hashlib.sha256()
        self.stdout_eof = threading.Event()
        self.err = b""
        self.feed_error = None
        self.readers = [threading.Thread(target=self._read_out, daemon=True),
                        threading.Thread(target=self._read_err, daemon=True)]
        for t in self.readers:
            t.start()
        self.writer = threading.Thread(target=self._write, args=(feed, keep_stdin), daemon=True)
        self.writer.start()

    def _write(self, feed, keep_stdin):
        try:
            for chunk in feed or ():
                self.proc.stdin.write(chunk)
                self.proc.stdin.flush()
        except (BrokenPipeError, OSError) as e:
            self.feed_error = repr(e)
        if not keep_stdin:
            self.close_stdin()

    def close_stdin(self):
        try:
            self.proc.stdin.close()
        except OSError:
            pass

    def _read_out(self):
        while True:
            d = self.proc.stdout.read1(256 * 1024)
            if not d:
                break
            self.out_bytes += len(d)
            self.out_hash.update(d)
        self.stdout_eof.set()

    def _read_err(self):
        self.err = self.proc.stderr.read()

    def wait(self, timeout=TIMEOUT):
        rc = self.proc.wait(timeout)
        self.writer.join(timeout)
        for t in self.readers:
            t.join(timeout)
        return rc

    @property
    def out(self):
        return self.out_bytes, self.out_hash.hexdigest()

    @property
    def stderr(self):
        return self.err.decode(errors="replace")

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


def echo_bulk(tap, realm, gw, level, host, target_host, nbytes, seed, extra=()):
    what = "%s, %s, %d KiB through an echo server" % (level, host, nbytes // 1024)
    echo = Echo(target_host)
    r = Run(realm, gw, level, host, echo.port, extra=extra, feed=det_stream(seed, nbytes))
    rc = r.wait()
    tap.eq(rc, 0, "%s: exit status 0" % what) or tap.diag(r.stderr)
    tap.eq(r.out, (nbytes, det_sha256(seed, nbytes)),
           "%s: stdout is stdin (bytes, SHA-256)" % what)
    echo.stop()
    return r, echo.port


def sink_bulk(tap, realm, gw, level, nbytes, seed):
    what = "%s, %d MiB into a sink" % (level, nbytes // MIB)
    sink = Sink("127.0.0.1")
    r = Run(realm, gw, level, "127.0.0.1", sink.port, feed=det_stream(seed, nbytes))
    rc = r.wait()
    tap.eq(rc, 0, "%s: exit status 0" % what) or tap.diag(r.stderr)
    res = sink.wait(1, timeout=TIMEOUT)[0]
    tap.eq((res.get("bytes"), res.get("sha256")), (nbytes, det_sha256(seed, nbytes)),
           "%s: arrived intact at the sink (bytes, SHA-256)" % what)
    tap.eq(r.out_bytes, 0, "%s: nothing on stdout" % what)
    sink.stop()


def half_close(tap, realm, gw):
    """Source sends and closes; stdout must end while stdin is still open."""
    source = Source(SMALL, 7, "127.0.0.1")
    r = Run(realm, gw, "confidentiality", "127.0.0.1", source.port, keep_stdin=True)
    ended = r.stdout_eof.wait(60)
    tap.ok(ended, "half-close: gateway EOF closes stdout while stdin stays open",
           r.stderr)
    tap.eq(r.out, (SMALL, det_sha256(7, SMALL)), "half-close: source data intact on stdout")
    tap.ok(r.proc.poll() is None, "half-close: still running until stdin ends")
    r.close_stdin()
    tap.eq(r.wait(), 0, "half-close: exit status 0 after stdin EOF") or tap.diag(r.stderr)
    source.stop()


def refused(tap, realm, gw):
    port = free_port()
    r = Run(realm, gw, "confidentiality", "127.0.0.1", port)
    rc = r.wait()
    lines = [l for l in r.stderr.splitlines() if l.strip()]
    tap.eq(rc, 1, "closed port: exit status 1")
    tap.ok(len(lines) == 1 and "REP 05" in lines[0] and lines[0].startswith("gssocks-connect:"),
           "closed port: one stderr line naming REP 05", r.stderr)
    tap.eq(r.out_bytes, 0, "closed port: nothing on stdout")


def usage_errors(tap, realm):
    for args, why in (([], "no arguments"), (["-g", "127.0.0.1", "localhost"], "no port"),
                      (["-g", "127.0.0.1", "localhost", "99999"], "port out of range"),
                      (["-g", "127.0.0.1", "-L", "loud", "localhost", "22"], "bad level"),
                      (["localhost", "22"], "no gateway")):
        p = subprocess.run([CONNECT] + args, env=realm.env, stdin=subprocess.DEVNULL,
                           capture_output=True, timeout=30)
        tap.ok(p.returncode == 2 and p.stdout == b"" and b"gssocks-connect:" in p.stderr,
               "usage error (%s): exit 2, reason on stderr" % why,
               "rc %r\n%s" % (p.returncode, p.stderr.decode(errors="replace")))


class Banner(_Server):
    """A banner-only SSH server: sends its version line, records the client's."""

    def serve(self, c):
        c.sendall(b"SSH-2.0-gssocksE2E\r\n")
        line = bytearray()
        while not line.endswith(b"\n") and len(line) < 255:
            d = c.recv(1)
            if not d:
                break
            line += d
        self._report({"line": bytes(line)})


def ssh_proxycommand(tap, realm, gw):
    ssh = which("ssh")
    if not ssh:
        tap.skip("ssh ProxyCommand banner exchange", "ssh not installed")
        return
    d = tempdir("gssocks-ssh-")
    banner = Banner("127.0.0.1")
    proxy = "%s -g 127.0.0.1:%d -L integrity %%h %%p" % (CONNECT, gw.port)
    argv = [ssh, "-v", "-F", "/dev/null", "-o", "BatchMode=yes",
            "-o", "StrictHostKeyChecking=no",
            "-o", "UserKnownHostsFile=" + os.path.join(d, "known_hosts"),
            "-o", "ConnectTimeout=30", "-o", "ProxyCommand=" + proxy,
            "-p", str(banner.port), "127.0.0.1", "true"]
    p = subprocess.run(argv, env=realm.env, stdin=subprocess.DEVNULL, capture_output=True,
                       timeout=TIMEOUT)
    err = p.stderr.decode(errors="replace")
    tap.ok("remote software version gssocksE2E" in err,
           "ssh ProxyCommand: ssh read the target's banner through gssocks-connect", err)
    res = banner.wait(1, timeout=30)[0]
    tap.ok(res.get("line", b"").startswith(b"SSH-2.0-"),
           "ssh ProxyCommand: the target read ssh's banner", repr(res))
    banner.stop()


def body(tap):
    require(binaries=("gssocksd", "gssocks-authproc", "gssocks-relay"))
    if not os.access(CONNECT, os.X_OK):
        from gssocks_harness import skip_all
        skip_all("gssocks-connect not built (%s)" % CONNECT)
    realm = Realm(tap).start()
    gw = Gateway(realm, tap, protection_levels="integrity confidentiality selective").start()

    seed = 300
    for level in ("integrity", "confidentiality"):
        tap.run("%s echo" % level, echo_bulk, tap, realm, gw, level, "127.0.0.1",
                "127.0.0.1", BULK, seed)
        tap.run("%s sink" % level, sink_bulk, tap, realm, gw, level, BULK, seed + 1)
        seed += 10

    if ipv6_loopback():
        r = tap.run("::1", echo_bulk, tap, realm, gw, "confidentiality", "::1", "::1",
                    SMALL, seed, extra=("-v",))
        if r is not None:
            # -v names the destination as sent; gssocksd's request record
            # names it as received ([::1]:P only for ATYP 04).
            tap.ok("connect [::1]:%d" % r[1] in r[0].stderr and
                   "[::1]:%d" % r[1] in gw.log_text(),
                   "::1 is sent as an IPv6 address (ATYP 04)", r[0].stderr)
    else:
        tap.skip("CONNECT ::1", "no IPv6 loopback on this host")
    r = tap.run("localhost", echo_bulk, tap, realm, gw, "integrity", "localhost",
                "127.0.0.1", SMALL, seed + 1, extra=("-v",))
    if r is not None:
        tap.ok("connect localhost:%d" % r[1] in r[0].stderr and
               "localhost:%d" % r[1] in gw.log_text(),
               "localhost is sent as a name (ATYP 03)", r[0].stderr)

    tap.run("half-close", half_close, tap, realm, gw)
    tap.run("refused", refused, tap, realm, gw)
    tap.run("usage", usage_errors, tap, realm)
    tap.run("ssh", ssh_proxycommand, tap, realm, gw)

    tap.ok(gw.alive(), "gssocksd still running")
    gw.stop()
    check_sanitizers(tap, gw)


if __name__ == "__main__":
    main(body)
