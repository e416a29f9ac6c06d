#!/usr/bin/python3
"""e2e: a pre-authentication flood does not lock out real users.

gssocksd with max-unauthenticated 256 and max-unauthenticated-per-address
32 (set explicitly).  A flooder thread keeps 340 connections open that never
authenticate, from 20 loopback addresses: 300 idle ones (40 of them from
127.0.0.1, the healthy client's own address, over its per-address cap of
32) and 40 slowloris ones (one greeting octet every 2 s) spread over
127.0.0.2..20; a connection the gateway closes is opened again 0.25 s
later, so the budget stays full.  Meanwhile a healthy client (curl through
gssocks-client, level clear) authenticates and fetches a page 50 times:
  - at least 48 of the 50 fetches succeed, each within 3 s;
  - the gateway made room by evicting flood connections (event=evict
    records, aggregated: each carries count=N, at most one per reason and
    second) and evicted ones got 05 ff and the busy text;
  - syslog stays under 100 records a second during the flood, and no
    event=refuse/evict record is written per connection.
"""

import errno
import os
import resource
import selectors
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gssocks_harness import (Client, Gateway, QuietHandler, Realm, WebServer,  # noqa: E402
                             check_sanitizers, main, require, wait_for)

PAGE = b"<html><body>gssocks flood page 81c3</body></html>\n"
FETCHES = 50
NEEDED = 48
FETCH_LIMIT_S = 3.0
FETCH_PACE_S = 0.3              # a person's pace, not a benchmark's
MAX_UNAUTH = 256
PER_ADDRESS = 32
IDLE_SAME_ADDRESS = 40          # from 127.0.0.1, where the healthy client is
IDLE_OTHERS = 260               # 127.0.0.2..20
SLOWLORIS = 40                  # 127.0.0.2..20
SLOW_INTERVAL_S = 2.0
RECONNECT_S = 0.25
RECORDS_PER_S = 100
BUSY = b"\x05\xffgssocksd: limit reached\n"


class Web(WebServer):
    def __init__(self):
        class Handler(QuietHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(PAGE)))
                self.end_headers()
                self.wfile.write(PAGE)

        super().__init__(Handler)


class Flooder:
    """Keeps every slot connected; counts connects, closes, busy notices."""

    def __init__(self, port, slots):
        self.port = port
        self.slots = slots              # [(source address, "idle"|"slow")]
        self.sel = selectors.DefaultSelector()
        self.stop_ev = threading.Event()
        self.connects = 0
        self.closed = 0
        self.busy = 0
        self.open = 0
        self.max_open = 0
        self.errors = []
        self.thread = threading.Thread(target=self._run, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.stop_ev.set()
        self.thread.join(10)

    def _connect(self, i, st):
        src, kind = self.slots[i]
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        try:
            s.bind((src, 0))
            rc = s.connect_ex(("127.0.0.1", self.port))
        except OSError as e:
            s.close()
            self.errors.append("connect from %s: %r" % (src, e))
            st[i] = {"sock": None, "due": time.monotonic() + RECONNECT_S}
            return
        if rc not in (0, errno.EINPROGRESS):
            s.close()
            st[i] = {"sock": None, "due": time.monotonic() + RECONNECT_S}
            return
        self.connects += 1
        self.open += 1
        self.max_open = max(self.max_open, self.open)
        st[i] = {"sock": s, "kind": kind, "sent": 0, "got": b"",
                 "next_send": time.monotonic() + (0.1 if kind == "slow" else 1e9)}
        self.sel.register(s, selectors.EVENT_READ, i)

    def _close(self, i, st):
        s = st[i]["sock"]
        if st[i]["got"].startswith(BUSY):
            self.busy += 1
        self.sel.unregister(s)
        s.close()
        self.open -= 1
        self.closed += 1
        st[i] = {"sock": None, "due": time.monotonic() + RECONNECT_S}

    def _run(self):
        st = {}
        for i in range(len(self.slots)):
            self._connect(i, st)
        # slowloris greeting: VER 5, NMETHODS 255, then 255 methods
        greeting = bytes([5, 255]) + bytes([1]) * 255
        while not self.stop_ev.is_set():
            for key, _ in self.sel.select(0.05):
                i = key.data
                try:
                    data = st[i]["sock"].recv(4096)
                except BlockingIOError:
                    continue
                except OSError:
                    data = b""
                if data:
                    st[i]["got"] += data[:64]
                    continue
                self._close(i, st)
            now = time.monotonic()
            for i in range(len(self.slots)):
                e = st[i]
                if e["sock"] is None:
                    if now >= e["due"]:
                        self._connect(i, st)
                    continue
                if e["kind"] == "slow" and now >= e["next_send"]:
                    e["next_send"] = now + SLOW_INTERVAL_S
                    try:
                        e["sock"].send(greeting[e["sent"] % len(greeting):][:1])
                        e["sent"] += 1
                    except (BlockingIOError, InterruptedError):
                        pass
                    except OSError:
                        self._close(i, st)
        for e in st.values():
            if e.get("sock") is not None:
                e["sock"].close()


def flood_slots():
    others = ["127.0.0.%d" % a for a in range(2, 21)]
    slots = [("127.0.0.1", "idle")] * IDLE_SAME_ADDRESS
    slots += [(others[i % len(others)], "idle") for i in range(IDLE_OTHERS)]
    slots += [(others[i % len(others)], "slow") for i in range(SLOWLORIS)]
    return slots


def raise_fd_limit(tap):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = 4096 if hard == resource.RLIM_INFINITY else min(hard, 4096)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def fetch(realm, client, url):
    t0 = time.monotonic()
    r = subprocess.run(["curl", "-sS", "--max-time", "10", "--socks5-hostname",
                        "127.0.0.1:%d" % client.port, url],
                       env=realm.env, capture_output=True, timeout=30)
    return r.returncode == 0 and r.stdout == PAGE, time.monotonic() - t0, r.stderr


def counted(rec):
    return rec["kv"].get("count", "").isdigit()


def body(tap):
    require(programs=("curl",))
    if raise_fd_limit(tap) < 1024:
        tap.skip("flood", "RLIMIT_NOFILE below 1024")
        return
    realm = Realm(tap).start()
    web = Web()
    url = "http://127.0.0.1:%d/page.html" % web.port
    gw = Gateway(realm, tap, dual=False, allow_clear="yes",
                 max_unauthenticated=str(MAX_UNAUTH),
                 max_unauthenticated_per_address=str(PER_ADDRESS),
                 max_sessions="1024", greeting_timeout="10", auth_timeout="20").start()
    client = Client(realm, "127.0.0.1:%d" % gw.port, tap, level="clear").start()

    ok, took, err = fetch(realm, client, url)
    if not tap.ok(ok, "a fetch before the flood works (%.2f s)" % took, err[-300:]):
        return

    flood = Flooder(gw.port, flood_slots()).start()
    tap.ok(wait_for(lambda: flood.max_open >= 300, timeout=20),
           "the flooder holds its connections (%d open at most)" % flood.max_open,
           "; ".join(flood.errors[:5]))
    full = wait_for(lambda: gw.syslog.records(event="evict"), timeout=20)
    tap.ok(full, "the gateway reached max-unauthenticated and evicts")

    since = len(gw.syslog.records())
    t0 = time.monotonic()
    good, slow, failures, times = 0, [], [], []
    for i in range(FETCHES):
        ok, took, err = fetch(realm, client, url)
        times.append(took)
        if ok and took <= FETCH_LIMIT_S:
            good += 1
        elif ok:
            slow.append("%d: %.2f s" % (i, took))
        else:
            failures.append("%d: %.2f s %s" % (i, took, err.decode(errors="replace")[-200:]))
        time.sleep(max(0.0, FETCH_PACE_S - took))
    open_now, connects, busy = flood.open, flood.connects, flood.busy
    # the flood ends: the gateway sees ~300 connections close at once
    flood.stop()
    time.sleep(1.5)             # counted records are written once a second
    elapsed = time.monotonic() - t0
    records = gw.syslog.records()[since:]

    tap.ok(good >= NEEDED,
           "%d of %d fetches during the flood succeeded within %.0f s (need %d)"
           % (good, FETCHES, FETCH_LIMIT_S, NEEDED),
           "slow: %s; failed: %s" % (slow, failures[:5]))
    tap.diag("flood: %d connects, %d open at the end, %d busy notices; %.1f s; "
             "slowest fetch %.2f s" % (connects, open_now, busy, elapsed, max(times)))
    for line in slow + failures:
        tap.diag("fetch " + line)
    tap.ok(connects > len(flood.slots), "the gateway closed flood connections (they came back)")
    tap.ok(busy > 0, "evicted flood connections got 05 ff and the busy text")

    rate = len(records) / max(elapsed, 1.0)
    tap.ok(rate < RECORDS_PER_S, "syslog during the flood and its end: %.1f records/s (< %d)"
           % (rate, RECORDS_PER_S), "%d records in %.1f s" % (len(records), elapsed))
    tap.diag("%d records in %.1f s" % (len(records), elapsed))
    flood_recs = [r for r in records if r["kv"].get("event") in ("evict", "refuse")]
    tap.ok(flood_recs and all(counted(r) for r in flood_recs),
           "every event=evict/refuse record is aggregated (count=N)",
           "; ".join(r["text"] for r in flood_recs if not counted(r))[:500])
    evicted = sum(int(r["kv"]["count"]) for r in flood_recs
                  if r["kv"].get("event") == "evict" and counted(r))
    tap.ok(evicted > 0, "event=evict records count %d evictions" % evicted)
    seconds = {}
    for r in flood_recs:
        key = (r["stamp"], r["kv"].get("event"), r["kv"].get("reason"))
        seconds[key] = seconds.get(key, 0) + 1
    worst = max(seconds.values()) if seconds else 0
    # a one-second timer can land twice in one wall-clock second
    tap.ok(worst <= 2, "at most one record per reason and second (%d at most)" % worst,
           repr([k for k, v in seconds.items() if v > 2][:5]))
    reasons = {r["kv"].get("reason") for r in gw.syslog.records(event="evict")}
    tap.ok("max-unauthenticated-per-address" in reasons,
           "127.0.0.1 over its per-address cap: evictions from its own prefix",
           repr(sorted(reasons)))

    ok, took, err = fetch(realm, client, url)
    tap.ok(ok, "a fetch after the flood works (%.2f s)" % took, err[-300:])
    tap.ok(gw.alive(), "gssocksd still running")
    client.stop()
    gw.stop()
    check_sanitizers(tap, gw, client)
    web.stop()


if __name__ == "__main__":
    main(body)
