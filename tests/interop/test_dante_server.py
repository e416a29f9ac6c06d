#!/usr/bin/python3
"""interop: gssocks-client against Dante's sockd (an independent RFC 1961 server).

For each of Dante's GSS-API protections (gssapi.enctype integrity, then
confidentiality; service rcmd, then socks) a sockd accepting only the gssapi
method serves gssocks-client asking the same level:
  - an upload (client -> sink) and a download (source -> client) of
    GSSOCKS_INTEROP_MIB MiB (default 8) arrive intact (bytes, SHA-256),
    with CONNECT by address and by the name localhost;
  - Dante's session log names the protection it agreed with alice;
  - gssocks-client asking the other level is refused by that sockd (Dante
    accepts only its configured enctype and says so in its log): the local
    client gets no success reply and the target sees no connection.
"""

import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dante_harness as dh  # noqa: E402
from dante_harness import h  # noqa: E402

MIB = h.MIB
NBYTES = int(os.environ.get("GSSOCKS_INTEROP_MIB", "8")) * MIB

CASES = [("integrity", "rcmd"), ("confidentiality", "socks")]
OTHER = {"integrity": "confidentiality", "confidentiality": "integrity"}


def transfers(tap, client, what, host, seed):
    sink = h.Sink("127.0.0.1")
    rep, s, _ = h.socks5_connect(client.addr, host, sink.port)
    if tap.eq(rep, 0, "%s: upload CONNECT %s through sockd succeeded" % (what, host)):
        with s:
            s.settimeout(120)
            h.upload(s, seed, NBYTES)
        res = sink.wait(1, timeout=120)[0]
        tap.eq((res.get("bytes"), res.get("sha256")), (NBYTES, h.det_sha256(seed, NBYTES)),
               "%s: upload of %d MiB arrived intact at the sink (bytes, SHA-256)"
               % (what, NBYTES // MIB))
    sink.stop()

    source = h.Source(NBYTES, seed + 1, "127.0.0.1")
    rep, s, _ = h.socks5_connect(client.addr, host, source.port)
    if tap.eq(rep, 0, "%s: download CONNECT %s through sockd succeeded" % (what, host)):
        with s:
            s.settimeout(120)
            got = h.download(s)
        tap.eq(got, (NBYTES, h.det_sha256(seed + 1, NBYTES)),
               "%s: download of %d MiB arrived intact at the client (bytes, SHA-256)"
               % (what, NBYTES // MIB))
    source.stop()


def refused(tap, realm, sockd, enctype, servicename):
    other = OTHER[enctype]
    what = "sockd %s, gssocks-client asks %s" % (enctype, other)
    client = h.Client(realm, "127.0.0.1:%d" % sockd.port, tap, service=servicename,
                      level=other).start()
    sink = h.Sink("127.0.0.1")
    rep, s = dh.try_connect(tap, client, "127.0.0.1", sink.port, what)
    dh.check_refused(tap, what, rep, s, sink)
    # Dante: "the client requests different authentication from what we offer"
    tap.ok(h.wait_for(lambda: "requests different authentication" in sockd.log_text(), 10),
           "%s: sockd logs that it refused the requested level" % what)
    sink.stop()
    client.stop()


def body(tap):
    realm = dh.setup(tap, binaries=("gssocks-client",))
    if realm is None:
        return
    seed = 500
    for enctype, servicename in CASES:
        sockd = dh.Sockd(realm, tap, enctype=enctype, servicename=servicename).start()
        client = h.Client(realm, "127.0.0.1:%d" % sockd.port, tap, service=servicename,
                          level=enctype).start()
        what = "sockd %s/%s" % (enctype, servicename)
        for host in ("127.0.0.1", "localhost"):
            tap.run("%s via %s" % (what, host), transfers, tap, client, what, host, seed)
            seed += 10
        tap.ok(client.alive(), "%s: gssocks-client still running" % what)
        # Dante's session line: "... gssapi/integrity%alice@GSSOCKS.TEST@127.0.0.1.PORT ..."
        sessions = re.findall(r"gssapi/(\w+)%alice@GSSOCKS\.TEST@", sockd.log_text())
        tap.ok(sessions and all(s == enctype for s in sessions),
               "%s: sockd's log shows gssapi/%s for alice on every session" % (what, enctype),
               "found %r" % sessions)
        client.stop()
        tap.run("%s refuses another level" % what, refused, tap, realm, sockd, enctype,
                servicename)
        tap.ok(sockd.alive(), "%s: sockd still running" % what)
        sockd.stop()
        h.check_sanitizers(tap, client)


if __name__ == "__main__":
    h.main(body)
