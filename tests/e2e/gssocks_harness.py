"""gssocks end-to-end test harness (python3 standard library only).

Trust zone: test tooling.  It starts a throwaway Kerberos realm
(tests/realm/mkrealm.sh), the real daemons from the build tree (gssocksd
with its authproc and relay children, gssocks-client), loopback target
servers, and a frame-level man in the middle between gssocks-client and
gssocksd.  GSS-API is never mocked: every token on the wire is produced by
MIT krb5 in the programs under test.

Design: each test script is a TAP producer (Tap).  Everything started is
registered with a Cleanup stack that runs from a finally block, from atexit
and on SIGTERM/SIGINT (meson's timeout), so no KDC, daemon or temp dir
outlives the test.  A missing prerequisite (KDC tools, binaries not built)
turns the whole script into `1..0 # SKIP reason`.  Logs of every process are
files; when any test point fails they are printed as TAP comments.
"""

import atexit
import hashlib
import http.server
import os
import random
import select
import shlex
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.environ.get("GSSOCKS_SOURCE") or os.path.dirname(os.path.dirname(HERE))
BUILD = os.environ.get("GSSOCKS_BUILD") or os.path.join(SOURCE, "build")
MKREALM = os.path.join(SOURCE, "tests", "realm", "mkrealm.sh")

BINARIES = {
    "gssocksd": os.path.join("master", "gssocksd"),
    "gssocks-authproc": os.path.join("authproc", "gssocks-authproc"),
    "gssocks-relay": os.path.join("relay", "gssocks-relay"),
    "gssocks-client": os.path.join("client", "gssocks-client"),
    "gssocksctl": os.path.join("ctl", "gssocksctl"),
}

LEVELS = {"clear": 0, "integrity": 1, "confidentiality": 2, "selective": 3}

IO_TIMEOUT = 30.0
MIB = 1024 * 1024


def binary(name):
    return os.path.join(BUILD, BINARIES[name])


# --------------------------------------------------------------------------
# TAP


class Tap:
    """TAP producer: the plan is printed at the end (dynamic test count)."""

    def __init__(self):
        self.n = 0
        self.failed = 0
        self.logs = []          # (title, path) printed on failure
        self.finished = False

    def _emit(self, line):
        sys.stdout.write(line + "\n")
        sys.stdout.flush()

    def diag(self, text):
        for line in str(text).splitlines() or [""]:
            self._emit("# " + line)

    def ok(self, cond, name, diag=None):
        self.n += 1
        name = name.replace("#", "\\#")
        self._emit("%s %d - %s" % ("ok" if cond else "not ok", self.n, name))
        if not cond:
            self.failed += 1
            if diag:
                self.diag(diag)
        return bool(cond)

    def eq(self, got, want, name):
        return self.ok(got == want, name, "got:  %r\nwant: %r" % (_short(got), _short(want)))

    def skip(self, name, reason):
        self.n += 1
        self._emit("ok %d - %s # SKIP %s" % (self.n, name, reason))

    def run(self, name, fn, *args, **kw):
        """Run a sub-test; an exception is one failed test point."""
        try:
            return fn(*args, **kw)
        except Exception:
            self.ok(False, name + ": raised", traceback.format_exc())
            return None

    def add_log(self, title, path):
        self.logs.append((title, path))

    def dump_logs(self, lines=150):
        for title, path in self.logs:
            try:
                with open(path, "r", errors="replace") as f:
                    text = f.read().splitlines()
            except OSError:
                continue
            self.diag("---- %s (%s), last %d lines ----" % (title, path, lines))
            for line in text[-lines:]:
                self.diag("  " + line)

    def done(self):
        """Print the plan (and the logs if anything failed); exit status."""
        if self.finished:
            return 1 if self.failed else 0
        self.finished = True
        if self.failed:
            self.dump_logs()
        self._emit("1..%d" % self.n)
        return 1 if self.failed else 0


def _short(v):
    if isinstance(v, (bytes, bytearray)) and len(v) > 64:
        return bytes(v[:64]) + b"...(%d bytes)" % len(v)
    return v


def skip_all(reason):
    sys.stdout.write("1..0 # SKIP %s\n" % reason)
    sys.stdout.flush()
    sys.exit(0)


def bail_out(reason):
    sys.stdout.write("Bail out! %s\n" % reason)
    sys.stdout.flush()
    CLEANUP.run()
    for tap in TAP_CURRENT:
        tap.dump_logs()
    DIRS.run()
    os._exit(1)


def which(prog):
    path = os.environ.get("PATH", "") + ":/usr/sbin:/sbin"
    for d in path.split(":"):
        p = os.path.join(d, prog)
        if d and os.access(p, os.X_OK):
            return p
    return None


def require(binaries=("gssocksd", "gssocks-authproc", "gssocks-relay", "gssocks-client"),
            programs=()):
    """Skip the whole script when a prerequisite is missing."""
    for prog in ("krb5kdc", "kdb5_util", "kadmin.local", "kinit") + tuple(programs):
        if not which(prog):
            skip_all("%s not installed (Debian: krb5-kdc krb5-admin-server krb5-user)" % prog
                     if prog in ("krb5kdc", "kdb5_util", "kadmin.local", "kinit")
                     else "%s not installed" % prog)
    if not os.path.exists(MKREALM):
        skip_all("test realm script missing: %s" % MKREALM)
    for name in binaries:
        p = binary(name)
        if not os.access(p, os.X_OK):
            skip_all("%s not built (no %s; GSSOCKS_BUILD=%s)" % (name, p, BUILD))


# --------------------------------------------------------------------------
# Cleanup of everything started, even on failure


class Cleanup:
    def __init__(self):
        self.stack = []
        self.lock = threading.Lock()

    def push(self, fn):
        with self.lock:
            self.stack.append(fn)
        return fn

    def remove(self, fn):
        with self.lock:
            if fn in self.stack:
                self.stack.remove(fn)

    def run(self):
        while True:
            with self.lock:
                if not self.stack:
                    return
                fn = self.stack.pop()
            try:
                fn()
            except Exception:
                sys.stderr.write("cleanup: " + traceback.format_exc())


CLEANUP = Cleanup()             # processes, servers: stopped first
DIRS = Cleanup()                # temp dirs: removed last (logs live there)


def cleanup_all():
    CLEANUP.run()
    if os.environ.get("GSSOCKS_E2E_KEEP"):
        return
    DIRS.run()


atexit.register(cleanup_all)
TAP_CURRENT = []


def _on_signal(signum, frame):
    sys.stdout.write("Bail out! killed by signal %d (timeout?)\n" % signum)
    sys.stdout.flush()
    CLEANUP.run()
    for tap in TAP_CURRENT:
        tap.dump_logs()
    DIRS.run()
    os._exit(1)


signal.signal(signal.SIGTERM, _on_signal)
signal.signal(signal.SIGINT, _on_signal)


def tempdir(prefix="gssocks-e2e-"):
    """A temp dir removed at the end (kept if GSSOCKS_E2E_KEEP is set)."""
    d = tempfile.mkdtemp(prefix=prefix)
    DIRS.push(lambda: shutil.rmtree(d, ignore_errors=True))
    return d


def main(body):
    """Standard test main: body(tap), stop everything, print the logs if
    anything failed, remove the temp dirs; exit with the TAP status."""
    tap = Tap()
    TAP_CURRENT.append(tap)
    try:
        body(tap)
    except SystemExit:
        CLEANUP.run()
        DIRS.run()
        raise
    except Exception:
        tap.ok(False, "test script raised", traceback.format_exc())
    finally:
        CLEANUP.run()
    status = tap.done()
    cleanup_all()
    sys.exit(status)


# --------------------------------------------------------------------------
# Ports


def ipv6_loopback():
    try:
        s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        s.bind(("::1", 0))
        s.close()
        return True
    except OSError:
        return False


def free_port(host="127.0.0.1"):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(fam, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def free_dual_port():
    """A port free on 127.0.0.1 and (if it exists) ::1."""
    for _ in range(50):
        s4 = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            s4.bind(("127.0.0.1", 0))
            port = s4.getsockname()[1]
            if not ipv6_loopback():
                return port
            s6 = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
            try:
                s6.bind(("::1", port))
                return port
            except OSError:
                continue
            finally:
                s6.close()
        finally:
            s4.close()
    raise RuntimeError("no port free on both 127.0.0.1 and ::1")


def listening(port, v6=False):
    """True if some TCP socket listens on PORT (from /proc, no connection)."""
    suffix = ":%04X" % port
    for path in ("/proc/net/tcp6",) if v6 else ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(path) as f:
                for line in f.read().splitlines()[1:]:
                    fld = line.split()
                    if fld[1].endswith(suffix) and fld[3] == "0A":
                        return True
        except OSError:
            pass
    return False


def listen_socket(host, port=0, backlog=64):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if fam == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind((host, port))
    s.listen(backlog)
    return s


# --------------------------------------------------------------------------
# Realm


class Realm:
    """A throwaway GSSOCKS.TEST realm (tests/realm/mkrealm.sh) in a temp dir."""

    def __init__(self, tap=None):
        self.dir = None
        self.vars = {}
        self.env = None
        self.tap = tap

    def start(self):
        self.dir = tempdir("gssocks-realm-")
        log = os.path.join(self.dir, "mkrealm.log")
        CLEANUP.push(self.stop)
        with open(log, "w") as f:
            r = subprocess.run(["bash", MKREALM, os.path.join(self.dir, "r"), "start"],
                               stdout=f, stderr=subprocess.STDOUT, timeout=60)
        if r.returncode != 0:
            with open(log) as f:
                raise RuntimeError("mkrealm.sh start failed:\n" + f.read())
        self.rdir = os.path.join(self.dir, "r")
        with open(os.path.join(self.rdir, "env")) as f:
            for line in f:
                words = shlex.split(line)
                if len(words) == 2 and words[0] == "export" and "=" in words[1]:
                    k, v = words[1].split("=", 1)
                    self.vars[k] = v
        self.env = dict(os.environ)
        for k in ("KRB5_KTNAME", "KRB5_CLIENT_KTNAME", "KRB5_TRACE"):
            self.env.pop(k, None)
        self.env.update(self.vars)
        if os.environ.get("GSSOCKS_E2E_TRACE"):
            self.env["KRB5_TRACE"] = "/dev/stderr"
        if self.tap:
            self.tap.add_log("KDC log", os.path.join(self.rdir, "kdc.log"))
        return self

    @property
    def keytab(self):
        return self.vars["GSSOCKS_KEYTAB"]

    def kinit(self, principal="alice"):
        subprocess.run(["kinit", "-k", "-t", os.path.join(self.rdir, principal + ".keytab"),
                        principal + "@GSSOCKS.TEST"], env=self.env, check=True, timeout=30)

    def stop(self):
        if self.dir and os.path.isdir(os.path.join(self.dir, "r")):
            subprocess.run(["bash", MKREALM, os.path.join(self.dir, "r"), "stop"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30)


# --------------------------------------------------------------------------
# Processes


class Process:
    """A child in its own process group; stderr+stdout to a log file.

    channel: a socket the child finds on fd 3, as gssocksd's children find
    their channel to the master (a test playing the master)."""

    def __init__(self, argv, env, log, tap=None, title=None, channel=None):
        self.argv = argv
        self.log = log
        self.logf = open(log, "ab")
        kw = {}
        if channel is not None:
            # Every other fd of ours is non-inheritable (PEP 446): fd 3,
            # made by dup2 in the child, is the only one exec keeps.
            fd = channel.fileno()
            kw = {"close_fds": False, "preexec_fn": lambda: os.dup2(fd, 3)}
        self.proc = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL,
                                     stdout=self.logf, stderr=subprocess.STDOUT,
                                     start_new_session=True, **kw)
        self.pgid = self.proc.pid
        self._cleanup = CLEANUP.push(self.stop)
        if tap:
            tap.add_log(title or os.path.basename(argv[0]), log)

    def alive(self):
        return self.proc.poll() is None

    def stop(self, grace=5.0):
        """SIGTERM, SIGKILL after GRACE seconds; then the rest of the group."""
        if self.proc.poll() is None:
            try:
                self.proc.send_signal(signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(grace)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        try:
            os.killpg(self.pgid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        if not self.logf.closed:
            self.logf.close()
        CLEANUP.remove(self._cleanup)
        return self.proc.returncode

    def log_text(self):
        try:
            with open(self.log, "r", errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def sanitizer_reports(self):
        """Lines from ASan/UBSan/LSan in the log (empty list if none)."""
        keys = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                "SUMMARY: UndefinedBehaviorSanitizer", "SUMMARY: AddressSanitizer")
        return [l for l in self.log_text().splitlines() if any(k in l for k in keys)]


class SyslogSink:
    """A test-owned syslog socket: AF_UNIX SOCK_DGRAM on a temp path.

    A thread collects every datagram; records() parses each RFC 3164 line
    `<PRI>Mmm dd hh:mm:ss IDENT[PID]: key=value ...` into a dict with
    pri, facility, severity, ident, pid, text and kv (values unquoted).
    """

    LINE = None

    def __init__(self):
        import re
        SyslogSink.LINE = re.compile(
            r"^<(\d+)>([A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d) ([^\[: ]+)\[(\d+)\]: (.*)$",
            re.S)
        self.dir = tempdir("gssocks-syslog-")
        self.path = os.path.join(self.dir, "log")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.sock.settimeout(0.2)
        self.raw = []
        self.lock = threading.Lock()
        self.stop_ev = threading.Event()
        self.paused = threading.Event()
        self.idle = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        self._cleanup = CLEANUP.push(self.stop)

    def _run(self):
        while not self.stop_ev.is_set():
            if self.paused.is_set():
                self.idle.set()
                time.sleep(0.05)
                continue
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                return
            with self.lock:
                self.raw.append(data.decode("utf-8", "replace"))

    def pause(self):
        """Stop reading (returns once the reader is idle): the socket's
        queue fills and senders see EAGAIN."""
        self.idle.clear()
        self.paused.set()
        self.idle.wait(2)

    def resume(self):
        self.paused.clear()

    def stop(self):
        self.stop_ev.set()
        self.thread.join(2)
        self.sock.close()
        CLEANUP.remove(self._cleanup)

    @staticmethod
    def parse_kv(text):
        """key=value pairs; "..." values with \\ and \\" escapes unquoted."""
        kv, i, n = {}, 0, len(text)
        while i < n:
            while i < n and text[i] == " ":
                i += 1
            eq = text.find("=", i)
            if eq < 0:
                break
            key = text[i:eq]
            i = eq + 1
            if i < n and text[i] == '"':
                i += 1
                val = []
                while i < n and text[i] != '"':
                    if text[i] == "\\" and i + 1 < n:
                        i += 1
                    val.append(text[i])
                    i += 1
                i += 1
                kv[key] = "".join(val)
            else:
                sp = text.find(" ", i)
                sp = n if sp < 0 else sp
                kv[key] = text[i:sp]
                i = sp
        return kv

    def records(self, **match):
        """Parsed records whose kv holds every key=value of MATCH."""
        with self.lock:
            raw = list(self.raw)
        out = []
        for line in raw:
            m = SyslogSink.LINE.match(line)
            if not m:
                out.append({"bad": line, "kv": {}, "text": line})
                continue
            pri = int(m.group(1))
            rec = {"pri": pri, "facility": pri >> 3, "severity": pri & 7,
                   "stamp": m.group(2), "ident": m.group(3), "pid": int(m.group(4)),
                   "text": m.group(5), "kv": SyslogSink.parse_kv(m.group(5))}
            if all(rec["kv"].get(k) == v for k, v in match.items()):
                out.append(rec)
        return [r for r in out if "bad" not in r or not match]

    def wait(self, timeout=IO_TIMEOUT, count=1, **match):
        """Wait until at least COUNT records match; return them (maybe fewer)."""
        deadline = time.time() + timeout
        while True:
            got = self.records(**match)
            if len(got) >= count or time.time() >= deadline:
                return got
            time.sleep(0.02)

    def text(self):
        with self.lock:
            return "\n".join(self.raw)


# Every principal may do everything unless a test writes its own policy.
PERMISSIVE_POLICY = ("levels clear nec integrity confidentiality selective\n"
                     "preferred confidentiality\n"
                     "allow any any\n")


class Daemon:
    """A program under test that listens on a free loopback port.

    Gateway, Client and the interop tests' Dante sockd share this: the
    start-and-retry loop and the proc accessors.  A subclass sets self.proc
    (None) and self.port (None) and calls start_listening() with a spawn
    function; what differs between them -- config, argv, log banner -- is
    in that function only.
    """

    proc = None
    port = None

    def start_listening(self, name, spawn, timeout, dual=False):
        """Start the program on a free port and wait until it listens.

        spawn(port) writes what the program needs, sets self.proc to the
        started Process and returns nothing.  Ready means listening on
        127.0.0.1:PORT (and [::1]:PORT if DUAL) and still alive a moment
        later.  A free port can be taken by another test before the
        program binds it: when the log says "in use", up to four tries on
        a new port; otherwise RuntimeError with the end of the log.
        """
        last = ""
        rc = None
        for _ in range(4):
            port = free_dual_port() if dual else free_port()
            spawn(port)
            deadline = time.time() + timeout
            while time.time() < deadline:
                if not self.proc.alive():
                    break
                if listening(port) and (not dual or listening(port, v6=True)):
                    # still alive a moment later: the port is ours
                    time.sleep(0.05)
                    if self.proc.alive():
                        self.port = port
                        return self
                time.sleep(0.02)
            rc = self.proc.stop()
            last = self.proc.log_text()
            if "in use" not in last:
                break
        raise RuntimeError("%s did not start (exit %r):\n%s" % (name, rc, last[-4000:]))

    def alive(self):
        return self.proc is not None and self.proc.alive()

    def stop(self):
        return self.proc.stop() if self.proc else None

    def sanitizer_reports(self):
        return self.proc.sanitizer_reports() if self.proc else []

    def log_text(self):
        return self.proc.log_text() if self.proc else ""


class Gateway(Daemon):
    """gssocksd -d -f CONF from the build tree, config from keyword args.

    Keyword args are config keywords with '-' written '_' (allow_clear='yes',
    protection_levels='integrity confidentiality').  It listens on
    127.0.0.1:PORT and, if the host has it, [::1]:PORT (so SERVICE@localhost
    works whichever address localhost resolves to first).

    policy: {file name: text} for the policy directory (default: one
    permissive `default` file); gw.policy_dir is that directory.  Audit
    records go to gw.syslog, a SyslogSink of its own, unless syslog_socket
    is given.  launcher: argv words put before gssocksd's (a program that
    sets something up and execs the rest, e.g. tests/sandbox/no_landlock).
    """

    def __init__(self, realm, tap=None, dual=True, policy=None, launcher=(), **conf):
        self.realm = realm
        self.launcher = list(launcher)
        self.tap = tap
        self.dual = dual and ipv6_loopback()
        self.conf = conf
        self.dir = tempdir("gssocks-gw-")
        self.policy_dir = os.path.join(self.dir, "policy")
        os.mkdir(self.policy_dir)
        self.write_policy(policy if policy is not None else {"default": PERMISSIVE_POLICY})
        self.syslog = None
        if "syslog_socket" not in conf:
            self.syslog = SyslogSink()
        # authproc and relay live in different build subdirectories, but
        # libexec-dir names one directory: link both into ours.
        self.libexec = os.path.join(self.dir, "libexec")
        os.mkdir(self.libexec)
        for name in ("gssocks-authproc", "gssocks-relay"):
            os.symlink(binary(name), os.path.join(self.libexec, name))
        self.log = os.path.join(self.dir, "gssocksd.log")
        self.env = None                 # None: the realm's environment
        self.proc = None
        self.port = None

    def write_policy(self, files, clear=True):
        """Write FILES {name: text} into the policy directory (replacing it)."""
        if clear:
            for name in os.listdir(self.policy_dir):
                os.unlink(os.path.join(self.policy_dir, name))
        for name, text in files.items():
            with open(os.path.join(self.policy_dir, name), "w") as f:
                f.write(text)

    def reload(self):
        """SIGHUP to gssocksd (the policy is read again)."""
        self.proc.proc.send_signal(signal.SIGHUP)

    def counters(self):
        """`gssocksctl counters` on this gateway's control socket:
        {'gssocks_refusals_total{reason="policy"}': 1, ...}."""
        sock = self.conf.get("control_socket") or os.path.join(self.dir, "control")
        p = subprocess.run([binary("gssocksctl"), "-s", sock, "counters"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
        if p.returncode != 0:
            raise RuntimeError("gssocksctl counters: status %d: %s"
                               % (p.returncode, p.stderr.decode(errors="replace")))
        out = {}
        for line in p.stdout.decode(errors="replace").splitlines():
            name, _, value = line.rpartition(" ")
            out[name] = int(float(value))
        return out

    def write_conf(self, port):
        lines = ["# written by tests/e2e/gssocks_harness.py",
                 "listen 127.0.0.1:%d" % port]
        if self.dual:
            lines.append("listen [::1]:%d" % port)
        conf = {"keytab": self.realm.keytab, "libexec-dir": self.libexec,
                # one authproc unless a test asks for more (the default
                # follows the CPU count: tests/e2e/test_workers.py)
                "relay-workers": "2", "authproc-workers": "1", "greeting-timeout": "10",
                "auth-timeout": "20", "request-timeout": "20",
                "connect-timeout": "10", "policy-dir": self.policy_dir,
                # authproc's replay cache: a directory of this gateway's,
                # made by gssocksd at start-up (never the system default)
                "replay-cache-dir": os.path.join(self.dir, "rcache"),
                # gssocksctl's socket: this gateway's own (the default,
                # /run/gssocks/control, would be shared by every test)
                "control-socket": os.path.join(self.dir, "control")}
        if self.syslog is not None:
            conf["syslog-socket"] = self.syslog.path
        if os.geteuid() == 0:
            # Root mode without the three users: every role as root, which
            # gssocksd accepts only when written out (capabilities are
            # still cleared everywhere).  tests/sandbox/test_rootmode.py
            # runs the real three users.
            conf.update({"user": "root", "authproc-user": "root", "relay-user": "root"})
        for k, v in self.conf.items():
            conf[k.replace("_", "-")] = v
        for k, v in conf.items():
            if v is None:
                continue
            lines.append("%s %s" % (k, v))
        path = os.path.join(self.dir, "gssocksd.conf")
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        return path

    def start(self, timeout=15.0):
        def spawn(port):
            conf = self.write_conf(port)
            with open(self.log, "ab") as f:
                f.write(b"==== gssocksd -d -f %s (port %d)\n" % (conf.encode(), port))
            self.proc = Process(self.launcher + [binary("gssocksd"), "-d", "-f", conf],
                                self.env or self.realm.env,
                                self.log, self.tap, "gssocksd log")
        return self.start_listening("gssocksd", spawn, timeout, dual=self.dual)


class Client(Daemon):
    """gssocks-client -l 127.0.0.1:PORT -g GATEWAY -s SERVICE -L LEVEL."""

    def __init__(self, realm, gateway, tap=None, service="rcmd", level="confidentiality",
                 extra=(), env=None):
        self.realm = realm
        self.gateway = gateway          # "host:port"
        self.service = service
        self.level = level
        self.extra = list(extra)
        self.env = env or realm.env
        self.tap = tap
        self.dir = tempdir("gssocks-cl-")
        self.log = os.path.join(self.dir, "client.log")
        self.proc = None
        self.port = None
        self.title = "gssocks-client (%s, %s, %s) log" % (gateway, service, level)

    def start(self, timeout=10.0):
        def spawn(port):
            argv = [binary("gssocks-client"), "-l", "127.0.0.1:%d" % port, "-g", self.gateway,
                    "-s", self.service, "-L", self.level, "-v"] + self.extra
            with open(self.log, "ab") as f:
                f.write(("==== " + " ".join(argv) + "\n").encode())
            self.proc = Process(argv, self.env, self.log, self.tap, self.title)
        return self.start_listening("gssocks-client", spawn, timeout)

    @property
    def addr(self):
        return ("127.0.0.1", self.port)


# --------------------------------------------------------------------------
# Deterministic data


def det_stream(seed, nbytes, chunk=MIB):
    """Yield NBYTES deterministic pseudo-random bytes in chunks."""
    rnd = random.Random(seed)
    left = nbytes
    while left > 0:
        n = min(chunk, left)
        yield rnd.randbytes(n)
        left -= n


def det_sha256(seed, nbytes):
    h = hashlib.sha256()
    for c in det_stream(seed, nbytes):
        h.update(c)
    return h.hexdigest()


# --------------------------------------------------------------------------
# Target servers on loopback (threads)


class _Server:
    def __init__(self, host="127.0.0.1", port=0):
        self.sock = listen_socket(host, port)
        self.host = host
        self.port = self.sock.getsockname()[1]
        self.results = []
        self.cond = threading.Condition()
        self.stopping = False
        self.conns = []
        self.thread = threading.Thread(target=self._accept_loop, daemon=True)
        self.thread.start()
        CLEANUP.push(self.stop)

    def _accept_loop(self):
        while not self.stopping:
            try:
                c, peer = self.sock.accept()
            except OSError:
                return
            c.settimeout(IO_TIMEOUT * 4)
            with self.cond:
                self.conns.append(c)
            threading.Thread(target=self._serve_wrap, args=(c,), daemon=True).start()

    def _serve_wrap(self, c):
        try:
            self.serve(c)
        except Exception as e:
            self._report({"error": repr(e)})
        finally:
            try:
                c.close()
            except OSError:
                pass

    def _report(self, r):
        with self.cond:
            self.results.append(r)
            self.cond.notify_all()

    def wait(self, n=1, timeout=IO_TIMEOUT):
        """Wait until N connections have finished; return their results."""
        deadline = time.time() + timeout
        with self.cond:
            while len(self.results) < n:
                left = deadline - time.time()
                if left <= 0:
                    raise TimeoutError("%s: %d of %d connections finished" %
                                       (type(self).__name__, len(self.results), n))
                self.cond.wait(left)
            return list(self.results[:n])

    def stop(self):
        self.stopping = True
        try:
            self.sock.close()
        except OSError:
            pass
        with self.cond:
            conns = list(self.conns)
        for c in conns:
            try:
                c.close()
            except OSError:
                pass


class Sink(_Server):
    """Reads each connection to EOF or a reset; reports bytes, SHA-256 (and
    the data if keep) and how it ended: end "eof" or "reset" (ECONNRESET:
    the session was cut)."""

    def __init__(self, host="127.0.0.1", keep=False):
        self.keep = keep
        self.progress = 0
        super().__init__(host)

    def serve(self, c):
        h = hashlib.sha256()
        n = 0
        kept = bytearray()
        buf = bytearray(256 * 1024)
        end = "eof"
        while True:
            try:
                k = c.recv_into(buf)
            except ConnectionResetError:
                end = "reset"
                break
            if k == 0:
                break
            h.update(memoryview(buf)[:k])
            if self.keep:
                kept += buf[:k]
            n += k
            with self.cond:
                self.progress += k
                self.cond.notify_all()
        self._report({"bytes": n, "sha256": h.hexdigest(), "data": bytes(kept), "end": end})

    def wait_progress(self, nbytes, timeout=IO_TIMEOUT):
        """Wait until NBYTES in total have arrived (all connections)."""
        deadline = time.time() + timeout
        with self.cond:
            while self.progress < nbytes:
                left = deadline - time.time()
                if left <= 0:
                    return False
                self.cond.wait(left)
            return True


class Source(_Server):
    """Sends NBYTES deterministic bytes (seed) on each connection, then closes."""

    def __init__(self, nbytes, seed=1, host="127.0.0.1"):
        self.nbytes = nbytes
        self.seed = seed
        super().__init__(host)

    def serve(self, c):
        for chunk in det_stream(self.seed, self.nbytes):
            c.sendall(chunk)
        c.shutdown(socket.SHUT_WR)
        self._report({"bytes": self.nbytes})


class Echo(_Server):
    """Echoes everything back until EOF."""

    def serve(self, c):
        n = 0
        while True:
            d = c.recv(65536)
            if not d:
                break
            c.sendall(d)
            n += len(d)
        self._report({"bytes": n})


class QuietHandler(http.server.BaseHTTPRequestHandler):
    """A request handler that does not log each request to stderr."""

    def log_message(self, *args):
        pass


class WebServer:
    """http.server on 127.0.0.1 served by a thread, stopped at cleanup,
    for the tests that run curl; HANDLER is a QuietHandler subclass."""

    def __init__(self, handler):
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        CLEANUP.push(self.stop)

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


# --------------------------------------------------------------------------
# Plain SOCKS5 (RFC 1928) client for talking to gssocks-client


SOCKS_REP = {0: "succeeded", 1: "general failure", 2: "not allowed by ruleset",
             3: "network unreachable", 4: "host unreachable", 5: "connection refused",
             6: "TTL expired", 7: "command not supported", 8: "address type not supported"}


def recv_exact(s, n):
    out = bytearray()
    while len(out) < n:
        d = s.recv(n - len(out))
        if not d:
            raise EOFError("EOF after %d of %d bytes" % (len(out), n))
        out += d
    return bytes(out)


def socks5_request(cmd, host, port, as_name=False):
    """An RFC 1928 request; HOST goes as ATYP 03 when AS_NAME, even if it
    looks like an address."""
    if as_name:
        h = host.encode()
        return bytes([5, cmd, 0, 3, len(h)]) + h + struct.pack("!H", port)
    try:
        a = socket.inet_pton(socket.AF_INET, host)
        addr = b"\x01" + a
    except OSError:
        try:
            a = socket.inet_pton(socket.AF_INET6, host)
            addr = b"\x04" + a
        except OSError:
            h = host.encode()
            addr = b"\x03" + bytes([len(h)]) + h
    return bytes([5, cmd, 0]) + addr + struct.pack("!H", port)


def socks5_read_reply(s):
    """Read one RFC 1928 reply from S: (rep, (address text, port)).

    Raises EOFError (or ConnectionError) when the proxy closed first.
    """
    head = recv_exact(s, 4)
    if head[0] != 5:
        raise RuntimeError("bad reply version %r" % head)
    atyp = head[3]
    if atyp == 1:
        a = recv_exact(s, 4)
        bound = (socket.inet_ntop(socket.AF_INET, a),)
    elif atyp == 4:
        a = recv_exact(s, 16)
        bound = (socket.inet_ntop(socket.AF_INET6, a),)
    elif atyp == 3:
        ln = recv_exact(s, 1)[0]
        bound = (recv_exact(s, ln).decode(errors="replace"),)
    else:
        raise RuntimeError("bad reply atyp %d" % atyp)
    return head[1], bound + struct.unpack("!H", recv_exact(s, 2))


def _socks5_command(proxy, cmd, host, port, timeout, as_name=False):
    s = socket.create_connection(proxy, timeout=timeout)
    try:
        s.sendall(b"\x05\x01\x00")
        ans = recv_exact(s, 2)
        if ans != b"\x05\x00":
            raise RuntimeError("proxy answered method %r" % ans)
        s.sendall(socks5_request(cmd, host, port, as_name))
        try:
            rep, bound = socks5_read_reply(s)
        except (EOFError, ConnectionError):
            s.close()
            return None, None, None
        if rep != 0:
            s.close()
            return rep, None, bound
        return rep, s, bound
    except Exception:
        s.close()
        raise


def socks5_connect(proxy, host, port, timeout=IO_TIMEOUT, as_name=False):
    """No-auth SOCKS5 CONNECT through PROXY (host, port); AS_NAME: see
    socks5_request.

    Returns (rep, sock, bound): sock is the connected socket when rep == 0,
    else None (closed).  rep is None when the proxy closed before replying.
    """
    return _socks5_command(proxy, 1, host, port, timeout, as_name)


def socks5_bind(proxy, host, port, timeout=IO_TIMEOUT):
    """No-auth SOCKS5 BIND through PROXY, expecting a peer HOST:PORT.

    Returns (rep, sock, bound) for the FIRST reply, as socks5_connect: bound
    is where the proxy listens.  The second reply (the peer that connected)
    is then socks5_read_reply(sock).
    """
    return _socks5_command(proxy, 2, host, port, timeout)


def raw_greeting(addr, methods, timeout=10.0):
    """Send a RFC 1928 greeting offering METHODS; return (answer, closed_after)."""
    s = socket.create_connection(addr, timeout=timeout)
    try:
        s.sendall(bytes([5, len(methods)]) + bytes(methods))
        ans = b""
        try:
            ans = recv_exact(s, 2)
        except EOFError:
            return ans, True
        try:
            rest = s.recv(1)
            closed = rest == b""
        except socket.timeout:
            closed = False
        except ConnectionError:
            closed = True
        return ans, closed
    finally:
        s.close()


def upload(sock, seed, nbytes):
    """Send NBYTES deterministic bytes, half-close, read to EOF."""
    for chunk in det_stream(seed, nbytes):
        sock.sendall(chunk)
    sock.shutdown(socket.SHUT_WR)
    while sock.recv(65536):
        pass


def download(sock):
    """Read to EOF; return (bytes, sha256 hex)."""
    h = hashlib.sha256()
    n = 0
    buf = bytearray(256 * 1024)
    while True:
        k = sock.recv_into(buf)
        if k == 0:
            break
        h.update(memoryview(buf)[:k])
        n += k
    return n, h.hexdigest()


# --------------------------------------------------------------------------
# RFC 1961 frames and RFC 4121 wrap tokens


MTYP_AUTH, MTYP_LEVEL, MTYP_DATA, MTYP_ABORT = 1, 2, 3, 0xFF


class WrapToken:
    """RFC 4121 §4.2.6.2 wrap token header (TOK_ID 05 04)."""

    def __init__(self, tok):
        if len(tok) < 16 or tok[0:2] != b"\x05\x04":
            raise ValueError("not a RFC 4121 wrap token: %r" % bytes(tok[:16]))
        if tok[3] != 0xFF:
            raise ValueError("wrap token filler is %02x" % tok[3])
        self.flags = tok[2]
        self.sent_by_acceptor = bool(self.flags & 0x01)
        self.sealed = bool(self.flags & 0x02)
        self.acceptor_subkey = bool(self.flags & 0x04)
        self.ec, self.rrc, self.seq = struct.unpack("!HHQ", bytes(tok[4:16]))
        self.tok = bytes(tok)

    def integ_payload(self):
        """The payload of a token without confidentiality (Sealed=0):
        header | plaintext | checksum(EC octets), rotated right by RRC."""
        if self.sealed:
            return None
        body = bytes(self.tok[16:])
        if self.rrc and body:
            r = self.rrc % len(body)
            body = body[r:] + body[:r]
        return body[:len(body) - self.ec] if self.ec <= len(body) else None

    def __repr__(self):
        return "WrapToken(acceptor=%d sealed=%d subkey=%d ec=%d rrc=%d seq=%d)" % (
            self.sent_by_acceptor, self.sealed, self.acceptor_subkey, self.ec, self.rrc, self.seq)


def parse_wrap(tok):
    try:
        return WrapToken(tok)
    except ValueError:
        return None


class Frame:
    def __init__(self, direction, mtyp, token, raw):
        self.dir = direction        # "c2s" or "s2c"
        self.mtyp = mtyp
        self.token = token
        self.raw = raw

    def __repr__(self):
        return "Frame(%s mtyp=%d len=%d)" % (self.dir, self.mtyp, len(self.token))


class Mitm:
    """Frame-level TCP proxy between gssocks-client and gssocksd.

    Parses each direction: the RFC 1928 greeting (c2s: 05 N methods; s2c: 05 M),
    then RFC 1961 frames (01 mtyp len token; abort 01 ff).  Anything that
    does not parse is forwarded and recorded raw.  tamper_c2s_data=N flips
    one bit in the middle of the Nth mtyp-3 frame from the client (1 = the
    request frame); tamper_s2c_data=N the same in the gateway's (1 = the
    reply frame).  Listens on 127.0.0.1 and ::1 (same port).
    preanswer=b"\x05\x01" sends that method answer to the client as soon as
    it connects and swallows the gateway's own (which must be the same):
    curl 7.88 forgets that GSS-API is allowed unless the answer is already
    there when it first reads.
    """

    def __init__(self, upstream, tamper_c2s_data=None, preanswer=None, tamper_s2c_data=None):
        self.upstream = upstream        # (host, port) of gssocksd
        self.tamper = tamper_c2s_data
        self.tamper_s2c = tamper_s2c_data
        self.preanswer = preanswer
        self.port = free_dual_port()
        self.socks = [listen_socket("127.0.0.1", self.port)]
        if ipv6_loopback():
            self.socks.append(listen_socket("::1", self.port))
        self.lock = threading.Lock()
        self.sessions = []              # list of Session
        self.stopping = False
        self.tampered = 0
        for s in self.socks:
            threading.Thread(target=self._accept_loop, args=(s,), daemon=True).start()
        CLEANUP.push(self.stop)

    class Session:
        def __init__(self):
            self.frames = []            # Frame, in arrival order (both ways)
            self.raw = {"c2s": bytearray(), "s2c": bytearray()}
            self.greeting = {"c2s": None, "s2c": None}
            self.unparsed = {"c2s": bytearray(), "s2c": bytearray()}
            self.closed = {"c2s": False, "s2c": False}
            self.done = threading.Event()

        def frames_of(self, direction, mtyp=None):
            return [f for f in self.frames if f.dir == direction and (mtyp is None or f.mtyp == mtyp)]

    def _accept_loop(self, ls):
        while not self.stopping:
            try:
                c, _ = ls.accept()
            except OSError:
                return
            threading.Thread(target=self._session, args=(c,), daemon=True).start()

    def _session(self, c):
        sess = Mitm.Session()
        with self.lock:
            self.sessions.append(sess)
        try:
            u = socket.create_connection(self.upstream, timeout=IO_TIMEOUT)
        except OSError:
            c.close()
            sess.done.set()
            return
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        u.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.preanswer:
            try:
                c.sendall(self.preanswer)
            except OSError:
                pass
        t1 = threading.Thread(target=self._pump, args=(sess, c, u, "c2s"), daemon=True)
        t2 = threading.Thread(target=self._pump, args=(sess, u, c, "s2c"), daemon=True)
        t1.start()
        t2.start()

        def closer():
            t1.join()
            t2.join()
            for s in (c, u):
                try:
                    s.close()
                except OSError:
                    pass
            sess.done.set()
        threading.Thread(target=closer, daemon=True).start()

    def _pump(self, sess, src, dst, direction):
        buf = bytearray()
        state = "greeting"
        data_frames = 0
        src.settimeout(None)
        try:
            while True:
                try:
                    d = src.recv(262144)
                except OSError:
                    d = b""
                if not d:
                    break
                buf += d
                with self.lock:
                    sess.raw[direction] += d
                out = bytearray()
                while buf:
                    if state == "greeting":
                        if direction == "c2s":
                            if len(buf) < 2 or len(buf) < 2 + buf[1]:
                                break
                            n = 2 + buf[1]
                        else:
                            if len(buf) < 2:
                                break
                            n = 2
                        sess.greeting[direction] = bytes(buf[:n])
                        if direction == "s2c" and self.preanswer:
                            if bytes(buf[:n]) != self.preanswer:
                                return          # not what we promised: drop
                        else:
                            out += buf[:n]
                        del buf[:n]
                        state = "frames"
                    elif state == "frames":
                        if buf[0] != 1:
                            state = "raw"
                            continue
                        if len(buf) < 2:
                            break
                        mtyp = buf[1]
                        if mtyp == MTYP_ABORT:
                            n, tok = 2, b""
                        else:
                            if len(buf) < 4:
                                break
                            ln = struct.unpack("!H", bytes(buf[2:4]))[0]
                            if len(buf) < 4 + ln:
                                break
                            n, tok = 4 + ln, bytes(buf[4:4 + ln])
                        raw = bytearray(buf[:n])
                        del buf[:n]
                        if mtyp == MTYP_DATA:
                            data_frames += 1
                            target = self.tamper if direction == "c2s" else self.tamper_s2c
                            if target == data_frames and len(raw) > 4:
                                raw[4 + (len(raw) - 4) // 2] ^= 0x10
                                self.tampered += 1
                        with self.lock:
                            sess.frames.append(Frame(direction, mtyp, tok, bytes(raw)))
                        out += raw
                    else:
                        with self.lock:
                            sess.unparsed[direction] += buf
                        out += buf
                        del buf[:]
                if out:
                    dst.sendall(out)
        except OSError:
            pass
        finally:
            with self.lock:
                sess.closed[direction] = True
            try:
                dst.shutdown(socket.SHUT_WR)
            except OSError:
                pass

    def wait_sessions(self, n=1, timeout=IO_TIMEOUT):
        """Wait until N sessions have ended (both directions closed)."""
        deadline = time.time() + timeout
        while True:
            with self.lock:
                sess = list(self.sessions)
            if len(sess) >= n and all(s.done.is_set() for s in sess[:n]):
                return sess[:n]
            if time.time() > deadline:
                raise TimeoutError("MITM: %d sessions, %d done" %
                                   (len(sess), sum(s.done.is_set() for s in sess)))
            time.sleep(0.02)

    def stop(self):
        self.stopping = True
        for s in self.socks:
            try:
                s.close()
            except OSError:
                pass


def level_octet(frame):
    """The protection level a mtyp-2 frame carries: a bare octet (NEC) or
    the payload of an integrity-only wrap token; None if unreadable."""
    if frame.mtyp != MTYP_LEVEL:
        return None
    if len(frame.token) == 1:
        return frame.token[0]
    w = parse_wrap(frame.token)
    p = w.integ_payload() if w else None
    return p[0] if p is not None and len(p) == 1 else None



# --------------------------------------------------------------------------
# An RFC 1928 + RFC 1961 client in python (python3-gssapi, MIT krb5
# underneath): for what gssocks-client does not do on purpose (leave
# context flags out, pick the source address of its connection).


class Aborted(Exception):
    """The gateway sent `01 ff`."""


def read_frame(s):
    head = recv_exact(s, 2)
    if head[0] != 1:
        raise RuntimeError("frame version %d" % head[0])
    if head[1] == MTYP_ABORT:
        raise Aborted()
    (n,) = struct.unpack("!H", recv_exact(s, 2))
    return head[1], recv_exact(s, n)


def send_frame(s, mtyp, token):
    s.sendall(bytes([1, mtyp]) + struct.pack("!H", len(token)) + token)


GSS_ALL_FLAGS = ("mutual_authentication", "replay_detection", "out_of_sequence_detection",
                 "integrity", "confidentiality")


def gss_credentials(realm, principal):
    """Initiator credentials of PRINCIPAL from a ccache of its own.
    python-gssapi reads the realm's krb5.conf through the environment:
    the caller puts realm.vars into os.environ first."""
    import gssapi
    ccache = os.path.join(realm.rdir, principal + "-flags.ccache")
    env = dict(realm.env, KRB5CCNAME="FILE:" + ccache)
    subprocess.run(["kinit", "-k", "-t", os.path.join(realm.rdir, principal + ".keytab"),
                    principal + "@GSSOCKS.TEST"], env=env, check=True, timeout=30)
    name = gssapi.Name(principal + "@GSSOCKS.TEST", gssapi.NameType.kerberos_principal)
    return gssapi.Credentials(name=name, usage="initiate",
                              store={"ccache": "FILE:" + ccache})


class GssSession:
    """One RFC 1961 client session to 127.0.0.1:PORT with chosen context
    flags, from SOURCE (an address of this host) when given."""

    def __init__(self, port, creds, flags=GSS_ALL_FLAGS, source=None, timeout=20):
        import gssapi
        self.sock = socket.create_connection(
            ("127.0.0.1", port), timeout=timeout,
            source_address=(source, 0) if source else None)
        target = gssapi.Name("rcmd@localhost", gssapi.NameType.hostbased_service)
        self.ctx = gssapi.SecurityContext(
            name=target, usage="initiate", creds=creds,
            flags=[getattr(gssapi.RequirementFlag, n) for n in flags],
            mech=gssapi.MechType.kerberos)

    def close(self):
        self.sock.close()

    def authenticate(self):
        s = self.sock
        s.sendall(b"\x05\x01\x01")
        if recv_exact(s, 2) != b"\x05\x01":
            raise RuntimeError("gateway did not choose GSS-API")
        token = self.ctx.step()
        while True:
            send_frame(s, MTYP_AUTH, token)
            mtyp, token = read_frame(s)
            if mtyp != MTYP_AUTH:
                raise RuntimeError("mtyp %d during authentication" % mtyp)
            token = self.ctx.step(token)
            if self.ctx.complete:
                return

    def ask_level(self, level, skip_one=False):
        """Send the level message; the answered level, or Aborted.  With
        SKIP_ONE a wrap token is made and thrown away first, so the one
        sent carries sequence number 1 where the gateway expects 0."""
        if skip_one:
            self.ctx.wrap(b"\x00", False)
        send_frame(self.sock, MTYP_LEVEL, self.ctx.wrap(bytes([level]), False).message)
        mtyp, token = read_frame(self.sock)
        if mtyp != MTYP_LEVEL:
            raise RuntimeError("mtyp %d as level answer" % mtyp)
        answer = self.ctx.unwrap(token).message
        if len(answer) != 1:
            raise RuntimeError("level answer of %d octets" % len(answer))
        return answer[0]

    def connect(self, level, port, msg=None):
        """CONNECT to 127.0.0.1:PORT and echo one message; True if it worked."""
        request = socks5_request(1, "127.0.0.1", port)
        msg = msg or b"context flags %d" % level
        if level == 0:
            self.sock.sendall(request)
            reply = recv_exact(self.sock, 10)
            if reply[1] != 0:
                return False
            self.sock.sendall(msg)
            return recv_exact(self.sock, len(msg)) == msg
        conf = level == 2
        send_frame(self.sock, MTYP_DATA, self.ctx.wrap(request, conf).message)
        _, token = read_frame(self.sock)
        reply = self.ctx.unwrap(token).message
        if reply[1] != 0:
            return False
        send_frame(self.sock, MTYP_DATA, self.ctx.wrap(msg, conf).message)
        got = b""
        while len(got) < len(msg):
            _, token = read_frame(self.sock)
            got += self.ctx.unwrap(token).message
        return got == msg


def wait_for(pred, timeout=IO_TIMEOUT, step=0.02):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if pred():
            return True
        time.sleep(step)
    return bool(pred())


def attach_logs(tap, logdir, title, suffix=""):
    """After a failure, every file in LOGDIR whose name ends with SUFFIX
    (the logs of programs a test ran itself) goes into the TAP output as
    TITLE + file name."""
    if tap.failed:
        for name in sorted(os.listdir(logdir)):
            if name.endswith(suffix):
                tap.add_log(title + name, os.path.join(logdir, name))


def check_sanitizers(tap, *procs):
    """One test point per process: no ASan/UBSan report in its log."""
    for p in procs:
        if p is None:
            continue
        reports = p.sanitizer_reports()
        name = os.path.basename(p.proc.argv[0]) if getattr(p, "proc", None) else repr(p)
        tap.ok(not reports, "%s: no sanitizer reports" % name, "\n".join(reports[:20]))
