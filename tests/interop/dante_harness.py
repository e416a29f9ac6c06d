"""Dante (sockd and its LD_PRELOAD client library) for the interop tests.

Trust zone: test tooling.  Dante is an independent SOCKS V5 + GSS-API
implementation (Inferno Nettverk); Debian ships it without GSS-API, so
build-dante.sh builds Debian's source package with GSS-API once per build
tree (GSSOCKS_BUILD/dante, or GSSOCKS_DANTE_DIR) and caches the result.

Design: this module adds only what is Dante-specific -- the build, a sockd
instance and the client library's socks.conf/environment -- on top of the
e2e harness (tests/e2e/gssocks_harness.py: realm, gssocksd, gssocks-client,
target servers, TAP, cleanup), which it imports rather than repeats.

Configuration facts checked against Dante 1.4.2's own documentation and
parser (doc/sockd.conf.5, doc/socks.conf.5, lib/config_parse.y):
  - server: the GSS-API settings (gssapi.keytab, gssapi.servicename,
    gssapi.enctype) must be in the client-rule, because method negotiation
    happens under the client-rule; the socks-rule repeats them and carries
    `socksmethod: gssapi`.  Its info-level log names the agreed protection
    in each session line: `gssapi/integrity%alice@GSSOCKS.TEST@...`.
  - server run as root: user.privileged/unprivileged are set to the current
    user (root works, with a warning), so the keytab stays readable.
  - client: a route takes `method: gssapi` (`socksmethod` is not a route
    keyword), `gssapi.enctype` integrity|confidentiality, and
    `gssapi.servicename`; the library auto-adds direct routes for every
    local interface network, loopback included, unless
    SOCKS_AUTOADD_LANROUTES=no, so the tests set it.
"""

import os
import pwd
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.environ.get("GSSOCKS_SOURCE") or os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(SOURCE, "tests", "e2e"))

import gssocks_harness as h  # noqa: E402

BUILD_SCRIPT = os.path.join(HERE, "build-dante.sh")
DANTE_DIR = os.environ.get("GSSOCKS_DANTE_DIR") or os.path.join(h.BUILD, "dante")
SOCKD = os.path.join(DANTE_DIR, "sbin", "sockd")
LIBDSOCKS = os.path.join(DANTE_DIR, "lib", "libdsocksd.so")

# The first build takes a few minutes on 2 cores; a concurrent test waits
# for it (build-dante.sh holds a lock).
BUILD_TIMEOUT = 1500


def ensure_dante(tap):
    """Build Dante if needed.  No source here: the script skips (1..0 # SKIP).
    A failed build is one failed test point; returns False then."""
    try:
        r = subprocess.run(["bash", BUILD_SCRIPT, DANTE_DIR], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=BUILD_TIMEOUT)
    except subprocess.TimeoutExpired:
        tap.ok(False, "Dante builds (build-dante.sh %s)" % DANTE_DIR,
               "no result after %d s; see %s/build.log" % (BUILD_TIMEOUT, DANTE_DIR))
        return False
    if r.returncode == 77:
        lines = r.stdout.decode(errors="replace").strip().splitlines()
        h.skip_all("Dante unavailable: " + (lines[-1] if lines else "build-dante.sh exit 77"))
    if r.returncode != 0:
        tap.ok(False, "Dante builds (build-dante.sh %s)" % DANTE_DIR,
               r.stderr.decode(errors="replace")[-3000:])
        return False
    return True


def dante_version():
    try:
        with open(os.path.join(DANTE_DIR, "VERSION")) as f:
            return f.read().strip()
    except OSError:
        return "?"


def setup(tap, **require):
    """The start every interop script shares: our binaries (and what
    REQUIRE names, as h.require takes it) present, Dante built, a realm
    running.  Returns the realm, or None when Dante failed to build (that
    is already a failed test point)."""
    h.require(**require)
    if not ensure_dante(tap):
        return None
    realm = h.Realm(tap).start()
    tap.diag("Dante %s from %s" % (dante_version(), DANTE_DIR))
    return realm


def try_connect(tap, client, host, port, what):
    """CONNECT through gssocks-client when it may be refused: (rep, sock),
    both None (and a diagnostic) when the client drops the connection."""
    try:
        rep, s, _ = h.socks5_connect(client.addr, host, port, timeout=40)
    except (OSError, EOFError, RuntimeError) as e:
        tap.diag("%s: %r" % (what, e))
        rep, s = None, None
    return rep, s


def check_refused(tap, what, rep, s, target):
    """The CONNECT was refused and TARGET (a h._Server) saw no connection."""
    if s is not None:
        s.close()
    tap.ok(rep != 0, "%s: CONNECT refused (reply %r)" % (what, rep))
    tap.eq(len(target.conns), 0, "%s: the target saw no connection" % what)


class Sockd(h.Daemon):
    """Dante's sockd on 127.0.0.1:PORT accepting only the gssapi method.

    enctype: integrity | confidentiality | clear (gssapi.enctype);
    servicename: gssapi.servicename (rcmd by default, as Dante's);
    client_rule_extra: more lines for the client-rule (for example
    `clientcompatibility: necgssapi`, a client-rule keyword only);
    bind: also pass the bindreply of a BIND (Dante checks the peer that
    connects back with a rule of its own, and that peer has no socks
    method, so the rule names none);
    udp: also pass the udpreply of a UDP association (replies from the
    destination are checked by a rule of their own, with no socks method).
    """

    def __init__(self, realm, tap=None, enctype="integrity", servicename="rcmd",
                 client_rule_extra=(), bind=False, udp=False):
        self.bind = bind
        self.udp = udp
        self.realm = realm
        self.tap = tap
        self.enctype = enctype
        self.servicename = servicename
        self.client_rule_extra = list(client_rule_extra)
        self.dir = h.tempdir("gssocks-sockd-")
        self.log = os.path.join(self.dir, "sockd.log")
        self.proc = None
        self.port = None
        # A private copy of the keytab, readable by the user sockd runs as.
        self.keytab = os.path.join(self.dir, "sockd.keytab")
        with open(realm.keytab, "rb") as src, open(self.keytab, "wb") as dst:
            dst.write(src.read())
        os.chmod(self.keytab, 0o600)

    def write_conf(self, port):
        user = pwd.getpwuid(os.getuid()).pw_name
        gss = ("  gssapi.keytab: FILE:%s\n"
               "  gssapi.servicename: %s\n"
               "  gssapi.enctype: %s\n") % (self.keytab, self.servicename, self.enctype)
        cextra = "".join("  %s\n" % line for line in self.client_rule_extra)
        bindreply = ("socks pass {\n"
                     "  from: 127.0.0.0/8 to: 127.0.0.0/8\n"
                     "  command: bindreply\n"
                     "  log: connect disconnect error\n"
                     "}\n") if self.bind else ""
        if self.udp:
            bindreply += ("socks pass {\n"
                          "  from: 127.0.0.0/8 to: 127.0.0.0/8\n"
                          "  command: udpreply\n"
                          "  log: connect disconnect error\n"
                          "}\n")
        text = ("# written by tests/interop/dante_harness.py\n"
                "logoutput: stderr\n"
                "internal: 127.0.0.1 port = %d\n"
                "external: 127.0.0.1\n"
                "clientmethod: none\n"
                "socksmethod: gssapi\n"
                "user.privileged: %s\n"
                "user.unprivileged: %s\n"
                "timeout.negotiate: 30\n"
                "client pass {\n"
                "  from: 127.0.0.0/8 to: 0.0.0.0/0\n"
                "%s%s"
                "  log: connect disconnect error\n"
                "}\n"
                "%s"
                "socks pass {\n"
                "  from: 127.0.0.0/8 to: 0.0.0.0/0\n"
                "  socksmethod: gssapi\n"
                "%s"
                "  log: connect disconnect error\n"
                "}\n") % (port, user, user, gss, cextra, bindreply, gss)
        path = os.path.join(self.dir, "sockd.conf")
        with open(path, "w") as f:
            f.write(text)
        return path

    def start(self, timeout=15.0):
        def spawn(port):
            conf = self.write_conf(port)
            with open(self.log, "ab") as f:
                f.write(b"==== sockd -f %s (port %d)\n" % (conf.encode(), port))
            argv = [SOCKD, "-f", conf, "-N", "1", "-p", os.path.join(self.dir, "sockd.pid")]
            self.proc = h.Process(argv, self.realm.env, self.log, self.tap,
                                  "Dante sockd (%s, %s) log" % (self.enctype, self.servicename))
        return self.start_listening("sockd", spawn, timeout)


def socks_conf(path, proxy_port, enctype, servicename, proxy_host="127.0.0.1", extra=()):
    """A socks.conf for Dante's client library: everything via the proxy,
    GSS-API only, the given protection and service name (enctype None:
    Dante's default), EXTRA route lines (`clientcompatibility: necgssapi`)."""
    lines = ["# written by tests/interop/dante_harness.py",
             "logoutput: stderr",
             "route {",
             "  from: 0.0.0.0/0 to: 0.0.0.0/0 via: %s port = %d" % (proxy_host, proxy_port),
             "  proxyprotocol: socks_v5",
             "  method: gssapi",
             "  gssapi.servicename: %s" % servicename]
    if enctype:
        lines.append("  gssapi.enctype: %s" % enctype)
    lines.extend("  " + line for line in extra)
    lines.append("}")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


def preload_env(realm, conf, debug=False):
    """Environment for a program run under Dante's client library."""
    env = dict(realm.env)
    env["LD_PRELOAD"] = LIBDSOCKS
    env["SOCKS_CONF"] = conf
    env["SOCKS_AUTOADD_LANROUTES"] = "no"
    for k in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY",
              "all_proxy", "NO_PROXY", "no_proxy"):
        env.pop(k, None)
    if debug:
        env["SOCKS_DEBUG"] = "1"
    return env
