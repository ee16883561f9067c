#include "ringnats/tls/engine.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <climits>
#include <ctime>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "client_hello.h"
#include "ringnats/tls/names.h"

namespace ringnats::tls {
namespace {

// Handshake message types (RFC 8446 section 4, RFC 5246 section 7.4).
constexpr unsigned char kClientHello = 1;
constexpr unsigned char kServerKeyExchange = 12;
constexpr unsigned char kCertificateVerify = 15;
constexpr unsigned char kClientKeyExchange = 16;
constexpr int kAlertFatal = 2;
constexpr unsigned char kAlertNoRenegotiation = 100;

std::string Rfc3339(const ASN1_TIME* time) {
  tm parts{};
  if (time == nullptr || ASN1_TIME_to_tm(time, &parts) != 1) return "?";
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &parts);
  return text;
}

std::string NowRfc3339() {
  std::time_t now = std::time(nullptr);
  tm parts{};
  gmtime_r(&now, &parts);
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &parts);
  return text;
}

std::string NameString(const X509_NAME* name) {
  BIO* bio = BIO_new(BIO_s_mem());
  if (bio == nullptr) return "";
  X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  std::string text(data, len > 0 ? static_cast<size_t>(len) : 0);
  BIO_free(bio);
  return text;
}

// The name's attributes with their values as Go's x509 parser decodes them: a BMPString into
// UTF-8, every other string type as its bytes.
std::vector<NameAttribute> NameAttributes(const X509_NAME* name) {
  std::vector<NameAttribute> attributes;
  for (int i = 0; i < X509_NAME_entry_count(name); ++i) {
    const X509_NAME_ENTRY* entry = X509_NAME_get_entry(name, i);
    char oid[128];
    const int oid_length = OBJ_obj2txt(oid, sizeof(oid), X509_NAME_ENTRY_get_object(entry), 1);
    if (oid_length <= 0 || static_cast<size_t>(oid_length) >= sizeof(oid)) continue;
    const ASN1_STRING* data = X509_NAME_ENTRY_get_data(entry);
    NameAttribute attribute{.oid = oid, .value = {}, .rdn = X509_NAME_ENTRY_set(entry)};
    if (ASN1_STRING_type(data) == V_ASN1_BMPSTRING) {
      unsigned char* utf8 = nullptr;
      const int length = ASN1_STRING_to_UTF8(&utf8, data);
      if (length < 0) continue;
      attribute.value.assign(reinterpret_cast<const char*>(utf8), static_cast<size_t>(length));
      OPENSSL_free(utf8);
      // Go drops a BMPString's trailing NUL terminator.
      if (!attribute.value.empty() && attribute.value.back() == '\0') attribute.value.pop_back();
    } else {
      attribute.value.assign(reinterpret_cast<const char*>(ASN1_STRING_get0_data(data)),
                             static_cast<size_t>(ASN1_STRING_length(data)));
    }
    attributes.push_back(std::move(attribute));
  }
  return attributes;
}

// The lower-case hex SHA-256 of an object's DER encoding.
template <typename T>
std::string Sha256Hex(const T* object, int (*to_der)(const T*, unsigned char**)) {
  unsigned char* der = nullptr;
  const int length = to_der(object, &der);
  if (length <= 0) return "";
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(der, static_cast<size_t>(length), digest);
  OPENSSL_free(der);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned char byte : digest) {
    hex.push_back(kHex[byte >> 4]);
    hex.push_back(kHex[byte & 15]);
  }
  return hex;
}

bool IsIpAddress(std::string_view name) {
  std::string copy(name);
  unsigned char buffer[sizeof(in6_addr)];
  return inet_pton(AF_INET, copy.c_str(), buffer) == 1 ||
         inet_pton(AF_INET6, copy.c_str(), buffer) == 1;
}

}  // namespace

struct Engine::Impl {
  ~Impl() { SSL_free(ssl); }  // frees both BIOs too

  SSL* ssl = nullptr;
  BIO* rbio = nullptr;  // ciphertext in (Feed)
  BIO* wbio = nullptr;  // ciphertext out (TakeCiphertext)
  Options options;
  std::string server_name;  // client: what the server's certificate must match

  // Set by the message callback.
  bool signed_this_step = false;
  bool sent_signature = false;
  bool handshake_done = false;
  // ClientHellos after the handshake: renegotiation attempts. (A second ClientHello during
  // the handshake answers a TLS 1.3 HelloRetryRequest and is part of it.)
  uint32_t client_hellos_after_handshake = 0;
  uint32_t renegotiations_refused = 0;
  int fatal_alert_received = -1;

  // Set by the verify callback: the first failure and the certificate's validity.
  int verify_error = 0;
  std::string failed_not_before;
  std::string failed_not_after;

  // A server's checks of the first record (Go's): its header and the first handshake
  // message's header (or an alert's two bytes), up to 9 bytes collected.
  unsigned char header[9] = {};
  size_t header_len = 0;
  bool header_checked = false;
  bool record_type_checked = false;

  bool eof = false;
  bool shutdown_sent = false;
  // The versions the client offered, as Go prints them ("[304 303]").
  std::string offered_versions;

  static void MsgCallback(int write_p, int /*version*/, int content_type, const void* buf,
                          size_t len, SSL* /*ssl*/, void* arg) {
    auto* self = static_cast<Impl*>(arg);
    const auto* bytes = static_cast<const unsigned char*>(buf);
    if (len == 0) return;
    if (content_type == SSL3_RT_ALERT && len >= 2) {
      if (!write_p && bytes[0] == kAlertFatal) self->fatal_alert_received = bytes[1];
      // OpenSSL refuses a renegotiation in its record layer, before any message callback for
      // the ClientHello: the refusal is what shows.
      if (write_p && bytes[1] == kAlertNoRenegotiation) ++self->renegotiations_refused;
      return;
    }
    if (content_type != SSL3_RT_HANDSHAKE) return;
    const unsigned char type = bytes[0];
    if (write_p) {
      if (type == kServerKeyExchange || type == kCertificateVerify) {
        self->signed_this_step = true;
        self->sent_signature = true;
      }
      return;
    }
    if (type == kClientHello && self->handshake_done) ++self->client_hellos_after_handshake;
    if (type == kClientKeyExchange && SSL_is_server(self->ssl)) {
      // RSA key exchange decrypts with the private key (only with TLS_RSA_* suites).
      const SSL_CIPHER* cipher = SSL_get_pending_cipher(self->ssl);
      if (cipher != nullptr && SSL_CIPHER_get_kx_nid(cipher) == NID_kx_rsa) {
        self->signed_this_step = true;
      }
    }
  }

  static int VerifyCallback(int preverify_ok, X509_STORE_CTX* store) {
    if (preverify_ok) return preverify_ok;
    auto* ssl =
        static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
    auto* self = ssl != nullptr ? static_cast<Impl*>(SSL_get_app_data(ssl)) : nullptr;
    if (self != nullptr && self->verify_error == 0) {
      self->verify_error = X509_STORE_CTX_get_error(store);
      if (X509* cert = X509_STORE_CTX_get_current_cert(store); cert != nullptr) {
        self->failed_not_before = Rfc3339(X509_get0_notBefore(cert));
        self->failed_not_after = Rfc3339(X509_get0_notAfter(cert));
      }
    }
    // Go's server answers every refused client certificate with bad_certificate; OpenSSL
    // would name the reason (unknown_ca, certificate_expired). The log keeps the reason.
    if (ssl != nullptr && SSL_is_server(ssl)) {
      X509_STORE_CTX_set_error(store, X509_V_ERR_CERT_REJECTED);
    }
    return preverify_ok;
  }

  // Go's x509 wording for a verification failure.
  std::string VerifyErrorText() const {
    switch (verify_error) {
      case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
      case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
      case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
      case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
      case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
        return "x509: certificate signed by unknown authority";
      case X509_V_ERR_CERT_HAS_EXPIRED:
        return absl::StrCat("x509: certificate has expired or is not yet valid: current time ",
                            NowRfc3339(), " is after ", failed_not_after);
      case X509_V_ERR_CERT_NOT_YET_VALID:
        return absl::StrCat("x509: certificate has expired or is not yet valid: current time ",
                            NowRfc3339(), " is before ", failed_not_before);
      case X509_V_ERR_HOSTNAME_MISMATCH:
      case X509_V_ERR_IP_ADDRESS_MISMATCH:
        return absl::StrCat("x509: certificate is not valid for ", server_name);
      case 0: return "x509: certificate verification failed";
    }
    return absl::StrCat("x509: ", X509_verify_cert_error_string(verify_error));
  }
};

namespace internal {

int OnClientHello(SSL* ssl, int* alert, void* /*arg*/) {
  auto* impl = static_cast<Engine::Impl*>(SSL_get_app_data(ssl));
  if (impl == nullptr) return SSL_CLIENT_HELLO_SUCCESS;
  if (impl->handshake_done) {  // a renegotiation
    *alert = SSL_AD_UNEXPECTED_MESSAGE;
    return SSL_CLIENT_HELLO_ERROR;
  }
  std::string list = "[";
  auto add = [&](unsigned version) {
    if (list.size() > 1) list += ' ';
    absl::StrAppend(&list, absl::Hex(version));
  };
  const unsigned char* data = nullptr;
  size_t len = 0;
  if (SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_supported_versions, &data, &len) == 1 &&
      len >= 1) {
    const size_t list_len = std::min<size_t>(data[0], len - 1);
    for (size_t at = 1; at + 1 <= list_len && at + 1 < len; at += 2) {
      add((unsigned{data[at]} << 8) | data[at + 1]);
    }
  } else {
    // No extension: Go lists every version up to the legacy one, newest first.
    const unsigned legacy = SSL_client_hello_get0_legacy_version(ssl);
    for (unsigned version = std::min(legacy, 0x0304u); version >= 0x0301; --version) add(version);
  }
  impl->offered_versions = list + "]";
  return SSL_CLIENT_HELLO_SUCCESS;
}

}  // namespace internal

absl::StatusOr<Engine> Engine::NewServer(std::shared_ptr<const ServerContext> context) {
  return NewServer(std::move(context), Options());
}

absl::StatusOr<Engine> Engine::NewClient(std::shared_ptr<const ClientContext> context,
                                         std::string_view server_name) {
  return NewClient(std::move(context), server_name, Options());
}

absl::StatusOr<Engine> Engine::NewServer(std::shared_ptr<const ServerContext> context,
                                         Options options) {
  if (context == nullptr) return absl::InvalidArgumentError("no TLS server context");
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  // The SSL holds its own reference to the SSL_CTX, so the shared_ptr need not be kept.
  impl->ssl = SSL_new(context->native());
  if (impl->ssl == nullptr) return absl::ResourceExhaustedError("SSL_new failed");
  SSL_set_accept_state(impl->ssl);
  Engine engine(std::move(impl), /*is_server=*/true);
  engine.cheap_signature_ = context->cheap_signature();
  return engine;
}

absl::StatusOr<Engine> Engine::NewClient(std::shared_ptr<const ClientContext> context,
                                         std::string_view server_name, Options options) {
  if (context == nullptr) return absl::InvalidArgumentError("no TLS client context");
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->server_name = std::string(server_name);
  impl->ssl = SSL_new(context->native());
  if (impl->ssl == nullptr) return absl::ResourceExhaustedError("SSL_new failed");
  SSL_set_connect_state(impl->ssl);
  const bool ip = IsIpAddress(server_name);
  // Go sends no SNI for an IP address.
  if (!server_name.empty() && !ip &&
      SSL_set_tlsext_host_name(impl->ssl, impl->server_name.c_str()) != 1) {
    return absl::InvalidArgumentError(absl::StrCat("bad server name ", std::string(server_name)));
  }
  if (!context->settings().insecure_skip_verify && !server_name.empty()) {
    const int ok =
        ip ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(impl->ssl), impl->server_name.c_str())
           : SSL_set1_host(impl->ssl, impl->server_name.c_str());
    if (ok != 1)
      return absl::InvalidArgumentError(absl::StrCat("bad server name ", std::string(server_name)));
  }
  return Engine(std::move(impl), /*is_server=*/false);
}

Engine::Engine(std::unique_ptr<Impl> impl, bool is_server)
    : impl_(std::move(impl)), is_server_(is_server) {
  Impl& i = *impl_;
  i.rbio = BIO_new(BIO_s_mem());
  i.wbio = BIO_new(BIO_s_mem());
  // An empty memory BIO reads as "retry", not EOF: EOF is FeedEof's to say.
  BIO_set_mem_eof_return(i.rbio, -1);
  BIO_set_mem_eof_return(i.wbio, -1);
  SSL_set_bio(i.ssl, i.rbio, i.wbio);
  SSL_set_app_data(i.ssl, impl_.get());
  SSL_set_msg_callback(i.ssl, &Impl::MsgCallback);
  SSL_set_msg_callback_arg(i.ssl, impl_.get());
  SSL_set_verify(i.ssl, SSL_get_verify_mode(i.ssl), &Impl::VerifyCallback);
}

Engine::Engine(Engine&& other) noexcept = default;
Engine& Engine::operator=(Engine&& other) noexcept = default;
Engine::~Engine() = default;

void Engine::Fail(ErrorKind kind, std::string text) {
  if (state_ == State::kFailed) return;
  state_ = State::kFailed;
  error_kind_ = kind;
  error_ = std::move(text);
}

void Engine::FailFromOpenSsl(int ssl_error) {
  const unsigned long code = ERR_peek_error();
  const int reason = ERR_GET_REASON(code);
  std::string reason_text;
  if (code != 0) {
    const char* s = ERR_reason_error_string(code);
    reason_text = s != nullptr ? s : absl::StrCat("error ", code);
  }
  ERR_clear_error();
  if (impl_->fatal_alert_received >= 0) {
    Fail(ErrorKind::kRemoteAlert,
         absl::StrCat("remote error: tls: ", AlertText(impl_->fatal_alert_received)));
  } else if (ssl_error == SSL_ERROR_ZERO_RETURN) {
    Fail(ErrorKind::kEof, "EOF");
  } else if (reason == SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE) {
    Fail(ErrorKind::kNoPeerCertificate, "tls: client didn't provide a certificate");
  } else if (reason == SSL_R_CERTIFICATE_VERIFY_FAILED || impl_->verify_error != 0) {
    std::string text = impl_->VerifyErrorText();
    if (is_server_) text = absl::StrCat("tls: failed to verify client certificate: ", text);
    Fail(ErrorKind::kPeerCertificateBad, std::move(text));
  } else if (reason == SSL_R_UNSUPPORTED_PROTOCOL) {
    Fail(ErrorKind::kProtocol,
         is_server_ ? absl::StrCat("tls: client offered only unsupported versions: ",
                                   impl_->offered_versions)
                    : std::string("tls: server selected unsupported protocol version"));
  } else if (reason == SSL_R_NO_SHARED_CIPHER) {
    Fail(ErrorKind::kProtocol, "tls: no cipher suite supported by both client and server");
  } else if (!reason_text.empty()) {
    Fail(ErrorKind::kProtocol, absl::StrCat("tls: ", reason_text));
  } else if (ssl_error == SSL_ERROR_SYSCALL) {
    // No error queued and no alert: with memory BIOs this is an unexpected end of input.
    Fail(ErrorKind::kEof, "EOF");
  } else {
    Fail(ErrorKind::kProtocol, absl::StrCat("tls: error ", ssl_error));
  }
}

void Engine::FailWithPlaintextAlert(ErrorKind kind, std::string text, unsigned char alert) {
  // Before the first flight nothing is encrypted: the alert is a plaintext record, written
  // as Go writes it (record version TLS 1.0).
  const unsigned char record[] = {SSL3_RT_ALERT, 0x03, 0x01, 0x00, 0x02, kAlertFatal, alert};
  if (BIO_write(impl_->wbio, record, sizeof record) != static_cast<int>(sizeof record)) {
    ERR_clear_error();
  }
  Fail(kind, std::move(text));
}

bool Engine::CheckFirstRecord(std::string_view data) {
  Impl& i = *impl_;
  while (i.header_len < sizeof(i.header) && !data.empty()) {
    i.header[i.header_len++] = static_cast<unsigned char>(data.front());
    data.remove_prefix(1);
  }
  if (i.header_len < 3) return true;
  const unsigned char type = i.header[0];
  if (!i.record_type_checked) {
    i.record_type_checked = true;
    const int version = (i.header[1] << 8) | i.header[2];
    if (type == 0x80) {
      Fail(ErrorKind::kNotTls, "tls: unsupported SSLv2 handshake received");
      return false;
    }
    if ((type != SSL3_RT_ALERT && type != SSL3_RT_HANDSHAKE) || version >= 0x1000) {
      Fail(ErrorKind::kNotTls, "tls: first record does not look like a TLS handshake");
      return false;
    }
  }
  if (i.header_len < 5) return true;
  const size_t record_length = (size_t{i.header[3]} << 8) | i.header[4];
  if (type == SSL3_RT_ALERT) {
    if (i.header_len < 7) return true;
    // Go reads the peer's alert and answers nothing.
    Fail(ErrorKind::kRemoteAlert, absl::StrCat("remote error: tls: ", AlertText(i.header[6])));
    return false;
  }
  // Go's limits on the first handshake record and message, with its alerts.
  constexpr unsigned char kAlertUnexpectedMessage = 10;
  constexpr unsigned char kAlertRecordOverflow = 22;
  constexpr unsigned char kAlertInternalError = 80;
  constexpr size_t kMaxCiphertext = 16384 + 2048;
  constexpr size_t kMaxHandshakeMessage = 65536;
  if (record_length == 0) {
    FailWithPlaintextAlert(ErrorKind::kProtocol, "local error: tls: unexpected message",
                           kAlertUnexpectedMessage);
    return false;
  }
  if (record_length > kMaxCiphertext) {
    FailWithPlaintextAlert(
        ErrorKind::kProtocol,
        absl::StrCat("tls: oversized record received with length ", record_length),
        kAlertRecordOverflow);
    return false;
  }
  if (record_length < 4) {  // the message header spans records: OpenSSL judges it
    i.header_checked = true;
    return true;
  }
  if (i.header_len < 9) return true;
  i.header_checked = true;
  const size_t message_length =
      (size_t{i.header[6]} << 16) | (size_t{i.header[7]} << 8) | i.header[8];
  if (message_length > kMaxHandshakeMessage) {
    FailWithPlaintextAlert(
        ErrorKind::kProtocol,
        absl::StrCat("tls: handshake message of length ", message_length,
                     " bytes exceeds maximum of ", kMaxHandshakeMessage, " bytes"),
        kAlertInternalError);
    return false;
  }
  // Shorter than any ClientHello (version, random, session id, one suite, one compression
  // method): Go fails to parse it and says so.
  constexpr size_t kMinClientHello = 2 + 32 + 1 + 2 + 2 + 1 + 1;
  if (i.header[5] != kClientHello || message_length < kMinClientHello) {
    FailWithPlaintextAlert(ErrorKind::kProtocol, "local error: tls: unexpected message",
                           kAlertUnexpectedMessage);
    return false;
  }
  return true;
}

std::string Engine::EofText() const {
  // Go: "EOF" at a record boundary, "unexpected EOF" inside a record.
  const bool inside_record = buffered_input() > 0 || SSL_has_pending(impl_->ssl) ||
                             (is_server_ && !impl_->header_checked && impl_->header_len > 0);
  return inside_record ? "unexpected EOF" : "EOF";
}

void Engine::Feed(std::string_view ciphertext) {
  if (state_ == State::kFailed || state_ == State::kPeerClosed || ciphertext.empty()) return;
  if (is_server_ && !impl_->header_checked && !CheckFirstRecord(ciphertext)) return;
  if (state_ == State::kHandshaking &&
      buffered_input() + ciphertext.size() > impl_->options.max_handshake_input) {
    Fail(ErrorKind::kInputLimit, absl::StrCat("tls: more than ", impl_->options.max_handshake_input,
                                              " bytes of handshake input"));
    return;
  }
  while (!ciphertext.empty()) {
    const int n = static_cast<int>(std::min<size_t>(ciphertext.size(), INT_MAX));
    const int written = BIO_write(impl_->rbio, ciphertext.data(), n);
    if (written <= 0) {
      ERR_clear_error();
      Fail(ErrorKind::kProtocol, "tls: out of memory buffering input");
      return;
    }
    ciphertext.remove_prefix(static_cast<size_t>(written));
  }
}

void Engine::FeedEof() {
  impl_->eof = true;
  if (state_ == State::kHandshaking && is_server_ && !impl_->header_checked &&
      impl_->header_len > 0) {
    Fail(ErrorKind::kEof, EofText());  // a first record cut short: OpenSSL never saw it
    return;
  }
  // Advance/ReadPlaintext see the end after the last bytes, also after the plaintext OpenSSL
  // has decrypted but not handed out yet.
  if (buffered_input() > 0) return;
  if (state_ == State::kEstablished && SSL_pending(impl_->ssl) > 0) return;
  if (state_ == State::kHandshaking) Fail(ErrorKind::kEof, EofText());
  if (state_ == State::kEstablished) state_ = State::kPeerClosed;
}

Engine::Step Engine::Advance() {
  Step step;
  if (state_ != State::kHandshaking) return step;
  Impl& i = *impl_;
  i.signed_this_step = false;
  ERR_clear_error();
  const int rc = SSL_do_handshake(i.ssl);
  step.signed_with_private_key = i.signed_this_step;
  if (rc == 1) {
    i.handshake_done = true;
    state_ = State::kEstablished;
    step.completed = true;
    return step;
  }
  const int err = SSL_get_error(i.ssl, rc);
  if (err == SSL_ERROR_WANT_READ) {
    ERR_clear_error();
    if (i.eof && buffered_input() == 0) Fail(ErrorKind::kEof, EofText());
    return step;
  }
  FailFromOpenSsl(err);
  return step;
}

size_t Engine::ReadPlaintext(std::string* out, size_t max_bytes) {
  size_t appended = 0;
  Impl& i = *impl_;
  char buffer[16 * 1024];
  while (state_ == State::kEstablished && appended < max_bytes) {
    const size_t want = std::min(max_bytes - appended, sizeof(buffer));
    const uint32_t refused_before = i.renegotiations_refused + i.client_hellos_after_handshake;
    ERR_clear_error();
    size_t got = 0;
    const int rc = SSL_read_ex(i.ssl, buffer, want, &got);
    if (rc == 1) {
      out->append(buffer, got);
      appended += got;
    }
    if (i.renegotiations_refused + i.client_hellos_after_handshake > refused_before) {
      // A renegotiation attempt: refused with a no_renegotiation alert (SSL_OP_NO_RENEGOTIATION)
      // and, as nats-server's Go TLS does, the connection ends.
      ERR_clear_error();
      Fail(ErrorKind::kProtocol, "local error: tls: no renegotiation");
      break;
    }
    if (rc == 1) continue;
    const int err = SSL_get_error(i.ssl, rc);
    if (err == SSL_ERROR_WANT_READ) {
      ERR_clear_error();
      if (i.eof && buffered_input() == 0)
        state_ = State::kPeerClosed;  // truncated: no close_notify
      break;
    }
    if (err == SSL_ERROR_ZERO_RETURN) {
      ERR_clear_error();
      state_ = State::kPeerClosed;
      break;
    }
    FailFromOpenSsl(err);
  }
  return appended;
}

size_t Engine::WritePlaintext(std::string_view plaintext) {
  if (state_ != State::kEstablished || impl_->shutdown_sent || plaintext.empty()) return 0;
  const size_t pending = pending_ciphertext();
  const size_t limit = impl_->options.max_buffered_ciphertext;
  if (pending >= limit) return 0;
  const size_t n = std::min({plaintext.size(), limit - pending, size_t{INT_MAX}});
  ERR_clear_error();
  size_t written = 0;
  const int rc = SSL_write_ex(impl_->ssl, plaintext.data(), n, &written);
  if (rc != 1) {
    FailFromOpenSsl(SSL_get_error(impl_->ssl, rc));
    return 0;
  }
  return written;
}

void Engine::Shutdown() {
  if (impl_->shutdown_sent) return;
  if (state_ != State::kEstablished && state_ != State::kPeerClosed) return;
  impl_->shutdown_sent = true;
  ERR_clear_error();
  SSL_shutdown(impl_->ssl);  // 0: ours sent, theirs not yet seen; either way nothing to wait for
  ERR_clear_error();
}

size_t Engine::TakeCiphertext(char* buffer, size_t capacity) {
  const size_t n = std::min({capacity, pending_ciphertext(), size_t{INT_MAX}});
  if (n == 0) return 0;
  const int got = BIO_read(impl_->wbio, buffer, static_cast<int>(n));
  return got > 0 ? static_cast<size_t>(got) : 0;
}

size_t Engine::TakeCiphertext(std::string* out, size_t max_bytes) {
  const size_t n = std::min(max_bytes, pending_ciphertext());
  if (n == 0) return 0;
  const size_t old = out->size();
  out->resize(old + n);
  const size_t got = TakeCiphertext(out->data() + old, n);
  out->resize(old + got);
  return got;
}

size_t Engine::pending_ciphertext() const {
  return BIO_ctrl_pending(impl_->wbio);
}
size_t Engine::buffered_input() const {
  return BIO_ctrl_pending(impl_->rbio);
}

bool Engine::WillSign() const {
  return is_server_ && state_ == State::kHandshaking && !impl_->sent_signature;
}

int Engine::protocol_version() const {
  return state_ == State::kHandshaking ? 0 : SSL_version(impl_->ssl);
}

uint16_t Engine::cipher_suite_id() const {
  const SSL_CIPHER* cipher = SSL_get_current_cipher(impl_->ssl);
  return cipher != nullptr ? SSL_CIPHER_get_protocol_id(cipher) : 0;
}

std::string Engine::version_name() const {
  return VersionName(protocol_version());
}
std::string Engine::cipher_suite_name() const {
  return CipherSuiteName(cipher_suite_id());
}

bool Engine::has_peer_certificate() const {
  return SSL_get0_peer_certificate(impl_->ssl) != nullptr;
}

PeerCertificate Engine::peer_certificate() const {
  PeerCertificate info;
  X509* cert = SSL_get0_peer_certificate(impl_->ssl);
  if (cert == nullptr) return info;
  info.subject = NameString(X509_get_subject_name(cert));
  info.subject_attributes = NameAttributes(X509_get_subject_name(cert));
  info.issuer = NameString(X509_get_issuer_name(cert));
  info.spki_sha256 = Sha256Hex(X509_get_X509_PUBKEY(cert), &i2d_X509_PUBKEY);
  info.cert_sha256 = Sha256Hex(cert, &i2d_X509);
  auto* names =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (names == nullptr) return info;
  for (int k = 0; k < sk_GENERAL_NAME_num(names); ++k) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, k);
    auto text = [](const ASN1_STRING* s) {
      return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                         static_cast<size_t>(ASN1_STRING_length(s)));
    };
    switch (name->type) {
      case GEN_EMAIL: info.emails.push_back(text(name->d.rfc822Name)); break;
      case GEN_DNS: info.dns_names.push_back(text(name->d.dNSName)); break;
      case GEN_URI: info.uris.push_back(text(name->d.uniformResourceIdentifier)); break;
      case GEN_IPADD: {
        const ASN1_OCTET_STRING* ip = name->d.iPAddress;
        char printable[INET6_ADDRSTRLEN] = {};
        const int family = ASN1_STRING_length(ip) == 4 ? AF_INET : AF_INET6;
        if ((ASN1_STRING_length(ip) == 4 || ASN1_STRING_length(ip) == 16) &&
            inet_ntop(family, ASN1_STRING_get0_data(ip), printable, sizeof(printable)) != nullptr) {
          info.ip_addresses.emplace_back(printable);
        }
        break;
      }
      default: break;
    }
  }
  GENERAL_NAMES_free(names);
  return info;
}

uint32_t Engine::renegotiation_attempts() const {
  // Either sign may show an attempt, or both for the same one.
  return std::max(impl_->renegotiations_refused, impl_->client_hellos_after_handshake);
}

}  // namespace ringnats::tls
