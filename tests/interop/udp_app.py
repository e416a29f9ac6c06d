#!/usr/bin/python3
"""An ordinary UDP user for tests/interop/test_dante_udp.py, run under
Dante's client library (LD_PRELOAD libdsocksd): it knows nothing of any
proxy.  socket(AF_INET, SOCK_DGRAM), then for each size of a
deterministic list sendto() a datagram to the echo server and recvfrom()
its answer:

    udp_app.py HOST PORT COUNT MAXSIZE SEED

stdout: "OK n" after every answer matched (payload, and the address
recvfrom returned is the echo server's), else "BAD reason"; exit 0 when
OK.  Datagrams one at a time (Dante's library keeps per-call state).

Trust zone: test only.
"""

import random
import socket
import sys


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    count, maxsize, seed = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    rnd = random.Random(seed)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(10)
    sizes = [1, maxsize] + [rnd.randint(1, maxsize) for _ in range(count - 2)]
    for i, n in enumerate(sizes):
        data = rnd.randbytes(n)
        s.sendto(data, (host, port))
        try:
            got, peer = s.recvfrom(65536)
        except socket.timeout:
            print("BAD datagram %d (%d octets): no answer" % (i, n), flush=True)
            return 1
        if got != data or peer != (host, port):
            print("BAD datagram %d (%d octets): answer of %d octets from %r"
                  % (i, n, len(got), peer), flush=True)
            return 1
    print("OK %d" % len(sizes), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
