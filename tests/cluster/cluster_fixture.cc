#include "cluster/cluster_fixture.h"

#include <signal.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <thread>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "cluster/numbered_messages.h"
#include "harness/free_port.h"
#include "harness/server_frames.h"

namespace ringnats::clustertest {
namespace {

using ::testing::AssertionFailure;
using ::testing::AssertionResult;
using ::testing::AssertionSuccess;
using Clock = std::chrono::steady_clock;

// One probe's wait for delivery, doubling from the first to the last value. Short, because
// until the route or the interest is there a probe is simply dropped and only a later one
// can succeed; a probe that was only slow arrives before the next one and is consumed.
constexpr std::chrono::milliseconds kFirstProbeWait{10};
constexpr std::chrono::milliseconds kLastProbeWait{250};
// The pause between two no-responders requests: no event tells a client that a remote
// subscription was removed, so this is a poll interval, not a synchronisation.
constexpr std::chrono::milliseconds kRequestPollInterval{20};

std::string NodeName(int index) {
  return std::string(1, static_cast<char>('A' + index));
}

// The password in `nats-route://user:password@host:port`; empty when there is none.
std::string UrlPassword(std::string_view url) {
  const size_t scheme = url.find("://");
  const size_t at = url.rfind('@');
  if (scheme == std::string_view::npos || at == std::string_view::npos || at < scheme) return "";
  const std::string_view credentials = url.substr(scheme + 3, at - scheme - 3);
  const size_t colon = credentials.find(':');
  return colon == std::string_view::npos ? "" : std::string(credentials.substr(colon + 1));
}

// Every MSG in `bytes` (frames a PingCollect returned) is for `sid`.
AssertionResult OnlyMessagesFor(std::string_view bytes, std::string_view sid) {
  harness::FrameSplitter frames;
  frames.Append(bytes);
  while (std::optional<std::string> frame = frames.Next()) {
    std::optional<harness::Msg> msg = harness::ParseMsg(*frame);
    if (!msg || msg->sid != sid) {
      return AssertionFailure() << "unexpected frame \"" << harness::Escape(*frame)
                                << "\" while awaiting interest";
    }
  }
  return AssertionSuccess();
}

}  // namespace

std::string RouteUrl(int cluster_port, std::string_view user, std::string_view password) {
  if (user.empty()) return absl::StrFormat("nats-route://127.0.0.1:%d", cluster_port);
  return absl::StrFormat("nats-route://%s:%s@127.0.0.1:%d", user, password, cluster_port);
}

harness::ServerSpec NodeSpec(int index) {
  const char* layout = std::getenv("RINGNATS_CLUSTER_LAYOUT");
  const std::string_view letters = (layout != nullptr && *layout != '\0') ? layout : "S";
  return letters[index % letters.size()] == 'R' ? harness::ReferenceServer()
                                                : harness::ServerUnderTest();
}

std::string NodeConfigText(const NodeConfig& config) {
  std::string text = absl::StrFormat("server_name: %s\n%s\ncluster {\n", config.name, config.extra);
  if (!config.cluster_name.empty())
    absl::StrAppendFormat(&text, "  name: %s\n", config.cluster_name);
  absl::StrAppendFormat(&text, "  listen: \"127.0.0.1:%d\"\n%s", config.cluster_port,
                        config.cluster_extra);
  if (config.auth.has_value()) {
    absl::StrAppendFormat(&text,
                          "  authorization {\n    user: \"%s\"\n    password: \"%s\"\n"
                          "    timeout: %g\n  }\n",
                          config.auth->user, config.auth->password, config.auth->timeout_seconds);
  }
  if (!config.routes.empty()) {
    std::vector<std::string> quoted;
    for (const std::string& route : config.routes) quoted.push_back("\"" + route + "\"");
    absl::StrAppendFormat(&text, "  routes: [\n    %s\n  ]\n", absl::StrJoin(quoted, "\n    "));
  }
  text += "}\n";
  return text;
}

void ClusterTest::TearDown() {
  for (auto it = nodes_.rbegin(); it != nodes_.rend(); ++it) {
    Node& n = it->second;
    n.prober.reset();
    if (n.process == nullptr) continue;
    std::vector<std::string> secrets = {std::string(kRoutePassword)};
    for (const std::string& route : n.config.routes) {
      if (std::string password = UrlPassword(route); !password.empty()) {
        secrets.push_back(password);
      }
    }
    const std::string log = n.process->ReadLog();
    for (const std::string& secret : secrets) {
      EXPECT_EQ(log.find(secret), std::string::npos)
          << "node " << n.config.name << " logged the route password \"" << secret
          << "\"; log: " << n.process->log_path();
    }
    EXPECT_TRUE(n.process->StopAndCheck()) << "node " << n.config.name;
  }
}

void ClusterTest::StartNode(int index, NodeConfig config) {
  if (config.name.empty()) config.name = NodeName(index);
  // A node may be restarted on its route port (RestartNode). A port the kernel picks lies in
  // the ephemeral range, where, once the node is gone, another test's connection can be
  // given it as its own port and the restart finds it taken (seen in a CI dry run): pick one
  // below that range instead.
  if (config.cluster_port <= 0) {
    const int port = harness::FreeLoopbackPort();
    if (port > 0) config.cluster_port = port;
  }
  const harness::ServerSpec spec = NodeSpec(index);
  absl::StatusOr<std::unique_ptr<harness::ServerProcess>> process =
      harness::ServerProcess::Start({spec, NodeConfigText(config), {}});
  ASSERT_TRUE(process.ok()) << "node " << config.name << " (" << harness::Describe(spec)
                            << "): " << process.status() << "\nconfig:\n"
                            << NodeConfigText(config);
  Node& n = nodes_[index];
  n.prober.reset();
  n.process = std::move(*process);
  n.cluster_port = config.cluster_port > 0 ? config.cluster_port : n.process->cluster_port();
  n.config = std::move(config);
  ASSERT_GT(n.cluster_port, 0) << "node " << n.config.name
                               << ": no \"cluster\" entry in its ports file; log:\n"
                               << n.process->ReadLog();
}

void ClusterTest::StartCluster(int nodes) {
  ASSERT_NO_FATAL_FAILURE(StartNode(0, {}));
  for (int i = 1; i < nodes; ++i) {
    NodeConfig config;
    config.routes = {RouteUrl(cluster_port(0))};
    ASSERT_NO_FATAL_FAILURE(StartNode(i, config));
  }
  ASSERT_TRUE(AwaitMesh(AllNodes()));
}

std::vector<int> ClusterTest::AllNodes() const {
  std::vector<int> indices;
  for (const auto& [index, n] : nodes_) {
    if (n.process != nullptr) indices.push_back(index);
  }
  return indices;
}

void ClusterTest::KillNode(int index) {
  Node& n = nodes_.at(index);
  n.prober.reset();
  n.process->Signal(SIGKILL);
  const absl::StatusOr<int> status = n.process->WaitForExit();
  ASSERT_TRUE(status.ok()) << "node " << n.config.name << ": " << status.status();
}

void ClusterTest::RestartNode(int index) {
  Node& n = nodes_.at(index);
  NodeConfig config = n.config;
  config.cluster_port = n.cluster_port;
  if (n.process != nullptr) {
    EXPECT_TRUE(n.process->StopAndCheck()) << "node " << n.config.name;
    n.process.reset();
  }
  ASSERT_NO_FATAL_FAILURE(StartNode(index, std::move(config)));
}

::testing::AssertionResult ClusterTest::ReloadNodeAuth(int index, std::optional<RouteAuth> auth) {
  NodeConfig config = nodes_.at(index).config;
  config.auth = std::move(auth);
  return ReloadNode(index, std::move(config));
}

::testing::AssertionResult ClusterTest::ReloadNode(int index, NodeConfig config) {
  Node& n = nodes_.at(index);
  n.config = std::move(config);
  const std::string path = n.process->config_path();
  const std::string temporary = path + ".next";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << NodeConfigText(n.config);
    if (!out.good()) return ::testing::AssertionFailure() << "could not write " << temporary;
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    return ::testing::AssertionFailure() << "rename " << temporary << ": " << std::strerror(errno);
  }
  n.process->Signal(SIGHUP);
  // Both brokers log this line once a reload is applied.
  return n.process->WaitForLogCount("Reloaded server configuration", ++n.reloads);
}

std::unique_ptr<harness::RawClient> ClusterTest::Client(int index, std::string_view connect_json) {
  absl::StatusOr<std::unique_ptr<harness::RawClient>> client =
      harness::ConnectAndHandshake(node(index).port(), connect_json);
  if (!client.ok()) {
    ADD_FAILURE() << "client of node " << nodes_.at(index).config.name << ": " << client.status();
    return nullptr;
  }
  return std::move(*client);
}

harness::RawClient* ClusterTest::Prober(int index) {
  Node& n = nodes_.at(index);
  if (n.prober == nullptr) n.prober = Client(index);
  return n.prober.get();
}

AssertionResult ClusterTest::AwaitMesh(const std::vector<int>& nodes,
                                       std::chrono::milliseconds timeout) {
  const Clock::time_point deadline = Clock::now() + timeout;
  for (int to : nodes) {
    std::unique_ptr<harness::RawClient> subscriber = Client(to);
    if (subscriber == nullptr) return AssertionFailure() << "no subscriber on " << NodeName(to);
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (AssertionResult reached = AwaitInterest(*subscriber, nodes, left); !reached) {
      return reached << " (awaiting the mesh of " << nodes.size() << " nodes)";
    }
  }
  return AssertionSuccess();
}

AssertionResult ClusterTest::AwaitInterest(harness::RawClient& client, const std::vector<int>& from,
                                           std::chrono::milliseconds timeout) {
  const int probe = ++next_probe_;
  const std::string subject = absl::StrFormat("_probe.%d", probe);
  const std::string sid = absl::StrFormat("probe%d", probe);
  if (AssertionResult sent = client.Send(absl::StrFormat("SUB %s %s\r\n", subject, sid)); !sent) {
    return sent;
  }
  if (AssertionResult synced = client.Sync(); !synced) return synced << " (after the probe SUB)";
  const Clock::time_point deadline = Clock::now() + timeout;
  for (int index : from) {
    harness::RawClient* prober = Prober(index);
    if (prober == nullptr) return AssertionFailure() << "no prober on " << NodeName(index);
    int attempts = 0;
    std::chrono::milliseconds wait = kFirstProbeWait;
    std::string last_error;
    while (true) {
      if (Clock::now() >= deadline) {
        return AssertionFailure() << "a message published on node " << NodeName(index)
                                  << " never reached the subscriber (" << attempts << " probes in "
                                  << timeout.count() << " ms); last: " << last_error;
      }
      ++attempts;
      if (AssertionResult sent = prober->Send(absl::StrFormat("PUB %s 1\r\nx\r\n", subject));
          !sent) {
        return sent << " (probe from " << NodeName(index) << ")";
      }
      // The PONG shows the node handled the PUB, so a miss below means it had no route
      // or no interest yet, not that the probe is still on its way in.
      if (AssertionResult ponged = prober->Ping(); !ponged) {
        return ponged << " (probe from " << NodeName(index) << ")";
      }
      harness::Msg msg;
      AssertionResult got = client.ReadMsg(&msg, wait);
      wait = std::min(wait * 2, kLastProbeWait);
      if (got && msg.sid == sid) break;
      if (got) return AssertionFailure() << "unexpected message on sid " << msg.sid;
      if (client.eof()) return got << " (subscriber closed)";
      last_error = got.message();
    }
  }
  if (AssertionResult sent = client.Send(absl::StrFormat("UNSUB %s\r\n", sid)); !sent) {
    return sent;
  }
  // Probes that arrived late (an earlier attempt's) come before this PONG or never: with
  // the subscription gone the node drops them.
  std::string late;
  bool closed = false;
  if (AssertionResult collected = client.PingCollect(&late, &closed); !collected) {
    return collected;
  }
  if (closed) return AssertionFailure() << "subscriber closed while awaiting interest";
  return OnlyMessagesFor(late, sid);
}

AssertionResult ClusterTest::RequestOnce(harness::RawClient& requester, std::string_view subject,
                                         bool* no_responders) {
  const int request = ++next_request_;
  const std::string inbox = absl::StrFormat("_INBOX.nr.%d", request);
  const std::string sid = absl::StrFormat("nr%d", request);
  if (AssertionResult sent = requester.Send(
          absl::StrFormat("SUB %s %s\r\nPUB %s %s 0\r\n\r\n", inbox, sid, subject, inbox));
      !sent) {
    return sent;
  }
  std::string before;
  bool closed = false;
  if (AssertionResult collected = requester.PingCollect(&before, &closed); !collected) {
    return collected;
  }
  if (closed)
    return AssertionFailure() << "requester closed: \"" << harness::Escape(before) << "\"";
  *no_responders = false;
  harness::FrameSplitter frames;
  frames.Append(before);
  while (std::optional<std::string> frame = frames.Next()) {
    std::optional<harness::Msg> msg = harness::ParseMsg(*frame);
    if (!msg || !msg->has_headers || !msg->headers.starts_with("NATS/1.0 503") ||
        !msg->payload.empty() || !msg->subject.starts_with("_INBOX.nr.")) {
      return AssertionFailure() << "unexpected reply to a request: \"" << harness::Escape(*frame)
                                << "\"";
    }
    // A 503 for an earlier request that came late says nothing about this one.
    if (msg->subject == inbox) *no_responders = true;
  }
  return AssertionSuccess();
}

AssertionResult ClusterTest::AwaitNoResponders(harness::RawClient& requester,
                                               std::string_view subject,
                                               std::chrono::milliseconds timeout) {
  const Clock::time_point deadline = Clock::now() + timeout;
  int attempts = 0;
  while (true) {
    bool no_responders = false;
    ++attempts;
    if (AssertionResult asked = RequestOnce(requester, subject, &no_responders); !asked) {
      return asked;
    }
    if (no_responders) return AssertionSuccess();
    if (Clock::now() >= deadline) {
      return AssertionFailure() << "requests on " << subject << " still found interest after "
                                << attempts << " attempts in " << timeout.count() << " ms";
    }
    std::this_thread::sleep_for(kRequestPollInterval);
  }
}

void ClusterTest::ExpectIsolated(int isolated, int member) {
  for (auto [from, to] : {std::pair{isolated, member}, std::pair{member, isolated}}) {
    SCOPED_TRACE(absl::StrFormat("from node %d to node %d", from, to));
    // A subject of its own: the unsubscription of an earlier pair's subscriber travels the
    // routes that do exist, and interest it left behind for a moment is not this question.
    const std::string subject = absl::StrFormat("t.isolated.%d.%d.%d", from, to, ++next_request_);
    auto subscriber = Client(to);
    auto requester = Client(from, kNoRespondersConnect);
    ASSERT_TRUE(subscriber && requester);
    ASSERT_TRUE(subscriber->Send(absl::StrFormat("SUB %s 1\r\n", subject)));
    ASSERT_TRUE(subscriber->Ping());
    // The subscriber's node has it; the requester's node must not.
    bool no_responders = false;
    ASSERT_TRUE(RequestOnce(*requester, subject, &no_responders));
    EXPECT_TRUE(no_responders) << "interest crossed a refused route";
    ASSERT_TRUE(requester->Send(NumberedBurst(subject, "X", 50)));
    ASSERT_TRUE(requester->Ping());
    // A route would have had to exist for those to arrive; none ever registered.
    EXPECT_TRUE(subscriber->Ping()) << "a message crossed a refused route";
  }
}

}  // namespace ringnats::clustertest
