#!/usr/bin/python3
"""e2e: gssocksctl(8) over gssocksd's control socket (master/control.c).

  - Two sessions through gssocks-client, one idle and one transferring:
    `gssocksctl sessions` lists both with the principal, level, client,
    destination and relay slot; the transferring one's bytes grow (the
    relay's RELAY_PROGRESS), the idle one's do not.
  - `gssocksctl end ID` ends the transferring one: the target sees a
    reset, the records event=admin-end (by_uid=0) and event=end
    reason=admin are written; the idle one goes on; ending it again, or an
    id that does not exist, exits 1 with an error.
  - `counters` and `metrics` count a refused method, a request the policy
    denied and the admin end; the metrics parse as the Prometheus text
    format 0.0.4 (a strict parser below: HELP/TYPE before the samples of
    their family, valid names and labels, numeric values, no duplicates).
  - Access: with control-group adm, uid nobody (setpriv) without adm is
    refused by the socket's mode (exit 3, names the group), and, the mode
    opened up by hand, by the master's peer check; nobody with adm as a
    supplementary group is served.
  - A garbage request, an over-long one and a bad id each get one
    `error:` line, and the gateway goes on serving.
  - Log volume (issue 11 part 2): with gssocksd -D (no -d), one session
    that goes well writes its four audit records (level, auth, request,
    end; facility authpriv) and no diagnostic line of its own (facility
    daemon: accept, method, authproc's hand-off, the relay's start and end
    are debug lines now; before, five).
"""

import os
import re
import socket
import stat
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gssocks_harness import (Client, Echo, Gateway, Process, Realm, Sink,  # noqa: E402
                             binary, check_sanitizers, free_dual_port, free_port, listening,
                             main, raw_greeting, recv_exact, require, socks5_connect, tempdir,
                             wait_for, which)

ALICE = "alice@GSSOCKS.TEST"


def ctl(sock_path, *args, user=None, groups=None):
    """Run gssocksctl -s SOCK ARGS (as USER via setpriv); (status, out, err)."""
    argv = [binary("gssocksctl"), "-s", sock_path] + list(args)
    if user is not None:
        argv = ["setpriv", "--reuid=" + user, "--regid=nogroup"] + \
            (["--groups=" + groups] if groups else ["--clear-groups"]) + argv
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
    return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")


def parse_sessions(text):
    out = {}
    for line in text.splitlines():
        words = line.split(" ")
        if not words or words[0] != "session":
            continue
        kv = dict(w.split("=", 1) for w in words[1:] if "=" in w)
        out[kv.get("id")] = kv
    return out


NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"')
SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$")


def parse_prometheus(text):
    """Strict text format 0.0.4 parser: {(name, labels tuple): value} or raise."""
    helps, types, samples = {}, {}, {}
    seen_family_samples = set()
    current = None
    if not text.endswith("\n"):
        raise ValueError("does not end with a newline")
    for n, line in enumerate(text.split("\n")[:-1], 1):
        if line.startswith("# HELP "):
            name, _, doc = line[7:].partition(" ")
            if not NAME.match(name) or name in helps or not doc:
                raise ValueError("line %d: bad or repeated HELP" % n)
            if name in seen_family_samples:
                raise ValueError("line %d: HELP after samples of %s" % (n, name))
            helps[name] = doc
            current = name
            continue
        if line.startswith("# TYPE "):
            name, _, typ = line[7:].partition(" ")
            if not NAME.match(name) or name in types or \
                    typ not in ("counter", "gauge", "untyped", "summary", "histogram"):
                raise ValueError("line %d: bad TYPE %r" % (n, line))
            if name in seen_family_samples:
                raise ValueError("line %d: TYPE after samples of %s" % (n, name))
            types[name] = typ
            current = name
            continue
        if line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        if not m:
            raise ValueError("line %d: not a sample: %r" % (n, line))
        name, labels, value = m.group(1), m.group(2), m.group(3)
        if name not in types or name != current:
            raise ValueError("line %d: %s without its TYPE just before" % (n, name))
        lab = ()
        if labels:
            inner = labels[1:-1]
            pairs = LABEL.findall(inner)
            rebuilt = ",".join('%s="%s"' % p for p in pairs)
            if rebuilt != inner:
                raise ValueError("line %d: bad labels %r" % (n, labels))
            lab = tuple(pairs)
        float(value)
        if types[name] == "counter" and float(value) < 0:
            raise ValueError("line %d: negative counter" % n)
        if (name, lab) in samples:
            raise ValueError("line %d: duplicate sample" % n)
        samples[(name, lab)] = float(value)
        seen_family_samples.add(name)
    return samples


def test_sessions_and_end(tap, client, gw, sock_path, echo, sink):
    rep, idle, _ = socks5_connect(client.addr, "127.0.0.1", echo.port)
    tap.eq(rep, 0, "idle session: CONNECT allowed")
    idle.sendall(b"hello")
    tap.eq(recv_exact(idle, 5), b"hello", "idle session: 5 octets echoed")
    rep, busy, _ = socks5_connect(client.addr, "127.0.0.1", sink.port)
    tap.eq(rep, 0, "transferring session: CONNECT allowed")
    stop = threading.Event()
    errors = []

    def pump():
        chunk = b"z" * 16384
        try:
            while not stop.is_set():
                busy.sendall(chunk)
                time.sleep(0.005)
        except OSError as e:
            errors.append(e)

    t = threading.Thread(target=pump, daemon=True)
    t.start()
    sink.wait_progress(100000)
    time.sleep(1.5)  # a relay sweep reports the counts once a second
    st, out, err = ctl(sock_path, "sessions")
    tap.eq(st, 0, "sessions: exit 0")
    first = parse_sessions(out)
    relaying = {k: v for k, v in first.items() if v.get("phase") == "relaying"}
    by_dst = {v.get("destination"): v for v in relaying.values()}
    a = by_dst.get("127.0.0.1:%d" % echo.port, {})
    b = by_dst.get("127.0.0.1:%d" % sink.port, {})
    tap.ok(a and b, "sessions lists both relaying sessions by destination", out + err)
    for what, v in (("idle", a), ("transferring", b)):
        tap.ok(v.get("principal") == ALICE and v.get("level") == "confidentiality" and
               v.get("client", "").startswith("127.0.0.1:") and
               v.get("slot") in ("0", "1") and v.get("age_s", "").isdigit(),
               "%s: principal, level, client, slot and age" % what, repr(v))
    tap.eq((a.get("bytes_from_client"), a.get("bytes_to_client")), ("5", "5"),
           "idle: 5 octets each way")
    time.sleep(2.2)
    st, out, _ = ctl(sock_path, "sessions")
    second = parse_sessions(out)
    b2 = second.get(b.get("id"), {})
    a2 = second.get(a.get("id"), {})
    tap.ok(int(b2.get("bytes_from_client", "0")) > int(b.get("bytes_from_client", "0")) > 0,
           "transferring: bytes_from_client grows between two listings",
           "%r -> %r" % (b.get("bytes_from_client"), b2.get("bytes_from_client")))
    tap.eq(a2.get("bytes_from_client"), "5", "idle: bytes unchanged")

    # end the transferring one
    sid = b.get("id", "0")
    st, out, err = ctl(sock_path, "end", sid)
    tap.ok(st == 0 and ("session=%s" % sid) in out, "end %s: exit 0" % sid, out + err)
    ends = gw.syslog.wait(event="end", session=sid)
    tap.ok(ends and ends[0]["kv"].get("reason") == "admin",
           "end record of session %s says reason=admin" % sid, repr(ends))
    adm = gw.syslog.records(event="admin-end", session=sid)
    tap.ok(adm and adm[0]["kv"].get("by_uid") == "0" and
           adm[0]["kv"].get("phase") == "relaying",
           "event=admin-end record with by_uid=0 phase=relaying", repr(adm))
    r = sink.wait(1)
    tap.ok(r and r[0]["end"] == "reset", "the target sees a reset", repr(r[:1]))
    tap.ok(wait_for(lambda: errors or not t.is_alive(), timeout=10) or errors,
           "the client's sender sees its connection cut", repr(errors))
    stop.set()
    # the idle one goes on
    idle.sendall(b"still here")
    tap.eq(recv_exact(idle, 10), b"still here", "the other session goes on")
    st, out, _ = ctl(sock_path, "sessions")
    left = parse_sessions(out)
    tap.ok(sid not in left and a.get("id") in left, "sessions: the ended one is gone",
           out)
    st, out, err = ctl(sock_path, "end", sid)
    tap.ok(st == 1 and "no session" in err, "end of an ended session: exit 1, no session",
           "%d %r %r" % (st, out, err))
    idle.close()
    busy.close()


def test_counters_metrics(tap, client, gw, sock_path, denied):
    ans, _ = raw_greeting(("127.0.0.1", gw.port), [0])
    tap.eq(ans, b"\x05\xff", "a greeting without GSS-API is refused")
    rep, _, _ = socks5_connect(client.addr, "127.0.0.1", denied.port)
    tap.eq(rep, 2, "a request the policy denies: REP 02")
    gw.syslog.wait(event="end", reason="request-refused")
    st, out, err = ctl(sock_path, "counters")
    tap.eq(st, 0, "counters: exit 0")
    lines = set(out.splitlines())
    for want in ('gssocks_refusals_total{reason="no-acceptable-method"} 1',
                 'gssocks_refusals_total{reason="policy"} 1',
                 'gssocks_sessions_total{result="admin"} 1',
                 'gssocks_sessions_total{result="no-acceptable-method"} 1',
                 'gssocks_unwrap_failures_total 0'):
        tap.ok(want in lines, "counters: %s" % want, out)
    tap.ok(not any(x.startswith("#") for x in lines), "counters: no comment lines")
    st, out, err = ctl(sock_path, "metrics")
    tap.eq(st, 0, "metrics: exit 0")
    try:
        samples = parse_prometheus(out)
        tap.ok(True, "metrics parse as the Prometheus text format")
    except ValueError as e:
        tap.ok(False, "metrics parse as the Prometheus text format", "%s\n%s" % (e, out))
        return
    tap.eq(samples.get(("gssocks_refusals_total", (("reason", "policy"),))), 1.0,
           "metrics: one policy refusal")
    tap.eq(samples.get(("gssocks_sessions_total", (("result", "admin"),))), 1.0,
           "metrics: one session ended by the administrator")
    tap.ok(samples.get(("gssocks_sessions_started_total", ()), 0) >= 4,
           "metrics: sessions started counted")
    tap.eq(samples.get(("gssocks_sessions", (("phase", "relaying"),))), 0.0,
           "metrics: no session relaying now")
    tap.ok(abs(samples.get(("gssocks_start_time_seconds", ()), 0) - time.time()) < 600,
           "metrics: start time is now-ish")


def test_access(tap, gw, sock_path):
    if not which("setpriv"):
        tap.skip("access by uid", "setpriv (util-linux) not installed")
        return
    st, out, err = ctl(sock_path, "sessions", user="nobody")
    tap.ok(st == 3 and "Permission denied" in err and "group adm" in err,
           "nobody without adm: exit 3, permission denied, names the group",
           "%d %r" % (st, err))
    st, out, err = ctl(sock_path, "counters", user="nobody", groups="adm")
    tap.ok(st == 0 and "gssocks_sessions_total" in out,
           "nobody with adm as a supplementary group is served", "%d %r" % (st, err))
    mode = os.stat(sock_path).st_mode
    os.chmod(sock_path, 0o666)
    try:
        st, out, err = ctl(sock_path, "sessions", user="nobody")
        tap.ok(st == 3 and "permission denied" in err and "session " not in out,
               "socket opened to all: the master's peer check still refuses nobody",
               "%d %r %r" % (st, out, err))
    finally:
        os.chmod(sock_path, stat.S_IMODE(mode))


def raw_request(sock_path, data):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(sock_path)
    s.sendall(data)
    s.shutdown(socket.SHUT_WR)
    out = b""
    while True:
        d = s.recv(65536)
        if not d:
            break
        out += d
    s.close()
    return out


def test_garbage(tap, gw, sock_path):
    for what, data in (("binary garbage", b"\x00\xff\x16\x03\x01hello\n"),
                       ("unknown command", b"shutdown\n"),
                       ("over-long line", b"sessions" + b" " * 200 + b"\n"),
                       ("bad id", b"end 0\n"),
                       ("id with a sign", b"end +5\n"),
                       ("no newline", b"sessions")):
        out = raw_request(sock_path, data)
        tap.ok(out.startswith(b"error: ") and out.endswith(b"\n") and out.count(b"\n") == 1,
               "%s: one error line" % what, repr(out))
    out = raw_request(sock_path, b"counters\r\n")
    tap.ok(out.startswith(b"ok\n"), "CRLF line accepted", repr(out[:40]))
    tap.ok(gw.alive(), "gssocksd still running after garbage")
    st, out, err = ctl(sock_path, "sessions")
    tap.eq(st, 0, "and still answers")
    st, out, err = ctl(os.path.join(os.path.dirname(sock_path), "nothing-here"), "sessions")
    tap.ok(st == 3 and "gssocksd is not running or control-socket is elsewhere" in err,
           "a missing socket: exit 3 and what it means", err)
    st, out, err = ctl(sock_path, "end", "x")
    tap.eq(st, 2, "usage error: exit 2")


class QuietGateway(Gateway):
    """gssocksd -D -f CONF: the default log level (the harness runs -d)."""

    def start(self, timeout=15.0):
        for _ in range(4):
            port = free_dual_port() if self.dual else free_port()
            conf = self.write_conf(port)
            self.proc = Process([binary("gssocksd"), "-D", "-f", conf],
                                self.env or self.realm.env, self.log, self.tap, "gssocksd -D log")
            deadline = time.time() + timeout
            while time.time() < deadline and self.proc.alive():
                if listening(port) and (not self.dual or listening(port, v6=True)):
                    self.port = port
                    return self
                time.sleep(0.02)
            self.proc.stop()
        raise RuntimeError("gssocksd -D did not start:\n%s" % self.proc.log_text()[-4000:])


def test_log_volume(tap, realm, echo):
    gw = QuietGateway(realm, tap).start()
    # the start-up lines (children, channels) come before any session
    wait_for(lambda: "ready" in gw.syslog.text(), timeout=10)
    time.sleep(1.0)
    before = len(gw.syslog.records())
    client = Client(realm, "127.0.0.1:%d" % gw.port, tap, level="confidentiality").start(
        timeout=30.0)
    rep, s, _ = socks5_connect(client.addr, "127.0.0.1", echo.port)
    tap.eq(rep, 0, "log volume: CONNECT allowed")
    s.sendall(b"x" * 100)
    recv_exact(s, 100)
    s.close()
    ends = gw.syslog.wait(event="end")
    time.sleep(1.2)  # anything a child still sends about it
    sid = ends[0]["kv"].get("session") if ends else "?"
    recs = gw.syslog.records()[before:]
    audit = [r for r in recs if r["facility"] == 10]
    daemon = [r for r in recs if r["facility"] == 3]
    tap.eq(sorted(r["kv"].get("event") for r in audit), ["auth", "end", "level", "request"],
           "log volume: the session's four audit records")
    tap.eq([r["text"] for r in daemon], [],
           "log volume: no diagnostic line for session %s at the default level" % sid)
    client.stop()
    gw.stop()


def body(tap):
    require()
    if not os.access(binary("gssocksctl"), os.X_OK):
        tap.ok(False, "gssocksctl built", binary("gssocksctl"))
        return
    realm = Realm(tap).start()
    echo, sink, denied = Echo(), Sink(), Echo()
    ctl_dir = tempdir("gssocks-ctl-")
    os.chmod(ctl_dir, 0o755)  # nobody reaches the socket; its own mode decides
    sock_path = os.path.join(ctl_dir, "control")
    policy = {"default": "levels integrity confidentiality\n"
                         "deny connect 127.0.0.1 port %d\n"
                         "allow connect any\n" % denied.port}
    gw = Gateway(realm, tap, policy=policy, control_socket=sock_path,
                 control_group="adm").start()
    st_ = os.stat(sock_path)
    tap.ok(stat.S_ISSOCK(st_.st_mode) and stat.S_IMODE(st_.st_mode) == 0o660 and
           st_.st_gid == 4, "control socket: mode 0660, group adm",
           "%o gid %d" % (st_.st_mode, st_.st_gid))
    # one local forwarder for every session (each is a session of its own
    # at the gateway): fewer starts on a loaded machine
    client = Client(realm, "127.0.0.1:%d" % gw.port, tap, level="confidentiality").start(
        timeout=30.0)
    tap.run("sessions and end", test_sessions_and_end, tap, client, gw, sock_path, echo, sink)
    tap.run("counters and metrics", test_counters_metrics, tap, client, gw, sock_path, denied)
    client.stop()
    tap.run("access", test_access, tap, gw, sock_path)
    tap.run("garbage", test_garbage, tap, gw, sock_path)
    tap.ok(gw.alive(), "gssocksd still running")
    gw.stop()
    tap.ok(not os.path.exists(sock_path), "the socket file is removed at exit")
    check_sanitizers(tap, gw)
    tap.run("log volume", test_log_volume, tap, realm, echo)
    for s in (echo, sink, denied):
        s.stop()


if __name__ == "__main__":
    main(body)
