#pragma once
// The situation capture_fixtures.py builds on nats-server, as the snapshots a broker would
// hand the monitor: server "capture" with users alice and bob, six clients (cids 1-6, of
// which 4 closed itself and 5 failed authentication), their subscriptions and traffic.
// Times, ports and RTTs are arbitrary here; the fixture comparison treats them as volatile.

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "ringnats/monitor/snapshot.h"

namespace ringnats::monitor::testing {

inline SubscriptionInfo Sub(uint64_t cid, std::string subject, std::string sid, int64_t msgs,
                            std::string queue = "", int64_t max = 0) {
  SubscriptionInfo sub;
  sub.cid = cid;
  sub.subject = std::move(subject);
  sub.sid = std::move(sid);
  sub.msgs = msgs;
  sub.queue = std::move(queue);
  sub.max = max;
  return sub;
}

inline absl::Time CaptureStart() {
  return absl::FromUnixSeconds(1796532795);
}

inline ServerSnapshot CaptureServer() {
  ServerSnapshot server;
  server.server_id = "NBKYLKTJDP4RMKARI2AWVUY7MLAMV7VSTHQVOZBRVNEDDLJ3MFVWJIWC";
  server.server_name = "capture";
  server.version = "2.9.10";
  server.go = "go1.19.8";
  server.host = "127.0.0.1";
  server.port = 4222;
  server.auth_required = true;
  server.max_connections = 65536;
  server.ping_interval = absl::Minutes(2);
  server.ping_max = 2;
  server.http_host = "127.0.0.1";
  server.http_port = -1;  // as given (-m -1)
  server.auth_timeout = 2;
  server.max_control_line = 4096;
  server.max_payload = 1048576;
  server.max_pending = 67108864;
  server.tls_timeout = 2;
  server.write_deadline = absl::Seconds(10);
  server.start = CaptureStart();
  server.config_load_time = CaptureStart();
  server.gomaxprocs = 2;
  server.connections = 4;
  server.total_connections = 6;
  server.in_msgs = 7;
  server.out_msgs = 15;
  server.in_bytes = 22;
  server.out_bytes = 54;
  server.subscriptions = 7;
  server.sublist.num_subscriptions = 7;
  server.sublist.num_inserts = 10;
  server.sublist.num_removes = 3;
  server.sublist.num_matches = 4;
  server.ringnats.version = "0.1.0";
  return server;
}

inline ConnectionInfo Connection(uint64_t cid, std::string user) {
  ConnectionInfo info;
  info.cid = cid;
  info.ip = "127.0.0.1";
  info.port = 50000 + static_cast<int>(cid);
  info.start = CaptureStart() + absl::Milliseconds(50 + static_cast<int64_t>(cid));
  info.last_activity = CaptureStart() + absl::Milliseconds(60);
  info.rtt = absl::Microseconds(250);
  info.authorized_user = std::move(user);
  return info;
}

inline std::vector<ConnectionInfo> CaptureConnections() {
  std::vector<ConnectionInfo> all;
  ConnectionInfo c1 = Connection(1, "alice");
  c1.name = "sub-a";
  c1.lang = "python3";
  c1.version = "1.2.3";
  c1.out_msgs = 4;
  c1.out_bytes = 18;
  c1.subs = {Sub(1, "foo", "1", 3), Sub(1, "bar.*", "2", 1)};
  all.push_back(c1);
  ConnectionInfo c2 = Connection(2, "bob");
  c2.lang = "go";
  c2.version = "1.25.0";
  c2.out_msgs = 7;
  c2.out_bytes = 19;
  c2.subs = {Sub(2, "foo", "1", 3), Sub(2, "baz.>", "2", 0), Sub(2, "work", "3", 2, "q1"),
             Sub(2, "work", "4", 2, "q2")};
  all.push_back(c2);
  ConnectionInfo c3 = Connection(3, "alice");
  c3.name = "pub";
  c3.in_msgs = 7;
  c3.in_bytes = 22;
  all.push_back(c3);
  ConnectionInfo c4 = Connection(4, "bob");
  c4.name = "goner";
  c4.lang = "c";
  c4.version = "3.7.0";
  c4.out_msgs = 3;
  c4.out_bytes = 15;
  c4.subs = {Sub(4, "foo", "1", 3), Sub(4, "gone.*", "2", 0)};
  c4.stop = CaptureStart() + absl::Milliseconds(100);
  c4.reason = "Client Closed";
  all.push_back(c4);
  ConnectionInfo c5 = Connection(5, "alice");
  c5.name = "intruder";
  c5.pending_bytes = 32;  // the -ERR 'Authorization Violation' it was closed with
  c5.stop = CaptureStart() + absl::Milliseconds(70);
  c5.reason = "Authentication Failure";
  all.push_back(c5);
  ConnectionInfo c6 = Connection(6, "alice");
  c6.name = "limited";
  c6.lang = "python3";
  c6.version = "1.2.3";
  c6.out_msgs = 1;
  c6.out_bytes = 2;
  c6.subs = {Sub(6, "lim", "9", 1, "", 5)};
  all.push_back(c6);
  for (ConnectionInfo& info : all) info.num_subs = static_cast<uint32_t>(info.subs.size());
  return all;
}

inline SubszData CaptureSubscriptions() {
  SubszData data;
  data.stats = CaptureServer().sublist;
  for (const ConnectionInfo& info : CaptureConnections()) {
    if (info.stop.has_value()) continue;
    for (const SubscriptionInfo& sub : info.subs) data.subscriptions.push_back(sub);
  }
  return data;
}

}  // namespace ringnats::monitor::testing
