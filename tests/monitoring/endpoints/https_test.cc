// Monitoring over HTTPS (`https_port`, `--https_port`, `--ms`), run the same way against
// nats-server and against the server under test: the top-level `tls {}` block's certificate,
// cipher suites and curves, no client certificate asked for even under `verify`, the ports
// file's https URL and the start line, a plain HTTP request answered as Go answers it, handshake
// errors logged, a reloaded certificate served to new connections, the start errors, and the
// /varz TLS fields compared field by field between the two servers.
//
// Certificates are made at run time with the openssl command-line tool; the HTTPS requests
// are made with OpenSSL's client API (to see the version, suite and certificate request) and
// with curl, as an operator would.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "harness/server_process.h"
#include "harness/server_spec.h"
#include "monitoring/endpoints/json_diff.h"

#ifndef RINGNATS_OPENSSL_CLI
#define RINGNATS_OPENSSL_CLI "openssl"
#endif
#ifndef RINGNATS_CURL_CLI
#define RINGNATS_CURL_CLI ""
#endif

namespace ringnats::monitoring {
namespace {

// Runs argv (argv[0] a path), stdout captured, stderr appended to it; the exit status.
int RunProgram(const std::vector<std::string>& argv, std::string* output) {
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) return -1;
  const pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    dup2(pipe_fds[1], 1);
    dup2(pipe_fds[1], 2);
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    std::vector<char*> args;
    for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  close(pipe_fds[1]);
  char buffer[4096];
  ssize_t n;
  while ((n = read(pipe_fds[0], buffer, sizeof(buffer))) > 0) {
    if (output != nullptr) output->append(buffer, static_cast<size_t>(n));
  }
  close(pipe_fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// A CA and certificates it signed, made with the openssl CLI in a temp dir.
class Pki {
 public:
  Pki() {
    char pattern[] = "/tmp/ringnats-https-pki-XXXXXX";
    if (mkdtemp(pattern) != nullptr) dir_ = pattern;
  }
  ~Pki() {
    std::error_code ignored;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ignored);
  }

  std::string Path(const std::string& name) const { return dir_ + "/" + name; }

  // ca.pem/ca-key.pem: a self-signed P-256 CA.
  std::string MakeCa() {
    return Openssl({"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                    "-nodes", "-keyout", Path("ca-key.pem"), "-out", Path("ca.pem"), "-days", "30",
                    "-subj", "/O=ringnats tests/CN=ringnats test CA"});
  }

  // NAME.pem/NAME-key.pem: a P-256 certificate for 127.0.0.1 and localhost signed by the CA.
  std::string Issue(const std::string& name, const std::string& common_name) {
    std::ofstream(Path(name + ".ext")) << "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                                       << "extendedKeyUsage=serverAuth,clientAuth\n";
    std::string error =
        Openssl({"req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                 Path(name + "-key.pem"), "-out", Path(name + ".csr"), "-subj",
                 "/O=ringnats tests/CN=" + common_name});
    if (!error.empty()) return error;
    return Openssl({"x509", "-req", "-in", Path(name + ".csr"), "-CA", Path("ca.pem"), "-CAkey",
                    Path("ca-key.pem"), "-CAcreateserial", "-days", "30", "-extfile",
                    Path(name + ".ext"), "-out", Path(name + ".pem")});
  }

 private:
  // Empty on success, else the command and what it printed.
  std::string Openssl(std::vector<std::string> args) {
    args.insert(args.begin(), RINGNATS_OPENSSL_CLI);
    std::string output;
    if (RunProgram(args, &output) == 0) return "";
    return absl::StrCat(absl::StrJoin(args, " "), ":\n", output);
  }

  std::string dir_;
};

struct ClientSettings {
  bool verify = true;       // the server's certificate against ca.pem, for 127.0.0.1
  int max_version = 0;      // e.g. TLS1_2_VERSION
  std::string cipher_list;  // TLS 1.2 suites, OpenSSL's names
  std::string groups;       // e.g. "P-256"
};

struct Exchange {
  bool handshake_ok = false;
  std::string handshake_error;
  std::string version;                 // "TLSv1.3"
  std::string cipher;                  // OpenSSL's name
  std::string peer_common_name;        // the served certificate's CN
  bool certificate_requested = false;  // the server sent a CertificateRequest
  std::string response;                // the raw HTTP answer
  int status = 0;
  std::string body;
};

int OnCertificateRequest(SSL* ssl, X509** /*cert*/, EVP_PKEY** /*key*/) {
  static_cast<Exchange*>(SSL_get_app_data(ssl))->certificate_requested = true;
  return 0;  // send none
}

int ConnectLoopback(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  timeval timeout{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

void ParseHttp(Exchange* exchange) {
  const std::string& raw = exchange->response;
  if (raw.size() > 12 && raw.starts_with("HTTP/1.")) exchange->status = std::atoi(raw.c_str() + 9);
  const size_t end = raw.find("\r\n\r\n");
  if (end != std::string::npos) exchange->body = raw.substr(end + 4);
}

// GET `path` over TLS (HTTP/1.0, so neither server chunks the body).
Exchange HttpsGet(int port, const std::string& path, const std::string& ca_file,
                  const ClientSettings& settings = {}) {
  Exchange exchange;
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx(SSL_CTX_new(TLS_client_method()),
                                                        SSL_CTX_free);
  if (settings.verify) {
    SSL_CTX_load_verify_locations(ctx.get(), ca_file.c_str(), nullptr);
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  }
  if (settings.max_version != 0) SSL_CTX_set_max_proto_version(ctx.get(), settings.max_version);
  if (!settings.cipher_list.empty()) {
    SSL_CTX_set_cipher_list(ctx.get(), settings.cipher_list.c_str());
  }
  if (!settings.groups.empty()) SSL_CTX_set1_groups_list(ctx.get(), settings.groups.c_str());
  SSL_CTX_set_client_cert_cb(ctx.get(), &OnCertificateRequest);
  const int fd = ConnectLoopback(port);
  if (fd < 0) {
    exchange.handshake_error = "connect failed";
    return exchange;
  }
  SSL* ssl = SSL_new(ctx.get());
  SSL_set_app_data(ssl, &exchange);
  X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), "127.0.0.1");
  SSL_set_fd(ssl, fd);
  ERR_clear_error();
  if (SSL_connect(ssl) != 1) {
    const unsigned long code = ERR_get_error();
    const char* reason = code != 0 ? ERR_reason_error_string(code) : nullptr;
    exchange.handshake_error = reason != nullptr ? reason : "handshake failed";
  } else {
    exchange.handshake_ok = true;
    exchange.version = SSL_get_version(ssl);
    exchange.cipher = SSL_CIPHER_get_name(SSL_get_current_cipher(ssl));
    if (X509* peer = SSL_get1_peer_certificate(ssl); peer != nullptr) {
      char name[256] = "";
      X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, name, sizeof(name));
      exchange.peer_common_name = name;
      X509_free(peer);
    }
    const std::string request =
        absl::StrCat("GET ", path, " HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    SSL_write(ssl, request.data(), static_cast<int>(request.size()));
    char buffer[16384];
    int n;
    while ((n = SSL_read(ssl, buffer, sizeof(buffer))) > 0) {
      exchange.response.append(buffer, static_cast<size_t>(n));
    }
    ParseHttp(&exchange);
  }
  ERR_clear_error();
  SSL_free(ssl);
  close(fd);
  return exchange;
}

// Everything the peer sends until it closes, after `request` in plaintext.
std::string PlainExchange(int port, const std::string& request) {
  const int fd = ConnectLoopback(port);
  if (fd < 0) return "connect failed";
  send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  std::string answer;
  char buffer[4096];
  ssize_t n;
  while ((n = recv(fd, buffer, sizeof(buffer), 0)) > 0) answer.append(buffer, n);
  close(fd);
  return answer;
}

std::string ReadPortsFile(const harness::ServerProcess& server) {
  for (const auto& entry : std::filesystem::directory_iterator(server.dir())) {
    if (entry.path().extension() == ".ports") {
      std::ifstream in(entry.path());
      std::stringstream text;
      text << in.rdbuf();
      return text.str();
    }
  }
  return "";
}

struct Target {
  std::string name;
  harness::ServerSpec (*spec)();
};

class Https : public ::testing::TestWithParam<Target> {
 protected:
  static void SetUpTestSuite() {
    pki_ = new Pki();
    setup_error_ = pki_->MakeCa();
    if (setup_error_.empty()) setup_error_ = pki_->Issue("server", "first");
    if (setup_error_.empty()) setup_error_ = pki_->Issue("second", "second");
  }
  static void TearDownTestSuite() {
    delete pki_;
    pki_ = nullptr;
  }
  void SetUp() override { ASSERT_TRUE(setup_error_.empty()) << "certificates: " << setup_error_; }

  static std::string Ca() { return pki_->Path("ca.pem"); }

  // A top-level tls block with the server certificate and `extra` lines.
  static std::string TlsBlock(const std::string& extra = "", const std::string& name = "server") {
    return absl::StrFormat("tls {\n  cert_file: \"%s\"\n  key_file: \"%s\"\n%s}\n",
                           pki_->Path(name + ".pem"), pki_->Path(name + "-key.pem"), extra);
  }

  absl::StatusOr<std::unique_ptr<harness::ServerProcess>> Start(
      const std::string& config, std::vector<std::string> extra_args = {}) {
    harness::ServerOptions options;
    options.spec = GetParam().spec();
    options.config = config;
    options.extra_args = std::move(extra_args);
    return harness::ServerProcess::Start(options);
  }

  // The HTTPS port from the ports file, after checking its URL and the start line.
  void ExpectHttpsStarted(harness::ServerProcess& server) {
    const std::string ports = ReadPortsFile(server);
    const int port = server.monitor_port();
    ASSERT_GT(port, 0) << ports;
    const Json doc = Json::parse(ports, nullptr, false);
    ASSERT_FALSE(doc.is_discarded()) << ports;
    EXPECT_EQ(doc.value("monitoring", Json()),
              Json::array({absl::StrCat("https://127.0.0.1:", port)}))
        << ports;
    EXPECT_TRUE(server.WaitForLog(
        absl::StrCat("\\[INF\\] Starting https monitor on 127\\.0\\.0\\.1:", port, "$")));
  }

  static Pki* pki_;
  static std::string setup_error_;
};

Pki* Https::pki_ = nullptr;
std::string Https::setup_error_;

TEST_P(Https, ConfigHttpsPortServesEndpointsWithTheTlsBlocksCertificate) {
  auto server = Start(TlsBlock() + "https_port: -1\n");
  ASSERT_TRUE(server.ok()) << server.status().message();
  ExpectHttpsStarted(**server);

  const Exchange varz = HttpsGet((*server)->monitor_port(), "/varz", Ca());
  ASSERT_TRUE(varz.handshake_ok) << varz.handshake_error;
  EXPECT_EQ(varz.peer_common_name, "first");
  EXPECT_FALSE(varz.certificate_requested);
  EXPECT_EQ(varz.version, "TLSv1.3");
  ASSERT_EQ(varz.status, 200) << varz.response;
  const Json doc = Json::parse(varz.body, nullptr, false);
  ASSERT_FALSE(doc.is_discarded()) << varz.body;
  EXPECT_EQ(doc.value("https_port", 0), -1);
  EXPECT_EQ(doc.value("http_port", -2), 0);
  EXPECT_EQ(doc.value("tls_required", false), true);
  EXPECT_FALSE(doc.contains("tls_verify"));
  EXPECT_EQ(doc.value("tls_timeout", 0.0), 2.0);

  const Exchange healthz = HttpsGet((*server)->monitor_port(), "/healthz", Ca());
  ASSERT_TRUE(healthz.handshake_ok) << healthz.handshake_error;
  EXPECT_EQ(healthz.status, 200);
  EXPECT_EQ(healthz.body, "{\"status\":\"ok\"}");
}

TEST_P(Https, ConfigHttpsHostAndPort) {
  auto server = Start(TlsBlock() + "https: \"127.0.0.1:-1\"\n");
  ASSERT_TRUE(server.ok()) << server.status().message();
  ExpectHttpsStarted(**server);
  const Exchange varz = HttpsGet((*server)->monitor_port(), "/varz", Ca());
  ASSERT_TRUE(varz.handshake_ok) << varz.handshake_error;
  ASSERT_EQ(varz.status, 200) << varz.response;
  const Json doc = Json::parse(varz.body, nullptr, false);
  EXPECT_EQ(doc.value("https_port", 0), -1) << varz.body;
  EXPECT_EQ(doc.value("http_host", ""), "127.0.0.1") << varz.body;
}

TEST_P(Https, FlagsHttpsPortAndMs) {
  for (const std::vector<std::string>& flags :
       {std::vector<std::string>{"--https_port", "-1"}, std::vector<std::string>{"--ms", "-1"},
        std::vector<std::string>{"-ms=-1"}}) {
    SCOPED_TRACE(absl::StrJoin(flags, " "));
    auto server = Start(TlsBlock(), flags);
    ASSERT_TRUE(server.ok()) << server.status().message();
    ExpectHttpsStarted(**server);
    const Exchange varz = HttpsGet((*server)->monitor_port(), "/varz", Ca());
    ASSERT_TRUE(varz.handshake_ok) << varz.handshake_error;
    EXPECT_EQ(varz.status, 200);
  }
}

TEST_P(Https, CurlWithTheCaReadsVarz) {
  if (std::string(RINGNATS_CURL_CLI).empty()) GTEST_SKIP() << "curl not found at setup";
  auto server = Start(TlsBlock() + "https_port: -1\n");
  ASSERT_TRUE(server.ok()) << server.status().message();
  std::string output;
  const int status =
      RunProgram({RINGNATS_CURL_CLI, "-sS", "--max-time", "10", "--cacert", Ca(),
                  absl::StrCat("https://127.0.0.1:", (*server)->monitor_port(), "/varz")},
                 &output);
  ASSERT_EQ(status, 0) << output;
  const Json doc = Json::parse(output, nullptr, false);
  ASSERT_FALSE(doc.is_discarded()) << output;
  EXPECT_EQ(doc.value("tls_required", false), true);
}

// nats-server serves https without asking for client certificates, whatever `verify` says.
TEST_P(Https, VerifyDoesNotAskMonitoringClientsForCertificates) {
  auto server = Start(TlsBlock(absl::StrFormat("  ca_file: \"%s\"\n  verify: true\n", Ca())) +
                      "https_port: -1\n");
  ASSERT_TRUE(server.ok()) << server.status().message();
  const Exchange varz = HttpsGet((*server)->monitor_port(), "/varz", Ca());
  ASSERT_TRUE(varz.handshake_ok) << varz.handshake_error;
  EXPECT_FALSE(varz.certificate_requested);
  ASSERT_EQ(varz.status, 200) << varz.response;
  const Json doc = Json::parse(varz.body, nullptr, false);
  EXPECT_EQ(doc.value("tls_verify", false), true) << varz.body;
}

TEST_P(Https, CipherSuitesAndCurvesOfTheTlsBlockApply) {
  auto server = Start(TlsBlock("  cipher_suites: [\"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384\"]\n"
                               "  curve_preferences: [\"CurveP384\"]\n") +
                      "https_port: -1\n");
  ASSERT_TRUE(server.ok()) << server.status().message();
  const int port = (*server)->monitor_port();

  ClientSettings tls12;
  tls12.max_version = TLS1_2_VERSION;
  tls12.cipher_list = "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256";
  tls12.groups = "P-384:P-256";
  const Exchange configured = HttpsGet(port, "/healthz", Ca(), tls12);
  ASSERT_TRUE(configured.handshake_ok) << configured.handshake_error;
  EXPECT_EQ(configured.version, "TLSv1.2");
  EXPECT_EQ(configured.cipher, "ECDHE-ECDSA-AES256-GCM-SHA384");
  EXPECT_EQ(configured.status, 200);

  ClientSettings other_suite = tls12;
  other_suite.cipher_list = "ECDHE-ECDSA-AES128-GCM-SHA256";
  EXPECT_FALSE(HttpsGet(port, "/healthz", Ca(), other_suite).handshake_ok);

  ClientSettings other_curve;
  other_curve.groups = "P-256";
  EXPECT_FALSE(HttpsGet(port, "/healthz", Ca(), other_curve).handshake_ok);
  other_curve.groups = "P-384";
  EXPECT_TRUE(HttpsGet(port, "/healthz", Ca(), other_curve).handshake_ok);
}

TEST_P(Https, PlainHttpGetsGosAnswer) {
  auto server = Start(TlsBlock() + "https_port: -1\n");
  ASSERT_TRUE(server.ok()) << server.status().message();
  EXPECT_EQ(
      PlainExchange((*server)->monitor_port(), "GET /varz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"),
      "HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n");
  // The server goes on serving.
  EXPECT_TRUE(HttpsGet((*server)->monitor_port(), "/healthz", Ca()).handshake_ok);
}

TEST_P(Https, FailedHandshakesAreLoggedAsErrors) {
  auto server = Start(TlsBlock() + "https_port: -1\n");
  ASSERT_TRUE(server.ok()) << server.status().message();
  const int port = (*server)->monitor_port();
  close(ConnectLoopback(port));
  EXPECT_TRUE((*server)->WaitForLog(
      "\\[ERR\\] monitoring: TLS handshake error from 127\\.0\\.0\\.1:[0-9]+: EOF$"));
  EXPECT_EQ(PlainExchange(port, std::string("\x01\x02\x03\x04\x05garbage", 12)), "");
  EXPECT_TRUE((*server)->WaitForLog(
      "\\[ERR\\] monitoring: TLS handshake error from 127\\.0\\.0\\.1:[0-9]+: "
      "tls: first record does not look like a TLS handshake$"));
  EXPECT_TRUE(HttpsGet(port, "/healthz", Ca()).handshake_ok);
}

// Handshakes run on the HTTP pool's threads: clients that connect and say nothing hold one
// each, not the others; stopping the server ends their wait (checked by StopAndCheck).
TEST_P(Https, SilentClientsHoldNeitherOthersNorStop) {
  auto server = Start(TlsBlock() + "https_port: -1\n");
  ASSERT_TRUE(server.ok()) << server.status().message();
  const int port = (*server)->monitor_port();
  std::vector<int> silent;
  for (int i = 0; i < 3; ++i) silent.push_back(ConnectLoopback(port));
  const Exchange varz = HttpsGet(port, "/varz", Ca());
  ASSERT_TRUE(varz.handshake_ok) << varz.handshake_error;
  EXPECT_EQ(varz.status, 200);
  EXPECT_TRUE((*server)->StopAndCheck());
  for (int fd : silent) close(fd);
}

// A ClientHello sent a byte every 400 ms: each wait ends well inside the read timeout, the
// handshake never does. ringnats gives a handshake, like a request's head, 5 s in all, so
// four such clients cannot hold the four HTTP threads; nats-server 2.9.10 has no such bound
// (and needs none: a goroutine per connection).
TEST_P(Https, AHandshakeSentAByteAtATimeIsCut) {
  if (harness::IsNatsServer(GetParam().spec())) GTEST_SKIP() << "a goroutine per connection";
  auto server = Start(TlsBlock() + "https_port: -1\n");
  ASSERT_TRUE(server.ok()) << server.status().message();
  const int fd = ConnectLoopback((*server)->monitor_port());
  ASSERT_GE(fd, 0);
  // A handshake record of 512 bytes holding a ClientHello of 508: both headers at once,
  // then the body a zero byte at a time (nothing is judged before the message is whole).
  const std::string headers("\x16\x03\x01\x02\x00\x01\x00\x01\xfc", 9);
  ASSERT_EQ(send(fd, headers.data(), headers.size(), MSG_NOSIGNAL), 9);
  bool closed = false;
  for (int i = 0; i < 75 && !closed; ++i) {  // up to 30 s
    if (send(fd, "\x00", 1, MSG_NOSIGNAL) != 1) {
      closed = true;
      break;
    }
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 400) > 0) {
      char buffer[256];
      const ssize_t n = recv(fd, buffer, sizeof buffer, MSG_DONTWAIT);
      closed = n == 0 || (n < 0 && errno != EAGAIN);
    }
  }
  close(fd);
  EXPECT_TRUE(closed) << "a ClientHello trickled a byte at a time held its thread for 30 s";
  EXPECT_TRUE(HttpsGet((*server)->monitor_port(), "/healthz", Ca()).handshake_ok);
}

TEST_P(Https, ReloadedCertificateIsServedToNewConnections) {
  auto server = Start(TlsBlock() + "https_port: -1\n");
  ASSERT_TRUE(server.ok()) << server.status().message();
  const int port = (*server)->monitor_port();
  EXPECT_EQ(HttpsGet(port, "/healthz", Ca()).peer_common_name, "first");
  std::ofstream((*server)->config_path(), std::ios::trunc)
      << TlsBlock("", "second") << "https_port: -1\n";
  (*server)->Signal(SIGHUP);
  ASSERT_TRUE((*server)->WaitForLog("\\[INF\\] Reloaded server configuration"));
  const Exchange after = HttpsGet(port, "/healthz", Ca());
  ASSERT_TRUE(after.handshake_ok) << after.handshake_error;
  EXPECT_EQ(after.peer_common_name, "second");
  EXPECT_EQ(after.status, 200);
}

TEST_P(Https, StartErrors) {
  struct Case {
    std::string config;
    std::string error;
  };
  for (const Case& c : {Case{"https_port: -1\n", "TLS cert and key required for HTTPS"},
                        Case{TlsBlock() + "https_port: -1\nhttp_port: -1\n",
                             "can't specify both HTTP (-1) and HTTPs (-1) ports"}}) {
    SCOPED_TRACE(c.config);
    auto server = Start(c.config);
    ASSERT_FALSE(server.ok());
    EXPECT_TRUE(absl::StrContains(server.status().message(), c.error)) << server.status().message();
  }
}

INSTANTIATE_TEST_SUITE_P(Servers, Https,
                         ::testing::Values(Target{"NatsServer", &harness::ReferenceServer},
                                           Target{"UnderTest", &harness::ServerUnderTest}),
                         [](const ::testing::TestParamInfo<Target>& param) {
                           return param.param.name;
                         });

// /varz's TLS fields, compared field by field (names, order, values) with nats-server's for
// the same configuration, over HTTPS.
class HttpsVarz : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    pki_ = new Pki();
    setup_error_ = pki_->MakeCa();
    if (setup_error_.empty()) setup_error_ = pki_->Issue("server", "first");
  }
  static void TearDownTestSuite() {
    delete pki_;
    pki_ = nullptr;
  }
  void SetUp() override { ASSERT_TRUE(setup_error_.empty()) << "certificates: " << setup_error_; }

  // Both servers' /varz with `config` plus https_port -1; `skip` set when the server under
  // test refuses the configuration as not supported yet.
  void Compare(const std::string& config) {
    std::vector<Json> docs;
    for (harness::ServerSpec spec : {harness::ReferenceServer(), harness::ServerUnderTest()}) {
      harness::ServerOptions options;
      options.spec = spec;
      options.config = config + "https_port: -1\n";
      // As in the other comparisons: nats-server's system account adds /varz fields ringnats
      // has by design no use for (side_by_side.h).
      if (harness::IsNatsServer(spec)) options.config += "no_system_account: true\n";
      auto server = harness::ServerProcess::Start(options);
      if (!server.ok() && !harness::IsNatsServer(spec) &&
          absl::StrContains(server.status().message(), "not supported by ringnats yet")) {
        GTEST_SKIP() << server.status().message();
      }
      ASSERT_TRUE(server.ok()) << harness::Describe(spec) << ": " << server.status().message();
      const Exchange varz = HttpsGet((*server)->monitor_port(), "/varz", pki_->Path("ca.pem"));
      ASSERT_TRUE(varz.handshake_ok) << varz.handshake_error;
      Json doc = Json::parse(varz.body, nullptr, false);
      ASSERT_FALSE(doc.is_discarded()) << varz.body;
      // Kernel-chosen, like "port" (json_diff.h's volatile keys).
      if (doc.contains("cluster") && doc["cluster"].contains("cluster_port")) {
        doc["cluster"]["cluster_port"] = 0;
      }
      docs.push_back(std::move(doc));
    }
    DiffOptions options;
    options.allowed_additions = {"$.ringnats"};  // by design, as in Conformance.Varz
    const std::vector<std::string> diffs = DiffJson(docs[0], docs[1], options);
    EXPECT_TRUE(diffs.empty()) << diffs.size() << " difference(s):\n" << absl::StrJoin(diffs, "\n");
  }

  static std::string TlsBlock(const std::string& extra) {
    return absl::StrFormat("  cert_file: \"%s\"\n  key_file: \"%s\"\n  ca_file: \"%s\"\n%s",
                           pki_->Path("server.pem"), pki_->Path("server-key.pem"),
                           pki_->Path("ca.pem"), extra);
  }

  static Pki* pki_;
  static std::string setup_error_;
};

Pki* HttpsVarz::pki_ = nullptr;
std::string HttpsVarz::setup_error_;

TEST_F(HttpsVarz, DefaultTlsBlock) {
  Compare(absl::StrCat("server_name: varz\ntls {\n", TlsBlock(""), "}\n"));
}

TEST_F(HttpsVarz, VerifyAndTimeout) {
  Compare(absl::StrCat("server_name: varz\ntls {\n", TlsBlock("  verify: true\n  timeout: 0.5\n"),
                       "}\n"));
}

TEST_F(HttpsVarz, ClusterTls) {
  Compare(absl::StrCat("server_name: varz\ntls {\n", TlsBlock(""),
                       "}\ncluster {\n  name: c\n  listen: \"127.0.0.1:-1\"\n  tls {\n",
                       TlsBlock("    timeout: 3\n"), "  }\n}\n"));
}

}  // namespace
}  // namespace ringnats::monitoring
