#!/usr/bin/env python3
"""Plays systemd's side of sd_notify for the package test: binds a datagram
socket at PATH (as $NOTIFY_SOCKET names it) and appends every notification
it receives to LOG, one line per assignment, until it has seen STOPPING=1
or SECONDS pass."""
import os
import socket
import sys
import time

path, log, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
sock.bind(path)
os.chmod(path, 0o666)  # the server runs as the swabwave user
deadline = time.monotonic() + seconds
with open(log, "a", buffering=1) as out:
    out.write("LISTENING\n")
    while time.monotonic() < deadline:
        sock.settimeout(max(0.1, deadline - time.monotonic()))
        try:
            message = sock.recv(4096).decode()
        except socket.timeout:
            break
        out.write(message.rstrip("\n") + "\n")
        if "STOPPING=1" in message.split("\n"):
            break
