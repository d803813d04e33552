#!/usr/bin/python3
"""For `make bench`: opens N idle keep-alive connections to a server (from
several loopback source addresses, so a per-address connection limit does
not refuse them), waits until the server process holds them, and prints its
resident memory in kB. Bounded: gives up waiting after 10 s.

    conns.py PID PORT N
"""

import os
import socket
import sys
import time

PER_ADDRESS = 100
WAIT_S = 10.0


def fd_count(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def main():
    pid, port, n = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    before = fd_count(pid)
    socks = []
    for i in range(n):
        s = socket.socket()
        s.bind(("127.0.1.%d" % (1 + i // PER_ADDRESS), 0))
        s.connect(("127.0.0.1", port))
        socks.append(s)
    deadline = time.monotonic() + WAIT_S
    while fd_count(pid) < before + n and time.monotonic() < deadline:
        time.sleep(0.01)
    held = fd_count(pid) - before
    print("%d %d" % (rss_kb(pid), held))
    for s in socks:
        s.close()


if __name__ == "__main__":
    main()
