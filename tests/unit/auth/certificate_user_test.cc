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
  using Dn = DistinguishedName;
  EXPECT_EQ(ParseDistinguishedName("CN=alice, ou=eng ,O=Acme\\, Inc."),
            (Dn{{{"cn", "alice"}}, {{"ou", "eng"}}, {{"o", "Acme, Inc."}}}));
  // A multi-valued RDN is a set; an escaped plus is part of a value.
  EXPECT_EQ(ParseDistinguishedName("UID=7+CN=alice,O=Acme"),
            (Dn{{{"cn", "alice"}, {"uid", "7"}}, {{"o", "Acme"}}}));
  EXPECT_EQ(ParseDistinguishedName("CN=alice\\+O=Acme"), (Dn{{{"cn", "alice+O=Acme"}}}));
  // OpenSSL's RFC 2253 form escapes each byte of a UTF-8 character.
  EXPECT_EQ(ParseDistinguishedName("CN=Jos\\C3\\A9"), (Dn{{{"cn", "Jos\xC3\xA9"}}}));
  // An escaped space at either end is part of the value; an escaped backslash before an
  // unescaped space is not an escaped space.
  EXPECT_EQ(ParseDistinguishedName("CN=alice\\ ,O=Acme"),
            (Dn{{{"cn", "alice "}}, {{"o", "Acme"}}}));
  EXPECT_EQ(ParseDistinguishedName("CN=\\ alice"), (Dn{{{"cn", " alice"}}}));
  EXPECT_EQ(ParseDistinguishedName("CN=alice\\\\ "), (Dn{{{"cn", "alice\\"}}}));
  // Only spaces are trimmed, as nats-server's DN parser does.
  EXPECT_EQ(ParseDistinguishedName("CN=  alice  "), (Dn{{{"cn", "alice"}}}));
  EXPECT_EQ(ParseDistinguishedName("CN=alice\t"), (Dn{{{"cn", "alice\t"}}}));
  EXPECT_TRUE(ParseDistinguishedName("CN=a+,O=b").empty());
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

// A subject with attributes Go's RDN string leaves out is no user's DN; the user named as Go
// prints it with the domain components, then without, is found after the DN look-ups.
TEST(CertificateUserTest, ThenTheSubjectAsGoPrintsItWithAndWithoutDomainComponents) {
  CertificateIdentity cert{.subject = "emailAddress=erin@acme.test,CN=erin,O=Acme,DC=acme",
                           .rdn_sequence = "CN=erin,O=Acme",
                           .domain_components = "DC=acme"};
  std::string_view how;
  EXPECT_EQ(NameOf(UserFromCertificate(UsersNamed({"CN=erin,O=Acme", "CN=erin,O=Acme,DC=acme"}),
                                       cert, &how)),
            "CN=erin,O=Acme,DC=acme");
  EXPECT_EQ(how, "RDNSequence");
  EXPECT_EQ(NameOf(UserFromCertificate(UsersNamed({"CN=erin,O=Acme"}), cert, &how)),
            "CN=erin,O=Acme");
  EXPECT_EQ(how, "certificate subject");
  // The DN look-up comes first when nats-server can read the subject as a DN...
  const CertificateIdentity readable{.subject = "CN=erin,O=Acme,DC=acme",
                                     .rdn_sequence = "CN=erin,O=Acme",
                                     .domain_components = "DC=acme"};
  EXPECT_EQ(NameOf(UserFromCertificate(UsersNamed({"CN=erin,O=Acme", "DC=acme,O=Acme,CN=erin"}),
                                       readable, &how)),
            "DC=acme,O=Acme,CN=erin");
  EXPECT_EQ(how, "DistinguishedNameMatch");
  // ... and with an emailAddress in it, it cannot (the engine leaves `subject` empty).
  cert.subject.clear();
  EXPECT_EQ(NameOf(UserFromCertificate(
                UsersNamed({"emailAddress=erin@acme.test,CN=erin,O=Acme", "CN=erin,O=Acme"}), cert,
                &how)),
            "CN=erin,O=Acme");
  EXPECT_EQ(how, "certificate subject");
  // Go's string is compared as written, not as a DN.
  EXPECT_EQ(NameOf(UserFromCertificate(UsersNamed({"cn=erin, O=Acme"}), cert)), "(none)");
}

// The subject as the engine prints it (OpenSSL's RFC 2253 form) against users written as
// nats-server reads them.
TEST(CertificateUserTest, EscapedSubjectsMatchWhatTheyMeanOnly) {
  // A user of two attributes in one RDN is not a certificate whose CN holds a literal plus.
  EXPECT_EQ(NameOf(UserFromCertificate(UsersNamed({"CN=alice+O=Acme"}),
                                       CertificateIdentity{.subject = "CN=alice\\+O=Acme"})),
            "(none)");
  // ... but is the certificate with that multi-valued RDN, in either order.
  EXPECT_EQ(NameOf(UserFromCertificate(UsersNamed({"CN=alice+O=Acme"}),
                                       CertificateIdentity{.subject = "O=Acme+CN=alice"})),
            "CN=alice+O=Acme");
  // Non-ASCII names: the escaped bytes are the UTF-8 the user is written in, not hex text.
  EXPECT_EQ(NameOf(UserFromCertificate(UsersNamed({"CN=Jos\xC3\xA9,O=Acme"}),
                                       CertificateIdentity{.subject = "CN=Jos\\C3\\A9,O=Acme"})),
            "CN=Jos\xC3\xA9,O=Acme");
  EXPECT_EQ(NameOf(UserFromCertificate(UsersNamed({"CN=JosC3A9,O=Acme"}),
                                       CertificateIdentity{.subject = "CN=Jos\\C3\\A9,O=Acme"})),
            "(none)");
}

}  // namespace
}  // namespace ringnats::auth
