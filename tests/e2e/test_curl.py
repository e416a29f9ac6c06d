#!/usr/bin/python3
"""e2e: Debian's curl (7.88) through gssocksd.

curl speaks RFC 1961 authentication but never encapsulates: it asks for
protection level 00 and proceeds only if the gateway answers 00 ("clear").
  - allow-clear yes: curl fetches a page from a loopback http.server via
    socks5h://localhost:PORT (service rcmd, target name rcmd@localhost) and
    via --socks5-hostname 127.0.0.1:PORT (rcmd@127.0.0.1);
  - allow-clear no: curl fails and the web server sees no request;
  - NEC mode (--socks5-gssapi-nec, level octet unwrapped) works only with
    allow-nec yes.
"""

import http.server
import os
import subprocess
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gssocks_harness import (CLEANUP, Gateway, Realm, check_sanitizers, main,  # noqa: E402
                             require, tempdir)

PAGE = b"<html><body><h1>gssocks curl page 5d0e</h1></body></html>\n"


class Web:
    """http.server on 127.0.0.1 serving PAGE at /page.html; counts requests."""

    def __init__(self):
        self.requests = 0
        web = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                web.requests += 1
                body = PAGE if self.path == "/page.html" else b"not found\n"
                self.send_response(200 if self.path == "/page.html" else 404)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        CLEANUP.push(self.stop)

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def curl(realm, args, logdir, name):
    argv = ["curl", "-sS", "--max-time", "20", "--socks5-gssapi",
            "--socks5-gssapi-service", "rcmd"] + args
    r = subprocess.run(argv, env=realm.env, capture_output=True, timeout=60)
    with open(os.path.join(logdir, name + ".log"), "wb") as f:
        f.write(b"$ " + " ".join(argv).encode() + b"\n" + r.stderr)
    return r


def body(tap):
    require(programs=("curl",))
    realm = Realm(tap).start()
    logdir = tempdir("gssocks-curl-")
    web = Web()
    url = "http://localhost:%d/page.html" % web.port

    gw = Gateway(realm, tap, allow_clear="yes", allow_nec="yes").start()
    for proxy in (["-x", "socks5h://localhost:%d" % gw.port],
                  ["--socks5-hostname", "127.0.0.1:%d" % gw.port]):
        r = curl(realm, proxy + [url], logdir, "clear")
        tap.ok(r.returncode == 0 and r.stdout == PAGE,
               "allow-clear yes: curl %s fetches the page" % " ".join(proxy),
               "exit %d, stdout %r, stderr %r" % (r.returncode, r.stdout[:200], r.stderr[-500:]))
    before = web.requests
    r = curl(realm, ["--socks5-gssapi-nec", "-x", "socks5h://localhost:%d" % gw.port, url],
             logdir, "nec")
    tap.ok(r.returncode == 0 and r.stdout == PAGE and web.requests == before + 1,
           "allow-nec yes: curl --socks5-gssapi-nec fetches the page",
           "exit %d, stderr %r" % (r.returncode, r.stderr[-500:]))
    tap.ok(gw.alive(), "gssocksd (allow-clear yes) still running")
    gw.stop()
    check_sanitizers(tap, gw)

    gw = Gateway(realm, tap, allow_clear="no").start()
    before = web.requests
    r = curl(realm, ["-x", "socks5h://localhost:%d" % gw.port, url], logdir, "noclear")
    tap.ok(r.returncode != 0, "allow-clear no: curl fails (exit %d)" % r.returncode,
           "stdout %r" % r.stdout[:200])
    tap.eq(web.requests, before, "allow-clear no: the web server saw no request")
    tap.ok(gw.alive(), "gssocksd (allow-clear no) still running")
    gw.stop()
    check_sanitizers(tap, gw)

    gw = Gateway(realm, tap, allow_clear="yes", allow_nec="no").start()
    before = web.requests
    r = curl(realm, ["--socks5-gssapi-nec", "-x", "socks5h://localhost:%d" % gw.port, url],
             logdir, "nonec")
    tap.ok(r.returncode != 0 and web.requests == before,
           "allow-nec no: curl --socks5-gssapi-nec fails (exit %d)" % r.returncode)
    r = curl(realm, ["-x", "socks5h://localhost:%d" % gw.port, url], logdir, "clear2")
    tap.ok(r.returncode == 0 and r.stdout == PAGE,
           "allow-nec no: curl without NEC still fetches the page",
           "exit %d, stderr %r" % (r.returncode, r.stderr[-500:]))
    gw.stop()
    check_sanitizers(tap, gw)
    if tap.failed:
        for name in sorted(os.listdir(logdir)):
            tap.add_log("curl " + name, os.path.join(logdir, name))


if __name__ == "__main__":
    main(body)
