#!/usr/bin/python3
"""pty_launcher.py PROGRAM [ARG...]: run PROGRAM on a new pseudo-terminal.

Trust zone: tests only (test_spawner_tty.py, as a Gateway launcher).
PROGRAM gets the pty as fds 0, 1 and 2 and as its controlling terminal
(what gssocksd -D started from a console has); everything it writes there
is copied to our stdout (the gateway's log).  SIGTERM and SIGINT are passed
on to PROGRAM, whose exit status becomes ours.
"""

import os
import pty
import signal
import sys

pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
for sig in (signal.SIGTERM, signal.SIGINT):
    signal.signal(sig, lambda s, f: os.kill(pid, s))
while True:
    try:
        data = os.read(fd, 65536)
    except InterruptedError:
        continue
    except OSError:
        break                          # EIO: every writer has closed the pty
    if not data:
        break
    os.write(1, data)
_, status = os.waitpid(pid, 0)
sys.exit(os.waitstatus_to_exitcode(status) & 0xff)
