#include "ringnats/auth/certificate_user.h"

#include <gtest/gtest.h>

namespace ringnats::auth {
namespace {

AuthConfig UsersNamed(std::initializer_list<const char*> names) {
  AuthConfig config;
  config.mode = AuthConfig::Mode::kUsers;
  config.tls_map = true;
  for (const char* name : names) config.users[name] = User{.name = name};
  IndexUsersByDistinguishedName(config);
  return config;
}

// A certificate with only a subject, written as a DN without escapes.
CertificateIdentity WithSubject(const std::string& subject) {
  return CertificateIdentity{.subject = ParseDistinguishedName(subject), .name_string = subject};
}

CertificateIdentity WithSubject(DistinguishedName subject) {
  return CertificateIdentity{.subject = CanonicalDn(std::move(subject)),
                             .name_string = "(printed by Go)"};
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
  // Every '=' ends a type, escaped plus or not, as nats-server's parser reads it: a CN that
  // holds "alice+O=Acme" is written with the '=' escaped too.
  EXPECT_EQ(ParseDistinguishedName("CN=alice\\+O=Acme"), (Dn{{{"alice+o", "Acme"}}}));
  EXPECT_EQ(ParseDistinguishedName("CN=alice\\+O\\=Acme"), (Dn{{{"cn", "alice+O=Acme"}}}));
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
  // An escape is a special character or two hex digits; a value does not start with '#'.
  EXPECT_TRUE(ParseDistinguishedName("CN=\\zz").empty());
  EXPECT_TRUE(ParseDistinguishedName("CN=a\\4").empty());
  EXPECT_TRUE(ParseDistinguishedName("CN=#0c01").empty());
  EXPECT_EQ(ParseDistinguishedName("CN= #0c01"), (Dn{{{"cn", "#0c01"}}}));
  EXPECT_EQ(ParseDistinguishedName("CN=\\#0c01"), (Dn{{{"cn", "#0c01"}}}));
  // A lone backslash at the end is dropped; an empty value at the end drops its RDN.
  EXPECT_EQ(ParseDistinguishedName("CN=a\\"), (Dn{{{"cn", "a"}}}));
  EXPECT_EQ(ParseDistinguishedName("CN=alice,OU=eng+O="), (Dn{{{"cn", "alice"}}}));
  EXPECT_EQ(ParseDistinguishedName("CN=alice,"), (Dn{{{"cn", "alice"}}}));
}

TEST(CertificateUserTest, LooksUpEmailsThenDnsNamesThenUrisThenTheSubject) {
  const AuthConfig config =
      UsersNamed({"alice@acme.test", "host.acme.test", "spiffe://acme/alice", "CN=alice,O=Acme"});
  CertificateIdentity cert{.emails = {"alice@acme.test"},
                           .dns_names = {"host.acme.test"},
                           .uris = {"spiffe://acme/alice"},
                           .subject = ParseDistinguishedName("CN=alice,O=Acme"),
                           .name_string = "CN=alice,O=Acme"};
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
  EXPECT_EQ(
      NameOf(UserFromCertificate(UsersNamed({"cn=alice, o=Acme"}), WithSubject("CN=alice,O=Acme"))),
      "cn=alice, o=Acme");
  EXPECT_EQ(
      NameOf(UserFromCertificate(UsersNamed({"CN=Alice,O=Acme"}), WithSubject("CN=alice,O=Acme"))),
      "(none)");
  const AuthConfig both = UsersNamed({"O=Acme,CN=alice", "CN=alice,O=Acme"});
  EXPECT_EQ(NameOf(UserFromCertificate(both, WithSubject("CN=alice,O=Acme"))), "CN=alice,O=Acme");
  EXPECT_EQ(
      NameOf(UserFromCertificate(UsersNamed({"O=Acme,CN=alice"}), WithSubject("CN=alice,O=Acme"))),
      "O=Acme,CN=alice");
  // A subset of the subject's RDNs is not the subject.
  EXPECT_EQ(NameOf(UserFromCertificate(UsersNamed({"CN=alice"}), WithSubject("CN=alice,O=Acme"))),
            "(none)");
  EXPECT_EQ(NameOf(UserFromCertificate(UsersNamed({"CN=alice"}), CertificateIdentity{})), "(none)");
}

// The DN step looks the subject up in an index built with the config (a mapped connect
// must not parse every user's name): it holds thousands of users, names only DNs, and
// answers from a copy of the config (it keeps names, not pointers into the original).
TEST(CertificateUserTest, TheDistinguishedNameIndexHoldsManyUsersAndSurvivesACopy) {
  AuthConfig original;
  original.mode = AuthConfig::Mode::kUsers;
  original.tls_map = true;
  for (int i = 0; i < 5000; ++i) {
    const std::string name = "CN=user" + std::to_string(i) + ",O=Acme";
    original.users[name] = User{.name = name};
  }
  original.users["not a dn"] = User{.name = "not a dn"};
  IndexUsersByDistinguishedName(original);
  EXPECT_EQ(original.users_by_dn.size(), 5000u);
  EXPECT_EQ(original.users_by_reordered_dn.size(), 5000u);

  const AuthConfig copy = original;
  original.users.clear();
  std::string_view how;
  EXPECT_EQ(NameOf(UserFromCertificate(copy, WithSubject("CN=user4321,O=Acme"), &how)),
            "CN=user4321,O=Acme");
  EXPECT_EQ(how, "DistinguishedNameMatch");
  EXPECT_EQ(NameOf(UserFromCertificate(copy, WithSubject("O=Acme,CN=user17"))), "CN=user17,O=Acme");
  EXPECT_EQ(NameOf(UserFromCertificate(copy, WithSubject("CN=user5000,O=Acme"))), "(none)");
  // An escaped comma belongs to its value: CN "a,b" with O "c" is not CN "a" with O "b,c".
  const AuthConfig tricky = UsersNamed({"CN=a\\,b,O=c"});
  EXPECT_EQ(NameOf(UserFromCertificate(tricky, WithSubject("CN=a\\,b,O=c"))), "CN=a\\,b,O=c");
  EXPECT_EQ(NameOf(UserFromCertificate(tricky, WithSubject("CN=a,O=b\\,c"))), "(none)");
}

// A subject with attributes Go's RDN string leaves out is no user's DN; the user named as Go
// prints it with the domain components, then without, is found after the DN look-ups.
TEST(CertificateUserTest, ThenTheSubjectAsGoPrintsItWithAndWithoutDomainComponents) {
  // nats-server reads no DN from a subject with an emailAddress.
  CertificateIdentity cert{.subject = {},
                           .rdn_sequence = "CN=erin,O=Acme",
                           .domain_components = "DC=acme",
                           .name_string =
                               "CN=erin,O=Acme,1.2.840.113549.1.9.1=#160e6572696e4061636d"
                               "652e74657374,DC=acme"};
  std::string_view how;
  EXPECT_EQ(NameOf(UserFromCertificate(UsersNamed({"CN=erin,O=Acme", "CN=erin,O=Acme,DC=acme"}),
                                       cert, &how)),
            "CN=erin,O=Acme,DC=acme");
  EXPECT_EQ(how, "RDNSequence");
  EXPECT_EQ(NameOf(UserFromCertificate(UsersNamed({"CN=erin,O=Acme"}), cert, &how)),
            "CN=erin,O=Acme");
  EXPECT_EQ(how, "certificate subject");
  // The DN look-up comes first when nats-server can read the subject as a DN...
  const CertificateIdentity readable{.subject = ParseDistinguishedName("CN=erin,O=Acme,DC=acme"),
                                     .rdn_sequence = "CN=erin,O=Acme",
                                     .domain_components = "DC=acme",
                                     .name_string = "CN=erin,O=Acme,DC=acme"};
  EXPECT_EQ(NameOf(UserFromCertificate(UsersNamed({"CN=erin,O=Acme", "DC=acme,O=Acme,CN=erin"}),
                                       readable, &how)),
            "DC=acme,O=Acme,CN=erin");
  EXPECT_EQ(how, "DistinguishedNameMatch");
  // ... and with an emailAddress in it, it cannot (tls::NatsServerDn has none).
  EXPECT_EQ(NameOf(UserFromCertificate(
                UsersNamed({"emailAddress=erin@acme.test,CN=erin,O=Acme", "CN=erin,O=Acme"}), cert,
                &how)),
            "CN=erin,O=Acme");
  EXPECT_EQ(how, "certificate subject");
  // Go's string is compared as written, not as a DN.
  EXPECT_EQ(NameOf(UserFromCertificate(UsersNamed({"cn=erin, O=Acme"}), cert)), "(none)");
}

// nats-server looks no further than "none found" when a certificate has no email, no URI and
// no subject Go prints: its DNS names are not looked up then.
TEST(CertificateUserTest, NoEmailNoUriAndNoSubjectNamesNoUserEvenByDnsName) {
  const AuthConfig config = UsersNamed({"grace.acme.test"});
  CertificateIdentity cert{.dns_names = {"grace.acme.test"}};
  EXPECT_EQ(NameOf(UserFromCertificate(config, cert)), "(none)");
  cert.name_string = "CN=grace";
  EXPECT_EQ(NameOf(UserFromCertificate(config, cert)), "grace.acme.test");
  cert.name_string.clear();
  cert.uris = {"spiffe://acme/grace"};
  EXPECT_EQ(NameOf(UserFromCertificate(config, cert)), "grace.acme.test");
  cert.uris.clear();
  cert.emails = {"grace@acme.test"};
  EXPECT_EQ(NameOf(UserFromCertificate(config, cert)), "grace.acme.test");
}

// The certificate's subject (its attributes as nats-server reads them) against users written
// as nats-server reads their names.
TEST(CertificateUserTest, EscapedNamesMatchWhatTheyMeanOnly) {
  using Dn = DistinguishedName;
  const Dn literal_plus = {{{"CN", "alice+O=Acme"}}};
  const Dn multi_valued = {{{"CN", "alice"}, {"O", "Acme"}}};
  EXPECT_EQ(NameOf(UserFromCertificate(UsersNamed({"CN=alice+O=Acme"}), WithSubject(literal_plus))),
            "(none)");
  EXPECT_EQ(NameOf(UserFromCertificate(UsersNamed({"CN=alice+O=Acme"}), WithSubject(multi_valued))),
            "CN=alice+O=Acme");
  EXPECT_EQ(NameOf(UserFromCertificate(UsersNamed({"O=Acme+CN=alice"}), WithSubject(multi_valued))),
            "O=Acme+CN=alice");
  EXPECT_EQ(
      NameOf(UserFromCertificate(UsersNamed({"CN=alice\\+O\\=Acme"}), WithSubject(literal_plus))),
      "CN=alice\\+O\\=Acme");
  EXPECT_EQ(
      NameOf(UserFromCertificate(UsersNamed({"CN=alice\\+O=Acme"}), WithSubject(literal_plus))),
      "(none)");
  // Non-ASCII names: as UTF-8, or escaped byte by byte; hex text is not the bytes.
  const Dn jose = {{{"CN", "Jos\xC3\xA9"}}, {{"O", "Acme"}}};
  EXPECT_EQ(NameOf(UserFromCertificate(UsersNamed({"CN=Jos\xC3\xA9,O=Acme"}), WithSubject(jose))),
            "CN=Jos\xC3\xA9,O=Acme");
  EXPECT_EQ(NameOf(UserFromCertificate(UsersNamed({"CN=Jos\\C3\\A9,O=Acme"}), WithSubject(jose))),
            "CN=Jos\\C3\\A9,O=Acme");
  EXPECT_EQ(NameOf(UserFromCertificate(UsersNamed({"CN=JosC3A9,O=Acme"}), WithSubject(jose))),
            "(none)");
}

}  // namespace
}  // namespace ringnats::auth
