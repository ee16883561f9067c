#!/usr/bin/env python3
"""Routed measurements between two NATS nodes for bench/cluster_compare.sh.

ringnats-bench connects every client of a scenario to one --url; these three measurements
need clients on two nodes of a cluster, so this helper does them with plain sockets:

  cluster_probe.py pubsub   --a HOST:PORT --b HOST:PORT [--duration S] [--size N] [--pids P,P]
      publisher on A, subscriber on B, one subject; msgs/s counted at the subscriber over
      the window after a warm-up, and the brokers' CPU (utime+stime of every pid given) per
      routed message over the same window.
  cluster_probe.py reqrep   --a HOST:PORT --b HOST:PORT [--duration S] [--size N]
      requester on A, responder (a separate process) on B, one request outstanding;
      latency p50/p90/p99/max in microseconds.
  cluster_probe.py interest --a HOST:PORT --b HOST:PORT [--subjects N]
      one client on B subscribes to N distinct subjects; A publishes the last subject every
      --poll-ms until B receives it: time from the first SUB written to that delivery.

Every mode first waits until a probe published on A reaches a subscriber on B (the route
is up and carries interest). Prints one JSON object on stdout. Python's own per-message
cost is the same for both brokers, so read latencies as "broker + a constant".
"""

import argparse
import json
import multiprocessing
import os
import select
import socket
import threading
import time

CONNECT = b'CONNECT {"verbose":false,"pedantic":false,"echo":false,"protocol":1}\r\n'


def parse_addr(text):
    text = text.removeprefix("nats://")
    host, _, port = text.rpartition(":")
    return host or "127.0.0.1", int(port)


def connect(addr):
    sock = socket.create_connection(addr, timeout=10)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    buf = b""
    while b"\r\n" not in buf:  # INFO
        chunk = sock.recv(65536)
        if not chunk:
            raise RuntimeError("closed before INFO")
        buf += chunk
    sock.sendall(CONNECT + b"PING\r\n")
    wait_for(sock, b"PONG\r\n", 10)
    return sock


def wait_for(sock, token, timeout, buf=b""):
    """Reads until `token` arrived; returns what followed it."""
    deadline = time.monotonic() + timeout
    while token not in buf:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"no {token!r} within {timeout} s")
        sock.settimeout(left)
        chunk = sock.recv(1 << 20)
        if not chunk:
            raise RuntimeError(f"closed while waiting for {token!r}")
        buf += chunk
    sock.settimeout(None)
    return buf[buf.index(token) + len(token):]


def wait_route(pub, sub, subject=b"cp.probe", timeout=30):
    """Publishes `subject` on A until B's subscription to it delivers."""
    sub.sendall(b"SUB " + subject + b" 999999\r\nPING\r\n")
    wait_for(sub, b"PONG\r\n", 10)
    deadline = time.monotonic() + timeout
    token = b"MSG " + subject + b" "
    buf = b""
    while time.monotonic() < deadline:
        pub.sendall(b"PUB " + subject + b" 1\r\nx\r\n")
        r, _, _ = select.select([sub], [], [], 0.005)
        if r:
            chunk = sub.recv(1 << 20)
            if not chunk:
                raise RuntimeError("subscriber closed")
            buf += chunk
            if token in buf:
                sub.sendall(b"UNSUB 999999\r\nPING\r\n")
                # Late probes may still be in flight: read up to the PONG, then let them go.
                wait_for(sub, b"PONG\r\n", 10, buf)
                return
            buf = buf[-len(token):]
    raise TimeoutError("route did not carry interest within %d s" % timeout)


def cpu_ticks(pids):
    total = 0
    for pid in pids:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15)
    return total


def own_cpu():
    t = os.times()
    return t.user + t.system


def mode_pubsub(args):
    a, b = parse_addr(args.a), parse_addr(args.b)
    pub, sub = connect(a), connect(b)
    pids = [int(p) for p in args.pids.split(",")] if args.pids else []
    sub.sendall(b"SUB cp.b 1\r\n")
    wait_route(pub, sub)
    payload = (b"0123456789abcdef" * (args.size // 16 + 1))[: args.size]
    one = b"PUB cp.b %d\r\n" % args.size + payload + b"\r\n"
    per_batch = max(1, 65536 // len(one))
    batch = one * per_batch
    credit = max(per_batch * 4, (16 << 20) // (len(one) + 16))
    state = {"received": 0, "sent": 0, "stop": False}
    token = b"MSG cp.b "

    def reader():
        tail = b""
        while not state["stop"]:
            try:
                chunk = sub.recv(1 << 20)
            except socket.timeout:
                continue
            if not chunk:
                break
            data = tail + chunk
            state["received"] += data.count(token)
            tail = data[-(len(token) - 1):]

    def writer():
        while not state["stop"]:
            if state["sent"] - state["received"] > credit:
                time.sleep(0.0002)
                continue
            pub.sendall(batch)
            state["sent"] += per_batch

    sub.settimeout(0.2)
    threads = [threading.Thread(target=reader, daemon=True), threading.Thread(target=writer, daemon=True)]
    for t in threads:
        t.start()
    time.sleep(args.warmup)
    c0, t0, cpu0, me0 = state["received"], time.monotonic(), cpu_ticks(pids), own_cpu()
    time.sleep(args.duration)
    c1, t1, cpu1, me1 = state["received"], time.monotonic(), cpu_ticks(pids), own_cpu()
    state["stop"] = True
    for t in threads:
        t.join(2)
    msgs = c1 - c0
    hz = os.sysconf("SC_CLK_TCK")
    out = {"mode": "pubsub", "size": args.size, "window_s": round(t1 - t0, 3), "msgs": msgs,
           "msgs_per_sec": round(msgs / (t1 - t0), 1),
           "client_cpu_pct": round(100 * (me1 - me0) / (t1 - t0), 1)}
    if pids:
        cpu_s = (cpu1 - cpu0) / hz
        out["server_cpu_s"] = cpu_s
        out["server_cpu_pct"] = round(100 * cpu_s / (t1 - t0), 1)
        out["server_cpu_ns_per_msg"] = round(cpu_s * 1e9 / msgs, 1) if msgs else None
    return out


def responder(addr, ready):
    sock = connect(addr)
    sock.sendall(b"SUB cp.req 2\r\nPING\r\n")
    buf = wait_for(sock, b"PONG\r\n", 10)
    ready.set()
    while True:
        while True:
            nl = buf.find(b"\r\n")
            if nl < 0:
                break
            line = buf[:nl]
            if line.startswith(b"MSG "):
                parts = line.split()  # MSG subject sid reply size
                size = int(parts[-1])
                end = nl + 2 + size + 2
                if len(buf) < end:
                    break
                body = buf[nl + 2: nl + 2 + size]
                sock.sendall(b"PUB %s %d\r\n" % (parts[3], size) + body + b"\r\n")
                buf = buf[end:]
            else:
                if line == b"PING":
                    sock.sendall(b"PONG\r\n")
                buf = buf[nl + 2:]
        chunk = sock.recv(1 << 20)
        if not chunk:
            return
        buf += chunk


def percentile(sorted_values, q):
    if not sorted_values:
        return None
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


def mode_reqrep(args):
    a, b = parse_addr(args.a), parse_addr(args.b)
    ready = multiprocessing.Event()
    proc = multiprocessing.Process(target=responder, args=(b, ready), daemon=True)
    proc.start()
    try:
        if not ready.wait(10):
            raise RuntimeError("responder did not start")
        req = connect(a)
        req.sendall(b"SUB _INBOX.cp 1\r\nPING\r\n")
        buf = wait_for(req, b"PONG\r\n", 10)
        payload = (b"0123456789abcdef" * (args.size // 16 + 1))[: args.size]
        msg = b"PUB cp.req _INBOX.cp %d\r\n" % args.size + payload + b"\r\n"
        reply_len = len(b"MSG _INBOX.cp 1 %d\r\n" % args.size) + args.size + 2
        # Warm-up doubles as the route check: retry until one request is answered.
        deadline = time.monotonic() + 30
        while True:
            req.sendall(msg)
            r, _, _ = select.select([req], [], [], 0.01)
            if r:
                buf += req.recv(1 << 20)
                if len(buf) >= reply_len:
                    break
            if time.monotonic() > deadline:
                raise TimeoutError("no reply across the route within 30 s")
        # Drain stray replies to retried warm-up requests.
        req.sendall(b"PING\r\n")
        buf = wait_for(req, b"PONG\r\n", 10, buf)
        end_warm = time.monotonic() + args.warmup
        lat = []
        counting = False
        stop = None
        while True:
            now = time.monotonic()
            if not counting and now >= end_warm:
                counting, stop = True, now + args.duration
            if counting and now >= stop:
                break
            t0 = time.perf_counter_ns()
            req.sendall(msg)
            while len(buf) < reply_len:
                chunk = req.recv(65536)
                if not chunk:
                    raise RuntimeError("requester closed")
                buf += chunk
            t1 = time.perf_counter_ns()
            buf = buf[reply_len:]
            if counting:
                lat.append((t1 - t0) / 1000)
        lat.sort()
        return {"mode": "reqrep", "size": args.size, "requests": len(lat),
                "reqs_per_sec": round(len(lat) / args.duration, 1),
                "lat_p50_us": round(percentile(lat, 0.50), 1),
                "lat_p90_us": round(percentile(lat, 0.90), 1),
                "lat_p99_us": round(percentile(lat, 0.99), 1),
                "lat_max_us": round(lat[-1], 1)}
    finally:
        proc.terminate()
        proc.join(2)


def mode_interest(args):
    a, b = parse_addr(args.a), parse_addr(args.b)
    pub, sub = connect(a), connect(b)
    wait_route(pub, sub)
    n = args.subjects
    subs = b"".join(b"SUB cp.i.%d %d\r\n" % (i, i + 1) for i in range(n)) + b"PING\r\n"
    last = b"cp.i.%d" % (n - 1)
    probe = b"PUB " + last + b" 2\r\nhi\r\n"
    token = b"MSG " + last + b" "
    poll = args.poll_ms / 1000
    t0 = time.monotonic()
    sub.sendall(subs)
    t_sent = time.monotonic()
    t_pong = None
    buf = b""
    next_pub = t_sent
    deadline = t0 + args.timeout
    polls = 0
    while True:
        now = time.monotonic()
        if now >= deadline:
            raise TimeoutError(f"{last.decode()} not delivered within {args.timeout} s")
        if now >= next_pub:
            pub.sendall(probe)
            polls += 1
            next_pub = now + poll
        r, _, _ = select.select([sub], [], [], max(0.0, next_pub - time.monotonic()))
        if not r:
            continue
        chunk = sub.recv(1 << 20)
        if not chunk:
            raise RuntimeError("subscriber closed")
        t_rx = time.monotonic()
        buf += chunk
        if t_pong is None and b"PONG\r\n" in buf:
            t_pong = t_rx
        if token in buf:
            break
        buf = buf[-64:]
    return {"mode": "interest", "subjects": n, "poll_ms": args.poll_ms, "polls": polls,
            "sub_write_ms": round((t_sent - t0) * 1000, 1),
            "local_pong_ms": round((t_pong - t0) * 1000, 1) if t_pong else None,
            "propagation_ms": round((t_rx - t0) * 1000, 1)}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("mode", choices=["pubsub", "reqrep", "interest"])
    p.add_argument("--a", required=True, help="node A client address (publisher/requester)")
    p.add_argument("--b", required=True, help="node B client address (subscriber/responder)")
    p.add_argument("--duration", type=float, default=5)
    p.add_argument("--warmup", type=float, default=0.5)
    p.add_argument("--size", type=int, default=16)
    p.add_argument("--pids", default="", help="broker pids (comma separated) for CPU per msg")
    p.add_argument("--subjects", type=int, default=100000)
    p.add_argument("--poll-ms", type=float, default=2)
    p.add_argument("--timeout", type=float, default=60)
    args = p.parse_args()
    out = {"pubsub": mode_pubsub, "reqrep": mode_reqrep, "interest": mode_interest}[args.mode](args)
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
