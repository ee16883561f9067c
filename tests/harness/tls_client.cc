#include "harness/tls_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

#include "absl/strings/str_format.h"

namespace ringnats::harness {
namespace {

using Clock = std::chrono::steady_clock;
using ::testing::AssertionFailure;
using ::testing::AssertionResult;
using ::testing::AssertionSuccess;

// OpenSSL's error queue of this thread as one line (emptied).
std::string TakeErrors() {
  std::string text;
  while (const unsigned long code = ERR_get_error()) {
    char buffer[256];
    ERR_error_string_n(code, buffer, sizeof(buffer));
    if (!text.empty()) text += "; ";
    text += buffer;
  }
  return text;
}

std::string ErrorKind(int error) {
  switch (error) {
    case SSL_ERROR_ZERO_RETURN: return "close_notify";
    case SSL_ERROR_SYSCALL: return "syscall";
    case SSL_ERROR_SSL: return "ssl";
    default: return absl::StrFormat("SSL_get_error %d", error);
  }
}

bool IsIpv4Literal(const std::string& host) {
  in_addr ignored;
  return inet_pton(AF_INET, host.c_str(), &ignored) == 1;
}

// A client context for `options`; nullptr with the reason in `error`.
SSL_CTX* MakeContext(const TlsClientOptions& options, std::string* error) {
  ERR_clear_error();
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (ctx == nullptr) {
    *error = "SSL_CTX_new: " + TakeErrors();
    return nullptr;
  }
  auto fail = [&](std::string_view what) {
    *error = absl::StrFormat("%s: %s", what, TakeErrors());
    SSL_CTX_free(ctx);
    return nullptr;
  };
  const bool legacy = (options.min_version != 0 && options.min_version < TLS1_2_VERSION) ||
                      (options.max_version != 0 && options.max_version < TLS1_2_VERSION);
  if (legacy) {
    // OpenSSL 3 refuses TLS 1.0/1.1 (SHA-1 signatures) at its default security level.
    SSL_CTX_set_security_level(ctx, 0);
  }
  if (options.min_version != 0 && SSL_CTX_set_min_proto_version(ctx, options.min_version) != 1) {
    return fail("min version");
  }
  if (options.max_version != 0 && SSL_CTX_set_max_proto_version(ctx, options.max_version) != 1) {
    return fail("max version");
  }
  const std::string cipher_list =
      !options.cipher_list.empty() ? options.cipher_list : (legacy ? "DEFAULT:@SECLEVEL=0" : "");
  if (!cipher_list.empty() && SSL_CTX_set_cipher_list(ctx, cipher_list.c_str()) != 1) {
    return fail("cipher list " + cipher_list);
  }
  if (!options.ciphersuites.empty() &&
      SSL_CTX_set_ciphersuites(ctx, options.ciphersuites.c_str()) != 1) {
    return fail("ciphersuites " + options.ciphersuites);
  }
  if (!options.ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(ctx, options.ca_file.c_str(), nullptr) != 1) {
      return fail("CA " + options.ca_file);
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  } else {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  }
  if (!options.cert_file.empty()) {
    if (SSL_CTX_use_certificate_chain_file(ctx, options.cert_file.c_str()) != 1) {
      return fail("certificate " + options.cert_file);
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, options.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
      return fail("key " + options.key_file);
    }
  }
  // RawClient::SendAll retries with what is left, at a moving address.
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  return ctx;
}

SSL* MakeSsl(SSL_CTX* ctx, const TlsClientOptions& options, std::string* error) {
  SSL* ssl = SSL_new(ctx);
  if (ssl == nullptr) {
    *error = "SSL_new: " + TakeErrors();
    return nullptr;
  }
  const std::string& host = options.expected_host;
  if (!host.empty() && !options.ca_file.empty()) {
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    const int ok = IsIpv4Literal(host) ? X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str())
                                       : X509_VERIFY_PARAM_set1_host(param, host.c_str(), 0);
    if (ok != 1) {
      *error = "expected host " + host + ": " + TakeErrors();
      SSL_free(ssl);
      return nullptr;
    }
  }
  if (!host.empty() && !IsIpv4Literal(host)) {
    SSL_set_tlsext_host_name(ssl, host.c_str());
  }
  return ssl;
}

int MillisUntil(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return static_cast<int>(std::max<int64_t>(left.count(), 0));
}

}  // namespace

TlsSession::~TlsSession() {
  SSL_free(ssl_);
  SSL_CTX_free(ctx_);
}

ssize_t TlsSession::Result(int ret) {
  const int saved_errno = errno;
  const int error = SSL_get_error(ssl_, ret);
  switch (error) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE: errno = EAGAIN; return -1;
    case SSL_ERROR_ZERO_RETURN: last_error_ = "EOF after the server's close_notify"; return 0;
    case SSL_ERROR_SYSCALL:
      if (saved_errno == 0) {
        last_error_ = "EOF without close_notify";
        return 0;
      }
      last_error_ = std::strerror(saved_errno);
      errno = saved_errno;
      return -1;
    default:
      last_error_ = absl::StrFormat("TLS %s error: %s", ErrorKind(error), TakeErrors());
      errno = EPROTO;
      return -1;
  }
}

ssize_t TlsSession::Receive(char* data, size_t size) {
  if (failed_) {
    errno = EPROTO;
    return -1;
  }
  ERR_clear_error();
  errno = 0;
  const int n = SSL_read(ssl_, data, static_cast<int>(std::min<size_t>(size, INT_MAX)));
  return n > 0 ? n : Result(n);
}

ssize_t TlsSession::Transmit(const char* data, size_t size) {
  ERR_clear_error();
  errno = 0;
  const int n = SSL_write(ssl_, data, static_cast<int>(std::min<size_t>(size, INT_MAX)));
  if (n > 0) {
    return n;
  }
  const ssize_t result = Result(n);
  if (result == 0) {  // the stream ended: nothing more can be written
    errno = EPIPE;
    return -1;
  }
  return result;
}

// Only plaintext already decrypted: SSL_has_pending would also count a partial record, and
// RawClient would then spin instead of waiting on the socket for the rest of it.
bool TlsSession::HasPending() const {
  return failed_ || SSL_pending(ssl_) > 0;
}

TlsSessionInfo TlsSession::Info() const {
  TlsSessionInfo info;
  info.version = SSL_get_version(ssl_);
  info.cipher = SSL_get_cipher_name(ssl_);
  if (X509* peer = SSL_get1_peer_certificate(ssl_)) {
    BIO* bio = BIO_new(BIO_s_mem());
    X509_NAME_print_ex(bio, X509_get_subject_name(peer), 0, XN_FLAG_RFC2253);
    char* text = nullptr;
    const long n = BIO_get_mem_data(bio, &text);
    info.peer_subject.assign(text, static_cast<size_t>(n));
    BIO_free(bio);
    if (EVP_PKEY* key = X509_get0_pubkey(peer)) {
      info.peer_key_type = EVP_PKEY_get0_type_name(key);
    }
    X509_free(peer);
  }
  return info;
}

AssertionResult TlsSession::Renegotiate() {
  ERR_clear_error();
  if (SSL_version(ssl_) >= TLS1_3_VERSION) {
    return AssertionFailure() << "renegotiation needs TLS 1.2 or older, the session is "
                              << SSL_get_version(ssl_);
  }
  if (SSL_renegotiate(ssl_) != 1) {
    return AssertionFailure() << "SSL_renegotiate: " << TakeErrors();
  }
  // Writes the new ClientHello. The server's answer is usually read by the client's next
  // reads, but a fast one is read here already: then it is what those reads report.
  errno = 0;
  const int r = SSL_do_handshake(ssl_);
  if (r <= 0) {
    const int error = SSL_get_error(ssl_, r);
    if (error != SSL_ERROR_WANT_READ && error != SSL_ERROR_WANT_WRITE) {
      (void)Result(r);
      failed_ = true;
    }
  }
  return AssertionSuccess();
}

AssertionResult StartTls(RawClient& client, const TlsClientOptions& options,
                         TlsSession** session_out, std::chrono::milliseconds timeout) {
  std::string error;
  std::unique_ptr<TlsSession> session(new TlsSession());
  session->ctx_ = MakeContext(options, &error);
  if (session->ctx_ == nullptr) {
    return AssertionFailure() << error;
  }
  session->ssl_ = MakeSsl(session->ctx_, options, &error);
  if (session->ssl_ == nullptr) {
    return AssertionFailure() << error;
  }
  SSL* ssl = session->ssl_;
  SSL_set_fd(ssl, client.fd());
  // OpenSSL writes with write(2), not send(MSG_NOSIGNAL): a server that closed must show as
  // EPIPE in the test, not kill the test process.
  signal(SIGPIPE, SIG_IGN);
  const Clock::time_point deadline = Clock::now() + timeout;
  while (true) {
    ERR_clear_error();
    errno = 0;
    const int r = SSL_connect(ssl);
    if (r == 1) {
      break;
    }
    const int saved_errno = errno;
    const int kind = SSL_get_error(ssl, r);
    if (kind == SSL_ERROR_WANT_READ || kind == SSL_ERROR_WANT_WRITE) {
      pollfd pfd = {client.fd(),
                    static_cast<int16_t>(kind == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT), 0};
      if (poll(&pfd, 1, MillisUntil(deadline)) == 0) {
        return AssertionFailure() << "TLS handshake timed out after " << timeout.count() << " ms";
      }
      continue;
    }
    AssertionResult failure = AssertionFailure();
    failure << "TLS handshake failed (" << ErrorKind(kind) << "): ";
    if (kind == SSL_ERROR_SYSCALL) {
      failure << (saved_errno == 0 ? "EOF" : std::strerror(saved_errno)) << " ";
    }
    failure << TakeErrors();
    if (const long verify = SSL_get_verify_result(ssl); verify != X509_V_OK) {
      failure << "; certificate verification: " << X509_verify_cert_error_string(verify);
    }
    return failure;
  }
  if (session_out != nullptr) {
    *session_out = session.get();
  }
  client.Upgrade(std::move(session));
  return AssertionSuccess();
}

absl::StatusOr<std::string> ClientHelloBytes(const TlsClientOptions& options) {
  std::string error;
  SSL_CTX* ctx = MakeContext(options, &error);
  if (ctx == nullptr) {
    return absl::InternalError(error);
  }
  SSL* ssl = MakeSsl(ctx, options, &error);
  if (ssl == nullptr) {
    SSL_CTX_free(ctx);
    return absl::InternalError(error);
  }
  BIO* in = BIO_new(BIO_s_mem());
  BIO* out = BIO_new(BIO_s_mem());
  SSL_set_bio(ssl, in, out);  // owned by ssl from here
  (void)SSL_connect(ssl);     // wants to read the ServerHello
  char* data = nullptr;
  const long n = BIO_get_mem_data(out, &data);
  std::string hello(data, static_cast<size_t>(std::max<long>(n, 0)));
  SSL_free(ssl);
  SSL_CTX_free(ctx);
  ERR_clear_error();
  if (hello.size() < 5 || hello[0] != 0x16) {
    return absl::InternalError("no ClientHello record came out");
  }
  return hello;
}

absl::StatusOr<std::unique_ptr<RawClient>> ConnectTls(int port, const TlsClientOptions& options,
                                                      nlohmann::ordered_json* info,
                                                      TlsSession** session) {
  absl::StatusOr<std::unique_ptr<RawClient>> client = RawClient::Connect(port);
  if (!client.ok()) {
    return client;
  }
  if (AssertionResult r = (*client)->ReadInfo(info); !r) {
    return absl::InternalError(absl::StrFormat("plaintext INFO: %s", r.message()));
  }
  if (AssertionResult r = StartTls(**client, options, session); !r) {
    return absl::UnavailableError(r.message());
  }
  return client;
}

absl::StatusOr<std::unique_ptr<RawClient>> ConnectTlsAndHandshake(int port,
                                                                  const TlsClientOptions& options,
                                                                  std::string_view connect_json,
                                                                  TlsSession** session) {
  absl::StatusOr<std::unique_ptr<RawClient>> client = ConnectTls(port, options, nullptr, session);
  if (!client.ok()) {
    return client;
  }
  RawClient& c = **client;
  if (AssertionResult r = c.Send(absl::StrFormat("CONNECT %s\r\n", connect_json)); !r) {
    return absl::InternalError(r.message());
  }
  std::string before;
  bool closed = false;
  if (AssertionResult r = c.PingCollect(&before, &closed); !r) {
    return absl::InternalError(r.message());
  }
  if (closed || (!before.empty() && before != "+OK\r\n")) {
    return absl::InternalError(absl::StrFormat("CONNECT %s over TLS answered with \"%s\"%s",
                                               connect_json, Escape(before),
                                               closed ? " and close" : ""));
  }
  return client;
}

int LocalPort(int fd) {
  sockaddr_in address = {};
  socklen_t length = sizeof(address);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    return 0;
  }
  return ntohs(address.sin_port);
}

}  // namespace ringnats::harness
