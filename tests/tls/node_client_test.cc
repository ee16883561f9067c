// The nats.js client (npm `nats`) over TLS against the server under test: trusting the CA
// only, with a client certificate where the server verifies one, and refused where it lacks
// the certificate or trusts another CA. node/tls_client.mjs does the client's part and prints
// one JSON line.

#include <gmock/gmock.h>
#include <sys/wait.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "absl/strings/str_format.h"
#include "tls_fixture.h"

#ifndef RINGNATS_TLS_NODE_RUNNER
#define RINGNATS_TLS_NODE_RUNNER ""
#endif

namespace ringnats::tlstest {
namespace {

struct NodeRun {
  int exit_code = -1;
  nlohmann::json result;  // the script's JSON line; null when there was none
  std::string output;
};

class NodeClientTest : public TlsTest {
 protected:
  void SetUp() override {
    if (std::string(RINGNATS_TLS_NODE_RUNNER).empty()) {
      GTEST_SKIP() << "the interop tests (node) are not built here";
    }
  }

  NodeRun Run(const std::string& ca, const KeyPair* client = nullptr,
              bool handshake_first = false) {
    std::string command = absl::StrFormat("bash '%s' --url 'tls://127.0.0.1:%d' --ca '%s'",
                                          RINGNATS_TLS_NODE_RUNNER, port(), ca);
    if (client != nullptr) {
      command += absl::StrFormat(" --cert '%s' --key '%s'", client->cert, client->key);
    }
    if (handshake_first) command += " --handshake-first";
    NodeRun run;
    std::FILE* pipe = popen((command + " 2>&1").c_str(), "r");
    if (pipe == nullptr) {
      ADD_FAILURE() << "popen " << command;
      return run;
    }
    char buffer[4096];
    size_t n;
    while ((n = std::fread(buffer, 1, sizeof(buffer), pipe)) > 0) {
      run.output.append(buffer, n);
    }
    const int status = pclose(pipe);
    run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    const size_t line = run.output.rfind("{\"ok\"");
    if (line != std::string::npos) {
      run.result = nlohmann::json::parse(
          run.output.substr(line, run.output.find('\n', line) - line), nullptr, false);
    }
    return run;
  }
};

TEST_F(NodeClientTest, TrustingTheCa) {
  ASSERT_NO_FATAL_FAILURE(StartServer(TlsBlock(certs().server_rsa)));
  NodeRun run = Run(certs().ca);
  if (run.exit_code == 77) GTEST_SKIP() << run.output;
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_EQ(run.result.value("tls_required", false), true) << run.output;
  EXPECT_EQ(run.result.value("reply", ""), "echo:hello") << run.output;
}

TEST_F(NodeClientTest, WithClientCertificate) {
  ASSERT_NO_FATAL_FAILURE(StartServer(TlsBlock(
      certs().server_ecdsa, absl::StrFormat("  ca_file: \"%s\"\n  verify: true\n", certs().ca))));
  NodeRun run = Run(certs().ca, &certs().client);
  if (run.exit_code == 77) GTEST_SKIP() << run.output;
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_EQ(run.result.value("reply", ""), "echo:hello") << run.output;
}

TEST_F(NodeClientTest, WithoutTheCertificateTheServerWantsRefused) {
  ASSERT_NO_FATAL_FAILURE(StartServer(TlsBlock(
      certs().server_ecdsa, absl::StrFormat("  ca_file: \"%s\"\n  verify: true\n", certs().ca))));
  NodeRun run = Run(certs().ca);
  if (run.exit_code == 77) GTEST_SKIP() << run.output;
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_EQ(run.result.value("ok", true), false) << run.output;
  // node's name for nats-server's bad_certificate alert (42), or for ringnats' TLS 1.3
  // certificate_required (116, a documented difference); or, when the server's close meets
  // bytes nats.js sent after its Finished, the reset that follows.
  EXPECT_THAT(run.result.value("code", ""),
              ::testing::AnyOf(reference() ? "ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE"
                                           : "ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED",
                               "ECONNRESET"))
      << run.output;
}

TEST_F(NodeClientTest, ServerFromAnotherCaRefused) {
  ASSERT_NO_FATAL_FAILURE(StartServer(TlsBlock(certs().server_ecdsa)));
  NodeRun run = Run(certs().other_ca);
  if (run.exit_code == 77) GTEST_SKIP() << run.output;
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_EQ(run.result.value("ok", true), false) << run.output;
  EXPECT_EQ(run.result.value("code", ""), "UNABLE_TO_VERIFY_LEAF_SIGNATURE") << run.output;
}

// nats-server 2.10's handshake_first (ringnats only; 2.9 refuses the key): nats.js with
// handshakeFirst against `true`, then with and without it through one port with the fallback.
TEST_F(NodeClientTest, HandshakeFirst) {
  if (reference()) GTEST_SKIP() << "nats-server 2.9 does not know handshake_first";
  struct Case {
    const char* setting;
    bool client_first;
  };
  for (const Case& c : {Case{"true", true}, Case{"\"auto\"", true}, Case{"\"auto\"", false}}) {
    SCOPED_TRACE(absl::StrFormat("handshake_first: %s, client handshakeFirst: %v", c.setting,
                                 c.client_first));
    ASSERT_NO_FATAL_FAILURE(StartServer(
        TlsBlock(certs().server_ecdsa, absl::StrFormat("  handshake_first: %s\n", c.setting))));
    NodeRun run = Run(certs().ca, nullptr, c.client_first);
    if (run.exit_code == 77) GTEST_SKIP() << run.output;
    ASSERT_EQ(run.exit_code, 0) << run.output;
    EXPECT_EQ(run.result.value("reply", ""), "echo:hello") << run.output;
  }
}

}  // namespace
}  // namespace ringnats::tlstest
