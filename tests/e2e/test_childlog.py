#!/usr/bin/python3
"""e2e: the diagnostics of authproc and the relays reach syslog through the
master, also when gssocksd writes nothing to stderr.

gssocksd runs with -D only (no -d, no -e): its stderr is not used for
diagnostics, as after a detach.  Every line the master writes goes to the
configured syslog-socket with facility daemon and ident gssocksd; the
children send theirs over IPC (IPC_LOG) and the master writes them as
`gssocks-authproc[PID]: text` / `gssocks-relay[PID] slot N: text`, with the
pid the master spawned (the `event=child ... action=start` record).

  - a failing authentication (service nokey: not in the keytab) brings
    authproc's `authentication failed` line, attributed to authproc's pid;
  - a tampered data frame (MITM bit flip) brings the relay's unwrap
    failure line for that session, attributed to a relay's pid and slot;
  - KRB5RCACHETYPE=none (which the start-up checks cannot see): authproc's
    fatal() at start-up arrives before it exits;
  - a fake gssocks-relay (Python, speaking the IPC framing) sends a line
    with an embedded newline and a forged syslog header, a line naming
    another process, a burst beyond the rate limit: one record per
    message, control octets written \\x0a, the master's own name for the
    child first, at most 200 lines a second and one `lines suppressed`
    line after.
None of those lines appear on gssocksd's stderr.
"""

import os
import re
import socket
import stat
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gssocks_harness import (Client, Echo, Gateway, Mitm, Process, Realm, Sink,  # noqa: E402
                             binary, check_sanitizers, free_dual_port, free_port, listening,
                             main, require, socks5_connect, wait_for)

DAEMON_FACILITY = 3     # LOG_DAEMON >> 3

FAKE_RELAY = r'''#!/usr/bin/python3
# A gssocks-relay that only talks: IPC_LOG lines for tests/e2e/test_childlog.py.
import os, socket, struct, time

IPC_LOG = 12

def log(sock, level, text):
    t = text.encode()
    payload = struct.pack("!BH", level, len(t)) + t
    sock.sendmsg([struct.pack("!HHI", IPC_LOG, 0, len(payload)) + payload])

sock = socket.socket(fileno=3)
log(sock, 1, "forged-one\n<38>Jan  1 00:00:00 gssocksd[1]: event=auth forged=yes")
log(sock, 2, "gssocks-authproc[1]: impersonated \x1b[31mred\x7f tail")
# Paced a little: the test's syslog socket queues few datagrams (Linux
# max_dgram_qlen, often 10) and the master never waits for syslog.
for i in range(250):
    log(sock, 3 if i % 2 else 2, "burst %d" % i)
    if i % 4 == 3:
        time.sleep(0.002)
time.sleep(1.3)
log(sock, 2, "after-burst")
# Stay alive, reading (and dropping) what the master sends.
while True:
    try:
        if not sock.recv(200000):
            break
    except OSError:
        time.sleep(0.1)
'''


class QuietGateway(Gateway):
    """gssocksd -D -f CONF: foreground, but no -d/-e (stderr unused)."""

    def start(self, timeout=15.0):
        for _ in range(4):
            port = free_dual_port() if self.dual else free_port()
            conf = self.write_conf(port)
            with open(self.log, "ab") as f:
                f.write(b"==== gssocksd -D -f %s (port %d)\n" % (conf.encode(), port))
            self.proc = Process([binary("gssocksd"), "-D", "-f", conf],
                                self.env or self.realm.env,
                                self.log, self.tap, "gssocksd log")
            deadline = time.time() + timeout
            while time.time() < deadline and self.proc.alive():
                if listening(port) and (not self.dual or listening(port, v6=True)):
                    time.sleep(0.05)
                    if self.proc.alive():
                        self.port = port
                        return self
                time.sleep(0.02)
            self.proc.stop()
            if "in use" not in self.proc.log_text():
                break
        raise RuntimeError("gssocksd -D did not start:\n%s" % self.proc.log_text()[-4000:])


def daemon_records(gw):
    return [r for r in gw.syslog.records()
            if r.get("facility") == DAEMON_FACILITY and r.get("ident") == "gssocksd"]


def child_pids(gw, name):
    """{pid: slot} from the master's event=child ... action=start records."""
    out = {}
    for r in daemon_records(gw):
        m = re.match(r"event=child name=%s slot=(\d+) pid=(\d+) action=start" % name, r["text"])
        if m:
            out[int(m.group(2))] = int(m.group(1))
    return out


def lines_of(gw, prefix_re, contains):
    return [r for r in daemon_records(gw)
            if re.match(prefix_re, r["text"]) and contains in r["text"]]


def real_children(tap, realm):
    gw = QuietGateway(realm, tap).start()
    tap.ok(wait_for(lambda: child_pids(gw, "authproc") and len(child_pids(gw, "relay")) == 2, 10),
           "master's own diagnostics (event=child start) reach syslog-socket, facility daemon",
           gw.syslog.text()[-2000:])
    auth_pids = child_pids(gw, "authproc")

    # A failing authentication: service nokey.
    cl = Client(realm, "localhost:%d" % gw.port, tap, service="nokey").start()
    echo = Echo()
    rep, s, _ = socks5_connect(cl.addr, "127.0.0.1", echo.port)
    if s:
        s.close()
    tap.ok(rep != 0, "nokey: the client is refused (rep %r)" % rep)
    got = []
    tap.ok(wait_for(lambda: got.extend(lines_of(gw, r"gssocks-authproc\[\d+\]: ",
                                                "authentication failed")) or got, 10),
           "nokey: authproc's `authentication failed` line reaches syslog",
           gw.syslog.text()[-3000:])
    if got:
        m = re.match(r"gssocks-authproc\[(\d+)\]: session (\d+) ", got[0]["text"])
        tap.ok(m is not None and int(m.group(1)) in auth_pids,
               "nokey: attributed to the authproc pid the master started (%s)" % sorted(auth_pids),
               got[0]["text"])
        tap.ok(got[0]["severity"] == 6, "nokey: the line keeps its level (info)",
               "severity %r" % got[0]["severity"])
    cl.stop()
    echo.stop()

    # A tampered data frame: the relay's unwrap failure.
    relay_pids = child_pids(gw, "relay")
    mitm = Mitm(("127.0.0.1", gw.port), tamper_c2s_data=4)
    cl = Client(realm, "127.0.0.1:%d" % mitm.port, tap, level="integrity").start()
    sink = Sink(keep=True)
    rep, s, _ = socks5_connect(cl.addr, "127.0.0.1", sink.port)
    tap.eq(rep, 0, "tamper: CONNECT succeeded")
    if rep == 0:
        sent = 0
        for i in range(4):
            try:
                s.sendall(bytes([65 + i]) * 1000)
            except OSError:
                break
            sent += 1000
            if i < 2:
                sink.wait_progress(sent, timeout=15)
            elif i == 2:
                wait_for(lambda: mitm.tampered == 1, 15)
        ends = []
        tap.ok(wait_for(lambda: ends.extend(gw.syslog.records(event="end",
                                                              reason="unwrap-failure")) or ends,
                        15), "tamper: the session ends with reason=unwrap-failure")
        if ends:
            sid = ends[0]["kv"].get("session")
            lines = []
            tap.ok(wait_for(lambda: lines.extend(lines_of(
                gw, r"gssocks-relay\[\d+\] slot \d+: session %s: " % sid, "unwrap")) or lines,
                10), "tamper: the relay's unwrap failure line for session %s reaches syslog"
                % sid, gw.syslog.text()[-3000:])
            if lines:
                m = re.match(r"gssocks-relay\[(\d+)\] slot (\d+): ", lines[0]["text"])
                tap.ok(m is not None and relay_pids.get(int(m.group(1))) == int(m.group(2)),
                       "tamper: attributed to the relay pid and slot the master started (%r)"
                       % relay_pids, lines[0]["text"])
                tap.ok(lines[0]["severity"] == 4, "tamper: the unwrap failure is a warning",
                       "severity %r" % lines[0]["severity"])
        s.close()
    cl.stop()
    sink.stop()
    mitm.stop()

    log = gw.log_text()
    tap.ok("authentication failed" not in log and "gssocks-relay[" not in log
           and "gssocks-authproc[" not in log,
           "no child line on gssocksd's stderr without -d/-e", log[-2000:])
    gw.stop()
    check_sanitizers(tap, gw)


def startup_fatal(tap, realm):
    # A fatal() that gssocksd's start-up checks cannot see (authproc
    # --check does not enter the sandbox): the replay cache disabled.
    gw = QuietGateway(realm, tap)
    gw.env = dict(realm.env, KRB5RCACHETYPE="none")
    gw.start()
    got = []
    tap.ok(wait_for(lambda: got.extend(lines_of(gw, r"gssocks-authproc\[\d+\]: ",
                                                "KRB5RCACHETYPE=none")) or got,
                    10),
           "authproc's fatal() at start-up (replay cache disabled) reaches syslog before "
           "it exits", gw.syslog.text()[-2000:])
    if got:
        tap.ok(got[0]["severity"] == 3, "the fatal line is an error", "severity %r" % got[0]["severity"])
    gw.stop()


def fake_child(tap, realm):
    gw = QuietGateway(realm, tap, relay_workers="1")
    path = os.path.join(gw.libexec, "gssocks-relay")
    os.unlink(path)
    with open(path, "w") as f:
        f.write(FAKE_RELAY)
    os.chmod(path, stat.S_IRWXU | stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH | stat.S_IXOTH)
    gw.start()
    tap.ok(wait_for(lambda: lines_of(gw, r"gssocks-relay\[", "after-burst"), 10),
           "the fake relay's lines arrive", gw.syslog.text()[-2000:])
    pids = child_pids(gw, "relay")
    recs = daemon_records(gw)
    raw = gw.syslog.text()
    forged = [r for r in recs if "forged-one" in r["text"]]
    tap.eq(len(forged), 1, "a line with an embedded newline is one record")
    with gw.syslog.lock:
        datagrams = list(gw.syslog.raw)
    tap.ok(len([d for d in datagrams if "forged" in d]) == 1 and
           not [d for d in datagrams if d.startswith("<38>Jan  1 00:00:00")],
           "the forged record after the newline does not exist")
    if forged:
        m = re.match(r"gssocks-relay\[(\d+)\] slot 0: forged-one\\x0a<38>Jan  1 ",
                     forged[0]["text"])
        tap.ok(m is not None and int(m.group(1)) in pids,
               "the newline is written \\x0a, the master's name and pid come first",
               forged[0]["text"])
        tap.eq(forged[0]["severity"], 4, "level warn kept")
    imp = [r for r in recs if "impersonated" in r["text"]]
    tap.ok(len(imp) == 1 and re.match(r"gssocks-relay\[\d+\] slot 0: gssocks-authproc\[1\]: "
                                      r"impersonated \\x1b\[31mred\\x7f tail$", imp[0]["text"]),
           "a child cannot name itself; ESC and DEL are escaped",
           imp[0]["text"] if imp else raw[-1000:])
    burst = [r for r in recs if re.search(r"slot 0: burst \d+$", r["text"])]
    # 2 lines before it, then burst 0..197 pass the limit: the info ones
    # (even numbers) are written, the debug ones dropped without -d.
    tap.ok(0 < len(burst) <= 99 and not [r for r in burst if int(r["text"].split()[-1]) > 197],
           "burst: nothing beyond the 200th line of that second (%d info lines written)"
           % len(burst))
    supp = [r for r in recs if re.search(r"slot 0: (\d+) lines suppressed", r["text"])]
    tap.ok(len(supp) == 1, "one `lines suppressed` line after the burst", raw[-1500:])
    if supp:
        n = int(re.search(r"slot 0: (\d+) lines suppressed", supp[0]["text"]).group(1))
        tap.eq(n, 252 - 200, "it counts the 52 lines beyond the limit")
    tap.ok(gw.alive(), "gssocksd still running")
    gw.stop()
    check_sanitizers(tap, gw)


def body(tap):
    require()
    realm = Realm(tap).start()
    tap.run("real children", real_children, tap, realm)
    tap.run("start-up fatal", startup_fatal, tap, realm)
    tap.run("fake child", fake_child, tap, realm)


if __name__ == "__main__":
    main(body)
