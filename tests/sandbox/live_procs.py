"""Helpers of the live sandbox tests (test_live.py, test_rootmode.py).

Trust zone: tests only.  What a live gateway's processes look like from
outside: the children the master reports starting (its event=child and
event=spawner records), a process's /proc/PID/status fields and open
files, and whether a relayed connection still echoes.  Both tests had
their own copy of each; they import them from here (the script's own
directory is on sys.path).
"""

import os
import re

START = re.compile(r"event=child name=(\w+) slot=(\d+) pid=(\d+) action=start generation=(\d+)")
SPAWNER = re.compile(r"event=spawner name=(\w+) pid=(\d+) user=(\S+) action=start")


def children(gw):
    """{(name, slot): (pid, generation)} of the latest start records."""
    out = {}
    for m in START.finditer(gw.log_text()):
        out[(m.group(1), int(m.group(2)))] = (int(m.group(3)), int(m.group(4)))
    return out


def status_fields(pid):
    """/proc/PID/status as {field: value}."""
    fields = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            fields[k] = v.strip()
    return fields


def open_files(pid):
    """The targets of /proc/PID/fd/* (descriptors closed meanwhile skipped)."""
    out = []
    d = "/proc/%d/fd" % pid
    for fd in os.listdir(d):
        try:
            out.append(os.readlink(os.path.join(d, fd)))
        except OSError:
            pass
    return out


def echoes(s, data=b"ping"):
    """True if DATA sent on S comes back whole within 5 s (an echo target)."""
    try:
        s.settimeout(5)
        s.sendall(data)
        got = b""
        while len(got) < len(data):
            d = s.recv(len(data) - len(got))
            if not d:
                return False
            got += d
        return got == data
    except OSError:
        return False
