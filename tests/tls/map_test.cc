// `verify_and_map`: the client certificate names the user. Users named by the subject DN, by
// an email SAN and by a DNS SAN get their own permissions (a denied publish gets the
// Permissions Violation -ERR and the connection stays); a certificate that names no user gets
// `Authorization Violation` and is closed; without a certificate the handshake fails.

#include <gmock/gmock.h>

#include <string>

#include "absl/strings/str_format.h"
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
  ]
}
)";

class MapTest : public TlsTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(StartServer(
        TlsBlock(certs().server_ecdsa,
                 absl::StrFormat("  ca_file: \"%s\"\n  verify_and_map: true\n", certs().ca)) +
        kUsers));
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

// A CN holding a plus sign is not the user whose RDN has two attributes (CN and OU).
TEST_F(MapTest, LiteralPlusInASubjectIsNotAMultiValuedRdn) {
  absl::StatusOr<std::unique_ptr<RawClient>> raw =
      harness::ConnectTls(port(), Trusting(&certs().client_literal_plus));
  ASSERT_TRUE(raw.ok()) << raw.status();
  ASSERT_TRUE((*raw)->Send(absl::StrFormat("CONNECT %s\r\nPING\r\n", kTlsConnect)));
  EXPECT_TRUE((*raw)->ExpectClosed("-ERR 'Authorization Violation'\r\n"));
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
