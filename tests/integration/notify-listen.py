#!/usr/bin/env python3
"""A NOTIFY_SOCKET for tests: binds a datagram socket at argv[1] and appends
one line per sd_notify message to argv[2] (newlines inside become spaces)."""
import socket
import sys

s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a", buffering=1) as log:
    while True:
        log.write(s.recv(4096).decode(errors="replace").replace("\n", " ") + "\n")
