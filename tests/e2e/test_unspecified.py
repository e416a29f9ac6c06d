#!/usr/bin/python3
"""e2e: the gateway never connects to itself by accident (invariant 8).

Linux connects 0.0.0.0 and :: to the local host, so a policy that denies
127.0.0.0/8 and ::1 would still let a client reach a service bound to
loopback on the gateway through them.  The master refuses unspecified
destinations whatever the policy says.  With a policy that allows
everything (so the refusal is the master's own rule) and targets listening
on 127.0.0.1 and [::1], a CONNECT through gssocks-client to
  - 0.0.0.0 (ATYP 01), the name "0.0.0.0" (ATYP 03), [::] and
    [::ffff:0.0.0.0] (ATYP 04), the name "::";
  - zero.test, a name that resolves to 0.0.0.0: gssocksd runs in a mount
    namespace of its own whose /etc/hosts says so (c-ares reads the real
    path, inside the master's Landlock rules);
each gets REP 02 and one `event=request result=denied rep=2
reason=unspecified-destination` record, and no target sees a connection.
Controls: 127.0.0.1, [::1] and the name localhost still connect.
"""

import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gssocks_harness import (Client, Echo, Gateway, Realm, check_sanitizers,  # noqa: E402
                             ipv6_loopback, main, recv_exact, require, socks5_connect,
                             tempdir, which)

REASON = "unspecified-destination"


def own_hosts_file():
    """A hosts file: this machine's, plus zero.test -> 0.0.0.0."""
    d = tempdir("gssocks-unspecified-")
    path = os.path.join(d, "hosts")
    with open("/etc/hosts") as f:
        text = f.read()
    with open(path, "w") as f:
        f.write(text.rstrip("\n") + "\n0.0.0.0 zero.test\n")
    return path


def mount_namespace_launcher(hosts):
    """argv that runs the rest with HOSTS bind-mounted on /etc/hosts in a
    private mount namespace; None (with the reason) when that is not
    possible here."""
    unshare = which("unshare")
    if unshare is None or not which("mount"):
        return None, "unshare(1) or mount(8) not installed"
    script = 'mount --bind "$0" /etc/hosts && exec "$@"'
    probe = subprocess.run([unshare, "-m", "--", "sh", "-c", script, hosts, "cat", "/etc/hosts"],
                           capture_output=True, text=True, timeout=30)
    if probe.returncode != 0 or "zero.test" not in probe.stdout:
        return None, "cannot bind-mount a hosts file in a mount namespace: %s" % (
            probe.stderr.strip() or "exit %d" % probe.returncode)
    return [unshare, "-m", "--", "sh", "-c", script, hosts], None


def refused(tap, gw, client, host, port, as_name, what, targets):
    before = len(gw.syslog.records(event="request", result="denied", reason=REASON))
    rep, s, _ = socks5_connect(client.addr, host, port, as_name=as_name)
    if s:
        s.close()
    tap.eq(rep, 2, "%s: REP 02" % what)
    got = gw.syslog.wait(count=before + 1, event="request", result="denied", reason=REASON)
    tap.ok(len(got) == before + 1 and got[-1]["kv"].get("rep") == "2" and
           "policy" not in got[-1]["kv"],
           "%s: audit event=request result=denied rep=2 reason=%s, no policy line"
           % (what, REASON), gw.syslog.text()[-2000:])
    tap.ok(all(not t.conns for t in targets), "%s: no target saw a connection" % what)


def connects(tap, client, host, port, as_name, what):
    rep, s, _ = socks5_connect(client.addr, host, port, as_name=as_name)
    if not tap.eq(rep, 0, "control %s: REP 00" % what):
        return
    s.sendall(b"ping")
    tap.eq(recv_exact(s, 4), b"ping", "control %s: echoes" % what)
    s.close()


def body(tap):
    require()
    hosts = own_hosts_file()
    launcher, why_not = mount_namespace_launcher(hosts)
    realm = Realm(tap).start()
    # the default policy: every principal, every destination
    gw = Gateway(realm, tap, launcher=launcher or ()).start()
    client = Client(realm, "127.0.0.1:%d" % gw.port, tap, level="integrity").start()

    v4 = Echo("127.0.0.1")
    v6 = Echo("::1") if ipv6_loopback() else None
    targets = [t for t in (v4, v6) if t is not None]
    v6port = v6.port if v6 else v4.port

    refused(tap, gw, client, "0.0.0.0", v4.port, False, "0.0.0.0 (ATYP 01)", targets)
    refused(tap, gw, client, "0.0.0.0", v4.port, True, "name \"0.0.0.0\" (ATYP 03)", targets)
    refused(tap, gw, client, "::", v6port, False, "[::] (ATYP 04)", targets)
    refused(tap, gw, client, "::ffff:0.0.0.0", v4.port, False, "[::ffff:0.0.0.0] (ATYP 04)",
            targets)
    refused(tap, gw, client, "::", v6port, True, "name \"::\" (ATYP 03)", targets)
    refused(tap, gw, client, "0.1.2.3", v4.port, False, "0.1.2.3 (0.0.0.0/8)", targets)
    if launcher:
        refused(tap, gw, client, "zero.test", v4.port, True,
                "zero.test, a name that resolves to 0.0.0.0", targets)
    else:
        tap.skip("zero.test, a name that resolves to 0.0.0.0", why_not)

    connects(tap, client, "127.0.0.1", v4.port, False, "127.0.0.1")
    if v6:
        connects(tap, client, "::1", v6.port, False, "[::1]")
    connects(tap, client, "localhost", v4.port, True, "name localhost")

    tap.ok(gw.alive(), "gssocksd still running")
    client.stop()
    for t in targets:
        t.stop()
    gw.stop()
    check_sanitizers(tap, gw, client)


if __name__ == "__main__":
    main(body)
