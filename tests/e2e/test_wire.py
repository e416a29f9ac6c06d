#!/usr/bin/python3
"""e2e: what gssocks-client and gssocksd put on the wire (RFC 1928 + 1961).

A MITM records one session per level, which uploads and downloads a known
marker text plus 4 MiB of bulk data.  Checked:
  - c2s starts with a greeting offering 01, s2c answers 05 01;
  - then mtyp 1 frames (context), one mtyp 2 frame each way whose tokens
    are RFC 4121 wrap tokens with Sealed=0 (conf_req FALSE) and the right
    SentByAcceptor flag, carrying the level octet asked and granted (01,
    02, 03); then only mtyp 3 frames (never back to 1 or 2);
  - mtyp 3 frames (request, reply, data) are wrap tokens with Sealed=1 at
    confidentiality and Sealed=0 at integrity; at selective the gateway
    wraps with confidentiality (selective-wrap default);
  - no frame token exceeds 65535 octets and bulk data uses full-size
    tokens (> 60000 octets) both ways;
  - the marker appears on the wire at integrity (so the search works) and
    nowhere at confidentiality in either direction (at selective: nowhere
    in what the gateway sends).
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gssocks_harness import (LEVELS, MIB, Client, Gateway, Mitm, Realm, Sink, Source,  # noqa: E402
                             check_sanitizers, level_octet, main, parse_wrap, require,
                             socks5_connect)

MARKER = b"gssocks-wire-MARKER-7c1f"
BULK = 4 * MIB


class MarkerSource(Source):
    """Sends the marker text, then BULK deterministic bytes."""

    def serve(self, c):
        c.sendall(MARKER * 40)
        super().serve(c)


def run_session(tap, realm, gw, level):
    mitm = Mitm(("127.0.0.1", gw.port))
    cl = Client(realm, "127.0.0.1:%d" % mitm.port, tap, level=level).start()
    sink = Sink()
    rep, s, _ = socks5_connect(cl.addr, "127.0.0.1", sink.port)
    if not tap.eq(rep, 0, "%s: upload CONNECT succeeded" % level):
        return None
    s.sendall(MARKER * 40)
    s.sendall(os.urandom(BULK))
    s.shutdown(1)
    while s.recv(65536):
        pass
    s.close()
    res = sink.wait(1, timeout=60)[0]
    tap.eq(res.get("bytes"), len(MARKER) * 40 + BULK, "%s: upload complete" % level)

    src = MarkerSource(BULK, seed=7)
    rep, s, _ = socks5_connect(cl.addr, "127.0.0.1", src.port)
    if tap.eq(rep, 0, "%s: download CONNECT succeeded" % level):
        s.settimeout(60)
        got = bytearray()
        while True:
            d = s.recv(262144)
            if not d:
                break
            got += d
        s.close()
        tap.eq(len(got), len(MARKER) * 40 + BULK, "%s: download complete" % level)
        tap.ok(got.startswith(MARKER * 40), "%s: download starts with the marker" % level)
    sessions = mitm.wait_sessions(2, timeout=30)
    cl.stop()
    check_sanitizers(tap, cl)
    sink.stop()
    src.stop()
    mitm.stop()
    return sessions


def check_session(tap, level, sess, what):
    name = "%s %s" % (level, what)
    g = sess.greeting
    tap.ok(g["c2s"] is not None and g["c2s"][0] == 5 and 1 in g["c2s"][2:],
           "%s: greeting 05 N .. offers method 01" % name, repr(g["c2s"]))
    tap.eq(g["s2c"], b"\x05\x01", "%s: gateway chose method 01" % name)
    tap.ok(not sess.unparsed["c2s"] and not sess.unparsed["s2c"],
           "%s: everything after the greeting is RFC 1961 frames" % name,
           "unparsed: %r" % {k: bytes(v[:32]) for k, v in sess.unparsed.items()})

    for d in ("c2s", "s2c"):
        seq = [f.mtyp for f in sess.frames if f.dir == d]
        tap.ok(seq and seq[0] == 1 and seq == sorted(seq) and set(seq) == {1, 2, 3},
               "%s %s: frames go mtyp 1.., then 2, then 3.. only" % (name, d), repr(seq[:12]))
        lv = sess.frames_of(d, 2)
        tap.eq(len(lv), 1, "%s %s: exactly one level frame" % (name, d))
        acceptor = d == "s2c"
        for f in lv:
            w = parse_wrap(f.token)
            tap.ok(w is not None and not w.sealed and w.sent_by_acceptor == acceptor,
                   "%s %s: level token is a wrap token, Sealed=0, SentByAcceptor=%d"
                   % (name, d, acceptor), repr(w))
            tap.eq(level_octet(f), LEVELS[level], "%s %s: the level octet is %02d"
                   % (name, d, LEVELS[level]))
        data = sess.frames_of(d, 3)
        wraps = [parse_wrap(f.token) for f in data]
        tap.ok(data and all(w is not None for w in wraps),
               "%s %s: %d data frames, all wrap tokens" % (name, d, len(data)),
               repr([bytes(f.token[:4]) for f in data[:8]]))
        tap.ok(all(w is not None and w.sent_by_acceptor == acceptor for w in wraps),
               "%s %s: data SentByAcceptor=%d" % (name, d, acceptor))
        want = {"integrity": False, "confidentiality": True}.get(level)
        if level == "selective":
            want = True if d == "s2c" else None
        if want is None:
            tap.skip("%s %s: data Sealed flag" % (name, d), "client's choice at selective")
        else:
            tap.ok(all(w is not None and w.sealed == want for w in wraps),
                   "%s %s: data frames Sealed=%d" % (name, d, want),
                   repr(wraps[:4]))
        sizes = [len(f.token) for f in data]
        tap.ok(sizes and max(sizes) <= 65535, "%s %s: tokens <= 65535 octets" % (name, d))
        if (what, d) in (("upload", "c2s"), ("download", "s2c")):
            tap.ok(sizes and max(sizes) > 60000, "%s %s: bulk data uses full-size tokens"
                   % (name, d), "largest token %d" % max(sizes or [0]))


def body(tap):
    require()
    realm = Realm(tap).start()
    gw = Gateway(realm, tap, protection_levels="integrity confidentiality selective").start()
    for level in ("integrity", "confidentiality", "selective"):
        sessions = tap.run(level + " session", run_session, tap, realm, gw, level)
        if not sessions:
            continue
        for sess, what in zip(sessions, ("upload", "download")):
            check_session(tap, level, sess, what)
            # at selective only the gateway's wrapping is specified (confidentiality)
            wire = bytes(sess.raw["s2c"])
            if level != "selective":
                wire += bytes(sess.raw["c2s"])
            if level == "integrity":
                tap.ok(MARKER in wire, "integrity %s: marker visible on the wire (search works)"
                       % what)
            else:
                tap.ok(MARKER not in wire, "%s %s: marker nowhere on the wire" % (level, what))
    tap.ok(gw.alive(), "gssocksd still running")
    gw.stop()
    check_sanitizers(tap, gw)


if __name__ == "__main__":
    main(body)
