#!/usr/bin/python3
"""e2e: UDP ASSOCIATE through gssocksd, protected per datagram (RFC 1961 §5).

The client is python3-gssapi (MIT krb5 underneath) speaking RFC 1928 +
RFC 1961 itself (test_context_flags.py's Session), so that it can also
send what a broken or hostile client sends.  At levels 1 (integrity),
2 (confidentiality) and 0 (clear, allowed by the policy), one association
each:
  - UDP ASSOCIATE is granted (REP 00) with the gateway's relay address,
    and the audit record says result=allowed with the policy line;
  - N datagrams of sizes 1 octet to the largest that fits one token
    (gss_wrap_size_limit for 65503 octets, the IPv4 UDP maximum minus the
    frame header), pipelined, go to a UDP echo server; every answer comes
    from the echo server's address and is checked byte for byte;
  - a datagram to a destination the policy denies, one whose token has an
    altered octet, (levels 1, 2) one whose token starts 01 01 (an RFC 1964
    token ID), one sent from 127.0.0.2 and (levels 1, 2) one sent
    twice (the copy is a GSS_S_DUPLICATE_TOKEN): each dropped, none reaches
    a target (the echo server and the forbidden target count what they
    get), the forbidden destination has one event=udp-destination
    result=denied record;
  - bob's policy has idle-timeout 2: his association ends by itself
    (event=end reason=idle, with its counts) and its control connection
    is closed;
  - closing the control connection ends the association with one
    event=end record holding datagrams each way and the drop counters
    (dropped_forbidden=1 dropped_token=2 dropped_source=1 dropped_replay=1;
    at clear the altered octet makes the header malformed instead).
  - gssocksctl counters: the forbidden destinations count under
    gssocks_refusals_total{reason="udp-destination-policy"} (one each),
    and the drops of every end record are summed under
    gssocks_udp_datagrams_dropped_total{reason}.
Fails before UDP ASSOCIATE existed (REP 07).
"""

import os
import random
import socket
import struct
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gssocks_harness import (MTYP_DATA, Gateway, Realm, check_sanitizers,  # noqa: E402
                             main, recv_exact, require, skip_all, socks5_request, wait_for)

try:
    import gssapi
    from gssocks_harness import (GSS_ALL_FLAGS as ALL_FLAGS, GssSession as Session,
                                 gss_credentials as credentials, read_frame, send_frame)
except ImportError as e:
    gssapi = None
    GSSAPI_ERROR = str(e)

ALICE = "alice@GSSOCKS.TEST"
COUNT = int(os.environ.get("GSSOCKS_UDP_COUNT", "10000"))
UDP_MAX = 65507                  # largest IPv4 UDP payload
SO_RCVBUFFORCE = 33
SO_SNDBUFFORCE = 32


class UdpEcho:
    """A UDP echo server on 127.0.0.1 that counts and remembers payloads."""

    def __init__(self, echo=True):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        big(self.sock)
        self.port = self.sock.getsockname()[1]
        self.echo = echo
        self.count = 0
        self.seen = set()
        self.stopping = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stopping:
            try:
                data, peer = self.sock.recvfrom(65536)
            except OSError:
                return
            self.count += 1
            if data.startswith(b"marker:"):
                self.seen.add(data)
            if self.echo:
                try:
                    self.sock.sendto(data, peer)
                except OSError:
                    pass

    def stop(self):
        self.stopping = True
        self.sock.close()


def big(sock):
    for opt in (SO_RCVBUFFORCE, SO_SNDBUFFORCE):
        try:
            sock.setsockopt(socket.SOL_SOCKET, opt, 8 * 1024 * 1024)
        except OSError:
            pass


def udp_header(host, port):
    return b"\x00\x00\x00\x01" + socket.inet_aton(host) + struct.pack("!H", port)


class Association:
    """An RFC 1961 session holding one UDP association."""

    def __init__(self, gw, creds, level):
        self.level = level
        self.conf = level == 2
        self.sess = Session(gw.port, creds, ALL_FLAGS)
        self.sess.authenticate()
        answer = self.sess.ask_level(level)
        if answer != level:
            raise RuntimeError("level %d answered %d" % (level, answer))
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", 0))
        big(self.udp)
        self.udp.settimeout(10)
        request = socks5_request(3, "127.0.0.1", self.udp.getsockname()[1])
        if level == 0:
            self.sess.sock.sendall(request)
            reply = recv_exact(self.sess.sock, 10)
        else:
            send_frame(self.sess.sock, MTYP_DATA, self.sess.ctx.wrap(request, self.conf).message)
            _, token = read_frame(self.sess.sock)
            reply = self.sess.ctx.unwrap(token).message
        self.rep = reply[1]
        self.relay = (socket.inet_ntoa(reply[4:8]), struct.unpack("!H", reply[8:10])[0])
        if level == 0:
            self.plain_max = UDP_MAX
        else:
            self.plain_max = self.sess.ctx.get_wrap_size_limit(UDP_MAX - 4, self.conf)

    def seal(self, plain):
        if self.level == 0:
            return plain
        token = self.sess.ctx.wrap(plain, self.conf).message
        return bytes([1, MTYP_DATA]) + struct.pack("!H", len(token)) + token

    def open(self, datagram):
        if self.level == 0:
            return datagram
        if datagram[:2] != bytes([1, MTYP_DATA]) or \
                struct.unpack("!H", datagram[2:4])[0] != len(datagram) - 4:
            raise RuntimeError("not one frame")
        return self.sess.ctx.unwrap(datagram[4:]).message

    def send(self, host, port, data, sock=None):
        (sock or self.udp).sendto(self.seal(udp_header(host, port) + data), self.relay)

    def close(self):
        self.udp.close()
        self.sess.close()


def sizes(max_data, count, seed):
    """COUNT sizes from 1 to MAX_DATA: both ends, the rest log-uniform."""
    rnd = random.Random(seed)
    out = [1, max_data, max_data - 1, 2]
    while len(out) < count:
        out.append(max(1, min(max_data, int(round(2 ** rnd.uniform(0, 16))))))
    return out[:count]


def flood(assoc, echo, count, seed):
    """Send COUNT datagrams through ASSOC with a byte window; True if every
    answer came back from the echo server, in order, byte for byte."""
    max_data = assoc.plain_max - 10
    want = sizes(max_data, count, seed)
    rnd = random.Random(seed + 1)
    window_bytes, window_count = 96 * 1024, 32
    pending = []                 # payloads sent, not answered yet
    in_flight = 0
    sent = 0
    got = 0
    while got < count:
        while sent < count and len(pending) < window_count and \
                (in_flight == 0 or in_flight + want[sent] <= window_bytes):
            data = rnd.randbytes(want[sent])
            assoc.send("127.0.0.1", echo.port, data)
            pending.append(data)
            in_flight += len(data)
            sent += 1
        datagram, peer = assoc.udp.recvfrom(65536)
        if peer != assoc.relay:
            return False, "answer from %r, not the relay address" % (peer,)
        plain = assoc.open(datagram)
        expect_head = udp_header("127.0.0.1", echo.port)
        data = pending.pop(0)
        in_flight -= len(data)
        if plain[:10] != expect_head or plain[10:] != data:
            return False, "answer %d (%d octets) differs" % (got, len(data))
        got += 1
    return True, "%d datagrams, %d..%d octets" % (count, min(want), max(want))


def one_level(tap, gw, creds, echo, forbidden, level):
    name = {0: "clear", 1: "integrity", 2: "confidentiality"}[level]
    try:
        assoc = Association(gw, creds, level)
    except Exception as e:      # noqa: BLE001 - reported as a failure
        tap.ok(False, "%s: UDP ASSOCIATE" % name, repr(e))
        return
    try:
        if not tap.eq(assoc.rep, 0, "%s: UDP ASSOCIATE granted (REP 00)" % name):
            return
        tap.ok(assoc.relay[0] == "127.0.0.1" and assoc.relay[1] != 0,
               "%s: the relay address is where the client connected, with a port" % name,
               repr(assoc.relay))
        rec = gw.syslog.wait(event="request", cmd="udp", result="allowed",
                             count=level_index(level) + 1)
        tap.ok(len(rec) > level_index(level) and "policy" in rec[-1]["kv"],
               "%s: event=request cmd=udp result=allowed with its policy line" % name,
               gw.syslog.text()[-2000:])
        ok, why = flood(assoc, echo, COUNT, 100 + level)
        tap.ok(ok, "%s: %d datagrams to the echo server, every answer byte for byte "
               "(sizes 1..%d)" % (name, COUNT, assoc.plain_max - 10), why)

        before_echo = echo.count
        # A forbidden destination.
        assoc.send("127.0.0.1", forbidden.port, b"marker:forbidden")
        # An altered token (one octet of the token flipped).
        datagram = bytearray(assoc.seal(udp_header("127.0.0.1", echo.port) + b"marker:altered"))
        if level == 0:
            # clear has no token: a datagram that is no SOCKS header is
            # what can be altered; count it as the token drop's stand-in
            datagram[0] ^= 0x40
        else:
            datagram[len(datagram) // 2] ^= 0x01
        assoc.udp.sendto(bytes(datagram), assoc.relay)
        if level != 0:
            # A token with an RFC 1964 token ID (01 01: MIT 1.20.1's
            # stream unwrap crashes on it for a CFX context): dropped, the
            # relay lives on.
            junk = b"\x01\x01" + bytes(range(60))
            assoc.udp.sendto(bytes([1, MTYP_DATA]) + struct.pack("!H", len(junk)) + junk,
                             assoc.relay)
        # From another source address.
        other = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        other.bind(("127.0.0.2", 0))
        assoc.send("127.0.0.1", echo.port, b"marker:elsewhere", sock=other)
        other.close()
        denied = gw.syslog.wait(event="udp-destination", result="denied",
                                count=level_index(level) + 1)
        extra = 0
        if level != 0:
            # A duplicate: the same datagram twice is forwarded once.
            dup = assoc.seal(udp_header("127.0.0.1", echo.port) + b"once")
            assoc.udp.sendto(dup, assoc.relay)
            datagram, _ = assoc.udp.recvfrom(65536)
            tap.eq(assoc.open(datagram)[10:], b"once", "%s: a datagram answered" % name)
            assoc.udp.sendto(dup, assoc.relay)
            extra = 1
        # One more good datagram: once it is answered, the relay has read
        # every datagram before it (and the master's answer about the
        # forbidden target, sent before the record above).
        assoc.send("127.0.0.1", echo.port, b"last")
        datagram, _ = assoc.udp.recvfrom(65536)
        tap.eq(assoc.open(datagram)[10:], b"last", "%s: a good datagram after the bad ones" % name)
        tap.ok(len(denied) > level_index(level) and
               denied[-1]["kv"].get("dst") == "127.0.0.1:%d" % forbidden.port,
               "%s: one event=udp-destination result=denied for the forbidden target" % name,
               gw.syslog.text()[-2000:])
        tap.ok(forbidden.count == 0, "%s: the forbidden target got nothing" % name,
               "it got %d" % forbidden.count)
        tap.ok(echo.count == before_echo + 1 + extra and not echo.seen,
               "%s: the echo server got only the good datagram" % name,
               "got %d, markers %r" % (echo.count - before_echo, echo.seen))
    finally:
        assoc.close()
    ends = gw.syslog.wait(event="end", reason="client-close", count=level_index(level) + 1)
    kv = ends[-1]["kv"] if len(ends) > level_index(level) else {}
    good = COUNT + 1 + (1 if level else 0)
    want = {"datagrams_from_client": str(good), "datagrams_to_client": str(good),
            "dropped_forbidden": "1", "dropped_source": "1",
            "dropped_token" if level else "dropped_malformed": "2" if level else "1",
            "dropped_replay": "1" if level else "0", "dropped_fragment": "0"}
    tap.ok(all(kv.get(k) == v for k, v in want.items()),
           "%s: one event=end record with datagrams each way and the drops" % name,
           "want %r, record %r" % (want, kv))


def idle_end(tap, gw, creds, echo):
    """bob's policy says idle-timeout 2: the association ends by itself,
    with one end record (reason=idle) and its counts, and the control
    connection is closed."""
    assoc = Association(gw, creds, 2)
    try:
        if not tap.eq(assoc.rep, 0, "idle: UDP ASSOCIATE granted"):
            return
        assoc.send("127.0.0.1", echo.port, b"one")
        datagram, _ = assoc.udp.recvfrom(65536)
        tap.eq(assoc.open(datagram)[10:], b"one", "idle: a datagram answered")
        ends = gw.syslog.wait(event="end", reason="idle", timeout=15)
        kv = ends[0]["kv"] if ends else {}
        tap.ok(kv.get("datagrams_from_client") == "1" and kv.get("datagrams_to_client") == "1",
               "idle: after 2 s without a datagram, one event=end reason=idle record "
               "with the counts", repr(kv))
        assoc.sess.sock.settimeout(10)
        try:
            gone = assoc.sess.sock.recv(1) == b""
        except OSError:
            gone = True
        tap.ok(gone, "idle: the control connection is closed")
    finally:
        assoc.close()


BOB = "bob@GSSOCKS.TEST"
LEVEL_ORDER = (1, 2, 0)


def level_index(level):
    return LEVEL_ORDER.index(level)


def counted(tap, gw):
    """The denied destinations and the end records' drops in gssocksctl's
    counters: as many as the records say."""
    counters = gw.counters()
    denied = gw.syslog.records(event="udp-destination", result="denied")
    n = counters.get('gssocks_refusals_total{reason="udp-destination-policy"}', 0)
    tap.ok(n == len(LEVEL_ORDER) and n == len(denied),
           'gssocks_refusals_total{reason="udp-destination-policy"}: one per denied destination',
           "counted %d, records %d" % (n, len(denied)))
    ends = gw.syslog.records(event="end")
    want, got = {}, {}
    for end in ends:
        for k, v in end["kv"].items():
            if k.startswith("dropped_"):
                want[k[8:]] = want.get(k[8:], 0) + int(v)
    for name, v in counters.items():
        prefix = 'gssocks_udp_datagrams_dropped_total{reason="'
        if name.startswith(prefix):
            got[name[len(prefix):-2]] = v
    tap.ok(want and got == {k: v for k, v in want.items() if v},
           "gssocks_udp_datagrams_dropped_total{reason}: the end records' drops summed",
           "counters %r, records %r" % (got, want))


def body(tap):
    if gssapi is None:
        skip_all("python3-gssapi not importable (%s)" % GSSAPI_ERROR)
    require(binaries=("gssocksd", "gssocks-authproc", "gssocks-relay"))
    realm = Realm(tap).start()
    for k, v in realm.vars.items():
        os.environ[k] = v
    creds = credentials(realm, "alice")
    echo = UdpEcho()
    forbidden = UdpEcho(echo=False)
    policy = {ALICE: ("levels clear integrity confidentiality selective\n"
                      "preferred confidentiality\n"
                      "allow udp 127.0.0.1 port %d\n"
                      "deny udp any\n" % echo.port)}
    policy[BOB] = ("levels integrity confidentiality\n"
                   "idle-timeout 2\n"
                   "allow udp 127.0.0.1 port %d\n" % echo.port)
    gw = Gateway(realm, tap, policy=policy, allow_clear="yes").start()
    for level in LEVEL_ORDER:
        tap.run("level %d" % level, one_level, tap, gw, creds, echo, forbidden, level)
    tap.run("idle timeout", idle_end, tap, gw, credentials(realm, "bob"), echo)
    tap.run("counted", counted, tap, gw)
    tap.ok(wait_for(lambda: gw.alive(), timeout=1), "gssocksd still running")
    echo.stop()
    forbidden.stop()
    gw.stop()
    check_sanitizers(tap, gw)


if __name__ == "__main__":
    main(body)
