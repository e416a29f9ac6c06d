#!/usr/bin/python3
"""e2e: gssocksd decides with the principal's policy (gssocks-policy(5)).

Every check reads the audit records gssocksd sends to the test's own
syslog socket (SyslogSink).
  - A destination the policy denies gets REP 02 and an `event=request
    result=denied` record naming the policy file and the rule's line; the
    target sees no connection.
  - A principal whose policy allows only integrity asks for
    confidentiality (gssocks-client -A): it gets integrity (level record
    and the client's own -v line).
  - max-sessions 1: a second concurrent session is refused
    (`event=auth result=refused reason=session-limit`) while the first
    lives; once it ended, a new one is accepted.
  - SIGHUP with a broken file: `event=reload result=failed`, the old policy
    still decides (denied stays denied, allowed stays allowed) and a
    64 MiB upload started before the SIGHUP arrives intact.
  - SIGHUP with a good new file: `event=reload result=ok`; new sessions are
    decided by it, a session opened before it goes on.
  - idle-timeout ends a silent session (reason=idle), max-duration a busy
    one (reason=max-duration), both from the principal's policy.
  - a policy directory replaced by another (renamed over it): the reload
    fails and its record says the directory is not the one gssocksd
    started with (the sandbox reads only that one) and what to do; put
    back, the reload works.
  - gssocksd -t with a broken policy prints file:line: reason and exits 1;
    start-up with it is refused.
"""

import os
import shutil
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gssocks_harness import (MIB, Client, Echo, Gateway, Realm, Sink, binary,  # noqa: E402
                             check_sanitizers, det_sha256, det_stream, free_port, main,
                             recv_exact, require, socks5_connect)

ALICE = "alice@GSSOCKS.TEST"
BIG = 64 * MIB


def echo_ok(client, echo, what, tap):
    rep, s, _ = socks5_connect(client.addr, "127.0.0.1", echo.port)
    if not tap.eq(rep, 0, "%s: CONNECT to the echo server allowed" % what):
        return None
    s.sendall(b"ping")
    tap.eq(recv_exact(s, 4), b"ping", "%s: echo comes back" % what)
    return s


def denied(client, gw, port, line, what, tap):
    """CONNECT to 127.0.0.1:PORT must get REP 02 with a record of FILE:LINE."""
    before = len(gw.syslog.records(event="request", result="denied"))
    rep, s, _ = socks5_connect(client.addr, "127.0.0.1", port)
    if s:
        s.close()
    tap.eq(rep, 2, "%s: CONNECT 127.0.0.1:%d gets REP 02" % (what, port))
    recs = gw.syslog.wait(count=before + 1, event="request", result="denied")
    want = "%s:%d" % (os.path.join(gw.policy_dir, ALICE), line)
    last = recs[-1]["kv"] if len(recs) > before else {}
    tap.eq((last.get("policy"), last.get("rep"), last.get("dst")),
           (want, "2", "127.0.0.1:%d" % port),
           "%s: denied record names %s" % (what, want))


def test_levels_and_denial(tap, realm):
    deny_target = Echo()
    echo = Echo()
    policy = {ALICE: "levels integrity\n"
                     "deny connect 127.0.0.1 port %d\n"
                     "allow connect any\n" % deny_target.port}
    gw = Gateway(realm, tap, policy=policy).start()
    client = Client(realm, "127.0.0.1:%d" % gw.port, tap, level="confidentiality",
                    extra=["-A"]).start()

    s = echo_ok(client, echo, "integrity-only principal", tap)
    if s:
        s.close()
    lev = gw.syslog.wait(event="level", result="ok")
    tap.ok(lev and lev[0]["kv"].get("level") == "integrity" and
           lev[0]["kv"].get("requested") == "2" and lev[0]["kv"].get("principal") == ALICE,
           "asked confidentiality, the policy gave integrity (level record)",
           "records: %r" % [r["text"] for r in lev])
    tap.ok("protection level agreed: integrity" in client.log_text(),
           "gssocks-client -v says integrity was agreed")

    denied(client, gw, deny_target.port, 2, "deny rule", tap)
    tap.eq(len(deny_target.conns), 0, "denied target saw no connection")

    # --- SIGHUP with a broken file during a 64 MiB upload ---------------
    sink = Sink()
    rep, big, _ = socks5_connect(client.addr, "127.0.0.1", sink.port)
    upload_error = []
    if tap.eq(rep, 0, "64 MiB upload: CONNECT allowed"):
        gate = threading.Event()

        def run():
            # half the data, then wait for the reload, then the rest:
            # the transfer is live across the SIGHUP for sure
            try:
                with big:
                    big.settimeout(120)
                    for i, chunk in enumerate(det_stream(7, BIG)):
                        if i == 32:
                            gate.wait(60)
                        big.sendall(chunk)
                    big.shutdown(socket.SHUT_WR)
                    while big.recv(65536):
                        pass
            except Exception as e:  # reported below
                upload_error.append(repr(e))
        th = threading.Thread(target=run, daemon=True)
        th.start()
        tap.ok(sink.wait_progress(16 * MIB, timeout=60), "64 MiB upload under way")
        gw.write_policy({"bob@GSSOCKS.TEST": "allow connect any\nfrobnicate now\n"},
                        clear=False)
        gw.reload()
        fail = gw.syslog.wait(event="reload", result="failed")
        tap.ok(fail and fail[0]["kv"].get("errors") == "1" and
               "bob@GSSOCKS.TEST:2" in fail[0]["kv"].get("first", ""),
               "broken file: event=reload result=failed naming file:line",
               "records: %r" % [r["text"] for r in fail])
        tap.ok("policy not reloaded" in gw.log_text() and "bob@GSSOCKS.TEST:2:" in gw.log_text(),
               "the log says why the policy was not reloaded")
        denied(client, gw, deny_target.port, 2, "after the failed reload", tap)
        s = echo_ok(client, echo, "after the failed reload", tap)
        if s:
            s.close()
        gate.set()
        th.join(180)
        res = sink.wait(1, timeout=120)
        tap.eq((res[0].get("bytes"), res[0].get("sha256")) if res else None,
               (BIG, det_sha256(7, BIG)),
               "64 MiB upload across the failed reload arrived intact")
        tap.ok(not upload_error, "upload ran without error", "error: %r" % upload_error)
    sink.stop()

    # --- SIGHUP with a good new file ---------------------------------------
    live = echo_ok(client, echo, "session opened before the good reload", tap)
    gw.write_policy({ALICE: "levels integrity\n"
                            "deny connect 127.0.0.1 port %d\n"
                            "allow connect any\n" % echo.port})
    gw.reload()
    ok = gw.syslog.wait(event="reload", result="ok")
    tap.ok(ok, "good file: event=reload result=ok")
    denied(client, gw, echo.port, 2, "new session after the good reload", tap)
    s = None
    rep, s, _ = socks5_connect(client.addr, "127.0.0.1", deny_target.port)
    tap.eq(rep, 0, "the formerly denied destination is allowed after the reload")
    if s:
        s.close()
    if live:
        live.sendall(b"pong")
        tap.eq(recv_exact(live, 4), b"pong", "session opened before the reload goes on")
        live.close()
    tap.ok(gw.alive(), "gssocksd still running")
    client.stop()
    gw.stop()
    echo.stop()
    deny_target.stop()
    check_sanitizers(tap, gw, client)


def test_session_limit(tap, realm):
    echo = Echo()
    gw = Gateway(realm, tap, policy={"default": "max-sessions 1\nallow connect any\n"}).start()
    client = Client(realm, "127.0.0.1:%d" % gw.port, tap).start()
    first = echo_ok(client, echo, "first session", tap)
    rep, s, _ = socks5_connect(client.addr, "127.0.0.1", echo.port)
    if s:
        s.close()
    tap.ok(rep != 0, "second concurrent session refused (rep %r)" % rep)
    refused = gw.syslog.wait(event="auth", result="refused")
    tap.ok(refused and refused[0]["kv"].get("reason") == "session-limit" and
           refused[0]["kv"].get("principal") == ALICE,
           "record event=auth result=refused reason=session-limit",
           "records: %r" % [r["text"] for r in refused])
    if first:
        first.sendall(b"live")
        tap.eq(recv_exact(first, 4), b"live", "first session unaffected")
        first.close()
        sid = gw.syslog.records(event="request", result="allowed")[0]["kv"]["session"]
        tap.ok(gw.syslog.wait(event="end", session=sid),
               "first session's end recorded")
    again = echo_ok(client, echo, "new session once the first ended", tap)
    if again:
        again.close()
    client.stop()
    gw.stop()
    echo.stop()
    check_sanitizers(tap, gw, client)


def test_duration_limits(tap, realm):
    """max-duration ends a busy session; idle-timeout ends a silent one."""
    echo = Echo()
    gw = Gateway(realm, tap, policy={"default": "max-duration 2\nallow connect any\n",
                                     ALICE: "idle-timeout 1\nallow connect any\n"}).start()
    client = Client(realm, "127.0.0.1:%d" % gw.port, tap).start()
    s = echo_ok(client, echo, "idle-timeout 1 session", tap)
    if s:
        end = gw.syslog.wait(timeout=10, event="end")
        tap.eq(end[0]["kv"].get("reason") if end else None, "idle",
               "a silent session ends with reason=idle after the policy's idle-timeout")
        s.close()
    gw.write_policy({"default": "max-duration 2\nallow connect any\n"})
    gw.reload()
    tap.ok(gw.syslog.wait(event="reload", result="ok"), "reload to max-duration 2")
    s = echo_ok(client, echo, "max-duration 2 session", tap)
    if s:
        start = time.time()
        try:
            s.settimeout(1)
            while time.time() - start < 8:
                s.sendall(b"busy")
                if recv_exact(s, 4) != b"busy":
                    break
                time.sleep(0.2)
        except Exception:
            pass
        s.close()
        end = gw.syslog.wait(timeout=10, count=2, event="end")
        tap.eq(end[1]["kv"].get("reason") if len(end) > 1 else None, "max-duration",
               "a busy session ends with reason=max-duration")
        tap.ok(time.time() - start < 6, "ended within the limit (and the sweep)")
    client.stop()
    gw.stop()
    echo.stop()
    check_sanitizers(tap, gw, client)


def test_replaced_dir(tap, realm):
    """A policy directory replaced under the running gateway (a new one
    renamed over it): the sandbox reads only the one gssocksd started
    with, so the reload fails, and it says why; put back, it works."""
    gw = Gateway(realm, tap, policy={"default": "allow connect any\n"}).start()
    aside = gw.policy_dir + ".started"
    fresh = gw.policy_dir + ".new"
    os.mkdir(fresh)
    with open(os.path.join(fresh, "default"), "w") as f:
        f.write("allow connect any\n")
    os.rename(gw.policy_dir, aside)
    os.rename(fresh, gw.policy_dir)
    gw.reload()
    got = gw.syslog.wait(event="reload")
    if got and got[0]["kv"].get("result") == "ok":
        tap.skip("a replaced policy directory says why it is refused",
                 "the reload succeeded: no Landlock here")
    else:
        first = got[0]["kv"].get("first", "") if got else ""
        tap.ok("not the one gssocksd started with" in first and "restart gssocksd" in first,
               "reload of a replaced policy directory: event=reload result=failed says it "
               "was replaced and what to do", "records: %r" % [r["text"] for r in got])
        tap.ok("not the one gssocksd started with" in gw.log_text(),
               "the log line says it too")
    shutil.rmtree(gw.policy_dir)
    os.rename(aside, gw.policy_dir)
    gw.reload()
    again = gw.syslog.wait(count=2, event="reload")
    tap.ok(len(again) >= 2 and again[1]["kv"].get("result") == "ok",
           "the directory it started with put back: reload ok",
           "records: %r" % [r["text"] for r in again])
    tap.ok(gw.alive(), "gssocksd still running")
    gw.stop()
    check_sanitizers(tap, gw)


def test_check_and_startup(tap, realm):
    broken = {"default": "allow connect any\n",
              ALICE: "levels integrity\nallow connect any\nallow connect 10.0.0.1/8\n"}
    gw = Gateway(realm, tap, policy=broken)
    conf = gw.write_conf(free_port())
    where = os.path.join(gw.policy_dir, ALICE) + ":3: "
    r = subprocess.run([binary("gssocksd"), "-t", "-f", conf], env=realm.env,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
    err = r.stderr.decode(errors="replace")
    tap.eq(r.returncode, 1, "gssocksd -t with a broken policy exits 1")
    tap.ok(where in err, "gssocksd -t prints file:line: reason", "stderr: %r" % err)
    r = subprocess.run([binary("gssocksd"), "-D", "-e", "-f", conf], env=realm.env,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
    err = r.stderr.decode(errors="replace")
    tap.eq(r.returncode, 1, "start-up with a broken policy refused (exit 1)")
    tap.ok(where in err, "start-up says file:line: reason", "stderr: %r" % err)
    gw.write_policy({"default": "allow connect any\n"})
    r = subprocess.run([binary("gssocksd"), "-t", "-f", conf], env=realm.env,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
    tap.eq(r.returncode, 0, "gssocksd -t with a valid policy exits 0")
    gw.syslog.stop()


def body(tap):
    require()
    realm = Realm(tap).start()
    tap.run("levels, denial and reload", test_levels_and_denial, tap, realm)
    tap.run("session limit", test_session_limit, tap, realm)
    tap.run("duration limits", test_duration_limits, tap, realm)
    tap.run("replaced policy directory", test_replaced_dir, tap, realm)
    tap.run("-t and start-up", test_check_and_startup, tap, realm)


if __name__ == "__main__":
    main(body)
