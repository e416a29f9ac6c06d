#!/usr/bin/python3
"""e2e: bulk transfers through gssocks-client -> gssocksd at each protection level.

For integrity, confidentiality and selective: an upload (client -> sink,
SHA-256 compared at the sink) and a download (source -> client, SHA-256
compared at the client) of GSSOCKS_E2E_MIB MiB (default 64), with CONNECT
by 127.0.0.1, by ::1 (target listening on ::1) and by the name localhost.
The big transfers rotate over the three address forms; the other
combinations move 1 MiB, so every level meets every address form.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gssocks_harness import (MIB, Client, Gateway, Realm, Sink, Source, check_sanitizers,  # noqa: E402
                             det_sha256, download, ipv6_loopback, main, require,
                             socks5_connect, upload)

BIG = int(os.environ.get("GSSOCKS_E2E_MIB", "64")) * MIB
SMALL = 1 * MIB


def transfer_pair(tap, client, level, host, nbytes, seed):
    """Upload and download NBYTES with CONNECT to HOST; two test points each."""
    what = "%s, CONNECT %s, %d MiB" % (level, host, nbytes // MIB)
    target_host = "::1" if host == "::1" else "127.0.0.1"

    sink = Sink(target_host)
    rep, s, _ = socks5_connect(client.addr, host, sink.port)
    if not tap.eq(rep, 0, "%s: upload CONNECT succeeded" % what):
        sink.stop()
    else:
        with s:
            s.settimeout(120)
            upload(s, seed, nbytes)
        res = sink.wait(1, timeout=120)[0]
        tap.eq((res.get("bytes"), res.get("sha256")), (nbytes, det_sha256(seed, nbytes)),
               "%s: upload arrived intact at the sink (bytes, SHA-256)" % what)
        sink.stop()

    source = Source(nbytes, seed + 1, target_host)
    rep, s, _ = socks5_connect(client.addr, host, source.port)
    if tap.eq(rep, 0, "%s: download CONNECT succeeded" % what):
        with s:
            s.settimeout(120)
            got = download(s)
        tap.eq(got, (nbytes, det_sha256(seed + 1, nbytes)),
               "%s: download arrived intact at the client (bytes, SHA-256)" % what)
    source.stop()


def body(tap):
    require()
    realm = Realm(tap).start()
    gw = Gateway(realm, tap, protection_levels="integrity confidentiality selective").start()
    hosts = ["127.0.0.1", "::1", "localhost"]
    if not ipv6_loopback():
        hosts.remove("::1")
    levels = ["integrity", "confidentiality", "selective"]
    clients = []
    seed = 100
    for i, level in enumerate(levels):
        client = Client(realm, "127.0.0.1:%d" % gw.port, tap, level=level).start()
        clients.append(client)
        for j, host in enumerate(hosts):
            big = (j == i % len(hosts))
            tap.run("%s via %s" % (level, host), transfer_pair, tap, client, level, host,
                    BIG if big else SMALL, seed)
            seed += 10
        if "::1" not in hosts:
            tap.skip("%s: CONNECT ::1" % level, "no IPv6 loopback on this host")
        tap.ok(client.alive(), "%s: gssocks-client still running" % level)
    tap.ok(gw.alive(), "gssocksd still running after all transfers")
    for c in clients:
        c.stop()
    gw.stop()
    check_sanitizers(tap, gw, *clients)


if __name__ == "__main__":
    main(body)
