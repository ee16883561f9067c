// Routes authorised by their certificate, as nats-server 2.9's isRouterAuthorized does it:
// verify_and_map (a certificate name equals the cluster user) and check_known_urls (a DNS
// name matches the host of a configured route URL).

#include "ringnats/auth/route_certificate.h"

#include <gtest/gtest.h>

namespace ringnats::auth {
namespace {

CertificateIdentity Identity() {
  CertificateIdentity identity;
  identity.emails = {"ops@acme.test"};
  identity.dns_names = {"node-b.cluster.acme.test", "localhost"};
  identity.uris = {"spiffe://acme.test/route"};
  identity.rdn_sequence = "CN=route-b,O=Acme";
  identity.name_string = "CN=route-b,O=Acme";
  return identity;
}

RouteCertificateRule MapUser(std::string user) {
  RouteCertificateRule rule;
  rule.map_user = true;
  rule.user = std::move(user);
  return rule;
}

TEST(RouteCertificateTest, VerifyAndMapAcceptsAnyNameEqualToTheClusterUser) {
  const CertificateIdentity identity = Identity();
  std::string_view how;
  EXPECT_TRUE(RouteCertificateAccepted(MapUser("ops@acme.test"), &identity, &how));
  EXPECT_EQ(how, "email found in cert");
  EXPECT_TRUE(RouteCertificateAccepted(MapUser("localhost"), &identity, &how));
  EXPECT_EQ(how, "SAN found in cert");
  EXPECT_TRUE(RouteCertificateAccepted(MapUser("spiffe://acme.test/route"), &identity, &how));
  EXPECT_EQ(how, "URI found in cert");
  EXPECT_TRUE(RouteCertificateAccepted(MapUser("CN=route-b,O=Acme"), &identity, &how));
  EXPECT_EQ(how, "certificate subject");

  EXPECT_FALSE(RouteCertificateAccepted(MapUser("someone-else"), &identity));
  EXPECT_FALSE(RouteCertificateAccepted(MapUser("OPS@acme.test"), &identity));  // exact
  EXPECT_FALSE(RouteCertificateAccepted(MapUser("ops@acme.test"), nullptr));    // no cert
  // Without a cluster user nothing maps (nats-server: an empty name never matches).
  EXPECT_FALSE(RouteCertificateAccepted(MapUser(""), &identity));
  CertificateIdentity unnamed;
  EXPECT_FALSE(RouteCertificateAccepted(MapUser(""), &unnamed));
}

// The subject counts as Go prints it, with the domain components appended first; OpenSSL's
// printing of it (every attribute) is not compared.
TEST(RouteCertificateTest, SubjectMatchesAsGoPrintsItWithDomainComponentsFirst) {
  const CertificateIdentity identity{
      .rdn_sequence = "CN=route-b,O=Acme",
      .domain_components = "DC=test,DC=acme",
      .name_string =
          "CN=route-b,O=Acme,1.2.840.113549.1.9.1=#160d6f70734061636d652e74657374,"
          "DC=acme,DC=test"};
  std::string_view how;
  EXPECT_TRUE(
      RouteCertificateAccepted(MapUser("CN=route-b,O=Acme,DC=test,DC=acme"), &identity, &how));
  EXPECT_EQ(how, "RDNSequence");
  EXPECT_TRUE(RouteCertificateAccepted(MapUser("CN=route-b,O=Acme"), &identity, &how));
  EXPECT_EQ(how, "certificate subject");
  EXPECT_FALSE(RouteCertificateAccepted(
      MapUser("emailAddress=ops@acme.test,CN=route-b,O=Acme,DC=acme,DC=test"), &identity));
  EXPECT_FALSE(RouteCertificateAccepted(MapUser("CN=route-b,O=Acme,DC=acme,DC=test"), &identity));
}

// As for clients: no email, no URI and no subject Go prints, and nats-server looks at nothing,
// not even a DNS name that matches a known URL.
TEST(RouteCertificateTest, NoEmailNoUriAndNoSubjectIsNoRoute) {
  CertificateIdentity identity{.dns_names = {"node-b.cluster.acme.test"}};
  RouteCertificateRule rule;
  rule.check_known_urls = true;
  rule.known_hosts = {"node-b.cluster.acme.test"};
  EXPECT_FALSE(RouteCertificateAccepted(rule, &identity));
  identity.name_string = "CN=route-b";
  EXPECT_TRUE(RouteCertificateAccepted(rule, &identity));
}

TEST(RouteCertificateTest, KnownUrlsMatchADnsNameAgainstTheConfiguredRouteHosts) {
  const CertificateIdentity identity = Identity();
  RouteCertificateRule rule;
  rule.check_known_urls = true;
  rule.known_hosts = {"10.0.0.7", "NODE-B.cluster.acme.test"};
  std::string_view how;
  EXPECT_TRUE(RouteCertificateAccepted(rule, &identity, &how));
  EXPECT_EQ(how, "SAN found in cert");

  rule.known_hosts = {"node-c.cluster.acme.test"};
  EXPECT_FALSE(RouteCertificateAccepted(rule, &identity));
  // Only DNS names count for known URLs, not the email or the subject.
  rule.known_hosts = {"ops@acme.test", "CN=route-b,O=Acme"};
  EXPECT_FALSE(RouteCertificateAccepted(rule, &identity));
  // Both rules: either may admit.
  rule.map_user = true;
  rule.user = "ops@acme.test";
  EXPECT_TRUE(RouteCertificateAccepted(rule, &identity));
}

TEST(RouteCertificateTest, DnsNamesMatchByLabelsWithALeftMostWildcard) {
  EXPECT_TRUE(DnsNameMatchesHost("a.b.c", "a.b.c"));
  EXPECT_TRUE(DnsNameMatchesHost("A.b.C", "a.B.c"));
  EXPECT_TRUE(DnsNameMatchesHost("*.b.c", "a.b.c"));
  EXPECT_FALSE(DnsNameMatchesHost("*.b.c", "b.c"));
  EXPECT_FALSE(DnsNameMatchesHost("*.b.c", "x.a.b.c"));
  EXPECT_FALSE(DnsNameMatchesHost("a.*.c", "a.b.c"));
  EXPECT_FALSE(DnsNameMatchesHost("a.b.c", "a.b.d"));
}

}  // namespace
}  // namespace ringnats::auth
