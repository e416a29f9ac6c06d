#!/usr/bin/python3
"""interop: Dante's client library (LD_PRELOAD libdsocksd) through gssocksd.

A real, unmodified program -- curl, with --noproxy '*' so that curl itself
knows nothing of any proxy -- runs under Dante's socksifying library, whose
socks.conf routes every TCP connection via gssocksd with `method: gssapi`.
For Dante's gssapi.enctype integrity (service rcmd) and confidentiality
(service socks):
  - curl downloads GSSOCKS_INTEROP_MIB MiB (default 8) from a loopback web
    server (GET) and uploads as much (PUT); both arrive intact (bytes and
    SHA-256 checked at the receiving end);
  - gssocksd's log shows the agreed level (event=auth result=ok
    principal=alice@GSSOCKS.TEST level=...) and the CONNECTs it relayed, so
    the bytes did go through the gateway, not around it.
Then the level negotiation across implementations:
  - Dante without gssapi.enctype (its default: ask confidentiality, accept
    whatever the server answers except clear) against a gateway restricted
    to integrity: gssocksd answers integrity, Dante accepts, curl works;
  - Dante insisting on confidentiality against that gateway: gssocksd
    answers integrity.  Dante 1.4.2's client does not refuse an answer it
    does not accept: it keeps the level it offered (lib/clientprotocol.c,
    clientmethod_gssapi) and wraps the request with confidentiality.  The
    relay, at the agreed level integrity, must reject that frame
    (conf_state 1): the session ends as an unwrap failure, curl fails and
    the web server sees no request.
"""

import hashlib
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dante_harness as dh  # noqa: E402
from dante_harness import h  # noqa: E402

MIB = h.MIB
NBYTES = int(os.environ.get("GSSOCKS_INTEROP_MIB", "8")) * MIB
SEED = 700


class Web(h.WebServer):
    """HTTP/1.0 server on 127.0.0.1: GET /data sends NBYTES deterministic
    bytes; PUT records (bytes, SHA-256) of the body.  Counts requests."""

    def __init__(self):
        self.requests = 0
        self.puts = []
        web = self

        class Handler(h.QuietHandler):
            def do_GET(self):
                web.requests += 1
                if self.path != "/data":
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(NBYTES))
                self.end_headers()
                for chunk in h.det_stream(SEED, NBYTES):
                    self.wfile.write(chunk)

            def do_PUT(self):
                web.requests += 1
                left = int(self.headers.get("Content-Length", "0"))
                sha = hashlib.sha256()
                n = 0
                while left > 0:
                    d = self.rfile.read(min(left, 1 << 20))
                    if not d:
                        break
                    sha.update(d)
                    n += len(d)
                    left -= len(d)
                web.puts.append((n, sha.hexdigest()))
                self.send_response(201)
                self.send_header("Content-Length", "0")
                self.end_headers()

        super().__init__(Handler)


def curl(realm, conf, args, logdir, name):
    """curl under Dante's library; its stderr (curl's and Dante's) to a log."""
    argv = ["curl", "-sS", "--noproxy", "*", "--max-time", "60"] + args
    log = os.path.join(logdir, name + ".log")
    with open(log, "wb") as f:
        f.write(("$ LD_PRELOAD=%s SOCKS_CONF=%s %s\n" %
                 (dh.LIBDSOCKS, conf, " ".join(argv))).encode())
        f.flush()
        r = subprocess.run(argv, env=dh.preload_env(realm, conf), stdout=subprocess.PIPE,
                           stderr=f, timeout=120)
    return r, log


def auth_levels(gw, since):
    """Levels of the event=auth result=ok lines for alice after offset SINCE."""
    return re.findall(r"event=auth session=\d+ result=ok principal=alice@GSSOCKS\.TEST "
                      r"level=(\w+)", gw.log_text()[since:])


def relayed(gw, since, port):
    """event=request lines for CONNECT to PORT that the master allowed."""
    return [l for l in gw.log_text()[since:].splitlines()
            if "event=request" in l and "cmd=connect" in l and ":%d " % port in l
            and "result=allowed" in l]


def round_trip(tap, realm, gw, web, logdir, enctype, servicename):
    what = "Dante client %s/%s" % (enctype, servicename)
    conf = dh.socks_conf(os.path.join(logdir, "socks-%s.conf" % enctype), gw.port,
                         enctype, servicename)
    since = len(gw.log_text())
    url = "http://127.0.0.1:%d/data" % web.port

    out = os.path.join(logdir, "got-%s" % enctype)
    r, log = curl(realm, conf, ["-o", out, url], logdir, "get-" + enctype)
    got = (0, "")
    if os.path.exists(out):
        with open(out, "rb") as f:
            data = f.read()
        got = (len(data), hashlib.sha256(data).hexdigest())
        os.unlink(out)
    tap.ok(r.returncode == 0, "%s: curl GET through gssocksd exits 0" % what,
           "exit %d; log %s" % (r.returncode, log))
    tap.eq(got, (NBYTES, h.det_sha256(SEED, NBYTES)),
           "%s: %d MiB downloaded intact (bytes, SHA-256)" % (what, NBYTES // MIB))

    src = os.path.join(logdir, "put-%s" % enctype)
    with open(src, "wb") as f:
        for chunk in h.det_stream(SEED + 1, NBYTES):
            f.write(chunk)
    puts = len(web.puts)
    r, log = curl(realm, conf, ["-T", src, "http://127.0.0.1:%d/upload" % web.port],
                  logdir, "put-" + enctype)
    os.unlink(src)
    tap.ok(r.returncode == 0, "%s: curl PUT through gssocksd exits 0" % what,
           "exit %d; log %s" % (r.returncode, log))
    tap.eq(web.puts[puts:], [(NBYTES, h.det_sha256(SEED + 1, NBYTES))],
           "%s: %d MiB uploaded intact (bytes, SHA-256 at the server)" % (what, NBYTES // MIB))

    h.wait_for(lambda: len(auth_levels(gw, since)) >= 2, 10)
    levels = auth_levels(gw, since)
    tap.ok(len(levels) >= 2 and all(l == enctype for l in levels),
           "%s: gssocksd logs event=auth result=ok alice level=%s for each session"
           % (what, enctype), "levels logged: %r" % levels)
    tap.ok(len(relayed(gw, since, web.port)) >= 2,
           "%s: gssocksd relayed the CONNECTs to the web server" % what,
           "\n".join(l for l in gw.log_text()[since:].splitlines() if "event=" in l))


def negotiation(tap, realm, web, logdir):
    gw = h.Gateway(realm, tap, protection_levels="integrity",
                   preferred_level="integrity").start()
    url = "http://127.0.0.1:%d/data" % web.port

    since = len(gw.log_text())
    conf = dh.socks_conf(os.path.join(logdir, "socks-default.conf"), gw.port, None, "rcmd")
    r, log = curl(realm, conf, ["-o", "/dev/null", "-w", "%{size_download}", url], logdir,
                  "get-default")
    tap.ok(r.returncode == 0 and r.stdout == str(NBYTES).encode(),
           "gateway integrity only, Dante default enctype: curl fetches %d octets" % NBYTES,
           "exit %d, stdout %r; log %s" % (r.returncode, r.stdout[:100], log))
    h.wait_for(lambda: auth_levels(gw, since), 10)
    tap.eq(auth_levels(gw, since), ["integrity"],
           "gateway integrity only, Dante default enctype: gssocksd agreed integrity")

    before = web.requests
    since = len(gw.log_text())
    conf = dh.socks_conf(os.path.join(logdir, "socks-conf-only.conf"), gw.port,
                         "confidentiality", "rcmd")
    r, log = curl(realm, conf, ["-o", "/dev/null", url], logdir, "get-conf-refused")
    what = "gateway integrity only, Dante insists on confidentiality"
    tap.ok(r.returncode != 0, "%s: curl fails (exit %d)" % (what, r.returncode))
    tap.eq(web.requests, before, "%s: no request arrived" % what)

    def ended():
        return re.findall(r"event=end session=\d+ reason=(\S+)", gw.log_text()[since:])
    h.wait_for(ended, 10)
    tap.ok(any("unwrap" in e for e in ended()),
           "%s: the relay rejected Dante's confidentiality frame at level integrity "
           "(session end reason is an unwrap failure)" % what, "end reasons: %r" % ended())
    tap.ok(gw.alive(), "gssocksd (integrity only) still running")
    gw.stop()
    h.check_sanitizers(tap, gw)


def body(tap):
    realm = dh.setup(tap, programs=("curl",))
    if realm is None:
        return
    logdir = h.tempdir("gssocks-dante-client-")
    web = Web()

    gw = h.Gateway(realm, tap).start()
    for enctype, servicename in (("integrity", "rcmd"), ("confidentiality", "socks")):
        tap.run("Dante client %s" % enctype, round_trip, tap, realm, gw, web, logdir,
                enctype, servicename)
    tap.ok(gw.alive(), "gssocksd still running after the Dante client sessions")
    gw.stop()
    h.check_sanitizers(tap, gw)

    tap.run("level negotiation with Dante", negotiation, tap, realm, web, logdir)
    h.attach_logs(tap, logdir, "curl under Dante ", ".log")


if __name__ == "__main__":
    h.main(body)
