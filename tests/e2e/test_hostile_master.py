#!/usr/bin/python3
"""e2e: gssocks-authproc against a hostile master.

The master is network-facing: assume it compromised.  Exported contexts
(session keys) go from authproc to a relay over a channel the RELAY made;
the master only passes authproc's end on, and authproc takes a channel
only when SO_PEERCRED names a relay (ARCHITECTURE.md, invariant 1).

This script plays the master: it starts the real gssocks-authproc as a
spawner would (fd 3 = the master channel, the realm's keytab, --relay-uid)
and speaks the IPC framing to it (ipc/ipc.c, ipc/messages.c).  Other
processes (forked, so another pid) play relays.  Channels offered for a
slot, each with the record authproc must write (IPC_LOG) or not:
  - a socketpair the master made itself: refused ("the master made it"),
    authproc closes it and goes on;
  - a SOCK_STREAM pair of another process: refused;
  - a connection to another process's listener (named): refused;
  - root only: a pair of another process of a uid that is not the relay
    user's: refused ("not the relay user");
  - a pair made by a relay-like process of the relay uid: accepted.
Then the master offers its own pair for the accepted slot too: refused, and
the slot keeps the relay's channel.  Real sessions (gssocks-client, alice,
the real KDC; this script answers the greeting and the level query): one
for the accepted slot reaches the relay-like process (RELAY_SESSION with
the client socket and a context) while the master hears only AUTH_OK; one
for a slot without a channel waits until a relay's channel comes, then is
handed off; one for the slot whose channel was refused ends with
AUTH_FAIL "no channel" at its deadline (--auth-timeout).
"""

import array
import os
import select
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gssocks_harness import (CLEANUP, Client, Process, Realm, binary,  # noqa: E402
                             check_sanitizers, listen_socket, main, recv_exact, require,
                             tempdir, wait_for)

IPC_AUTH_CLIENT, IPC_AUTH_RELAY_CHANNEL, IPC_AUTH_OK, IPC_AUTH_FAIL = 1, 2, 3, 4
IPC_RELAY_SESSION = 5
IPC_AUTH_LEVEL_QUERY, IPC_AUTH_LEVEL_ANSWER, IPC_LOG = 10, 11, 12
NOBODY = 65534

SLOT_MASTER, SLOT_STREAM, SLOT_NAMED, SLOT_UID, SLOT_RELAY, SLOT_LATE = 0, 1, 2, 3, 4, 5
# A session whose slot never gets a channel fails at this deadline.
AUTH_TIMEOUT = 6


def send(sock, typ, payload, fds=()):
    anc = []
    if fds:
        anc = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))]
    sock.sendmsg([struct.pack("!HHI", typ, 0, len(payload)) + payload], anc)


def recv(sock, timeout):
    """(type, payload, fds) of the next message, or None at EOF/timeout."""
    if not select.select([sock], [], [], timeout)[0]:
        return None
    try:
        data, anc, _, _ = sock.recvmsg(200000, socket.CMSG_SPACE(4 * 8))
    except ConnectionError:
        return None
    fds = []
    for level, kind, d in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds += array.array("i", d[:len(d) - len(d) % 4])
    if len(data) < 8:
        return None
    typ, _, n = struct.unpack("!HHI", data[:8])
    return typ, data[8:8 + n], fds


def string(text):
    b = text.encode()
    return struct.pack("!H", len(b)) + b


def channel_payload(slot, generation=1, authproc=0):
    """relay slot | relay generation | authproc worker (ipc/messages.c)"""
    return struct.pack("!III", slot, generation, authproc)


class Relayish:
    """A forked process (another pid than the master's) that makes a socket
    with make(), keeps one end and sends us the other; then it reports the
    first message on its end ("msg TYPE SID NFDS CONTEXT_LEN") or "eof"."""

    def __init__(self, make, uid=None):
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.pid = os.fork()
        if self.pid == 0:
            status = 1
            try:
                ours.close()
                if uid is not None:
                    os.setgroups([])
                    os.setgid(uid)
                    os.setuid(uid)
                keep, give = make()
                theirs.sendmsg([b"fd"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS,
                                          array.array("i", [give.fileno()]))])
                give.close()
                m = recv(keep, 60)
                if m is None:
                    theirs.send(b"eof")
                else:
                    typ, payload, fds = m
                    sid = struct.unpack("!Q", payload[:8])[0] if len(payload) >= 8 else 0
                    # RELAY_SESSION: u64 sid | u8 level | str principal | blob context
                    ctx_len = 0
                    if typ == IPC_RELAY_SESSION and len(payload) >= 11:
                        plen = struct.unpack("!H", payload[9:11])[0]
                        ctx_len = struct.unpack("!I", payload[11 + plen:15 + plen])[0]
                    theirs.send(("msg %d %d %d %d" % (typ, sid, len(fds), ctx_len)).encode())
                status = 0
            finally:
                os._exit(status)
        theirs.close()
        self.ctl = ours
        CLEANUP.push(self.stop)
        data, anc, _, _ = ours.recvmsg(16, socket.CMSG_SPACE(4))
        self.fd = None
        for level, kind, d in anc:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                self.fd = array.array("i", d[:4])[0]

    def report(self, timeout):
        if not select.select([self.ctl], [], [], timeout)[0]:
            return None
        return self.ctl.recv(200).decode()

    def stop(self):
        try:
            os.kill(self.pid, 9)
            os.waitpid(self.pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass


def seqpair():
    return socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)


def streampair():
    return socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)


def named_connection(path):
    def make():
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        listener.bind(path)
        listener.listen(1)
        c = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        c.connect(path)
        a, _ = listener.accept()
        return a, c
    return make


class FakeMaster:
    """The master's side of authproc's fd 3: every LOG line is kept."""

    def __init__(self, sock, tap):
        self.sock = sock
        self.tap = tap
        self.logs = []
        self.queue = []

    def next(self, timeout=20.0, want=None):
        """The next message that is not LOG (of type WANT if given)."""
        deadline = time.time() + timeout
        while True:
            left = deadline - time.time()
            if self.queue and (want is None or self.queue[0][0] in want):
                return self.queue.pop(0)
            if left <= 0:
                return None
            m = recv(self.sock, left)
            if m is None:
                return None
            typ, payload, fds = m
            if typ == IPC_LOG:
                n = struct.unpack("!H", payload[1:3])[0]
                self.logs.append(payload[3:3 + n].decode(errors="replace"))
                continue
            for fd in fds:
                os.close(fd)
            self.queue.append((typ, payload))

    def log_with(self, text, timeout=10.0):
        """A LOG line containing TEXT (reading the channel meanwhile)."""
        def seen():
            self.next(timeout=0.05, want=())
            return [line for line in self.logs if text in line]
        return wait_for(seen, timeout=timeout, step=0)

    def offer(self, slot, fd, generation=1):
        send(self.sock, IPC_AUTH_RELAY_CHANNEL, channel_payload(slot, generation), [fd])

    def session(self, client, gateway, sid, slot, after_level=None):
        """Drive one session: greeting, AUTH_CLIENT, level answer (then
        after_level(), if given).  The type (AUTH_OK / AUTH_FAIL) and
        payload of authproc's outcome."""
        s = socket.create_connection(client.addr, timeout=20)
        s.sendall(b"\x05\x01\x00")
        recv_exact(s, 2)
        s.sendall(b"\x05\x01\x00\x01\x7f\x00\x00\x01\x00\x09")
        conn, peer = gateway.accept()
        greeting = recv_exact(conn, 2)
        recv_exact(conn, greeting[1])
        conn.sendall(b"\x05\x01")
        send(self.sock, IPC_AUTH_CLIENT,
             struct.pack("!QI", sid, slot) + string("%s:%d" % peer), [conn.fileno()])
        conn.close()
        m = self.next(want=(IPC_AUTH_LEVEL_QUERY, IPC_AUTH_FAIL))
        if m is None or m[0] != IPC_AUTH_LEVEL_QUERY:
            s.close()
            return m
        # AUTH_LEVEL_QUERY: u64 sid | u8 requested | u8 nec | u8 supported | ...
        qsid, requested = struct.unpack("!QB", m[1][:9])
        send(self.sock, IPC_AUTH_LEVEL_ANSWER, struct.pack("!QB", qsid, requested) + string(""))
        if after_level is not None:
            after_level()
        outcome = self.next(want=(IPC_AUTH_OK, IPC_AUTH_FAIL))
        s.close()
        return outcome


def body(tap):
    require(binaries=("gssocks-authproc", "gssocks-client"))
    root = os.geteuid() == 0
    relay_uid = NOBODY if root else os.geteuid()
    realm = Realm(tap).start()
    work = tempdir("gssocks-hm-")

    master, child_end = seqpair()
    log = os.path.join(work, "authproc.log")
    argv = [binary("gssocks-authproc"), "--keytab", realm.keytab, "--levels", "1,2,3",
            "--preferred", "2", "--auth-timeout", str(AUTH_TIMEOUT), "--relay-uid", str(relay_uid),
            "--verbose"]
    proc = Process(argv, realm.env, log, tap, "gssocks-authproc stderr", channel=child_end)
    child_end.close()
    fm = FakeMaster(master, tap)
    if not tap.ok(fm.log_with("ready:", timeout=20), "authproc started (its ready line over IPC)",
                  "\n".join(fm.logs)):
        return

    # 1. The master's own pair.
    keep, give = seqpair()
    fm.offer(SLOT_MASTER, give.fileno())
    give.close()
    tap.ok(fm.log_with("relay slot %d (generation 1): channel refused: the master made it"
                       % SLOT_MASTER),
           "a pair the master made is refused, with a record", "\n".join(fm.logs))
    keep.settimeout(10)
    try:
        eof = keep.recv(100) == b""
    except OSError:
        eof = False
    tap.ok(eof, "authproc closed the refused channel (the master's end reads EOF)")
    tap.ok(proc.alive(), "authproc goes on after refusing it")

    # 2. Another process's pair of the wrong kind, and a named connection.
    stream = Relayish(streampair, uid=relay_uid if root else None)
    fm.offer(SLOT_STREAM, stream.fd)
    os.close(stream.fd)
    tap.ok(fm.log_with("relay slot %d (generation 1): channel refused: not an AF_UNIX "
                       "SOCK_SEQPACKET socket" % SLOT_STREAM),
           "a SOCK_STREAM pair is refused", "\n".join(fm.logs))
    tap.eq(stream.report(10), "eof", "its maker sees it closed")

    # An abstract name: the relay uid may not write into our temp dir.
    named = Relayish(named_connection("\0gssocks-hostile-master-%d" % os.getpid()),
                     uid=relay_uid if root else None)
    fm.offer(SLOT_NAMED, named.fd)
    os.close(named.fd)
    tap.ok(fm.log_with("relay slot %d (generation 1): channel refused: not an unnamed socketpair"
                       % SLOT_NAMED),
           "a connection to another process's listener is refused", "\n".join(fm.logs))
    tap.eq(named.report(10), "eof", "its listener's side sees it closed")

    # 3. Root: another process, but not of the relay uid.
    if root:
        other = Relayish(seqpair)
        fm.offer(SLOT_UID, other.fd)
        os.close(other.fd)
        tap.ok(fm.log_with("relay slot %d (generation 1): channel refused: its maker is not "
                           "the relay user" % SLOT_UID),
               "root: a pair made by uid 0 (relay uid %d) is refused" % relay_uid,
               "\n".join(fm.logs))
        tap.eq(other.report(10), "eof", "root: its maker sees it closed")
    else:
        tap.skip("root: a pair of another uid is refused", "not root: one uid only")
        tap.skip("root: its maker sees it closed", "not root: one uid only")

    # 4. A relay-like process of the relay uid: accepted.
    relay = Relayish(seqpair, uid=relay_uid if root else None)
    fm.offer(SLOT_RELAY, relay.fd)
    os.close(relay.fd)
    tap.ok(fm.log_with("relay slot %d (generation 1): channel ready" % SLOT_RELAY),
           "a pair made by another process of the relay uid is accepted", "\n".join(fm.logs))
    tap.ok(not [line for line in fm.logs if "slot %d" % SLOT_RELAY in line and "refused" in line],
           "and not refused")

    # 5. The master tries to replace it with its own pair.
    keep2, give2 = seqpair()
    fm.offer(SLOT_RELAY, give2.fileno(), generation=2)
    give2.close()
    tap.ok(fm.log_with("relay slot %d (generation 2): channel refused: the master made it"
                       % SLOT_RELAY),
           "the master's pair for the same slot is refused", "\n".join(fm.logs))
    tap.ok(not [line for line in fm.logs if "replaced" in line],
           "the relay's channel is not replaced")

    # 6. Real sessions.
    gateway = listen_socket("127.0.0.1")
    gateway.settimeout(20)
    CLEANUP.push(gateway.close)
    client = Client(realm, "127.0.0.1:%d" % gateway.getsockname()[1], tap).start()
    outcome = fm.session(client, gateway, 1, SLOT_RELAY)
    tap.ok(outcome is not None and outcome[0] == IPC_AUTH_OK,
           "a session for the accepted slot: AUTH_OK to the master",
           "outcome %r; logs:\n%s" % (outcome, "\n".join(fm.logs)))
    report = relay.report(10) or ""
    words = report.split()
    tap.ok(len(words) == 5 and words[:4] == ["msg", str(IPC_RELAY_SESSION), "1", "1"]
           and int(words[4]) > 0,
           "the relay-like process got RELAY_SESSION 1 with the client socket and a context",
           "report %r" % report)
    keep2.settimeout(1)
    try:
        leaked = keep2.recv(200000)
    except OSError:
        leaked = None
    tap.ok(not leaked, "the master's refused pair got nothing (read %r)" % (leaked[:16]
                                                                            if leaked else leaked))

    # A session for a slot whose relay has not made its channel yet waits
    # for it (the relay may still be starting) and is handed off once a
    # relay's channel comes.
    late = []

    def late_channel():
        tap.ok(fm.log_with("session 3: waiting for the channel to relay slot %d" % SLOT_LATE),
               "a session for a slot without a channel waits for it", "\n".join(fm.logs))
        late.append(Relayish(seqpair, uid=relay_uid if root else None))
        fm.offer(SLOT_LATE, late[0].fd)
        os.close(late[0].fd)
    outcome = fm.session(client, gateway, 3, SLOT_LATE, after_level=late_channel)
    tap.ok(outcome is not None and outcome[0] == IPC_AUTH_OK,
           "once a relay's channel comes: AUTH_OK", "outcome %r" % (outcome,))
    report = late[0].report(10) if late else ""
    tap.ok((report or "").startswith("msg %d 3 1 " % IPC_RELAY_SESSION),
           "and the relay-like process got RELAY_SESSION 3", "report %r" % report)

    started = time.time()
    outcome = fm.session(client, gateway, 2, SLOT_MASTER)
    reason = b""
    if outcome is not None and outcome[0] == IPC_AUTH_FAIL:
        n = struct.unpack("!H", outcome[1][8:10])[0]
        reason = outcome[1][10:10 + n]
    tap.ok(outcome is not None and outcome[0] == IPC_AUTH_FAIL and
           b"no channel to relay slot %d within %d s" % (SLOT_MASTER, AUTH_TIMEOUT) in reason,
           "a session for the refused slot: AUTH_FAIL at the deadline, no channel (%r, %.1f s)"
           % (reason, time.time() - started))

    tap.ok(proc.alive(), "authproc still running")
    master.close()
    tap.ok(wait_for(lambda: not proc.alive(), timeout=10), "authproc exits when the master goes")
    tap.eq(proc.proc.returncode, 0, "with status 0")
    client.stop()
    reports = proc.sanitizer_reports()
    tap.ok(not reports, "gssocks-authproc: no sanitizer reports", "\n".join(reports[:20]))
    check_sanitizers(tap, client)


if __name__ == "__main__":
    main(body)
