#!/usr/bin/env python3
"""Captures the project's own small audit test data from this machine's kernel.

Run as root: `python3 tests/data/capture.py`. It takes the live-test lock
(/run/raudit-live.lock), loads one execve rule with auditctl, listens on the
read-only multicast group (AUDIT_NLGRP_READLOG) while it runs a few programs
with distinctive arguments (plain, long enough to split EXECVE, non-UTF-8,
quotes and spaces), and writes:

- execs.netlink: the netlink messages as received (nlmsghdr + payload);
- execs.log: the same records as auditd's RAW log lines (no EOE, as auditd
  writes them).

It then restores the rules and the enabled flag it found. Nothing else of the kernel's state is
changed.
"""
import fcntl
import os
import select
import socket
import struct
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
NAMES = {1300: "SYSCALL", 1302: "PATH", 1305: "CONFIG_CHANGE", 1307: "CWD",
         1309: "EXECVE", 1320: "EOE", 1321: "BPRM_FCAPS", 1327: "PROCTITLE"}
KEY = "raudit-capture"


def main():
    if os.geteuid() != 0:
        sys.exit("capture.py: run as root")
    lock = open("/run/raudit-live.lock", "w")
    fcntl.flock(lock, fcntl.LOCK_EX)
    rules = subprocess.run(["auditctl", "-l"], capture_output=True, text=True, check=True).stdout
    status = subprocess.run(["auditctl", "-s"], capture_output=True, text=True, check=True).stdout
    enabled = dict(line.split(None, 1) for line in status.splitlines() if " " in line).get("enabled", "0").strip()
    if enabled == "2":
        sys.exit("capture.py: audit rules are locked (enabled 2)")
    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 9)
    sock.bind((0, 1))
    frames = []
    try:
        subprocess.run(["auditctl", "-e", "1"], check=True, capture_output=True)
        subprocess.run(["auditctl", "-a", "always,exit", "-F", "arch=b64", "-S", "execve",
                        "-F", "key=" + KEY], check=True, capture_output=True)
        programs = [
            ["/bin/echo", "raudit-capture-plain", "--flag=value"],
            ["/bin/echo", "raudit-capture-quotes", "two words", "it's \"quoted\""],
            ["/bin/echo", "raudit-capture-bytes", b"caf\xc3\xa9-\xff\xfe".decode("latin-1")],
            ["/bin/echo", "raudit-capture-long"] + ["x" * 20000],
        ]
        for argv in programs:
            args = [a.encode("latin-1") for a in argv]
            subprocess.run(args, stdout=subprocess.DEVNULL, check=True)
        deadline = time.time() + 2.0
        while time.time() < deadline:
            ready, _, _ = select.select([sock], [], [], 0.2)
            if ready:
                frames.append(sock.recv(65536))
    finally:
        subprocess.run(["auditctl", "-D"], capture_output=True)
        subprocess.run(["auditctl", "-e", enabled], capture_output=True)
        for line in rules.splitlines():
            if line.startswith("-"):
                subprocess.run(["auditctl"] + line.split(), capture_output=True)
    # Keep only the events of our programs (other processes run meanwhile).
    keep = set()
    for f in frames:
        length, mtype = struct.unpack("=IH", f[:6])
        payload = f[16:length].rstrip(b"\0")
        if mtype == 1300 and b'comm="echo"' in payload:
            keep.add(payload[6:payload.index(b")")])
    with open(os.path.join(HERE, "execs.netlink"), "wb") as net, \
            open(os.path.join(HERE, "execs.log"), "wb") as log:
        for f in frames:
            length, mtype = struct.unpack("=IH", f[:6])
            payload = f[16:length].rstrip(b"\0")
            if not payload.startswith(b"audit(") or payload[6:payload.index(b")")] not in keep:
                continue
            net.write(f[:length] + b"\0" * (-length % 4))
            if mtype != 1320:
                log.write(b"type=%s msg=%s\n" % (NAMES.get(mtype, "UNKNOWN[%d]" % mtype).encode(), payload))
    print("captured %d events" % len(keep))


if __name__ == "__main__":
    main()
