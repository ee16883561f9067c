#!/usr/bin/env python3
"""Checks a running three-node example cluster (deploy/cluster/) from outside.

Usage: cluster_check.py CLIENT_PORTS ROUTE_PORTS MONITOR_PORTS   (each "p1,p2,p3")

1. Every node's /routez reports 2 routes (the full mesh), within 20 s.
2. A route that presents a wrong password is refused with -ERR 'Authorization Violation'.
3. For every pair of nodes, a message published on one reaches a subscriber on the other,
   exactly once. Interest travels to the other nodes asynchronously, so probes are published
   until the first one arrives; the checked message and a marker follow them on the same
   connection, so it must arrive once before the marker.
Prints what it checked; exits 1 with the reason on the first failure.
"""

import json
import socket
import sys
import time
import urllib.request

DEADLINE_S = 20.0


def fail(message):
    print(f"FAIL: {message}", flush=True)
    sys.exit(1)


class Client:
    """A minimal NATS client protocol connection over a socket."""

    def __init__(self, port, name):
        self.name = name
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.buffer = b""
        info = self.read_line()
        if not info.startswith(b"INFO "):
            fail(f"{name}: expected INFO, got {info!r}")
        self.send(b'CONNECT {"verbose":false,"pedantic":false,"headers":true,"protocol":1}\r\n')
        self.sync()

    def send(self, data):
        self.sock.sendall(data)

    def read_line(self, timeout=5.0):
        self.sock.settimeout(timeout)
        while b"\r\n" not in self.buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                fail(f"{self.name}: connection closed")
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\r\n", 1)
        return line

    def read_exact(self, size):
        while len(self.buffer) < size:
            chunk = self.sock.recv(65536)
            if not chunk:
                fail(f"{self.name}: connection closed")
            self.buffer += chunk
        data, self.buffer = self.buffer[:size], self.buffer[size:]
        return data

    def sync(self):
        """PING and wait for its PONG: the server has processed everything sent before."""
        self.send(b"PING\r\n")
        while True:
            line = self.read_line()
            if line == b"PONG":
                return
            if line.startswith(b"-ERR"):
                fail(f"{self.name}: {line!r}")

    def next_message(self, timeout):
        """The payload of the next MSG, or None after `timeout` seconds without one."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            try:
                line = self.read_line(remaining)
            except socket.timeout:
                return None
            if line == b"PING":
                self.send(b"PONG\r\n")
            elif line.startswith(b"MSG "):
                size = int(line.split()[-1])
                payload = self.read_exact(size + 2)[:-2]
                return payload
            elif line.startswith(b"-ERR"):
                fail(f"{self.name}: {line!r}")


def routes_of(monitor_port):
    with urllib.request.urlopen(f"http://127.0.0.1:{monitor_port}/routez", timeout=5) as reply:
        return json.load(reply)


def check_mesh(monitor_ports):
    deadline = time.monotonic() + DEADLINE_S
    while True:
        counts = [routes_of(port).get("num_routes", 0) for port in monitor_ports]
        if all(count == 2 for count in counts):
            print(f"ok: /routez shows 2 routes on every node {counts}", flush=True)
            return
        if time.monotonic() > deadline:
            fail(f"routes per node after {DEADLINE_S:.0f} s: {counts}, expected 2 each")
        time.sleep(0.1)  # polling the monitor: no event to wait on from outside


def check_route_auth(route_port):
    sock = socket.create_connection(("127.0.0.1", route_port), timeout=10)
    sock.sendall(b'CONNECT {"echo":true,"verbose":false,"pedantic":false,"user":"route",'
                 b'"pass":"wrong-password","tls_required":false,"headers":true,'
                 b'"name":"NDEPLOYTEST","cluster":"ringnats-example","lnoc":true}\r\n'
                 b'PING\r\n')
    received = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            fail(f"route port {route_port}: no answer to a wrong password within 10 s")
        if not chunk:
            break
        received += chunk
    sock.close()
    if b"-ERR 'Authorization Violation'" not in received or b"PONG" in received:
        fail(f"route port {route_port}: a wrong password got {received!r}")
    print(f"ok: a route with a wrong password is refused on port {route_port}", flush=True)


def check_delivery(client_ports):
    subscribers = []
    for index, port in enumerate(client_ports):
        client = Client(port, f"subscriber on node{index + 1}")
        client.send(f"SUB deploy.node{index + 1} 1\r\n".encode())
        client.sync()
        subscribers.append(client)
    publishers = [Client(port, f"publisher on node{i + 1}") for i, port in enumerate(client_ports)]
    for source, publisher in enumerate(publishers):
        for target, subscriber in enumerate(subscribers):
            if source == target:
                continue
            subject = f"deploy.node{target + 1}"
            expected = f"hello from node{source + 1}".encode()
            deadline = time.monotonic() + DEADLINE_S
            probes = 0
            while True:
                probes += 1
                publisher.send(f"PUB {subject} 5\r\nprobe\r\n".encode())
                publisher.sync()
                if subscriber.next_message(0.2) is not None:
                    break
                if time.monotonic() > deadline:
                    fail(f"node{source + 1} -> node{target + 1}: nothing arrived in "
                         f"{DEADLINE_S:.0f} s")
            # Then a marker: whatever probes are still on the way come first, the checked
            # message must come exactly once before the marker.
            publisher.send(f"PUB {subject} {len(expected)}\r\n".encode() + expected + b"\r\n"
                           + f"PUB {subject} 3\r\nend\r\n".encode())
            publisher.sync()
            copies = 0
            while True:
                payload = subscriber.next_message(5.0)
                if payload is None:
                    fail(f"node{source + 1} -> node{target + 1}: the marker after {expected!r} "
                         f"did not arrive ({copies} copies of it did)")
                if payload == b"end":
                    break
                if payload == expected:
                    copies += 1
                elif payload != b"probe":
                    fail(f"node{source + 1} -> node{target + 1}: unexpected {payload!r}")
            if copies != 1:
                fail(f"node{source + 1} -> node{target + 1}: {copies} copies of {expected!r}")
            print(f"ok: node{source + 1} -> node{target + 1} delivered once "
                  f"(after {probes} probe(s))", flush=True)


def main():
    if len(sys.argv) != 4:
        fail(__doc__)
    client_ports, route_ports, monitor_ports = (
        [int(p) for p in arg.split(",")] for arg in sys.argv[1:])
    check_mesh(monitor_ports)
    check_route_auth(route_ports[0])
    check_delivery(client_ports)


if __name__ == "__main__":
    main()
