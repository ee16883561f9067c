// `verify_and_map`: the client certificate names the user. Users named by the subject DN, by
// an email SAN, by a DNS SAN and by the subject as Go prints it get their own permissions (a
// denied publish gets the Permissions Violation -ERR and the connection stays); a certificate
// that names no user gets `Authorization Violation` and is closed; without a certificate the
// handshake fails.

#include <gmock/gmock.h>

#include <string>

#include "absl/strings/str_format.h"
#include "harness/http_get.h"
#include "tls_fixture.h"

namespace ringnats::tlstest {
namespace {

using ::testing::HasSubstr;

constexpr char kUsers[] = R"(
authorization {
  users = [
    { user: "CN=alice,OU=eng,O=Acme", permissions: { publish: "eng.>", subscribe: "eng.>" } }
    { user: "bob@example.com", permissions: { publish: "mail.>", subscribe: "mail.>" } }
    { user: "carol.example.com", permissions: { publish: "dns.>", subscribe: "dns.>" } }
    { user: "CN=José,O=Acme", permissions: { publish: "utf8.>", subscribe: "utf8.>" } }
    { user: "CN=dave+OU=ops,O=Acme", permissions: { publish: "ops.>", subscribe: "ops.>" } }
    { user: "CN=erin,O=Acme", permissions: { publish: "erin.>", subscribe: "erin.>" } }
    { user: "emailAddress=erin@acme.test,CN=erin,O=Acme",
      permissions: { publish: "never.>", subscribe: "never.>" } }
    { user: "CN=frank,O=Acme,DC=test,DC=acme",
      permissions: { publish: "frank.>", subscribe: "frank.>" } }
    { user: "CN=heidi+OU=ops,O=Acme", permissions: { publish: "heidi.>", subscribe: "heidi.>" } }
    { user: "grace.example.com", permissions: { publish: "grace.>", subscribe: "grace.>" } }
  ]
}
)";

class MapTest : public TlsTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(StartServer(
        TlsBlock(certs().server_ecdsa,
                 absl::StrFormat("  ca_file: \"%s\"\n  verify_and_map: true\n", certs().ca)) +
            kUsers,
        {"-m", "-1"}));
  }

  // The certificate `pair` logs in as `user` (a regex), who may use `allowed` (publish and
  // subscribe) and nothing else.
  void ExpectMappedTo(const KeyPair& pair, const std::string& user, const std::string& allowed) {
    SCOPED_TRACE(pair.cert);
    absl::StatusOr<std::unique_ptr<RawClient>> raw = harness::ConnectTls(port(), Trusting(&pair));
    ASSERT_TRUE(raw.ok()) << raw.status();
    RawClient& client = **raw;
    const int client_port = harness::LocalPort(client.fd());
    ASSERT_TRUE(client.Send(absl::StrFormat("CONNECT %s\r\n", kTlsConnect)));
    ASSERT_TRUE(client.Ping());
    ASSERT_TRUE(
        client.Send(absl::StrFormat("SUB %s.x 1\r\nPUB %s.x 2\r\nok\r\n", allowed, allowed)));
    ASSERT_TRUE(client.Expect(absl::StrFormat("MSG %s.x 1 2\r\nok\r\n", allowed)));
    ASSERT_TRUE(client.Send("PUB denied.x 2\r\nno\r\n"));
    ASSERT_TRUE(client.Expect("-ERR 'Permissions Violation for Publish to \"denied.x\"'\r\n"));
    ASSERT_TRUE(client.Send("SUB denied.y 2\r\n"));
    ASSERT_TRUE(client.Expect("-ERR 'Permissions Violation for Subscription to \"denied.y\"'\r\n"));
    // The violations were not fatal.
    EXPECT_TRUE(client.Ping());
    // The log names the mapped user.
    EXPECT_TRUE(WaitForClientLog(
        client_port,
        absl::StrFormat(R"(Publish Violation - User "%s", Subject "denied\.x"$)", user)));
    EXPECT_TRUE(WaitForClientLog(
        client_port,
        absl::StrFormat(R"(Subscription Violation - User "%s", Subject "denied\.y", SID 2$)",
                        user)));
  }

  // The certificate `pair` names no user: `Authorization Violation` and closed.
  void ExpectNoUser(const KeyPair& pair) {
    SCOPED_TRACE(pair.cert);
    absl::StatusOr<std::unique_ptr<RawClient>> raw = harness::ConnectTls(port(), Trusting(&pair));
    ASSERT_TRUE(raw.ok()) << raw.status();
    ASSERT_TRUE((*raw)->Send(absl::StrFormat("CONNECT %s\r\nPING\r\n", kTlsConnect)));
    EXPECT_TRUE((*raw)->ExpectClosed("-ERR 'Authorization Violation'\r\n"));
  }
};

TEST_F(MapTest, UserBySubjectDn) {
  ExpectMappedTo(certs().client_dn, R"(CN=alice,OU=eng,O=Acme)", "eng");
}

TEST_F(MapTest, UserByEmailSan) {
  ExpectMappedTo(certs().client_email, R"(bob@example\.com)", "mail");
}

TEST_F(MapTest, UserByDnsSan) {
  ExpectMappedTo(certs().client_dns, R"(carol\.example\.com)", "dns");
}

// A UTF-8 subject maps to the user written with the same characters.
TEST_F(MapTest, UserBySubjectDnWithUtf8) {
  ExpectMappedTo(certs().client_utf8, "CN=José,O=Acme", "utf8");
}

// The subject holds an emailAddress, a type nats-server's DN parser does not know, so there
// is no DN match (not even with the user named as OpenSSL prints the subject); the user is
// looked up by the subject as Go prints it, which leaves the emailAddress out.
TEST_F(MapTest, UserBySubjectAsGoPrintsIt) {
  ExpectMappedTo(certs().client_email_dn, "CN=erin,O=Acme", "erin");
}

// And before that, by the same string with the domain components appended in the
// certificate's order.
TEST_F(MapTest, UserBySubjectAsGoPrintsItWithDomainComponents) {
  ExpectMappedTo(certs().client_dc, "CN=frank,O=Acme,DC=test,DC=acme", "frank");
}

// /connz?auth=1 shows the subject as Go's pkix.Name.String() prints it: the attributes it has
// no field for (emailAddress, DC) last, as OID and the hex of their DER value.
TEST_F(MapTest, ConnzShowsThePeerSubjectAsNatsServerPrintsIt) {
  std::unique_ptr<RawClient> client = TlsClient(Trusting(&certs().client_dc));
  ASSERT_NE(client, nullptr);
  const int client_port = harness::LocalPort(client->fd());
  absl::StatusOr<harness::HttpAnswer> answer =
      harness::HttpGet(server().monitor_port(), "/connz?auth=1&limit=1024");
  ASSERT_TRUE(answer.ok()) << answer.status();
  const nlohmann::json connz = nlohmann::json::parse(answer->body, nullptr, false);
  ASSERT_TRUE(connz.is_object() && connz["connections"].is_array()) << answer->body;
  nlohmann::json subject;
  for (const nlohmann::json& c : connz["connections"]) {
    if (c.value("port", 0) == client_port) {
      subject = c.value(nlohmann::json::json_pointer("/tls_peer_certs/0/subject"), std::string());
    }
  }
  EXPECT_EQ(subject,
            "CN=frank,O=Acme,1.2.840.113549.1.9.1=#0c0f6672616e6b4061636d652e74657374,"
            "0.9.2342.19200300.100.1.25=#130461636d65,"
            "0.9.2342.19200300.100.1.25=#130474657374")
      << answer->body;
}

// A certificate whose RDN holds two attributes is the user written with them in either order.
TEST_F(MapTest, UserBySubjectDnWithAMultiValuedRdn) {
  ExpectMappedTo(certs().client_multi_rdn, R"(CN=heidi\+OU=ops,O=Acme)", "heidi");
}

// A CN holding a plus sign is not the user whose RDN has two attributes (CN and OU).
TEST_F(MapTest, LiteralPlusInASubjectIsNotAMultiValuedRdn) {
  ExpectNoUser(certs().client_literal_plus);
}

// A certificate with no email, no URI and an empty subject names no user, even by a DNS name
// that is one (nats-server: "User required in cert, none found").
TEST_F(MapTest, EmptySubjectWithoutEmailOrUriNamesNoUserByDnsName) {
  ExpectNoUser(certs().client_no_subject);
}

TEST_F(MapTest, UnmappedCertificateGetsAuthorizationViolation) {
  std::unique_ptr<RawClient> neighbour = TlsClient(Trusting(&certs().client_dn));
  ASSERT_NE(neighbour, nullptr);
  absl::StatusOr<std::unique_ptr<RawClient>> raw =
      harness::ConnectTls(port(), Trusting(&certs().client));
  ASSERT_TRUE(raw.ok()) << raw.status();
  RawClient& client = **raw;
  const int client_port = harness::LocalPort(client.fd());
  ASSERT_TRUE(client.Send(absl::StrFormat("CONNECT %s\r\nPING\r\n", kTlsConnect)));
  EXPECT_TRUE(client.ExpectClosed("-ERR 'Authorization Violation'\r\n"));
  // nats-server names no user: the certificate matched none.
  EXPECT_TRUE(WaitForClientLog(client_port, R"(authentication error - User ""$)"));
  EXPECT_TRUE(neighbour->Ping());
}

TEST_F(MapTest, NoCertificateRefusedInTheHandshake) {
  absl::StatusOr<std::unique_ptr<RawClient>> raw = RawClient::Connect(port());
  ASSERT_TRUE(raw.ok()) << raw.status();
  RawClient& client = **raw;
  ASSERT_TRUE(client.ReadInfo());
  TlsSession* session = nullptr;
  if (harness::StartTls(client, Trusting(), &session)) {
    // TLS 1.3: the refusal is the first thing read after the client's Finished:
    // bad_certificate from nats-server, certificate_required from ringnats' OpenSSL (a
    // documented difference).
    ASSERT_TRUE(client.ExpectClosed());
    EXPECT_THAT(session->LastError(),
                HasSubstr(reference() ? "alert bad certificate" : "alert certificate required"));
  }
  std::unique_ptr<RawClient> neighbour = TlsClient(Trusting(&certs().client_email));
  EXPECT_NE(neighbour, nullptr);
}

}  // namespace
}  // namespace ringnats::tlstest
