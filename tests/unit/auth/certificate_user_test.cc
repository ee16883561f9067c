#include "ringnats/auth/certificate_user.h"

#include <gtest/gtest.h>

namespace ringnats::auth {
namespace {

AuthConfig UsersNamed(std::initializer_list<const char*> names) {
  AuthConfig config;
  config.mode = AuthConfig::Mode::kUsers;
  config.tls_map = true;
  for (const char* name : names) config.users[name] = User{.name = name};
  return config;
}

std::string NameOf(const User* user) {
  return user == nullptr ? "(none)" : user->name;
}

TEST(CertificateUserTest, ParsesDistinguishedNames) {
  using Dn = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(ParseDistinguishedName("CN=alice, ou=eng ,O=Acme\\, Inc."),
            (Dn{{"cn", "alice"}, {"ou", "eng"}, {"o", "Acme, Inc."}}));
  EXPECT_TRUE(ParseDistinguishedName("alice").empty());
  EXPECT_TRUE(ParseDistinguishedName("").empty());
  EXPECT_TRUE(ParseDistinguishedName("CN=a,,O=b").empty());
}

TEST(CertificateUserTest, LooksUpEmailsThenDnsNamesThenUrisThenTheSubject) {
  const AuthConfig config =
      UsersNamed({"alice@acme.test", "host.acme.test", "spiffe://acme/alice", "CN=alice,O=Acme"});
  CertificateIdentity cert{.emails = {"alice@acme.test"},
                           .dns_names = {"host.acme.test"},
                           .uris = {"spiffe://acme/alice"},
                           .subject = "CN=alice,O=Acme"};
  std::string_view how;
  EXPECT_EQ(NameOf(UserFromCertificate(config, cert, &how)), "alice@acme.test");
  EXPECT_EQ(how, "email found in cert");
  cert.emails = {"nobody@acme.test"};
  EXPECT_EQ(NameOf(UserFromCertificate(config, cert, &how)), "host.acme.test");
  EXPECT_EQ(how, "SAN found in cert");
  cert.dns_names.clear();
  EXPECT_EQ(NameOf(UserFromCertificate(config, cert, &how)), "spiffe://acme/alice");
  EXPECT_EQ(how, "URI found in cert");
  cert.uris.clear();
  EXPECT_EQ(NameOf(UserFromCertificate(config, cert, &how)), "CN=alice,O=Acme");
  EXPECT_EQ(how, "DistinguishedNameMatch");
}

TEST(CertificateUserTest, SubjectMatchesExactlyFirstThenReordered) {
  // Attribute types compare without case and spaces around parts do not count; values do.
  EXPECT_EQ(NameOf(UserFromCertificate(UsersNamed({"cn=alice, o=Acme"}),
                                       CertificateIdentity{.subject = "CN=alice,O=Acme"})),
            "cn=alice, o=Acme");
  EXPECT_EQ(NameOf(UserFromCertificate(UsersNamed({"CN=Alice,O=Acme"}),
                                       CertificateIdentity{.subject = "CN=alice,O=Acme"})),
            "(none)");
  const AuthConfig both = UsersNamed({"O=Acme,CN=alice", "CN=alice,O=Acme"});
  EXPECT_EQ(NameOf(UserFromCertificate(both, CertificateIdentity{.subject = "CN=alice,O=Acme"})),
            "CN=alice,O=Acme");
  EXPECT_EQ(NameOf(UserFromCertificate(UsersNamed({"O=Acme,CN=alice"}),
                                       CertificateIdentity{.subject = "CN=alice,O=Acme"})),
            "O=Acme,CN=alice");
  // A subset of the subject's RDNs is not the subject.
  EXPECT_EQ(NameOf(UserFromCertificate(UsersNamed({"CN=alice"}),
                                       CertificateIdentity{.subject = "CN=alice,O=Acme"})),
            "(none)");
  EXPECT_EQ(NameOf(UserFromCertificate(UsersNamed({"CN=alice"}), CertificateIdentity{})), "(none)");
}

}  // namespace
}  // namespace ringnats::auth
