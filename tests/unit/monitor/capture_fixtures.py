#!/usr/bin/env python3
"""Regenerates tests/unit/monitor/fixtures from Debian's nats-server 2.9.10.

Starts nats-server on loopback with a users config, builds a fixed situation (the one
situation.h rebuilds as snapshots), then records every monitoring endpoint's
answer for each query parameter and error case: the body of each answer goes to
fixtures/<name>.json (or .js / .txt), status and content type to fixtures/index.json (for
the HTML index only its links).

Usage: tests/unit/monitor/capture_fixtures.py [nats-server binary]
"""
import json
import re
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "fixtures")

CONFIG = """
server_name: "capture"
no_system_account: true
authorization {
  users = [
    {user: alice, password: secret}
    {user: bob, password: hunter2}
  ]
}
"""


class Client:
    """A raw NATS client: enough protocol to connect, subscribe, publish and sync."""

    def __init__(self, port, password=None, **connect):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.buf = b""
        self.msgs = 0
        self._line()  # INFO
        opts = {"verbose": False, "pedantic": False, "protocol": 1}
        opts.update(connect)
        if password is not None:
            opts["pass"] = password
        self.send("CONNECT " + json.dumps(opts) + "\r\n")

    def send(self, text):
        self.sock.sendall(text.encode())

    def _line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("server closed the connection")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line.decode()

    def sync(self):
        """PING and read up to the PONG, counting MSGs and answering server PINGs."""
        self.send("PING\r\n")
        while True:
            line = self._line()
            if line == "PONG":
                return
            if line == "PING":
                self.send("PONG\r\n")
            elif line.startswith("MSG "):
                self.msgs += 1
                size = int(line.split()[-1])
                while len(self.buf) < size + 2:
                    self.buf += self.sock.recv(65536)
                self.buf = self.buf[size + 2:]
            elif line.startswith("-ERR"):
                raise RuntimeError(line)

    def expect_err(self):
        self.send("PING\r\n")
        line = self._line()
        if not line.startswith("-ERR"):
            raise RuntimeError("expected -ERR, got " + line)
        return line

    def close(self):
        self.sock.close()


def get(base, path):
    try:
        with urllib.request.urlopen(base + path, timeout=5) as r:
            return r.status, r.headers.get("Content-Type"), r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type"), e.read()


def start_server(binary, tmp, config):
    conf = os.path.join(tmp, "server.conf")
    with open(conf, "w") as f:
        f.write(config)
    ports_dir = os.path.join(tmp, "ports")
    os.mkdir(ports_dir)
    proc = subprocess.Popen(
        [binary, "-c", conf, "-a", "127.0.0.1", "-p", "-1", "-m", "-1",
         "--ports_file_dir", ports_dir],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 10
    while time.time() < deadline:
        files = os.listdir(ports_dir)
        if files:
            try:
                with open(os.path.join(ports_dir, files[0])) as f:
                    ports = json.load(f)
                nats = int(ports["nats"][0].rsplit(":", 1)[1])
                http = ports["monitoring"][0]
                return proc, nats, http
            except (ValueError, KeyError):
                pass
        time.sleep(0.05)
    proc.kill()
    raise RuntimeError("nats-server did not write its ports file")


# (fixture name, path and query). Every request of the main run is recorded in this order,
# so http_req_stats in the later /varz answers counts the earlier ones.
REQUESTS = [
    ("varz", "/varz"),
    ("varz_jsonp", "/varz?callback=cb"),
    ("connz", "/connz"),
    ("connz_subs", "/connz?subs=1"),
    ("connz_subs_true", "/connz?subs=true"),
    ("connz_subs_detail", "/connz?subs=detail"),
    ("connz_auth", "/connz?auth=1"),
    ("connz_auth_subs_detail", "/connz?auth=true&subs=detail"),
    ("connz_sort_cid", "/connz?sort=cid"),
    ("connz_sort_start", "/connz?sort=start"),
    ("connz_sort_subs", "/connz?sort=subs"),
    ("connz_sort_pending", "/connz?sort=pending"),
    ("connz_sort_msgs_to", "/connz?sort=msgs_to"),
    ("connz_sort_msgs_from", "/connz?sort=msgs_from"),
    ("connz_sort_bytes_to", "/connz?sort=bytes_to"),
    ("connz_sort_bytes_from", "/connz?sort=bytes_from"),
    ("connz_sort_last", "/connz?sort=last"),
    ("connz_sort_idle", "/connz?sort=idle"),
    ("connz_sort_uptime", "/connz?sort=uptime"),
    ("connz_offset", "/connz?offset=1"),
    ("connz_limit", "/connz?limit=2"),
    ("connz_offset_limit", "/connz?offset=1&limit=1"),
    ("connz_offset_past_end", "/connz?offset=10"),
    ("connz_negative", "/connz?offset=-3&limit=-1"),
    ("connz_cid", "/connz?cid=2"),
    ("connz_cid_missing", "/connz?cid=99"),
    ("connz_user", "/connz?auth=1&user=bob"),
    ("connz_state_open", "/connz?state=open"),
    ("connz_state_closed", "/connz?state=closed"),
    ("connz_state_closed_subs", "/connz?state=closed&subs=1"),
    ("connz_state_closed_detail_auth", "/connz?state=closed&subs=detail&auth=1"),
    ("connz_state_all", "/connz?state=all"),
    ("connz_state_any", "/connz?state=ANY"),
    ("connz_state_all_auth_detail", "/connz?state=all&auth=1&subs=detail"),
    ("connz_state_closed_sort_stop", "/connz?state=closed&sort=stop"),
    ("connz_state_closed_sort_reason", "/connz?state=closed&sort=reason"),
    ("connz_state_closed_cid", "/connz?state=closed&cid=4"),
    ("connz_state_all_cid_open", "/connz?state=all&cid=1"),
    ("connz_jsonp", "/connz?callback=cb&limit=1"),
    ("connz_err_sort", "/connz?sort=foo"),
    ("connz_err_sort_rtt", "/connz?sort=rtt"),
    ("connz_err_sort_stop_open", "/connz?sort=stop"),
    ("connz_err_sort_reason_all", "/connz?sort=reason&state=all"),
    ("connz_err_auth", "/connz?auth=yes"),
    ("connz_err_subs", "/connz?subs=2"),
    ("connz_err_offset", "/connz?offset=x"),
    ("connz_err_limit", "/connz?limit=1.5"),
    ("connz_err_cid", "/connz?cid=-1"),
    ("connz_err_cid_range", "/connz?cid=99999999999999999999"),
    ("connz_err_state", "/connz?state=gone"),
    ("routez", "/routez"),
    ("routez_subs", "/routez?subs=1"),
    ("routez_subs_detail", "/routez?subs=detail"),
    ("routez_err_subs", "/routez?subs=x"),
    ("subsz", "/subsz"),
    ("subsz_subs", "/subsz?subs=1"),
    ("subsz_subs_test", "/subsz?subs=1&test=foo"),
    ("subsz_subs_test_wild", "/subsz?subs=1&test=bar.x"),
    ("subsz_subs_test_none", "/subsz?subs=1&test=nothing.here"),
    ("subsz_test_no_subs", "/subsz?test=foo"),
    ("subsz_subs_offset_limit", "/subsz?subs=1&offset=1&limit=2"),
    ("subsz_subs_offset_past_end", "/subsz?subs=1&offset=50"),
    ("subscriptionsz", "/subscriptionsz"),
    ("subscriptionsz_subs", "/subscriptionsz?subs=true&limit=3"),
    ("subsz_err_test", "/subsz?subs=1&test=foo.*"),
    ("subsz_err_subs", "/subsz?subs=detail"),
    ("subsz_err_offset", "/subsz?offset=-x"),
    ("subsz_err_limit", "/subsz?limit=ten"),
    ("healthz", "/healthz"),
    ("healthz_js_enabled_only", "/healthz?js-enabled-only=true"),
    ("healthz_jsonp", "/healthz?callback=cb"),
    ("healthz_err", "/healthz?js-enabled=maybe"),
    ("accountz", "/accountz"),
    ("accountz_global", "/accountz?acc=$G"),
    ("accountz_missing", "/accountz?acc=nope"),
    ("accstatz", "/accstatz"),
    ("accstatz_unused", "/accstatz?unused=1"),
    ("accstatz_err", "/accstatz?unused=x"),
    ("jsz", "/jsz"),
    ("jsz_accounts", "/jsz?accounts=true&streams=1&consumers=1&config=1"),
    ("jsz_leader_only", "/jsz?leader-only=true"),
    ("jsz_err", "/jsz?accounts=x"),
    ("leafz", "/leafz"),
    ("leafz_subs", "/leafz?subs=1&acc=$G"),
    ("leafz_err", "/leafz?subs=x"),
    ("gatewayz", "/gatewayz"),
    ("gatewayz_accs", "/gatewayz?accs=1&gw_name=x"),
    ("gatewayz_err", "/gatewayz?accs=x"),
    ("ipqueuesz", "/ipqueuesz"),
    ("root", "/"),
    ("not_found", "/nosuch"),
    ("not_found_trailing", "/varz/"),
    ("not_found_metrics", "/metrics"),
    ("varz_after", "/varz"),
]

# A second server with http_base_path: what lives under the prefix and what does not.
BASE_PATH_REQUESTS = [
    ("base_varz", "/nats/varz"),
    ("base_root", "/nats"),
    ("base_root_slash", "/nats/"),
    ("base_outside", "/varz"),
    ("base_outside_root", "/"),
]


def extension(content_type, body):
    if content_type and content_type.startswith("application/json"):
        return ".json"
    if content_type and content_type.startswith("text/html"):
        return ".html"
    if content_type and content_type.startswith("application/javascript"):
        return ".js"
    return ".txt"


def record(index, name, base, path):
    status, content_type, body = get(base, path)
    entry = {"name": name, "path": path, "status": status, "content_type": content_type}
    if extension(content_type, body) == ".html":
        # nats-server's page itself is not ours to keep: only the links ringnats' page must
        # also carry (href, text), in order.
        entry["links"] = [[href, text] for href, text in re.findall(
            rb"<a href=([^ >]+)[^>]*>([^<]*)</a>", body)]
        entry["links"] = [[h.decode(), t.decode()] for h, t in entry["links"]]
    else:
        entry["file"] = name + extension(content_type, body)
        with open(os.path.join(FIXTURES, entry["file"]), "wb") as f:
            f.write(body)
    index.append(entry)


def build_situation(port):
    """The situation situation.h describes as snapshots (fixture_test.cc replays)."""
    c1 = Client(port, user="alice", password="secret", name="sub-a", lang="python3",
                version="1.2.3")
    c1.send("SUB foo 1\r\nSUB bar.* 2\r\nSUB work q1 3\r\nUNSUB 3\r\n")
    c1.sync()
    c2 = Client(port, user="bob", password="hunter2", lang="go", version="1.25.0")
    # One member per queue group, so which subscription gets a message is not left to chance.
    c2.send("SUB foo 1\r\nSUB baz.> 2\r\nSUB work q1 3\r\nSUB work q2 4\r\n")
    c2.sync()
    c3 = Client(port, user="alice", password="secret", name="pub")
    c4 = Client(port, user="bob", password="hunter2", name="goner", lang="c",
                version="3.7.0")
    c4.send("SUB foo 1\r\nSUB gone.* 2\r\n")
    c4.sync()
    c5 = Client(port, user="alice", password="wrong", name="intruder")
    c5.expect_err()
    c5.close()
    c6 = Client(port, user="alice", password="secret", name="limited", lang="python3",
                version="1.2.3")
    c6.send("SUB lim 9\r\nUNSUB 9 5\r\n")
    c6.sync()
    c3.sync()
    c3.send("PUB foo 5\r\nhello\r\n" * 3 + "PUB bar.x 3\r\nabc\r\n" +
            "PUB work 1\r\nw\r\n" * 2 + "PUB lim 2\r\nhi\r\n")
    c3.sync()
    for c in (c1, c2, c4, c6):
        c.sync()
    assert (c1.msgs, c2.msgs, c4.msgs, c6.msgs) == (4, 7, 3, 1), (c1.msgs, c2.msgs, c4.msgs)
    c4.close()
    return [c1, c2, c3, c6]


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else shutil.which("nats-server")
    version = subprocess.run([binary, "--version"], capture_output=True, text=True).stdout
    if "v2.9.10" not in version:
        sys.exit("need nats-server v2.9.10, got " + version)
    os.makedirs(FIXTURES, exist_ok=True)
    index = []
    tmp = tempfile.mkdtemp(prefix="ringnats-monitor-capture-")
    proc = None
    try:
        proc, port, base = start_server(binary, tmp, CONFIG)
        clients = build_situation(port)
        # The closes are registered asynchronously: poll until both are, and note how often,
        # since http_req_stats counts these requests too.
        polls = 0
        deadline = time.time() + 5
        while True:
            _, _, body = get(base, "/connz?state=closed")
            polls += 1
            if json.loads(body)["num_connections"] == 2:
                break
            if time.time() > deadline:
                raise RuntimeError("the closed connections did not show up")
            time.sleep(0.05)
        index.append({"name": "warmup", "path": "/connz?state=closed", "repeat": polls})
        for name, path in REQUESTS:
            record(index, name, base, path)
        for c in clients:
            c.close()
        proc.terminate()
        proc.wait()
        tmp2 = os.path.join(tmp, "base")
        os.mkdir(tmp2)
        proc, port, base = start_server(binary, tmp2, CONFIG + "http_base_path: /nats\n")
        base = base.rstrip("/")
        if base.endswith("/nats"):
            base = base[: -len("/nats")]
        for name, path in BASE_PATH_REQUESTS:
            record(index, name, base, path)
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait()
        shutil.rmtree(tmp)
    with open(os.path.join(FIXTURES, "index.json"), "w") as f:
        json.dump(index, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
