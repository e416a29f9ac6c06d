#!/usr/bin/python3
"""e2e: gssocksd against a hostile relay worker.

gssocksd runs with libexec-dir pointing at a directory where
gssocks-relay is a small Python program (FAKE_RELAY below): it speaks the
IPC framing on fd 3 (type u16 | reserved u16 | length u32, network order,
one record per message, at most one fd in SCM_RIGHTS; ipc/ipc.c,
ipc/messages.c), makes its authproc channel when asked (as the real relay
does) and does what the test writes into its command file.
With relay-workers 1, each case checks gssocksd's log and that it goes on
serving:
  - RELAY_REQUEST for a session gssocksd issued and has dropped since:
    answered REQUEST_RESULT REP 01, the relay is NOT killed.
  - RELAY_REQUEST for a session id never issued: event=violation, the relay
    is SIGKILLed (it writes nothing more) and respawned.
  - RELAY_SESSION (the context-carrying type, with an fd) on the master
    channel: killed and respawned.
  - RELAY_CHANNEL_MADE (a channel end for authproc) that the master did
    not ask for: killed and respawned.
  - A second RELAY_REQUEST for a real session (alice authenticated by the
    real authproc, handed to the fake relay): killed and respawned.
After each, gssocksd is alive and answers a GSS-API greeting with 05 01.
"""

import os
import re
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gssocks_harness import (Client, Echo, Gateway, Realm, check_sanitizers,  # noqa: E402
                             main, raw_greeting, recv_exact, require, socks5_connect, wait_for)

FAKE_RELAY = r'''#!/usr/bin/python3
# A hostile gssocks-relay for tests/e2e/test_hostile_relay.py.  It runs
# under the relay spawner's allow-list (master/sandbox.c): no unlink, no
# pipe, no select -- command files are numbered and marked done, the fd it
# passes is /dev/null, it waits with poll.
import array, os, select, socket, struct, sys

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "fake-relay.out")
CMD = os.path.join(HERE, "fake-relay.cmd")

def note(text):
    with open(OUT, "a") as f:
        f.write("%d %s\n" % (os.getpid(), text))

def send(sock, typ, payload, fds=()):
    anc = []
    if fds:
        anc = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))]
    sock.sendmsg([struct.pack("!HHI", typ, 0, len(payload)) + payload], anc)

def recv(sock):
    try:
        data, anc, _, _ = sock.recvmsg(200000, socket.CMSG_SPACE(4 * 8))
    except ConnectionError:
        return None
    fds = []
    for level, kind, d in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds += array.array("i", d[:len(d) - len(d) % 4])
    if not data:
        return None
    typ, _, n = struct.unpack("!HHI", data[:8])
    return typ, data[8:8 + n], fds

def request(sid, port):
    # RELAY_REQUEST: u64 sid | u8 cmd (CONNECT) | ATYP 1 | 127.0.0.1 | port
    payload = (struct.pack("!QBB", sid, 1, 1) + socket.inet_aton("127.0.0.1") +
               struct.pack("!H", port))
    note("sending-request %d" % sid)   # before: gssocksd may kill us at once
    send(master, 6, payload)

def next_command():
    """Words of the first command file N not marked done (or None)."""
    n = 1
    while os.path.exists("%s.%d.done" % (CMD, n)):
        n += 1
    if not os.path.exists("%s.%d" % (CMD, n)):
        return None
    with open("%s.%d" % (CMD, n)) as f:
        words = f.read().split()
    open("%s.%d.done" % (CMD, n), "w").close()
    return words

master = socket.socket(fileno=3)
chans = []
held = []
on_session = None
note("start")
while True:
    words = next_command()
    if words:
        if words[0] == "request":
            request(int(words[1]), int(words[2]))
        elif words[0] == "relay-session":
            # RELAY_SESSION: u64 sid | u8 level | str principal | blob context
            r = os.open("/dev/null", os.O_RDONLY)
            p = b"alice@GSSOCKS.TEST"
            payload = (struct.pack("!QBH", 1, 2, len(p)) + p + struct.pack("!I", 4) +
                       b"ctx!")
            note("sending-relay-session")
            send(master, 5, payload, [r])
        elif words[0] == "unasked-channel":
            # RELAY_CHANNEL_MADE when the master asked for none.
            mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            note("sending-unasked-channel")
            # slot | generation | authproc worker
            send(master, 19, struct.pack("!III", 0, 1, 0), [theirs.fileno()])
            theirs.close()
        elif words[0] == "on-session":
            on_session = int(words[1])
    poller = select.poll()
    for s in [master] + chans:
        poller.register(s, select.POLLIN)
    by_fd = {s.fileno(): s for s in [master] + chans}
    for fd, _ in poller.poll(50):
        s = by_fd[fd]
        m = recv(s)
        if s is master:
            if m is None:
                note("master-closed")
                sys.exit(0)
            typ, payload, fds = m
            if typ == 9:
                # RELAY_MAKE_CHANNEL: make the pair, keep one end, send the
                # other up (RELAY_CHANNEL_MADE, the same slot | generation |
                # authproc worker)
                # for authproc, as the real relay does.
                mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
                send(master, 19, payload, [theirs.fileno()])
                theirs.close()
                chans.append(mine)
                note("channel")
            elif typ == 17:
                send(master, 18, payload)   # PING -> PONG (the watchdog)
            elif typ == 8:
                sid, rep = struct.unpack("!QB", payload[:9])
                note("result %d %d" % (sid, rep))
                for fd in fds:
                    os.close(fd)
            continue
        if m is None:
            chans.remove(s)
            s.close()
            continue
        typ, payload, fds = m
        if typ == 5:
            sid = struct.unpack("!Q", payload[:8])[0]
            held += fds
            note("session %d" % sid)
            if on_session is not None:
                request(sid, on_session)
                request(sid, on_session)
'''


class FakeRelay:
    def __init__(self, gw):
        self.dir = gw.libexec
        path = os.path.join(self.dir, "gssocks-relay")
        os.unlink(path)
        with open(path, "w") as f:
            f.write(FAKE_RELAY)
        os.chmod(path, 0o755)
        self.out = os.path.join(self.dir, "fake-relay.out")

    def notes(self):
        try:
            with open(self.out) as f:
                return [line.split(" ", 1) for line in f.read().splitlines()]
        except FileNotFoundError:
            return []

    def pids_with(self, text):
        return [int(pid) for pid, t in self.notes() if t == text]

    def command(self, text):
        """Command file N+1 (the fake relay marks each done: no unlink)."""
        self.seq = getattr(self, "seq", 0) + 1
        tmp = os.path.join(self.dir, "fake-relay.cmd.tmp")
        with open(tmp, "w") as f:
            f.write(text)
        os.rename(tmp, os.path.join(self.dir, "fake-relay.cmd.%d" % self.seq))

    def ready_pid(self, after=()):
        """Pid of a relay that has its authproc channel and is not in AFTER."""
        got = []

        def check():
            got[:] = [p for p in self.pids_with("channel") if p not in after]
            return bool(got)
        return got[-1] if wait_for(check) else None


def gss_greeting(port):
    """Offer GSS-API only; the 2-octet answer (the handshake is not begun)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(b"\x05\x01\x01")
        try:
            return recv_exact(s, 2)
        except (EOFError, OSError):
            return b""


def starts(gw):
    return re.findall(r"event=child name=relay slot=0 pid=(\d+) action=start", gw.log_text())


def check_killed(tap, gw, relay, pid, reason, what):
    log = gw.log_text()
    tap.ok(wait_for(lambda: re.search(r'event=violation name=relay slot=0 pid=%d .*reason="%s"'
                                      % (pid, re.escape(reason)), gw.log_text())),
           "%s: event=violation name=relay reason=\"%s\"" % (what, reason))
    tap.ok(wait_for(lambda: re.search(r"event=child name=relay slot=0 pid=%d action=exit "
                                      r"signal=SIGKILL" % pid, gw.log_text())),
           "%s: the relay was SIGKILLed" % what, log[-3000:])
    new = relay.ready_pid(after=[pid] + list(relay.seen))
    tap.ok(new is not None and str(new) in starts(gw),
           "%s: gssocksd respawned the relay (pid %s)" % (what, new))
    tap.ok(gw.alive(), "%s: gssocksd still running" % what)
    tap.eq(gss_greeting(gw.port), b"\x05\x01", "%s: gssocksd still answers a greeting with 05 01" % what)
    relay.seen.append(pid)
    return new


def body(tap):
    require()
    realm = Realm(tap).start()
    echo = Echo()
    gw = Gateway(realm, tap, relay_workers="1")
    relay = FakeRelay(gw)
    relay.seen = []
    gw.start()

    pid = relay.ready_pid()
    if not tap.ok(pid is not None, "the fake relay started and got its authproc channel",
                  gw.log_text()[-3000:]):
        return

    # An issued session, dropped since (05 ff: no acceptable method).
    ans, _ = raw_greeting(("127.0.0.1", gw.port), [0])
    tap.eq(ans, b"\x05\xff", "a greeting without GSS-API is refused")
    rec = gw.syslog.wait(event="method", result="refused")
    sid = int(rec[0]["kv"]["session"]) if rec else 1
    relay.command("request %d 9" % sid)
    tap.ok(wait_for(lambda: ["%d" % pid, "result %d 1" % sid] in relay.notes()),
           "request for dropped session %d: REQUEST_RESULT REP 01" % sid,
           "notes: %r" % relay.notes())
    time.sleep(0.3)
    tap.ok(len(starts(gw)) == 1 and "event=violation" not in gw.log_text(),
           "and the relay is not killed for it")

    relay.command("request 999999 9")
    tap.ok(wait_for(lambda: ["%d" % pid, "sending-request 999999"] in relay.notes()),
           "the fake relay sent a request for session 999999, never issued")
    pid = check_killed(tap, gw, relay, pid, "request for a session never handed out",
                       "never-issued session")
    if pid is None:
        return

    relay.command("relay-session")
    tap.ok(wait_for(lambda: ["%d" % pid, "sending-relay-session"] in relay.notes()),
           "the fake relay sent RELAY_SESSION (context, fd) on the master channel")
    pid = check_killed(tap, gw, relay, pid, "malformed or unpermitted IPC message",
                       "RELAY_SESSION to the master")
    if pid is None:
        return

    relay.command("unasked-channel")
    tap.ok(wait_for(lambda: ["%d" % pid, "sending-unasked-channel"] in relay.notes()),
           "the fake relay sent RELAY_CHANNEL_MADE unasked")
    pid = check_killed(tap, gw, relay, pid, "a channel nobody asked for",
                       "unasked RELAY_CHANNEL_MADE")
    if pid is None:
        return

    relay.command("on-session %d" % echo.port)
    time.sleep(0.2)
    client = Client(realm, "127.0.0.1:%d" % gw.port, tap).start()
    rep, s, _ = socks5_connect(client.addr, "127.0.0.1", echo.port)
    if s:
        s.close()
    tap.ok(rep != 0, "the session handed to the hostile relay gets no success reply")
    tap.ok(any(t.startswith("session ") for p, t in relay.notes() if p == str(pid)),
           "authproc handed a real session to the fake relay", "notes: %r" % relay.notes())
    check_killed(tap, gw, relay, pid, "second request for a session",
                 "second RELAY_REQUEST")
    client.stop()
    gw.stop()
    check_sanitizers(tap, gw, client)
    echo.stop()


if __name__ == "__main__":
    main(body)
