#include "tls_client.h"

#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "options.h"

namespace ringnats::load {

absl::StatusOr<std::shared_ptr<const TlsContext>> TlsContext::Create(const std::string& host,
                                                                     const std::string& ca_file,
                                                                     const std::string& cert_file,
                                                                     const std::string& key_file) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (ctx == nullptr) return absl::InternalError("SSL_CTX_new: " + TlsError());
  std::shared_ptr<const TlsContext> result(new TlsContext(ctx, host));
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  // Output buffers move and grow between a blocked SSL_write and its retry.
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  // Every connect is a full handshake: a storm must cost the server what new clients cost.
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
  if (SSL_CTX_load_verify_locations(ctx, ca_file.c_str(), nullptr) != 1) {
    return absl::InvalidArgumentError(absl::StrFormat("--tls-ca %s: %s", ca_file, TlsError()));
  }
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  if (!cert_file.empty()) {
    if (SSL_CTX_use_certificate_chain_file(ctx, cert_file.c_str()) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
      return absl::InvalidArgumentError(
          absl::StrFormat("--tls-cert %s / --tls-key %s: %s", cert_file, key_file, TlsError()));
    }
  }
  return result;
}

TlsContext::~TlsContext() {
  SSL_CTX_free(ctx_);
}

SSL* TlsContext::NewSession(int fd) const {
  SSL* ssl = SSL_new(ctx_);
  if (ssl == nullptr) return nullptr;
  SSL_set_fd(ssl, fd);
  // The bench only talks to loopback addresses: the certificate must name that IP.
  X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host_.c_str());
  SSL_set_connect_state(ssl);
  return ssl;
}

const TlsContext* TlsFor(const Options& o) {
  return o.tls ? o.tls_context.get() : nullptr;
}

std::string TlsError() {
  std::string text;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof(buf));
    if (!text.empty()) text += "; ";
    text += buf;
  }
  return text.empty() ? "TLS error" : text;
}

namespace {

// Maps an SSL_read/SSL_write/SSL_connect result that is not a success onto recv's contract.
ssize_t SslFailure(SSL* ssl, int r) {
  switch (SSL_get_error(ssl, r)) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE: errno = EAGAIN; return -1;
    case SSL_ERROR_ZERO_RETURN: return 0;
    case SSL_ERROR_SYSCALL:
      if (errno == 0) return 0;  // the peer closed without close_notify
      return -1;
    default: errno = EPROTO; return -1;
  }
}

}  // namespace

ssize_t ReadSome(int fd, SSL* ssl, char* buf, size_t len) {
  if (ssl == nullptr) return ::recv(fd, buf, len, 0);
  ERR_clear_error();
  errno = 0;
  int r = SSL_read(ssl, buf, static_cast<int>(std::min<size_t>(len, 1 << 30)));
  return r > 0 ? r : SslFailure(ssl, r);
}

ssize_t WriteSome(int fd, SSL* ssl, const char* data, size_t len) {
  if (ssl == nullptr) return ::send(fd, data, len, MSG_NOSIGNAL);
  ERR_clear_error();
  errno = 0;
  int r = SSL_write(ssl, data, static_cast<int>(std::min<size_t>(len, 1 << 30)));
  if (r > 0) return r;
  ssize_t f = SslFailure(ssl, r);
  if (f == 0) errno = EPIPE;
  return -1;
}

int ContinueHandshake(SSL* ssl, bool* want_write) {
  ERR_clear_error();
  int r = SSL_connect(ssl);
  if (r == 1) return 1;
  switch (SSL_get_error(ssl, r)) {
    case SSL_ERROR_WANT_READ: *want_write = false; return 0;
    case SSL_ERROR_WANT_WRITE: *want_write = true; return 0;
    default: return -1;
  }
}

}  // namespace ringnats::load
