#pragma once
// TLS for the load generator's connections (--tls): the client context of a run, and
// errno-style reads and writes that go through a connection's OpenSSL session when it has
// one. NATS over TLS reads INFO in plaintext, then the client starts the handshake on the
// same socket and everything after it is encrypted.
//
// Threads: a TlsContext is built before the run and only read afterwards (any thread); a
// connection's SSL belongs to the thread that owns the connection.

#include <openssl/ssl.h>
#include <sys/types.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace ringnats::load {

struct Options;

class TlsContext {
 public:
  // Trusts `ca_file` (and checks that the server's certificate names `host`); presents
  // `cert_file`/`key_file` when both are given.
  static absl::StatusOr<std::shared_ptr<const TlsContext>> Create(const std::string& host,
                                                                  const std::string& ca_file,
                                                                  const std::string& cert_file,
                                                                  const std::string& key_file);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  // A client session over `fd`, ready for SSL_connect; the caller frees it.
  SSL* NewSession(int fd) const;

 private:
  TlsContext(SSL_CTX* ctx, std::string host) : ctx_(ctx), host_(std::move(host)) {}
  SSL_CTX* ctx_;
  std::string host_;
};

// The context the connections of `o` use: null for plaintext.
const TlsContext* TlsFor(const Options& o);

// recv()/send() on `fd`, or SSL_read()/SSL_write() when `ssl` is set, with recv's contract:
// > 0 bytes, 0 at end of stream, -1 with errno (EAGAIN when the session waits for the
// socket, EPROTO for a TLS failure: see TlsError()).
ssize_t ReadSome(int fd, SSL* ssl, char* buf, size_t len);
ssize_t WriteSome(int fd, SSL* ssl, const char* data, size_t len);

// Plaintext already decrypted and waiting inside the session: epoll does not see it.
inline bool HasBufferedInput(SSL* ssl) {
  return ssl != nullptr && SSL_pending(ssl) > 0;
}

// The OpenSSL error queue of this thread as one line (and clears it).
std::string TlsError();

// Continues a non-blocking client handshake: 1 done, 0 waits (`*want_write` tells for
// which direction), -1 failed (TlsError() says why).
int ContinueHandshake(SSL* ssl, bool* want_write);

}  // namespace ringnats::load
