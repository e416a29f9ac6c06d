#!/usr/bin/python3
"""interop: the opt-in variants against Dante -- "clear" and NEC mode.

Both are off by default in gssocksd (allow-clear, allow-nec) and both exist
in Dante (gssapi.enctype: clear; clientcompatibility: necgssapi, where the
level octet travels unwrapped).  Each is checked both ways, with a second
real program: python3 run under Dante's client library (LD_PRELOAD).

Dante client -> gssocksd:
  - enctype clear, allow-clear yes: 1 MiB download and upload intact,
    gssocksd logs level=clear;
  - enctype clear, allow-clear no: gssocksd does not agree to clear (it
    answers its preferred level; Dante 1.4.2 goes on in clear anyway and
    sends a plain request, which the relay rejects): the program fails and
    the target sees no connection;
  - necgssapi + integrity, allow-nec yes: transfers intact, gssocksd logs
    level=integrity nec=yes;
  - necgssapi, allow-nec no: authentication fails (event=auth result=fail),
    no connection to the target.
gssocks-client -> Dante's sockd:
  - -L clear against gssapi.enctype clear: transfers intact, Dante logs
    gssapi/clear;
  - --nec -L integrity against necgssapi + integrity: transfers intact,
    Dante logs gssapi/integrity;
  - --nec against a sockd without necgssapi: refused, no connection to the
    target.
"""

import hashlib
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dante_harness as dh  # noqa: E402
from dante_harness import h  # noqa: E402

NBYTES = 1 * h.MIB
PY = "/usr/bin/python3"

# The program run under Dante's library: download (read to EOF) or upload
# (send a file, half-close, read to EOF); prints "<bytes> <sha256>".
PROGRAM = r"""
import hashlib, socket, sys
mode, port = sys.argv[1], int(sys.argv[2])
s = socket.create_connection(("127.0.0.1", port), timeout=60)
h = hashlib.sha256()
n = 0
if mode == "upload":
    with open(sys.argv[3], "rb") as f:
        data = f.read()
    s.sendall(data)
    s.shutdown(socket.SHUT_WR)
    h.update(data)
    n = len(data)
    while s.recv(65536):
        pass
else:
    while True:
        d = s.recv(65536)
        if not d:
            break
        h.update(d)
        n += len(d)
print(n, h.hexdigest())
"""


def preloaded(realm, conf, args, logdir, name):
    log = os.path.join(logdir, name + ".log")
    with open(log, "wb") as f:
        r = subprocess.run([PY, "-c", PROGRAM] + args, env=dh.preload_env(realm, conf),
                           stdout=subprocess.PIPE, stderr=f, timeout=120)
    return r, log


def dante_to_gssocksd(tap, realm, logdir, name, gwconf, conf_lines, expect_ok):
    gw = h.Gateway(realm, tap, **gwconf).start()
    conf = dh.socks_conf(os.path.join(logdir, name + ".conf"), gw.port, None, "rcmd",
                         extra=conf_lines)
    what = "Dante client (%s) -> gssocksd (%s)" % (
        ", ".join(conf_lines), ", ".join("%s %s" % (k.replace("_", "-"), v)
                                         for k, v in gwconf.items()))
    source = h.Source(NBYTES, 41)
    r, log = preloaded(realm, conf, ["download", str(source.port)], logdir, name + "-get")
    if expect_ok:
        tap.eq(r.stdout.decode().split(), [str(NBYTES), h.det_sha256(41, NBYTES)],
               "%s: download intact (bytes, SHA-256)" % what)
        data = os.path.join(logdir, name + ".data")
        with open(data, "wb") as f:
            for chunk in h.det_stream(42, NBYTES):
                f.write(chunk)
        sink = h.Sink()
        r, log = preloaded(realm, conf, ["upload", str(sink.port), data], logdir,
                           name + "-put")
        res = sink.wait(1, timeout=60)[0] if r.returncode == 0 else {}
        tap.eq((res.get("bytes"), res.get("sha256")), (NBYTES, h.det_sha256(42, NBYTES)),
               "%s: upload intact at the sink (bytes, SHA-256)" % what)
        sink.stop()
    else:
        tap.ok(r.returncode != 0, "%s: the program fails (exit %d)" % (what, r.returncode))
        tap.eq(len(source.conns), 0, "%s: the target saw no connection" % what)
    source.stop()
    tap.ok(gw.alive(), "%s: gssocksd still running" % what)
    gw.stop()
    h.check_sanitizers(tap, gw)
    return what, gw.log_text()


def gssocks_to_sockd(tap, realm, enctype, client_rule_extra, level, client_extra, expect_ok):
    sockd = dh.Sockd(realm, tap, enctype=enctype,
                     client_rule_extra=client_rule_extra).start()
    client = h.Client(realm, "127.0.0.1:%d" % sockd.port, tap, level=level,
                      extra=client_extra).start()
    what = "gssocks-client (-L %s%s) -> sockd (%s%s)" % (
        level, "".join(" " + a for a in client_extra), enctype,
        "".join(", " + a for a in client_rule_extra))
    source = h.Source(NBYTES, 51)
    rep, s = dh.try_connect(tap, client, "127.0.0.1", source.port, what)
    if expect_ok:
        got = None
        if s is not None:
            with s:
                s.settimeout(60)
                got = h.download(s)
        tap.eq(got, (NBYTES, h.det_sha256(51, NBYTES)), "%s: download intact" % what)
        sink = h.Sink()
        rep, s, _ = h.socks5_connect(client.addr, "127.0.0.1", sink.port)
        if s is not None:
            with s:
                s.settimeout(60)
                h.upload(s, 52, NBYTES)
            res = sink.wait(1, timeout=60)[0]
        else:
            res = {}
        tap.eq((res.get("bytes"), res.get("sha256")), (NBYTES, h.det_sha256(52, NBYTES)),
               "%s: upload intact at the sink" % what)
        sink.stop()
        sessions = re.findall(r"gssapi/(\w+)%alice@GSSOCKS\.TEST@", sockd.log_text())
        tap.ok(sessions and all(x == enctype for x in sessions),
               "%s: sockd's log shows gssapi/%s for alice" % (what, enctype),
               "found %r" % sessions)
    else:
        dh.check_refused(tap, what, rep, s, source)
    source.stop()
    client.stop()
    tap.ok(sockd.alive(), "%s: sockd still running" % what)
    sockd.stop()
    h.check_sanitizers(tap, client)


def auth_lines(log):
    return [l for l in log.splitlines() if "event=auth" in l]


def body(tap):
    realm = dh.setup(tap)
    if realm is None:
        return
    logdir = h.tempdir("gssocks-dante-variants-")

    what, log = dante_to_gssocksd(tap, realm, logdir, "clear-yes", {"allow_clear": "yes"},
                                  ["gssapi.enctype: clear"], True)
    tap.ok(any(re.search(r"result=ok principal=alice@GSSOCKS\.TEST level=clear ", l)
               for l in auth_lines(log)),
           "%s: gssocksd logs level=clear" % what, "\n".join(auth_lines(log)))

    what, log = dante_to_gssocksd(tap, realm, logdir, "clear-no", {"allow_clear": "no"},
                                  ["gssapi.enctype: clear"], False)
    tap.ok(not any("level=clear" in l for l in auth_lines(log)),
           "%s: gssocksd never agreed to clear" % what, "\n".join(auth_lines(log)))

    nec = ["clientcompatibility: necgssapi", "gssapi.enctype: integrity"]
    what, log = dante_to_gssocksd(tap, realm, logdir, "nec-yes", {"allow_nec": "yes"}, nec,
                                  True)
    tap.ok(any(re.search(r"result=ok principal=alice@GSSOCKS\.TEST level=integrity nec=yes",
                         l) for l in auth_lines(log)),
           "%s: gssocksd logs level=integrity nec=yes" % what, "\n".join(auth_lines(log)))

    what, log = dante_to_gssocksd(tap, realm, logdir, "nec-no", {"allow_nec": "no"}, nec,
                                  False)
    tap.ok(any("result=fail" in l for l in auth_lines(log))
           and not any("result=ok" in l for l in auth_lines(log)),
           "%s: gssocksd logs the authentication as failed" % what,
           "\n".join(auth_lines(log)))

    tap.run("clear to sockd", gssocks_to_sockd, tap, realm, "clear", [], "clear", [], True)
    tap.run("NEC to sockd", gssocks_to_sockd, tap, realm, "integrity",
            ["clientcompatibility: necgssapi"], "integrity", ["--nec"], True)
    tap.run("NEC to sockd without necgssapi", gssocks_to_sockd, tap, realm, "integrity", [],
            "integrity", ["--nec"], False)
    h.attach_logs(tap, logdir, "python3 under Dante ", ".log")


if __name__ == "__main__":
    h.main(body)
