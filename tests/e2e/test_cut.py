#!/usr/bin/python3
"""e2e: a cut session never looks complete (ARCHITECTURE invariant 7).

gssocksd with one relay worker, gssocks-client in front of it:

  - orderly: a download and an upload of 16 MiB each end with end of
    file and every byte (SHA-256 compared) at the far side;
  - cut download: a target streams 256 MiB towards the program behind
    gssocks-client; once a few MiB arrived the relay worker gets SIGKILL.
    The program must then see ECONNRESET (not end of file) and so must the
    target; the master's end record says reason=relay-died;
  - cut upload: the program streams 256 MiB towards a sink; SIGKILL of the
    relay mid-way: the sink sees ECONNRESET (a truncated upload must not
    look complete to it), the program ECONNRESET too;
  - gssocks-connect whose stdin/stdout is a TCP socket: the cut download
    resets that socket and gssocks-connect exits 1.

The relay's pid comes from the master's event=child start records
(tests/sandbox/live_procs.py).
"""

import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "sandbox"))
from gssocks_harness import (BUILD, MIB, Client, Gateway, Realm, Sink, Source, _Server,  # noqa: E402
                             check_sanitizers, det_sha256, det_stream, download, main,
                             require, socks5_connect, upload)
from live_procs import children  # noqa: E402

ORDERLY = 16 * MIB
STREAM = 256 * MIB
CUT_AFTER = 4 * MIB


def outcome(fn):
    """Run FN (which reads or writes until the connection ends).

    "reset" for ECONNRESET, "eof" for a clean end of file, else the error.
    """
    try:
        fn()
        return "eof"
    except ConnectionResetError:
        return "reset"
    except BrokenPipeError:
        return "broken pipe"
    except Exception as e:
        return repr(e)


def read_to_end(s, progress):
    buf = bytearray(256 * 1024)
    while True:
        k = s.recv_into(buf)
        if k == 0:
            return
        progress[0] += k


class Streamer(_Server):
    """Sends STREAM bytes and reports how the connection ended for it.

    One thread, non-blocking, reading whenever the socket is readable, so
    the first call after the relay's end sees what arrived: ECONNRESET
    ("reset": a reset in ESTABLISHED) or end of file ("eof"); a reset that
    follows a FIN is EPIPE ("broken pipe").  Two threads would race for
    the one pending socket error.
    """

    def serve(self, c):
        c.setblocking(False)
        poller = select.poll()
        stream = det_stream(7, STREAM)
        pending = b""
        end = None
        try:
            while end is None:
                if not pending:
                    pending = next(stream, b"")
                mask = select.POLLIN | (select.POLLOUT if pending else 0)
                poller.register(c, mask)
                ready = poller.poll(60000)
                if not ready:
                    end = "timeout"
                    break
                ev = ready[0][1]
                if ev & (select.POLLIN | select.POLLERR | select.POLLHUP):
                    if c.recv(65536) == b"":
                        end = "eof"
                    continue
                if ev & select.POLLOUT:
                    pending = pending[c.send(pending):]
        except ConnectionResetError:
            end = "reset"
        except BrokenPipeError:
            end = "broken pipe"
        except OSError as e:
            end = repr(e)
        self._report({"end": end})


def relay_pid(gw):
    """The running relay worker's pid (relay-workers 1)."""
    found = children(gw).get(("relay", 0))
    return found[0] if found else None


def wait_until(cond, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if cond():
            return True
        time.sleep(0.05)
    return False


def orderly(tap, client):
    src = Source(ORDERLY, seed=3)
    rep, s, _ = socks5_connect(client.addr, "127.0.0.1", src.port)
    if tap.eq(rep, 0, "orderly download: CONNECT succeeded"):
        with s:
            s.settimeout(120)
            got = download(s)
        tap.eq(got, (ORDERLY, det_sha256(3, ORDERLY)),
               "orderly download: end of file after every byte (bytes, SHA-256)")
    src.stop()

    sink = Sink()
    rep, s, _ = socks5_connect(client.addr, "127.0.0.1", sink.port)
    if tap.eq(rep, 0, "orderly upload: CONNECT succeeded"):
        with s:
            s.settimeout(120)
            upload(s, 4, ORDERLY)
        res = sink.wait(1, timeout=120)[0]
        tap.eq((res.get("bytes"), res.get("sha256")), (ORDERLY, det_sha256(4, ORDERLY)),
               "orderly upload: the sink got end of file after every byte (bytes, SHA-256)")
    sink.stop()


def kill_relay_when(tap, gw, what, progressed):
    pid = relay_pid(gw)
    if not tap.ok(pid is not None, "%s: relay pid known" % what):
        return False
    if not tap.ok(wait_until(progressed, 60), "%s: %d MiB moved before the kill" %
                  (what, CUT_AFTER // MIB)):
        return False
    os.kill(pid, signal.SIGKILL)
    return True


def cut_download(tap, gw, client):
    target = Streamer()
    rep, s, _ = socks5_connect(client.addr, "127.0.0.1", target.port)
    if not tap.eq(rep, 0, "cut download: CONNECT succeeded"):
        target.stop()
        return
    s.settimeout(60)
    progress = [0]
    result = {}
    t = threading.Thread(target=lambda: result.update(
        program=outcome(lambda: read_to_end(s, progress))), daemon=True)
    t.start()
    if kill_relay_when(tap, gw, "cut download", lambda: progress[0] >= CUT_AFTER):
        t.join(60)
        tap.ok(progress[0] < STREAM, "cut download: the kill came mid-transfer (%d of %d)" %
               (progress[0], STREAM))
        tap.eq(result.get("program"), "reset",
               "cut download: the program behind gssocks-client gets ECONNRESET, not EOF")
        res = target.wait(1, timeout=60)[0]
        tap.eq(res.get("end"), "reset", "cut download: the target gets ECONNRESET, not EOF")
    s.close()
    target.stop()


def cut_upload(tap, gw, client):
    sink = Sink()
    rep, s, _ = socks5_connect(client.addr, "127.0.0.1", sink.port)
    if not tap.eq(rep, 0, "cut upload: CONNECT succeeded"):
        sink.stop()
        return
    s.settimeout(60)
    result = {}

    def send_then_read():
        for chunk in det_stream(9, STREAM):
            s.sendall(chunk)
        s.shutdown(socket.SHUT_WR)
        read_to_end(s, [0])

    t = threading.Thread(target=lambda: result.update(program=outcome(send_then_read)),
                         daemon=True)
    t.start()
    if kill_relay_when(tap, gw, "cut upload", lambda: sink.progress >= CUT_AFTER):
        res = sink.wait(1, timeout=60)[0]
        tap.eq(res.get("end"), "reset", "cut upload: the sink gets ECONNRESET, not EOF")
        tap.ok(res.get("bytes", 0) < STREAM, "cut upload: the kill came mid-transfer")
        t.join(60)
        tap.eq(result.get("program"), "reset",
               "cut upload: the program behind gssocks-client gets ECONNRESET")
    s.close()
    sink.stop()


def cut_connect(tap, realm, gw):
    """gssocks-connect on a TCP socket (as from inetd): reset, exit 1."""
    target = Streamer()
    ls = socket.create_server(("127.0.0.1", 0))
    mine = socket.create_connection(ls.getsockname())
    theirs, _ = ls.accept()
    ls.close()
    argv = [os.path.join(BUILD, "client", "gssocks-connect"), "-g", "localhost:%d" % gw.port,
            "-s", "rcmd", "127.0.0.1", str(target.port)]
    p = subprocess.Popen(argv, env=realm.env, stdin=theirs.fileno(), stdout=theirs.fileno(),
                         stderr=subprocess.PIPE)
    theirs.close()
    mine.settimeout(60)
    progress = [0]
    result = {}
    t = threading.Thread(target=lambda: result.update(
        program=outcome(lambda: read_to_end(mine, progress))), daemon=True)
    t.start()
    try:
        if kill_relay_when(tap, gw, "gssocks-connect cut", lambda: progress[0] >= CUT_AFTER):
            t.join(60)
            tap.eq(result.get("program"), "reset",
                   "gssocks-connect cut: its stdout socket is reset, not closed")
            try:
                _, err = p.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                err = b"still running 30 s after the cut"
            tap.ok(p.returncode == 1, "gssocks-connect cut: exit status 1",
                   "exit %r: %s" % (p.returncode, err.decode(errors="replace")))
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        mine.close()
        target.stop()


def body(tap):
    require()
    realm = Realm(tap).start()
    gw = Gateway(realm, tap, relay_workers="1").start()
    client = Client(realm, "localhost:%d" % gw.port, tap).start()

    tap.run("orderly transfers", orderly, tap, client)
    tap.run("cut download", cut_download, tap, gw, client)
    tap.ok(gw.syslog.wait(event="end", reason="relay-died", phase="relaying"),
           "the master's end record for the cut session says reason=relay-died")
    # the respawned relay serves the next session
    tap.ok(wait_until(lambda: relay_pid(gw) is not None and
                      ("relay", 0) in children(gw) and
                      children(gw)[("relay", 0)][1] >= 2, 15), "relay respawned")
    tap.run("cut upload", cut_upload, tap, gw, client)
    tap.ok(wait_until(lambda: children(gw)[("relay", 0)][1] >= 3, 15), "relay respawned again")
    tap.run("gssocks-connect cut", cut_connect, tap, realm, gw)
    tap.ok(gw.alive(), "gssocksd still runs")
    check_sanitizers(tap, gw, client)


if __name__ == "__main__":
    main(body)
