// The `tls { }` blocks (top level and `cluster { }`), https monitoring's use of them, and the
// --tls* flags, as nats-server 2.9.10 reads them (plus 2.10's min_version and
// handshake_first). Every message and position here was observed on Debian's nats-server
// (`-t -c FILE`, flags at start); ringnats adds the file name to some certificate errors.
// Certificates are made at run time.

#include "ringnats/config/tls_options.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "../tls/test_pki.h"
#include "ringnats/config/command_line.h"
#include "ringnats/config/config_parser.h"
#include "ringnats/config/options_from_config.h"
#include "ringnats/tls/names.h"

namespace ringnats::config {
namespace {

using ::testing::HasSubstr;
using tls::testing::Issued;
using tls::testing::Pki;

struct Certs {
  Pki pki;
  Issued ca;
  Issued server;
  std::string junk;
  Certs() {
    ca = pki.MakeCa("ca");
    server = pki.Issue("server", {.common_name = "localhost", .sans = {"DNS:localhost"}}, "ca");
    junk = pki.WriteFile("junk.pem", "junk\n");
  }
};

const Certs& TestCerts() {
  static const Certs* certs = new Certs();
  return *certs;
}

// "  cert_file: ...\n  key_file: ...\n" for the test's server certificate.
std::string KeyPair(const std::string& indent = "  ") {
  return indent + "cert_file: \"" + TestCerts().server.cert_file + "\"\n" + indent +
         "key_file: \"" + TestCerts().server.key_file + "\"\n";
}

std::string Ca(const std::string& indent = "  ") {
  return indent + "ca_file: \"" + TestCerts().ca.cert_file + "\"\n";
}

absl::StatusOr<ServerOptions> Load(std::string_view text) {
  absl::StatusOr<ConfigValue> root = ParseConfigString(text, "t.conf", ".");
  if (!root.ok()) return root.status();
  absl::StatusOr<ConfigLoad> load = OptionsFromConfig(*root, ServerOptions{});
  if (!load.ok()) return load.status();
  if (!load->warnings.empty()) return absl::InvalidArgumentError(load->warnings.front());
  return load->options;
}

std::string LoadError(std::string_view text) {
  absl::StatusOr<ServerOptions> options = Load(text);
  return options.ok() ? "OK" : std::string(options.status().message());
}

absl::StatusOr<ServerOptions> Flags(std::vector<const char*> args, ServerOptions base = {}) {
  args.insert(args.begin(), "ringnats");
  return ParseCommandLine(static_cast<int>(args.size()), args.data(), std::move(base));
}

std::string FlagsError(std::vector<const char*> args, ServerOptions base = {}) {
  absl::StatusOr<ServerOptions> options = Flags(std::move(args), std::move(base));
  return options.ok() ? "OK" : std::string(options.status().message());
}

TEST(TlsOptionsTest, OffByDefault) {
  const ServerOptions options;
  EXPECT_FALSE(options.tls.enabled);
  EXPECT_FALSE(options.cluster.tls.enabled);
  EXPECT_EQ(options.tls.timeout, absl::Seconds(2));
  EXPECT_EQ(options.tls.min_version, tls::MinVersion::kTls12);
  EXPECT_EQ(ResolveAuth(options).timeout, absl::Seconds(2));
}

TEST(TlsOptionsTest, EveryClientKey) {
  const std::string pin(64, 'A');
  absl::StatusOr<ServerOptions> options =
      Load("tls {\n" + KeyPair() + Ca() +
           "  verify_and_map: true\n"
           "  timeout: 0.5\n"
           "  cipher_suites: [\"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256\", "
           "\"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256\"]\n"
           "  curve_preferences: [\"CurveP256\", \"X25519\"]\n"
           "  connection_rate_limit: 100\n"
           "  pinned_certs: [\"" +
           pin +
           "\"]\n"
           "  min_version: \"1.3\"\n"
           "  handshake_first: \"auto\"\n"
           "}\n");
  ASSERT_TRUE(options.ok()) << options.status();
  const TlsOptions& t = options->tls;
  EXPECT_TRUE(t.enabled);
  EXPECT_EQ(t.cert_file, TestCerts().server.cert_file);
  EXPECT_EQ(t.key_file, TestCerts().server.key_file);
  EXPECT_EQ(t.ca_file, TestCerts().ca.cert_file);
  EXPECT_TRUE(t.verify);
  EXPECT_TRUE(t.verify_and_map);
  EXPECT_EQ(t.timeout, absl::Milliseconds(500));
  EXPECT_THAT(t.cipher_suites, ::testing::ElementsAre("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
                                                      "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"));
  EXPECT_THAT(t.curve_preferences, ::testing::ElementsAre("CurveP256", "X25519"));
  EXPECT_EQ(t.connection_rate_limit, 100);
  EXPECT_THAT(t.pinned_certs, ::testing::ElementsAre(std::string(64, 'a')));
  EXPECT_EQ(t.min_version, tls::MinVersion::kTls13);
  EXPECT_TRUE(t.handshake_first);
  EXPECT_EQ(t.handshake_first_fallback, absl::Milliseconds(50));
  EXPECT_FALSE(options->cluster.tls.enabled);

  // The authorization timeout's default leaves room for the handshake (TLS timeout + 1 s),
  // unless the file names one.
  EXPECT_EQ(ResolveAuth(*options).timeout, absl::Milliseconds(1500));
  options = Load("tls {\n" + KeyPair() + "}\nauthorization { token: x, timeout: 5 }\n");
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(ResolveAuth(*options).timeout, absl::Seconds(5));
  options = Load("tls {\n" + KeyPair() + "}\nauthorization { token: x, timeout: 0 }\n");
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(ResolveAuth(*options).timeout, absl::Seconds(3));
  options = Load("authorization { token: x, timeout: 0 }\n");
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(ResolveAuth(*options).timeout, absl::Seconds(2));
}

TEST(TlsOptionsTest, VerifyAndMapFalseLeavesVerify) {
  absl::StatusOr<ServerOptions> options =
      Load("tls {\n" + KeyPair() + Ca() + "  verify: true\n  verify_and_map: false\n}\n");
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_TRUE(options->tls.verify);
  EXPECT_FALSE(options->tls.verify_and_map);
}

TEST(TlsOptionsTest, TimeoutForms) {
  const std::vector<std::pair<std::string, absl::Duration>> cases = {
      {"2", absl::Seconds(2)},           {"7", absl::Seconds(7)},
      {"1.5", absl::Milliseconds(1500)}, {"\"250ms\"", absl::Milliseconds(250)},
      {"\"1m\"", absl::Minutes(1)},      {"0", absl::Seconds(2)},
      {"\"0s\"", absl::Seconds(2)},      {"-1", absl::Seconds(-1)},
  };
  for (const auto& [text, want] : cases) {
    absl::StatusOr<ServerOptions> options =
        Load("tls {\n" + KeyPair() + "  timeout: " + text + "\n}\n");
    ASSERT_TRUE(options.ok()) << text << ": " << options.status();
    EXPECT_EQ(options->tls.timeout, want) << text;
  }
  EXPECT_EQ(LoadError("tls {\n" + KeyPair() + "  timeout: \"2\"\n}\n"),
            "t.conf:4:3: error parsing tls config, 'timeout' time: missing unit in duration \"2\"");
  EXPECT_EQ(LoadError("tls {\n" + KeyPair() + "  timeout: \"1x\"\n}\n"),
            "t.conf:4:3: error parsing tls config, 'timeout' time: unknown unit \"x\" in duration "
            "\"1x\"");
  EXPECT_EQ(LoadError("tls {\n" + KeyPair() + "  timeout: \"x\"\n}\n"),
            "t.conf:4:3: error parsing tls config, 'timeout' time: invalid duration \"x\"");
  EXPECT_EQ(LoadError("tls {\n" + KeyPair() + "  timeout: true\n}\n"),
            "t.conf:4:3: error parsing tls config, 'timeout' wrong type");
}

TEST(TlsOptionsTest, FieldErrorsAsNatsServer) {
  const std::string kp = KeyPair();
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"tls {\n" + kp + "  foo: 1\n}\n",
       "t.conf:4:3: error parsing tls config, unknown field [\"foo\"]"},
      {"tls {\n  cert_file: 1\n  key_file: \"k\"\n}\n",
       "t.conf:2:3: error parsing tls config, expected 'cert_file' to be filename"},
      {"tls {\n" + kp + "  ca_file: true\n}\n",
       "t.conf:4:3: error parsing tls config, expected 'ca_file' to be filename"},
      {"tls {\n" + kp + "  verify: \"yes\"\n}\n",
       "t.conf:4:3: error parsing tls config, expected 'verify' to be a boolean"},
      {"tls {\n" + kp + "  verify_and_map: 1\n}\n",
       "t.conf:4:3: error parsing tls config, expected 'verify_and_map' to be a boolean"},
      {"tls {\n" + kp + "  insecure: 1\n}\n",
       "t.conf:4:3: error parsing tls config, expected 'insecure' to be a boolean"},
      {"tls {\n" + kp + "  verify_cert_and_check_known_urls: true\n}\n",
       "t.conf:4:3: verify_cert_and_check_known_urls not supported in this context"},
      {"tls {\n" + kp +
           "  cipher_suites: [\n    \"TLS_AES_128_GCM_SHA256\",\n    \"nope\"\n  ]\n}\n",
       "t.conf:6:6: unrecognized cipher nope"},
      {"tls {\n" + kp + "  cipher_suites: []\n}\n",
       "t.conf:4:3: error parsing tls config, 'cipher_suites' cannot be empty"},
      {"tls {\n" + kp + "  cipher_suites: \"TLS_AES_128_GCM_SHA256\"\n}\n",
       "t.conf:4:3: interface conversion: interface {} is string, not []interface {}"},
      {"tls {\n" + kp + "  cipher_suites: [true]\n}\n",
       "t.conf:4:19: interface conversion: interface {} is bool, not string"},
      {"tls {\n" + kp + "  curve_preferences: [\"X25519\", \"P-256\"]\n}\n",
       "t.conf:4:34: unrecognized curve preference P-256"},
      {"tls {\n" + kp + "  curve_preferences: []\n}\n",
       "t.conf:4:3: error parsing tls config, 'curve_preferences' cannot be empty"},
      {"tls {\n" + kp + "  connection_rate_limit: \"10\"\n}\n",
       "t.conf:4:3: error parsing tls config, 'connection_rate_limit' wrong type"},
      {"tls {\n" + kp + "  pinned_certs: [\"abc\"]\n}\n",
       "t.conf:4:19: error parsing tls config, 'pinned_certs' key abc does not look like "
       "hex-encoded sha256 of DER encoded SubjectPublicKeyInfo"},
      {"tls {\n" + kp + "  pinned_certs: \"abc\"\n}\n",
       "t.conf:4:3: error parsing tls config, expected 'pinned_certs' to be a list of "
       "hex-encoded sha256 of DER encoded SubjectPublicKeyInfo"},
      {"port: 4222\ntls: true\n",
       "t.conf:2:1: interface conversion: interface {} is bool, not map[string]interface {}"},
      {"port: 4222\ntls {\n  cert_file: \"c.pem\"\n}\n",
       "t.conf:2:1: missing 'key_file' in TLS configuration"},
      {"port: 4222\ntls {\n  key_file: \"k.pem\"\n}\n",
       "t.conf:2:1: missing 'cert_file' in TLS configuration"},
      {"cluster {\n  port: 6222\n  tls {\n    foo: 1\n  }\n}\n",
       "t.conf:4:5: error parsing tls config, unknown field [\"foo\"]"},
      {"cluster {\n  port: 6222\n  tls: \"x\"\n}\n",
       "t.conf:3:3: interface conversion: interface {} is string, not map[string]interface {}"},
  };
  for (const auto& [text, want] : cases) EXPECT_EQ(LoadError(text), want) << text;
}

TEST(TlsOptionsTest, NatsServer210Keys) {
  const std::string kp = KeyPair();
  EXPECT_EQ(LoadError("tls {\n" + kp + "  min_version: \"1.1\"\n}\n"),
            "t.conf:4:3: error parsing tls config: unsupported TLS version: TLS 1.1");
  EXPECT_EQ(LoadError("tls {\n" + kp + "  min_version: \"1.4\"\n}\n"),
            "t.conf:4:3: error parsing tls config: unknown version: 1.4");
  EXPECT_EQ(LoadError("tls {\n" + kp + "  min_version: 12\n}\n"),
            "t.conf:4:3: error parsing tls config: 'min_version' wrong type: 12");
  for (const char* key : {"handshake_first", "first", "immediate"}) {
    absl::StatusOr<ServerOptions> options = Load("tls {\n" + kp + "  " + key + ": true\n}\n");
    ASSERT_TRUE(options.ok()) << options.status();
    EXPECT_TRUE(options->tls.handshake_first);
    EXPECT_EQ(options->tls.handshake_first_fallback, absl::ZeroDuration());
  }
  absl::StatusOr<ServerOptions> options =
      Load("tls {\n" + kp + "  handshake_first: \"300ms\"\n}\n");
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_TRUE(options->tls.handshake_first);
  EXPECT_EQ(options->tls.handshake_first_fallback, absl::Milliseconds(300));
  options = Load("tls {\n" + kp + "  handshake_first: off\n}\n");
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_FALSE(options->tls.handshake_first);
  EXPECT_EQ(LoadError("tls {\n" + kp + "  handshake_first: \"x\"\n}\n"),
            "t.conf:4:3: field \"handshake_first\"'s value \"x\" is invalid");
  EXPECT_EQ(LoadError("tls {\n" + kp + "  handshake_first: 1\n}\n"),
            "t.conf:4:3: field \"handshake_first\" should be a boolean or a string, got int64");
}

TEST(TlsOptionsTest, FilesAreReadAsNatsServerReadsThem) {
  const Certs& c = TestCerts();
  const std::string nope = c.pki.dir() + "/nope.pem";
  EXPECT_EQ(LoadError("port: 4222\n  tls {\n  cert_file: \"" + nope + "\"\n  key_file: \"" +
                      c.server.key_file + "\"\n}\n"),
            "t.conf:2:3: error parsing X509 certificate/key pair: open " + nope +
                ": no such file or directory");
  EXPECT_THAT(LoadError("tls {\n  cert_file: \"" + c.server.cert_file + "\"\n  key_file: \"" +
                        c.junk + "\"\n}\n"),
              HasSubstr("t.conf:1:0: error parsing X509 certificate/key pair: tls: failed to find "
                        "any PEM data in key input"));
  EXPECT_EQ(LoadError("port: 1\ntls {\n" + KeyPair() + "  ca_file: \"" + nope + "\"\n}\n"),
            "t.conf:2:1: open " + nope + ": no such file or directory");
  EXPECT_THAT(LoadError("port: 1\ntls {\n" + KeyPair() + "  ca_file: \"" + c.junk + "\"\n}\n"),
              HasSubstr("t.conf:2:1: failed to parse root ca certificate"));
  EXPECT_EQ(LoadError("cluster {\n  port: 6222\n  tls {\n    cert_file: \"" + nope +
                      "\"\n    key_file: \"" + c.server.key_file + "\"\n  }\n}\n"),
            "t.conf:3:3: error parsing X509 certificate/key pair: open " + nope +
                ": no such file or directory");
  // Without a key pair nats-server still reads ca_file.
  EXPECT_EQ(LoadError("tls {\n  ca_file: \"" + nope + "\"\n}\n"),
            "t.conf:1:0: open " + nope + ": no such file or directory");
  // The block is parsed first: an unknown field wins over a missing file.
  EXPECT_EQ(LoadError("tls {\n  cert_file: \"" + nope + "\"\n  key_file: \"" + nope +
                      "\"\n  foo: 1\n}\n"),
            "t.conf:4:3: error parsing tls config, unknown field [\"foo\"]");
}

TEST(TlsOptionsTest, WhatRingnatsCannotServeIsRefusedUnderCheck) {
  // nats-server accepts an empty block under -t (then fails every handshake).
  EXPECT_THAT(LoadError("tls { }\n"), HasSubstr("is not supported by ringnats"));
  // Without a ca_file peers are verified against the system's CAs, as in nats-server.
  EXPECT_TRUE(Load("tls {\n" + KeyPair() + "  verify: true\n}\n").ok());
  EXPECT_TRUE(Load("tls {\n" + KeyPair() + "  verify_and_map: true\n}\n").ok());
  EXPECT_TRUE(Load("cluster {\n  port: 6222\n  tls {\n" + KeyPair("    ") + "  }\n}\n").ok());
  // OpenSSL here has no RC4 (nats-server's Go offers it).
  EXPECT_THAT(
      LoadError("tls {\n" + KeyPair() + "  cipher_suites: [\"TLS_RSA_WITH_RC4_128_SHA\"]\n}\n"),
      HasSubstr("t.conf:1:0: "));
}

TEST(TlsOptionsTest, ClusterBlock) {
  absl::StatusOr<ServerOptions> options =
      Load("cluster {\n  port: 6222\n  tls {\n" + KeyPair("    ") + Ca("    ") +
           "    insecure: true\n    verify_cert_and_check_known_urls: true\n    timeout: \"3s\"\n  "
           "}\n}\n");
  ASSERT_TRUE(options.ok()) << options.status();
  const TlsOptions& t = options->cluster.tls;
  EXPECT_TRUE(t.enabled);
  EXPECT_TRUE(t.insecure);
  EXPECT_TRUE(t.verify);
  EXPECT_TRUE(t.verify_cert_and_check_known_urls);
  EXPECT_EQ(t.timeout, absl::Seconds(3));
  EXPECT_FALSE(options->tls.enabled);
  // Routes always require and verify a client certificate; the dialling side verifies the
  // server unless `insecure`.
  const tls::ServerSettings accept = RouteListenerSettings(t);
  EXPECT_TRUE(accept.verify);
  EXPECT_EQ(accept.ca_file, TestCerts().ca.cert_file);
  const tls::ClientSettings dial = RouteDialSettings(t);
  EXPECT_TRUE(dial.insecure_skip_verify);
  EXPECT_EQ(dial.cert_file, TestCerts().server.cert_file);
  EXPECT_EQ(dial.ca_file, TestCerts().ca.cert_file);
  // The route authorization timeout defaults to the TLS timeout + 1 s.
  EXPECT_EQ(options->cluster.auth_timeout, absl::Seconds(4));
  options = Load(
      "cluster {\n  port: 6222\n  authorization { user: a, password: b, timeout: 1 }\n"
      "  tls {\n" +
      KeyPair("    ") + Ca("    ") + "  }\n}\n");
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->cluster.auth_timeout, absl::Seconds(1));
  EXPECT_EQ(options->cluster.tls.timeout, absl::Seconds(2));
}

TEST(TlsOptionsTest, SettingsForTheListeners) {
  absl::StatusOr<ServerOptions> options =
      Load("tls {\n" + KeyPair() + Ca() + "  verify: true\n  curve_preferences: [X25519]\n}\n");
  ASSERT_TRUE(options.ok()) << options.status();
  const tls::ServerSettings clients = ClientListenerSettings(options->tls);
  EXPECT_TRUE(clients.verify);
  EXPECT_THAT(clients.curve_preferences, ::testing::ElementsAre("X25519"));
  // HTTPS monitoring uses the clients' block but asks for no client certificate.
  EXPECT_FALSE(ClientListenerSettings(options->tls, /*for_monitoring=*/true).verify);
}

TEST(TlsOptionsTest, BuildTlsContexts) {
  absl::StatusOr<ServerOptions> options = Load("tls {\n" + KeyPair() + Ca() +
                                               "  verify: true\n}\nhttps_port: 8443\n"
                                               "cluster {\n  port: 6222\n  tls {\n" +
                                               KeyPair("    ") + Ca("    ") + "  }\n}\n");
  ASSERT_TRUE(options.ok()) << options.status();
  absl::StatusOr<TlsContexts> contexts = BuildTlsContexts(*options);
  ASSERT_TRUE(contexts.ok()) << contexts.status();
  EXPECT_NE(contexts->clients, nullptr);
  EXPECT_NE(contexts->monitoring, nullptr);
  EXPECT_NE(contexts->routes_accept, nullptr);
  EXPECT_NE(contexts->routes_dial, nullptr);
  EXPECT_TRUE(contexts->clients->settings().verify);
  EXPECT_FALSE(contexts->monitoring->settings().verify);

  contexts = BuildTlsContexts(ServerOptions{});
  ASSERT_TRUE(contexts.ok()) << contexts.status();
  EXPECT_EQ(contexts->clients, nullptr);
  EXPECT_EQ(contexts->routes_accept, nullptr);

  // A file that went away since the load (a reload, or the flags' files) is reported with
  // nats-server's text; the route block's errors say so.
  ServerOptions gone = *options;
  gone.tls.cert_file = TestCerts().pki.dir() + "/gone.pem";
  EXPECT_EQ(BuildTlsContexts(gone).status().message(),
            "error parsing X509 certificate/key pair: open " + gone.tls.cert_file +
                ": no such file or directory");
  gone = *options;
  gone.cluster.tls.ca_file = TestCerts().pki.dir() + "/gone.pem";
  EXPECT_EQ(BuildTlsContexts(gone).status().message(),
            "cluster: open " + gone.cluster.tls.ca_file + ": no such file or directory");
}

TEST(TlsFlagsTest, AsNatsServerAppliesThem) {
  const Certs& c = TestCerts();
  EXPECT_EQ(FlagsError({"--tls"}), "TLS Server certificate must be present and valid");
  EXPECT_EQ(FlagsError({"--tlsverify"}), "TLS Server certificate must be present and valid");
  EXPECT_EQ(FlagsError({"--tlscert", c.server.cert_file.c_str()}),
            "TLS Server private key must be present and valid");
  EXPECT_EQ(FlagsError({"--tls=bogus"}), "invalid boolean value \"bogus\" for -tls: parse error");

  const std::string ca_flag = "--tlscacert=" + c.ca.cert_file;
  absl::StatusOr<ServerOptions> options =
      Flags({"--tlscert", c.server.cert_file.c_str(), "-tlskey", c.server.key_file.c_str(),
             ca_flag.c_str(), "--tlsverify"});
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_TRUE(options->tls.enabled);
  EXPECT_EQ(options->tls.cert_file, c.server.cert_file);
  EXPECT_EQ(options->tls.key_file, c.server.key_file);
  EXPECT_EQ(options->tls.ca_file, c.ca.cert_file);
  EXPECT_TRUE(options->tls.verify);
  EXPECT_TRUE(BuildTlsContexts(*options).ok());
}

// --help_tls (as nats-server: print and exit 0) lists what cipher_suites and
// curve_preferences accept here; every default is in it, and each listed suite is one the
// config accepts.
TEST(TlsFlagsTest, HelpTlsListsTheNamesTheConfigAccepts) {
  absl::StatusOr<ServerOptions> options = Flags({"--help_tls"});
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_TRUE(options->show_tls_help);
  EXPECT_THAT(UsageText(), ::testing::HasSubstr("--help_tls"));

  const std::string help = TlsUsageText();
  for (std::string_view suite : tls::DefaultCipherSuiteNames()) {
    EXPECT_THAT(help, ::testing::HasSubstr(absl::StrCat("    ", std::string(suite), "\n")));
  }
  for (std::string_view curve : tls::DefaultCurveNames()) {
    EXPECT_THAT(help, ::testing::HasSubstr(absl::StrCat("    ", std::string(curve), "\n")));
  }
  EXPECT_THAT(help, ::testing::Not(::testing::HasSubstr("RC4")));
  for (std::string_view suite : tls::UsableCipherSuiteNames()) {
    EXPECT_TRUE(tls::FindCipherSuite(suite).ok()) << suite;
  }
}

TEST(TlsFlagsTest, ReplaceTheFilesBlockButKeepItsTimeout) {
  const Certs& c = TestCerts();
  absl::StatusOr<ServerOptions> file =
      Load("tls {\n" + KeyPair() + Ca() +
           "  verify_and_map: true\n  timeout: 5\n  cipher_suites: "
           "[\"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256\"]\n}\n");
  ASSERT_TRUE(file.ok()) << file.status();
  absl::StatusOr<ServerOptions> options = Flags(
      {"--tlscert", c.server.cert_file.c_str(), "--tlskey", c.server.key_file.c_str()}, *file);
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_TRUE(options->tls.enabled);
  EXPECT_FALSE(options->tls.verify);
  EXPECT_EQ(options->tls.ca_file, "");
  EXPECT_TRUE(options->tls.cipher_suites.empty());
  EXPECT_EQ(options->tls.timeout, absl::Seconds(5));
  EXPECT_TRUE(options->tls.verify_and_map);

  // --tls=false turns TLS off, the file's block included, wherever it stands.
  for (const std::vector<const char*>& args :
       std::vector<std::vector<const char*>>{{"--tls=false"},
                                             {"--tlscert", "x", "--tlskey", "y", "--tls=false"},
                                             {"--tls=false", "--tlsverify"}}) {
    options = Flags(args, *file);
    ASSERT_TRUE(options.ok()) << options.status();
    EXPECT_FALSE(options->tls.enabled);
  }

  // Under -t nats-server stops before it applies the flags.
  options = Flags({"-t", "--tls"}, *file);
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->tls, file->tls);
}

TEST(TlsFlagsTest, FilesAreReadAtStart) {
  const Certs& c = TestCerts();
  const std::string nope = c.pki.dir() + "/nope.pem";
  absl::StatusOr<ServerOptions> options =
      Flags({"--tlscert", nope.c_str(), "--tlskey", c.server.key_file.c_str()});
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(ValidateForStart(*options).message(), "error parsing X509 certificate/key pair: open " +
                                                      nope + ": no such file or directory");
  options = Flags({"--tlscert", c.server.cert_file.c_str(), "--tlskey", c.server.key_file.c_str(),
                   "--tlscacert", nope.c_str()});
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(ValidateForStart(*options).message(), "open " + nope + ": no such file or directory");
  // Without --tlscacert client certificates are verified against the system CA store.
  options = Flags({"--tlscert", c.server.cert_file.c_str(), "--tlskey", c.server.key_file.c_str(),
                   "--tlsverify"});
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_TRUE(ValidateForStart(*options).ok());
}

TEST(TlsFlagsTest, HttpsNeedsTheClientsTls) {
  absl::StatusOr<ServerOptions> options = Load("tls {\n" + KeyPair() + "}\nhttps_port: 8443\n");
  ASSERT_TRUE(options.ok()) << options.status();
  const absl::Status start = ValidateForStart(*options);
  EXPECT_THAT(start.message(), ::testing::Not(HasSubstr("Can't start monitoring")));
}

}  // namespace
}  // namespace ringnats::config
