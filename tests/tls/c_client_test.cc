// The NATS C client (Debian libnats, built with OpenSSL) over TLS against the server under
// test: trusting the CA only, with a client certificate where the server verifies one, and
// refused where it lacks the certificate, the server's CA is not trusted or the expected
// host name is not the certificate's.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nats/nats.h>

#include <memory>
#include <string>

#include "absl/strings/str_format.h"
#include "c_client/nats_handles.h"
#include "tls_fixture.h"

namespace ringnats::tlstest {
namespace {

using interop::Connection;
using interop::Msg;
using interop::Options;
using interop::Subscription;

constexpr int64_t kTimeoutMs = 10000;

class CClientTlsTest : public TlsTest {
 protected:
  // One connect, no reconnects; `nc` is set on success.
  natsStatus ConnectTo(const std::string& ca, const KeyPair* client, Connection* nc,
                       const char* expected_host = "localhost") {
    natsOptions* raw = nullptr;
    if (natsStatus s = natsOptions_Create(&raw); s != NATS_OK) {
      return s;
    }
    Options opts(raw);
    const std::string url = absl::StrFormat("tls://127.0.0.1:%d", port());
    natsOptions_SetURL(opts.get(), url.c_str());
    natsOptions_SetAllowReconnect(opts.get(), false);
    natsOptions_SetTimeout(opts.get(), kTimeoutMs);
    if (natsStatus s = natsOptions_SetSecure(opts.get(), true); s != NATS_OK) return s;
    if (natsStatus s = natsOptions_LoadCATrustedCertificates(opts.get(), ca.c_str());
        s != NATS_OK) {
      return s;
    }
    if (natsStatus s = natsOptions_SetExpectedHostname(opts.get(), expected_host); s != NATS_OK) {
      return s;
    }
    if (client != nullptr) {
      if (natsStatus s = natsOptions_LoadCertificatesChain(opts.get(), client->cert.c_str(),
                                                           client->key.c_str());
          s != NATS_OK) {
        return s;
      }
    }
    natsConnection* conn = nullptr;
    const natsStatus s = natsConnection_Connect(&conn, opts.get());
    nc->reset(conn);
    return s;
  }

  // A request through a subscription on the same connection comes back.
  static void ExpectRoundTrip(natsConnection* nc) {
    natsSubscription* raw = nullptr;
    RN_ASSERT_NATS_OK(natsConnection_SubscribeSync(&raw, nc, "c.tls.echo"));
    Subscription sub(raw);
    RN_ASSERT_NATS_OK(natsConnection_PublishString(nc, "c.tls.echo", "hello over tls"));
    natsMsg* msg = nullptr;
    RN_ASSERT_NATS_OK(natsSubscription_NextMsg(&msg, sub.get(), kTimeoutMs));
    Msg owned(msg);
    EXPECT_EQ(interop::Payload(msg), "hello over tls");
    // Larger than one TLS record, both ways.
    const std::string big(100000, 'b');
    RN_ASSERT_NATS_OK(
        natsConnection_Publish(nc, "c.tls.echo", big.data(), static_cast<int>(big.size())));
    RN_ASSERT_NATS_OK(natsSubscription_NextMsg(&msg, sub.get(), kTimeoutMs));
    Msg owned_big(msg);
    EXPECT_EQ(interop::Payload(msg), big);
  }
};

TEST_F(CClientTlsTest, TrustingTheCa) {
  ASSERT_NO_FATAL_FAILURE(StartServer(TlsBlock(certs().server_rsa)));
  Connection nc;
  RN_ASSERT_NATS_OK(ConnectTo(certs().ca, nullptr, &nc));
  ExpectRoundTrip(nc.get());
}

TEST_F(CClientTlsTest, Ed25519ServerKey) {
  ASSERT_NO_FATAL_FAILURE(StartServer(TlsBlock(certs().server_ed25519)));
  Connection nc;
  RN_ASSERT_NATS_OK(ConnectTo(certs().ca, nullptr, &nc));
  ExpectRoundTrip(nc.get());
}

TEST_F(CClientTlsTest, WithClientCertificate) {
  ASSERT_NO_FATAL_FAILURE(StartServer(TlsBlock(
      certs().server_ecdsa, absl::StrFormat("  ca_file: \"%s\"\n  verify: true\n", certs().ca))));
  Connection nc;
  RN_ASSERT_NATS_OK(ConnectTo(certs().ca, &certs().client, &nc));
  ExpectRoundTrip(nc.get());
}

TEST_F(CClientTlsTest, WithoutTheCertificateTheServerWantsRefused) {
  ASSERT_NO_FATAL_FAILURE(StartServer(TlsBlock(
      certs().server_ecdsa, absl::StrFormat("  ca_file: \"%s\"\n  verify: true\n", certs().ca))));
  Connection nc;
  EXPECT_NE(ConnectTo(certs().ca, nullptr, &nc), NATS_OK);
  Connection good;
  RN_EXPECT_NATS_OK(ConnectTo(certs().ca, &certs().client, &good));
}

TEST_F(CClientTlsTest, UntrustedServerRefused) {
  ASSERT_NO_FATAL_FAILURE(StartServer(TlsBlock(certs().server_ecdsa)));
  Connection nc;
  EXPECT_EQ(ConnectTo(certs().other_ca, nullptr, &nc), NATS_SSL_ERROR);
  Connection wrong_name;
  EXPECT_EQ(ConnectTo(certs().ca, nullptr, &wrong_name, "wrong.example.com"), NATS_SSL_ERROR);
}

TEST_F(CClientTlsTest, PlainUrlWithoutTlsOptions) {
  ASSERT_NO_FATAL_FAILURE(StartServer(TlsBlock(certs().server_ecdsa)));
  natsOptions* raw = nullptr;
  RN_ASSERT_NATS_OK(natsOptions_Create(&raw));
  Options opts(raw);
  const std::string url = absl::StrFormat("nats://127.0.0.1:%d", port());
  natsOptions_SetURL(opts.get(), url.c_str());
  natsOptions_SetAllowReconnect(opts.get(), false);
  natsConnection* conn = nullptr;
  // libnats 3.4 reads tls_required from the plaintext INFO and upgrades by itself; with no
  // CA to trust, verifying the server's certificate fails.
  const natsStatus s = natsConnection_Connect(&conn, opts.get());
  Connection owned(conn);
  EXPECT_EQ(s, NATS_SSL_ERROR) << natsStatus_GetText(s);
  EXPECT_THAT(
      nats_GetLastError(nullptr),
      ::testing::HasSubstr("SSL handshake error: 20:unable to get local issuer certificate"));
}

}  // namespace
}  // namespace ringnats::tlstest
