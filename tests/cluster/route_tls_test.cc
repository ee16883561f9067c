// Routes over TLS (`cluster { tls { } }`): a 3-node cluster whose routes all run TLS forms
// its mesh by gossip and delivers every message once and in order; its route port refuses
// plaintext; a node without TLS, or whose certificate another CA signed, never joins. In the
// cluster-mixed suites the same tests run with nats-server nodes on either side of the TLS.

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "absl/strings/str_format.h"
#include "cluster/cluster_fixture.h"
#include "cluster/numbered_messages.h"
#include "harness/raw_client.h"
#include "unit/tls/test_pki.h"

namespace ringnats::clustertest {
namespace {

using harness::RawClient;
using tls::testing::CertSpec;
using tls::testing::Issued;
using tls::testing::Pki;

// nats-server 2.9.10's words for a failed route handshake, whatever the cause (the
// accepting side may see plaintext, a bad certificate or a timeout, depending on who waits).
constexpr std::string_view kRouteTlsErrorLog =
    R"(\[ERR\] 127\.0\.0\.1:[0-9]+ - rid:[0-9]+ - TLS route handshake error: )";

// nats-server 2.9.10's words for a refused route: `[ERR] 127.0.0.1:PORT - rid:N -
// authentication error`.
constexpr std::string_view kRouteAuthErrorLog =
    R"(\[ERR\] 127\.0\.0\.1:[0-9]+ - rid:[0-9]+ - authentication error$)";

// Made once per test binary: one CA for the cluster, another for the intruder. Route
// certificates serve as server and client certificates, so they carry no key usage limits.
struct RouteCertificates {
  Pki pki;
  Issued ca, other_ca, route, foreign_route, mapped_route, subject_route;
  RouteCertificates() {
    ca = pki.MakeCa("ca");
    other_ca = pki.MakeCa("other-ca");
    CertSpec spec;
    spec.common_name = "route";
    spec.sans = {"DNS:localhost", "IP:127.0.0.1"};
    route = pki.Issue("route", spec, "ca");
    foreign_route = pki.Issue("foreign-route", spec, "other-ca");
    CertSpec mapped = spec;
    mapped.common_name = "mapped-route";
    mapped.sans = {"email:routes@acme.test", "DNS:localhost", "IP:127.0.0.1"};
    mapped_route = pki.Issue("mapped-route", mapped, "ca");
    // Named by its subject only, which holds attributes Go's RDN string leaves out.
    CertSpec subject_named = spec;
    subject_named.common_name = "subject-route";
    subject_named.domain_components = {"test", "acme"};
    subject_named.email_address = "routes@acme.test";
    subject_route = pki.Issue("subject-route", subject_named, "ca");
  }
};

const RouteCertificates& Certificates() {
  static const RouteCertificates* certificates = new RouteCertificates();
  return *certificates;
}

std::string TlsBlock(const Issued& cert, std::string_view extra = "") {
  return absl::StrFormat(
      "  tls {\n    cert_file: \"%s\"\n    key_file: \"%s\"\n    ca_file: \"%s\"\n"
      "    timeout: 2\n%s  }\n",
      cert.cert_file, cert.key_file, Certificates().ca.cert_file, extra);
}

NodeConfig TlsNode(const Issued& cert, std::vector<std::string> routes = {}) {
  NodeConfig config;
  config.routes = std::move(routes);
  config.cluster_extra = TlsBlock(cert);
  return config;
}

class RouteTlsTest : public ClusterTest {};

TEST_F(RouteTlsTest, ThreeNodesOverTlsFormTheMeshAndDeliverEveryMessageOnceInOrder) {
  constexpr int kMessages = 300;
  const Issued& cert = Certificates().route;
  ASSERT_NO_FATAL_FAILURE(StartNode(0, TlsNode(cert)));
  ASSERT_NO_FATAL_FAILURE(StartNode(1, TlsNode(cert, {RouteUrl(cluster_port(0))})));
  ASSERT_NO_FATAL_FAILURE(StartNode(2, TlsNode(cert, {RouteUrl(cluster_port(0))})));
  // B and C only know A: their route to each other came from gossip, also over TLS.
  ASSERT_TRUE(AwaitMesh({0, 1, 2}));

  std::vector<std::unique_ptr<RawClient>> subscribers;
  for (int node : {0, 1, 2}) {
    subscribers.push_back(Client(node));
    ASSERT_TRUE(subscribers.back());
    ASSERT_TRUE(subscribers.back()->Send("SUB t.x 1\r\n"));
    ASSERT_TRUE(AwaitInterest(*subscribers.back(), {0, 1, 2}));
  }
  const std::vector<std::string> tags = {"A", "B", "C"};
  std::vector<std::unique_ptr<RawClient>> publishers;
  for (int node : {0, 1, 2}) {
    publishers.push_back(Client(node));
    ASSERT_TRUE(publishers.back());
    ASSERT_TRUE(publishers.back()->Send(NumberedBurst("t.x", tags[node], kMessages) +
                                        EndMarker("t.x", tags[node])));
  }
  for (auto& publisher : publishers) ASSERT_TRUE(publisher->Ping());
  for (size_t i = 0; i < subscribers.size(); ++i) {
    EXPECT_TRUE(ExpectEveryMessageOnceInOrder(*subscribers[i], tags, kMessages))
        << "subscriber on node " << i;
  }

  // The route port speaks TLS before anything else: plaintext is refused there.
  absl::StatusOr<std::unique_ptr<RawClient>> plaintext = RawClient::Connect(cluster_port(0));
  ASSERT_TRUE(plaintext.ok()) << plaintext.status();
  ASSERT_TRUE((*plaintext)->Send("CONNECT {\"verbose\":false}\r\n"));
  EXPECT_TRUE((*plaintext)->ExpectClosed(""));
  EXPECT_TRUE(node(0).WaitForLog(kRouteTlsErrorLog, kInterestTimeout));
}

TEST_F(RouteTlsTest, NodesWithoutTlsOrWithAForeignCertificateNeverJoin) {
  ASSERT_NO_FATAL_FAILURE(StartNode(0, TlsNode(Certificates().route)));
  NodeConfig plaintext;
  plaintext.routes = {RouteUrl(cluster_port(0))};
  ASSERT_NO_FATAL_FAILURE(StartNode(1, plaintext));
  ASSERT_TRUE(node(0).WaitForLog(kRouteTlsErrorLog, kInterestTimeout));
  // Trusts A's CA, but its own certificate comes from another one: A refuses it.
  ASSERT_NO_FATAL_FAILURE(
      StartNode(2, TlsNode(Certificates().foreign_route, {RouteUrl(cluster_port(0))})));
  ASSERT_TRUE(node(0).WaitForLogCount(kRouteTlsErrorLog, 2, kInterestTimeout));
  // A node with the cluster's certificate still joins meanwhile.
  ASSERT_NO_FATAL_FAILURE(StartNode(3, TlsNode(Certificates().route, {RouteUrl(cluster_port(0))})));
  ASSERT_TRUE(AwaitMesh({0, 3}));

  ASSERT_NO_FATAL_FAILURE(ExpectIsolated(1, 0));
  ASSERT_NO_FATAL_FAILURE(ExpectIsolated(2, 0));
  ASSERT_NO_FATAL_FAILURE(ExpectIsolated(2, 3));
}

// `cluster { tls { verify_and_map } }`: the peer's certificate must name the cluster user
// (an email, DNS name or URI of it, or its subject); the certificate takes the password's
// place, so the joining node's route URL carries no credentials. A node whose certificate,
// from the same CA, names someone else never joins.
TEST_F(RouteTlsTest, VerifyAndMapAdmitsOnlyCertificatesThatNameTheClusterUser) {
  NodeConfig seed;
  seed.auth = RouteAuth{"routes@acme.test", "Unused-route-pw-3kd9"};
  seed.cluster_extra = TlsBlock(Certificates().mapped_route, "    verify_and_map: true\n");
  ASSERT_NO_FATAL_FAILURE(StartNode(0, seed));

  NodeConfig mapped = TlsNode(Certificates().mapped_route, {RouteUrl(cluster_port(0), "", "")});
  ASSERT_NO_FATAL_FAILURE(StartNode(1, mapped));
  ASSERT_TRUE(AwaitMesh({0, 1}));

  NodeConfig unmapped = TlsNode(Certificates().route, {RouteUrl(cluster_port(0), "", "")});
  ASSERT_NO_FATAL_FAILURE(StartNode(2, unmapped));
  ASSERT_TRUE(node(0).WaitForLog(kRouteAuthErrorLog, kInterestTimeout));
  ASSERT_NO_FATAL_FAILURE(ExpectIsolated(2, 0));
  ASSERT_NO_FATAL_FAILURE(ExpectIsolated(2, 1));
}

// nats-server names a route by its subject as Go prints it: with the domain components
// appended, or without (the emailAddress and DCs are no part of Go's RDN string); OpenSSL's
// printing ("emailAddress=routes@acme.test,CN=subject-route,O=Acme,DC=acme,DC=test") is not
// what an operator writes.
TEST_F(RouteTlsTest, VerifyAndMapNamesTheClusterUserAsGoPrintsTheSubject) {
  const char* const kUsers[] = {"CN=subject-route,O=Acme,DC=test,DC=acme",
                                "CN=subject-route,O=Acme"};
  for (int pair = 0; pair < 2; ++pair) {
    SCOPED_TRACE(kUsers[pair]);
    const int seed = 2 * pair;
    NodeConfig seed_config;
    seed_config.auth = RouteAuth{kUsers[pair], "Unused-route-pw-3kd9"};
    seed_config.cluster_extra =
        TlsBlock(Certificates().subject_route, "    verify_and_map: true\n");
    ASSERT_NO_FATAL_FAILURE(StartNode(seed, seed_config));
    ASSERT_NO_FATAL_FAILURE(StartNode(
        seed + 1, TlsNode(Certificates().subject_route, {RouteUrl(cluster_port(seed), "", "")})));
    ASSERT_TRUE(AwaitMesh({seed, seed + 1}));
  }
}

}  // namespace
}  // namespace ringnats::clustertest
