#pragma once
// gtest fixture for cluster (route) tests: starts several servers on loopback that form one
// NATS cluster, and awaits the mesh and the spread of interest by deliveries over real
// sockets, never by sleeping.
//
// Which binary each node runs comes from RINGNATS_CLUSTER_LAYOUT, a string of letters used
// cyclically by node index: `S` is the server under test (RINGNATS_SERVER + _ARGS), `R` the
// reference server (RINGNATS_REFERENCE_SERVER + _ARGS, nats-server when unset). Unset means
// "S": every node runs the server under test. "SR" makes a mixed cluster whose nodes
// alternate, starting with the server under test as node 0 (the seed).
//
// Every node gets `-a 127.0.0.1 -p -1 --ports_file_dir` from ServerProcess and a config with
// `server_name` and a `cluster {}` block (name, listen, authorization, routes). The route
// (cluster) port comes from the ports file unless the test fixed it.
//
// Used from the test thread only.

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/raw_client.h"
#include "harness/server_process.h"
#include "harness/server_spec.h"

namespace ringnats::clustertest {

inline constexpr std::string_view kClusterName = "t";
inline constexpr std::string_view kRouteUser = "ruser";
// Distinctive, so finding it in a server log is never a coincidence (TearDown looks).
inline constexpr std::string_view kRoutePassword = "Rpw-route-5kq2x";
inline constexpr std::string_view kQuietConnect = R"({"verbose":false,"pedantic":false})";
// A client that gets a 503 status message for a request nobody can answer.
inline constexpr std::string_view kNoRespondersConnect =
    R"({"verbose":false,"pedantic":false,"headers":true,"no_responders":true})";
// What every mesh or interest wait may take at most, and a test as a whole stays under 60 s.
inline constexpr std::chrono::milliseconds kMeshTimeout{15000};
inline constexpr std::chrono::milliseconds kInterestTimeout{10000};

struct RouteAuth {
  std::string user;
  std::string password;  // plain or a bcrypt hash; written quoted
  double timeout_seconds = 2;
};

struct NodeConfig {
  std::string name;  // server_name
  std::string cluster_name = std::string(kClusterName);  // empty: no name (a dynamic one)
  // The `cluster { authorization {} }` block; none when empty.
  std::optional<RouteAuth> auth = RouteAuth{std::string(kRouteUser), std::string(kRoutePassword)};
  std::vector<std::string> routes;  // route URLs, see RouteUrl
  int cluster_port = -1;            // -1: a free port below the ephemeral range
  std::string extra;                // more top-level config lines
  std::string cluster_extra;        // more lines inside `cluster {}`
};

// `nats-route://user:password@127.0.0.1:port`; without credentials when `user` is empty.
std::string RouteUrl(int cluster_port, std::string_view user = kRouteUser,
                     std::string_view password = kRoutePassword);

// The server node `index` runs under RINGNATS_CLUSTER_LAYOUT.
harness::ServerSpec NodeSpec(int index);

// The config file text for `config`.
std::string NodeConfigText(const NodeConfig& config);

class ClusterTest : public ::testing::Test {
 protected:
  // Stops every node still running and fails the test if a log holds a route password.
  void TearDown() override;

  // Starts node `index` (its binary from NodeSpec(index)). Fatal failure when it does not
  // come up; call as ASSERT_NO_FATAL_FAILURE(StartNode(...)).
  void StartNode(int index, NodeConfig config);

  // The seed pattern: node 0 (name "A") first, then nodes 1..n-1 ("B", "C", ...) each with a
  // route to node 0 only, so gossip has to complete the mesh; then AwaitMesh over all.
  void StartCluster(int nodes);

  harness::ServerProcess& node(int index) { return *nodes_.at(index).process; }
  int cluster_port(int index) const { return nodes_.at(index).cluster_port; }
  std::vector<int> AllNodes() const;

  // SIGKILL, then reaps it (its exit status is the test's, so not judged).
  void KillNode(int index);
  // Starts a killed or stopped node again with the same config on the same route port.
  void RestartNode(int index);

  // Rewrites node `index`'s config with `config` and sends SIGHUP; succeeds once the node
  // logged the reload as applied.
  ::testing::AssertionResult ReloadNode(int index, NodeConfig config);
  // ReloadNode with `auth` as the cluster authorization, everything else as before.
  ::testing::AssertionResult ReloadNodeAuth(int index, std::optional<RouteAuth> auth);
  const NodeConfig& node_config(int index) const { return nodes_.at(index).config; }

  // A client of node `index` that read INFO and sent CONNECT; nullptr plus a failure on error.
  std::unique_ptr<harness::RawClient> Client(int index,
                                             std::string_view connect_json = kQuietConnect);

  // Succeeds once a publisher on every node of `nodes` reaches a subscriber on every other
  // one: every route of a full mesh carries messages (one hop, as nothing is forwarded).
  ::testing::AssertionResult AwaitMesh(const std::vector<int>& nodes,
                                       std::chrono::milliseconds timeout = kMeshTimeout);

  // `client` just subscribed; succeeds once messages published on each node of `from` reach
  // it. It subscribes to a private subject after its earlier SUBs and probes that one: a
  // route carries interest in order, so once the probe arrives every earlier SUB of the
  // connection is known there too. The probe subscription is removed again and every probe
  // message is consumed before this returns. `client` must have no other traffic pending.
  ::testing::AssertionResult AwaitInterest(harness::RawClient& client, const std::vector<int>& from,
                                           std::chrono::milliseconds timeout = kInterestTimeout);

  // `requester` is connected with kNoRespondersConnect. Sends requests on `subject` until one
  // is answered with a 503 status (no interest left anywhere in the cluster).
  ::testing::AssertionResult AwaitNoResponders(
      harness::RawClient& requester, std::string_view subject,
      std::chrono::milliseconds timeout = kInterestTimeout);

  // Node `isolated` and node `member` have no route: interest on either is unknown on the
  // other and a message published on either stays there. Fatal failures; call under
  // ASSERT_NO_FATAL_FAILURE.
  void ExpectIsolated(int isolated, int member);

  // One request on `subject`: true in `*no_responders` when the 503 came back before the PONG
  // (nats-server answers a request without interest while it handles the PUB).
  ::testing::AssertionResult RequestOnce(harness::RawClient& requester, std::string_view subject,
                                         bool* no_responders);

 private:
  struct Node {
    NodeConfig config;
    int cluster_port = 0;
    std::unique_ptr<harness::ServerProcess> process;
    std::unique_ptr<harness::RawClient> prober;  // publishes AwaitInterest's probes
    int reloads = 0;
  };

  harness::RawClient* Prober(int index);

  std::map<int, Node> nodes_;
  int next_probe_ = 0;
  int next_request_ = 0;
};

}  // namespace ringnats::clustertest
