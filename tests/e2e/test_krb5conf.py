#!/usr/bin/python3
"""e2e: editing krb5.conf under a running gateway breaks nothing.

Issue 7 part 4.  MIT's profile library re-stat()s krb5.conf at every krb5
context and re-reads it when its mtime changed; inside the relay's sandbox
(no open) that re-read failed and so did every later
gss_import_sec_context, until gssocksd was restarted.  authproc and the
relays now freeze their krb5 configuration in sealed memory at start
(common/krb5_profile.h), and SIGHUP replaces them so that a new krb5.conf
takes effect for new sessions.

The gateway runs with a krb5.conf of its own (a copy of the realm's; the
client and the KDC keep the realm's).  Checked, with one long session
opened at the start and used after every step (it must survive them all):
  - a session before anything changes;
  - `touch` (mtime only), an edit in place, a replacement by rename: a new
    session after each succeeds;
  - an edit that matters (permitted_enctypes without the realm's
    enctypes): sessions still succeed before SIGHUP (the running processes
    keep what they read); after SIGHUP a new authproc runs, the old one
    exits once it holds no handshake, and a new session fails in authproc with the enctype
    refusal: the new setting is in force; the long session still runs;
  - the setting removed again and SIGHUP: new sessions succeed;
  - SIGHUP while a client holds a handshake open in authproc: a new
    authproc starts, the old one keeps the handshake; a second SIGHUP
    meanwhile is deferred until the old one has gone, then carried out;
  - a krb5.conf that does not parse, then SIGHUP: the new authproc fails
    at start and the one it was to replace is reinstated (sessions go on,
    the daemon does not give up); fixed and SIGHUP: replaced;
  - krb5.conf broken without SIGHUP and a relay killed: its successors fail
    at start; the gateway, which was serving, logs action=start-failing and
    goes on (no give-up, the long session and new sessions work); fixed,
    the relay comes back.
"""

import os
import re
import shutil
import signal
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gssocks_harness import (Client, Echo, Gateway, Realm, check_sanitizers,  # noqa: E402
                             main, recv_exact, require, socks5_connect, wait_for)

START_RE = re.compile(r"event=child name=(authproc|relay) slot=(\d+) pid=(\d+) action=start")


def started(gw):
    """{(name, slot): pid} of the latest start of each child in the log."""
    out = {}
    for m in START_RE.finditer(gw.log_text()):
        out[(m.group(1), int(m.group(2)))] = int(m.group(3))
    return out


def body(tap):
    require()
    realm = Realm(tap).start()
    gw = Gateway(realm, tap)
    krb5_conf = os.path.join(gw.dir, "krb5.conf")
    shutil.copyfile(realm.vars["KRB5_CONFIG"], krb5_conf)
    with open(krb5_conf) as f:
        original = f.read()
    gw.env = dict(realm.env, KRB5_CONFIG=krb5_conf)
    gw.start()
    client = Client(realm, "localhost:%d" % gw.port, tap).start()
    echo = Echo()

    def session_ok():
        rep, s, _ = socks5_connect(client.addr, "127.0.0.1", echo.port)
        if rep != 0:
            return False
        s.sendall(b"krb5conf")
        good = recv_exact(s, 8) == b"krb5conf"
        s.close()
        return good

    def session(name, want=True):
        rep, s, _ = socks5_connect(client.addr, "127.0.0.1", echo.port)
        good = False
        if rep == 0:
            s.sendall(b"krb5conf")
            good = recv_exact(s, 8) == b"krb5conf"
            s.close()
        return tap.ok(good == want, name, "reply %r" % (rep,))

    rep, long_s, _ = socks5_connect(client.addr, "127.0.0.1", echo.port)
    if not tap.eq(rep, 0, "long session opened before any change"):
        return

    def long_alive(step):
        long_s.sendall(step.encode())
        tap.eq(recv_exact(long_s, len(step)), step.encode(),
               "the long session still relays after: %s" % step)

    session("a session before any change")
    mtime = os.stat(krb5_conf).st_mtime
    os.utime(krb5_conf, (mtime + 5, mtime + 5))
    session("a session after touch (mtime only)")
    session("a second session after touch")
    long_alive("touch")

    with open(krb5_conf, "a") as f:
        f.write("# edited in place by test_krb5conf\n")
    os.utime(krb5_conf, (mtime + 10, mtime + 10))
    session("a session after an edit in place")
    tmp = krb5_conf + ".new"
    with open(tmp, "w") as f:
        f.write(original + "# replaced by rename\n")
    os.rename(tmp, krb5_conf)
    session("a session after replacing krb5.conf by rename")
    long_alive("edit and rename")

    # A setting whose effect shows: no enctype the realm's keys use.
    before = started(gw)
    with open(krb5_conf, "w") as f:
        f.write(original.replace("[libdefaults]\n",
                                 "[libdefaults]\n\tpermitted_enctypes = camellia128-cts-cmac\n"))
    session("before SIGHUP the running processes keep the configuration they read")
    gw.reload()
    tap.ok(wait_for(lambda: started(gw).get(("authproc", 0)) not in
                    (None, before.get(("authproc", 0))), 20),
           "SIGHUP: a new authproc started", "before %r after %r" % (before, started(gw)))
    old_pid = before.get(("authproc", 0))
    tap.ok(wait_for(lambda: "pid=%d action=exit" % old_pid in gw.log_text(), 15),
           "the replaced authproc exits once it holds no handshake")
    log_mark = len(gw.log_text())
    session("after SIGHUP the new permitted_enctypes is in force (session refused)", want=False)
    tap.ok(wait_for(lambda: "enctype" in gw.log_text()[log_mark:].lower(), 10),
           "authproc names the refused enctype", gw.log_text()[log_mark:][-1500:])
    long_alive("SIGHUP")

    with open(krb5_conf, "w") as f:
        f.write(original)
    before = started(gw)
    gw.reload()
    tap.ok(wait_for(lambda: started(gw).get(("authproc", 0)) != before.get(("authproc", 0)), 20),
           "second SIGHUP: authproc replaced")
    session("after the setting is removed and SIGHUP, sessions succeed again")
    long_alive("second SIGHUP")

    # A SIGHUP while the replaced authproc still holds a handshake waits
    # for it; the replacement is carried out once that handshake is over.
    held = socket.create_connection(("127.0.0.1", gw.port), timeout=10)
    held.sendall(b"\x05\x01\x01")
    tap.eq(recv_exact(held, 2), b"\x05\x01", "a handshake is held open in authproc")
    holder = started(gw).get(("authproc", 0))
    gw.reload()
    tap.ok(wait_for(lambda: started(gw).get(("authproc", 0)) != holder, 20),
           "SIGHUP with a handshake in flight: a new authproc starts")
    session("a session while the replaced authproc finishes its handshake")
    second = started(gw).get(("authproc", 0))
    mark = len(gw.log_text())
    gw.reload()
    tap.ok(wait_for(lambda: "action=replace-deferred reason=\"the authproc replaced before "
                    "still runs" in gw.log_text()[mark:], 10),
           "another SIGHUP meanwhile is deferred, saying why")
    time.sleep(1.5)
    tap.ok("pid=%d action=exit" % holder not in gw.log_text(),
           "the authproc holding the handshake is not stopped")
    held.close()
    tap.ok(wait_for(lambda: "pid=%d action=exit" % holder in gw.log_text(), 15),
           "it exits once the handshake is over")
    tap.ok(wait_for(lambda: started(gw).get(("authproc", 0)) not in (holder, second), 15),
           "then the deferred replacement is carried out")
    session("a session after the deferred replacement")
    long_alive("deferred replacement")

    # A krb5.conf that does not parse, then SIGHUP: the new authproc fails
    # at start; the one it was to replace goes on (sessions too), and no
    # start-failure count stops the daemon.  Fixed, SIGHUP replaces it.
    with open(krb5_conf, "w") as f:
        f.write("[libdefaults\n{{{ not a krb5.conf\n")
    holder = started(gw).get(("authproc", 0))
    mark = len(gw.log_text())
    gw.reload()
    tap.ok(wait_for(lambda: "pid=%d action=reinstate" % holder in gw.log_text()[mark:], 20),
           "SIGHUP with a broken krb5.conf: the replaced authproc is reinstated",
           gw.log_text()[mark:][-2000:])
    tap.ok(re.search(r"action=reinstate .*last-error=\"krb5 configuration: [^\"]*Improper "
                     r"format of Kerberos configuration file", gw.log_text()[mark:]),
           "the reinstate line quotes the new authproc's krb5 error as text")
    session("a session after the broken reload (the previous authproc serves it)")
    long_alive("SIGHUP with a broken krb5.conf")
    time.sleep(1)
    tap.ok(gw.alive() and "action=give-up" not in gw.log_text(),
           "gssocksd still runs: a broken krb5.conf costs the reload, not the gateway")
    tap.ok(started(gw).get(("authproc", 0)) != holder and
           "pid=%d action=stop" % holder not in gw.log_text()[mark:],
           "the reinstated authproc is not stopped")
    with open(krb5_conf, "w") as f:
        f.write(original)
    gw.reload()
    tap.ok(wait_for(lambda: "pid=%d action=exit" % holder in gw.log_text()[mark:], 20),
           "krb5.conf fixed, SIGHUP: the reinstated authproc is replaced and exits")
    session("a session after the fixed reload")
    long_alive("fixed reload")

    # krb5.conf broken without a SIGHUP, then a relay dies: each new relay
    # fails at start.  The gateway was serving, so it goes on with the
    # other relay (the long session is there) instead of giving up and
    # cutting every session; krb5.conf fixed, the relay comes back.
    m = re.search(r"event=auth session=1 result=ok .* slot=(\d)", gw.log_text())
    victim = 1 - int(m.group(1)) if m else 1
    victim_pid = started(gw).get(("relay", victim))
    with open(krb5_conf, "w") as f:
        f.write("[libdefaults\n{{{ not a krb5.conf\n")
    mark = len(gw.log_text())
    os.kill(victim_pid, signal.SIGKILL)
    tap.ok(wait_for(lambda: "name=relay slot=%d action=start-failing" % victim
                    in gw.log_text()[mark:], 40),
           "a relay failing at start after the gateway served: action=start-failing",
           gw.log_text()[mark:][-1500:])
    tap.ok(gw.alive() and "action=give-up" not in gw.log_text(),
           "gssocksd does not give up: it was serving")
    long_alive("a relay failing at start")
    # a new session may land on the failing relay in the milliseconds it
    # lives; what matters is that the gateway serves: one of three
    tap.ok(any(session_ok() for _ in range(3)),
           "new sessions are served by the relay that runs")
    with open(krb5_conf, "w") as f:
        f.write(original)
    mark = len(gw.log_text())
    tap.ok(wait_for(lambda: re.search(r"name=relay slot=%d pid=\d+ action=start" % victim,
                                      gw.log_text()[mark:]), 20),
           "krb5.conf fixed: the relay is started again")
    time.sleep(4)
    back = started(gw).get(("relay", victim))
    tap.ok("pid=%d action=exit" % back not in gw.log_text()[mark:],
           "and it runs (no exit since)")
    long_alive("the relay is back")

    long_s.close()
    tap.ok(gw.alive(), "gssocksd still runs")
    check_sanitizers(tap, gw, client)


if __name__ == "__main__":
    main(body)
