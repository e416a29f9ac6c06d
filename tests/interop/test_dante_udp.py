#!/usr/bin/python3
"""interop: UDP ASSOCIATE across implementations, protected by GSS-API.

  - Dante's client library (LD_PRELOAD libdsocksd) doing UDP through
    gssocksd, for Dante's gssapi.enctype integrity and confidentiality: an
    unmodified program (tests/interop/udp_app.py: sendto/recvfrom) gets
    every datagram echoed back intact, from the echo server's address;
    gssocksd's records show the association (event=request cmd=udp
    result=allowed, event=udp-destination result=allowed) and its end
    record counts the datagrams each way.
  - gssocks-client's UDP through Dante's sockd (gssapi.enctype integrity
    and confidentiality, udpassociate and udpreply passed): datagrams of
    sizes up to 8 KiB go to a UDP echo server and come back intact, with
    the echo server's address in the SOCKS header.
"""

import os
import socket
import struct
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
import dante_harness as dh  # noqa: E402
from dante_harness import h  # noqa: E402
from test_udp import UdpEcho, udp_header  # noqa: E402

UDP_APP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "udp_app.py")
COUNT = int(os.environ.get("GSSOCKS_INTEROP_UDP_COUNT", "200"))
MAXSIZE = 8192


def dante_client_udp(tap, realm, gw, echo, enctype, index):
    what = "Dante client %s -> gssocksd" % enctype
    conf = dh.socks_conf(os.path.join(gw.dir, "socks-%s.conf" % enctype), gw.port, enctype,
                         "rcmd")
    env = dh.preload_env(realm, conf)
    errlog = os.path.join(gw.dir, "udp_app-%s.log" % enctype)
    tap.add_log("%s: udp_app stderr" % what, errlog)
    with open(errlog, "wb") as err:
        r = subprocess.run([sys.executable, UDP_APP, "127.0.0.1", str(echo.port), str(COUNT),
                            str(MAXSIZE), str(300 + index)], env=env, stdout=subprocess.PIPE,
                           stderr=err, timeout=300)
    out = r.stdout.decode(errors="replace").strip()
    tap.eq(out, "OK %d" % COUNT, "%s: %d datagrams (1..%d octets) echoed intact, from the "
           "echo server's address" % (what, COUNT, MAXSIZE))
    tap.eq(r.returncode, 0, "%s: the program ends well" % what)
    req = gw.syslog.wait(event="request", cmd="udp", result="allowed", count=index + 1)
    tap.ok(len(req) > index, "%s: gssocksd granted the UDP ASSOCIATE" % what,
           gw.syslog.text()[-2000:])
    dest = gw.syslog.wait(event="udp-destination", result="allowed", count=index + 1)
    tap.ok(len(dest) > index and dest[-1]["kv"].get("dst") == "127.0.0.1:%d" % echo.port,
           "%s: one event=udp-destination result=allowed for the echo server" % what)
    ends = [e for e in gw.syslog.wait(event="end", count=index + 1)
            if "datagrams_from_client" in e["kv"]]
    kv = ends[-1]["kv"] if len(ends) > index else {}
    tap.ok(kv.get("datagrams_from_client") == str(COUNT) and
           kv.get("datagrams_to_client") == str(COUNT),
           "%s: the end record counts %d datagrams each way" % (what, COUNT), repr(kv))


def client_udp_through_sockd(tap, realm, echo, enctype):
    what = "gssocks-client -> sockd %s" % enctype
    sockd = dh.Sockd(realm, tap, enctype=enctype, udp=True).start()
    client = h.Client(realm, "127.0.0.1:%d" % sockd.port, tap, level=enctype).start()
    try:
        ctl = socket.create_connection(client.addr, timeout=30)
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        udp.bind(("127.0.0.1", 0))
        udp.settimeout(10)
        with ctl, udp:
            ctl.sendall(b"\x05\x01\x00")
            h.recv_exact(ctl, 2)
            ctl.sendall(h.socks5_request(3, "127.0.0.1", udp.getsockname()[1]))
            reply = h.recv_exact(ctl, 10)
            if not tap.eq(reply[1], 0, "%s: UDP ASSOCIATE granted" % what):
                return
            relay = (socket.inet_ntoa(reply[4:8]), struct.unpack("!H", reply[8:10])[0])
            head = udp_header("127.0.0.1", echo.port)
            bad = None
            for i, n in enumerate([1, MAXSIZE] + [(i * 997) % MAXSIZE + 1
                                                  for i in range(COUNT - 2)]):
                data = bytes((i + k) & 0xff for k in range(n))
                udp.sendto(head + data, relay)
                try:
                    got, _ = udp.recvfrom(65536)
                except socket.timeout:
                    bad = "datagram %d (%d octets): no answer" % (i, n)
                    break
                if got != head + data:
                    bad = "datagram %d (%d octets) differs: %r" % (i, n, got[:16])
                    break
            tap.ok(bad is None, "%s: %d datagrams (1..%d octets) echoed intact with the echo "
                   "server's address" % (what, COUNT, MAXSIZE), bad)
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
    echo = UdpEcho()
    policy = {"default": ("levels integrity confidentiality\n"
                          "preferred confidentiality\n"
                          "allow udp 127.0.0.1\n"
                          "allow connect any\n")}
    gw = h.Gateway(realm, tap, policy=policy,
                   protection_levels="integrity confidentiality").start()
    for index, enctype in enumerate(("integrity", "confidentiality")):
        tap.run("Dante client UDP %s" % enctype, dante_client_udp, tap, realm, gw, echo,
                enctype, index)
    tap.ok(gw.alive(), "gssocksd still running")
    gw.stop()
    h.check_sanitizers(tap, gw)
    for enctype in ("integrity", "confidentiality"):
        tap.run("gssocks-client UDP through sockd %s" % enctype, client_udp_through_sockd,
                tap, realm, echo, enctype)
    echo.stop()


if __name__ == "__main__":
    h.main(body)
