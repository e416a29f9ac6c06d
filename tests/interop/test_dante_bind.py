#!/usr/bin/python3
"""interop: BIND across implementations, protected by GSS-API both ways.

  - Dante's client library (LD_PRELOAD libdsocksd) doing a BIND through
    gssocksd, for Dante's gssapi.enctype integrity and confidentiality: an
    unmodified program (tests/interop/bind_app.py: bind to port 0, listen,
    getsockname, accept) learns the gateway's address from getsockname, a
    loopback peer connects there, accept returns that peer, and
    GSSOCKS_INTEROP_BIND_MIB MiB (default 4) go each way intact (bytes,
    SHA-256); gssocksd's records show the BIND (event=request cmd=bind,
    event=bind result=accepted with the peer) at the level Dante asked.
  - gssocks-client's BIND through Dante's sockd (gssapi.enctype
    integrity): the first reply names sockd's external address and a
    port, a loopback peer connects there, the second reply names the peer,
    and as much goes each way intact; sockd's log shows the bindreply.
"""

import os
import socket
import subprocess
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dante_harness as dh  # noqa: E402
from dante_harness import h  # noqa: E402

MIB = h.MIB
NBYTES = int(os.environ.get("GSSOCKS_INTEROP_BIND_MIB", "4")) * MIB
BIND_APP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "bind_app.py")


def exchange(sock, seed, nbytes):
    """Send NBYTES of stream SEED (then half-close) while reading to EOF:
    returns (bytes read, SHA-256)."""
    def send():
        for chunk in h.det_stream(seed, nbytes):
            sock.sendall(chunk)
        sock.shutdown(socket.SHUT_WR)
    t = threading.Thread(target=send, daemon=True)
    t.start()
    got = h.download(sock)
    t.join(120)
    return got


def read_line(proc, want):
    line = proc.stdout.readline().decode(errors="replace").split()
    return line[1:] if line and line[0] == want else None


def dante_client_bind(tap, realm, gw, enctype, seed):
    what = "Dante client %s -> gssocksd" % enctype
    conf = dh.socks_conf(os.path.join(gw.dir, "socks-%s.conf" % enctype), gw.port, enctype,
                         "rcmd")
    env = dh.preload_env(realm, conf)
    env["GSSOCKS_SOURCE"] = h.SOURCE
    errlog = open(os.path.join(gw.dir, "bind_app-%s.log" % enctype), "wb")
    tap.add_log("%s: bind_app stderr" % what, errlog.name)
    proc = subprocess.Popen([sys.executable, BIND_APP, str(seed + 1), str(NBYTES)], env=env,
                            stdout=subprocess.PIPE, stderr=errlog)
    h.CLEANUP.push(proc.kill)
    peer_port = None
    try:
        listen = read_line(proc, "LISTEN")
        if not tap.ok(listen is not None and listen[0] == "127.0.0.1" and listen[1] != "0",
                      "%s: getsockname gives the gateway's address and port" % what,
                      repr(listen)):
            return
        peer = socket.create_connection(("127.0.0.1", int(listen[1])), timeout=60)
        peer_port = peer.getsockname()[1]
        with peer:
            got_peer = read_line(proc, "PEER")
            tap.eq(got_peer, ["127.0.0.1", str(peer_port)],
                   "%s: accept returns the peer" % what)
            peer.settimeout(120)
            got = exchange(peer, seed, NBYTES)
        tap.eq(got, (NBYTES, h.det_sha256(seed + 1, NBYTES)),
               "%s: %d MiB program -> peer intact (bytes, SHA-256)" % (what, NBYTES // MIB))
        app_got = read_line(proc, "GOT")
        tap.eq(app_got, [str(NBYTES), h.det_sha256(seed, NBYTES)],
               "%s: %d MiB peer -> program intact (bytes, SHA-256)" % (what, NBYTES // MIB))
        tap.eq(proc.wait(60), 0, "%s: the program ends well" % what)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        errlog.close()
    auth = gw.syslog.wait(event="auth", result="ok", level=enctype)
    tap.ok(bool(auth), "%s: gssocksd agreed %s with Dante" % (what, enctype))
    acc = gw.syslog.wait(event="bind", result="accepted", peer="127.0.0.1:%d" % peer_port)
    tap.ok(bool(acc), "%s: gssocksd's event=bind result=accepted names the peer" % what,
           repr([r["text"] for r in gw.syslog.records(event="bind")]))


def client_bind_through_sockd(tap, realm, seed):
    what = "gssocks-client -> sockd integrity"
    sockd = dh.Sockd(realm, tap, enctype="integrity", bind=True).start()
    client = h.Client(realm, "127.0.0.1:%d" % sockd.port, tap, level="integrity").start()
    try:
        rep, app, bound = h.socks5_bind(client.addr, "127.0.0.1", 0, timeout=60)
        if not tap.eq(rep, 0, "%s: first reply REP 00" % what):
            return
        with app:
            tap.ok(bound[0] == "127.0.0.1" and bound[1] != 0,
                   "%s: first reply names sockd's external address and a port" % what,
                   repr(bound))
            peer = socket.create_connection(("127.0.0.1", bound[1]), timeout=60)
            with peer:
                app.settimeout(60)
                rep2, who = h.socks5_read_reply(app)
                tap.eq((rep2, who), (0, peer.getsockname()),
                       "%s: second reply REP 00 names the peer" % what)
                app.settimeout(120)
                peer.settimeout(120)
                result = {}
                t = threading.Thread(
                    target=lambda: result.update(peer=exchange(peer, seed + 1, NBYTES)),
                    daemon=True)
                t.start()
                got = exchange(app, seed, NBYTES)
                t.join(180)
            tap.eq(got, (NBYTES, h.det_sha256(seed + 1, NBYTES)),
                   "%s: %d MiB peer -> program intact (bytes, SHA-256)" % (what, NBYTES // MIB))
            tap.eq(result.get("peer"), (NBYTES, h.det_sha256(seed, NBYTES)),
                   "%s: %d MiB program -> peer intact (bytes, SHA-256)" % (what, NBYTES // MIB))
        tap.ok(h.wait_for(lambda: "bindreply" in sockd.log_text(), 10),
               "%s: sockd's log shows the bindreply" % what)
        tap.ok(client.alive() and sockd.alive(), "%s: both still running" % what)
    finally:
        client.stop()
        sockd.stop()
    h.check_sanitizers(tap, client)


def body(tap):
    realm = dh.setup(tap, binaries=("gssocksd", "gssocks-authproc", "gssocks-relay",
                                    "gssocks-client"))
    if realm is None:
        return
    gw = h.Gateway(realm, tap, protection_levels="integrity confidentiality",
                   bind_timeout="30").start()
    seed = 900
    for enctype in ("integrity", "confidentiality"):
        tap.run("Dante client BIND %s" % enctype, dante_client_bind, tap, realm, gw, enctype,
                seed)
        seed += 10
    tap.ok(gw.alive(), "gssocksd still running")
    gw.stop()
    h.check_sanitizers(tap, gw)
    tap.run("gssocks-client BIND through sockd", client_bind_through_sockd, tap, realm, seed)


if __name__ == "__main__":
    h.main(body)
