#include "ringnats/tls/context.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client_hello.h"
#include "ringnats/tls/names.h"

namespace ringnats::tls {
namespace {

constexpr char kKeyPairPrefix[] = "error parsing X509 certificate/key pair: ";

struct CtxDeleter {
  void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
};
using CtxPtr = std::unique_ptr<SSL_CTX, CtxDeleter>;
struct X509Deleter {
  void operator()(X509* x) const { X509_free(x); }
};
using X509Ptr = std::unique_ptr<X509, X509Deleter>;
struct PkeyDeleter {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyDeleter>;
struct BioDeleter {
  void operator()(BIO* b) const { BIO_free(b); }
};
using BioPtr = std::unique_ptr<BIO, BioDeleter>;

// OpenSSL's reason for the oldest queued error, and the queue emptied.
std::string TakeOpenSslReason() {
  unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown error";
  const char* reason = ERR_reason_error_string(code);
  return reason != nullptr ? reason : absl::StrCat("error ", code);
}

// Go's os.ReadFile error text: "open PATH: no such file or directory".
absl::StatusOr<std::string> ReadWholeFile(const std::string& path) {
  FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) {
    std::string reason = std::strerror(errno);
    if (!reason.empty()) reason[0] = absl::ascii_tolower(reason[0]);
    return absl::InvalidArgumentError(absl::StrCat("open ", path, ": ", reason));
  }
  std::string content;
  char buffer[8192];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof(buffer), file)) > 0) content.append(buffer, n);
  const bool read_error = std::ferror(file) != 0;
  std::fclose(file);
  if (read_error) return absl::InvalidArgumentError(absl::StrCat("read ", path, ": I/O error"));
  return content;
}

bool HasPem(std::string_view content) {
  return content.find("-----BEGIN") != content.npos;
}

// Every certificate in a PEM file, in order; `what` is "certificate" or "ca".
absl::StatusOr<std::vector<X509Ptr>> ParseCertificates(const std::string& path,
                                                       const std::string& content) {
  std::vector<X509Ptr> certs;
  BioPtr bio(BIO_new_mem_buf(content.data(), static_cast<int>(content.size())));
  if (bio == nullptr) return absl::ResourceExhaustedError("out of memory");
  ERR_clear_error();
  while (true) {
    X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr);
    if (cert == nullptr) break;
    certs.emplace_back(cert);
  }
  // The loop ends on "no start line" at the end of the input; anything else is a bad block.
  const unsigned long last = ERR_peek_last_error();
  const bool clean_end = last == 0 || (ERR_GET_LIB(last) == ERR_LIB_PEM &&
                                       ERR_GET_REASON(last) == PEM_R_NO_START_LINE);
  if (!clean_end) {
    return absl::InvalidArgumentError(
        absl::StrCat("x509: malformed certificate in ", path, " (", TakeOpenSslReason(), ")"));
  }
  ERR_clear_error();
  return certs;
}

absl::StatusOr<PkeyPtr> ParseKey(const std::string& path, const std::string& content) {
  if (!HasPem(content)) {
    return absl::InvalidArgumentError(
        absl::StrCat(kKeyPairPrefix, "tls: failed to find any PEM data in key input (", path, ")"));
  }
  BioPtr bio(BIO_new_mem_buf(content.data(), static_cast<int>(content.size())));
  if (bio == nullptr) return absl::ResourceExhaustedError("out of memory");
  ERR_clear_error();
  // An encrypted key fails like any unreadable one, as in nats-server: without a password
  // callback OpenSSL would prompt for a passphrase on the terminal and block this thread.
  auto no_passphrase = [](char* /*buffer*/, int /*size*/, int /*rwflag*/, void* /*u*/) {
    return 0;
  };
  PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr));
  if (key == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(kKeyPairPrefix,
                                                   "tls: failed to parse private key (", path, ": ",
                                                   TakeOpenSslReason(), ")"));
  }
  return key;
}

// The certificate chain and key, checked to belong together.
absl::Status UseKeyPair(SSL_CTX* ctx, const std::string& cert_file, const std::string& key_file) {
  auto cert_pem = ReadWholeFile(cert_file);
  if (!cert_pem.ok())
    return absl::InvalidArgumentError(absl::StrCat(kKeyPairPrefix, cert_pem.status().message()));
  auto key_pem = ReadWholeFile(key_file);
  if (!key_pem.ok())
    return absl::InvalidArgumentError(absl::StrCat(kKeyPairPrefix, key_pem.status().message()));
  if (!HasPem(*cert_pem)) {
    return absl::InvalidArgumentError(absl::StrCat(
        kKeyPairPrefix, "tls: failed to find any PEM data in certificate input (", cert_file, ")"));
  }
  auto chain = ParseCertificates(cert_file, *cert_pem);
  if (!chain.ok())
    return absl::InvalidArgumentError(absl::StrCat(kKeyPairPrefix, chain.status().message()));
  if (chain->empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        kKeyPairPrefix, "tls: failed to find any PEM data in certificate input (", cert_file, ")"));
  }
  auto key = ParseKey(key_file, *key_pem);
  if (!key.ok()) return key.status();

  ERR_clear_error();
  if (SSL_CTX_use_certificate(ctx, (*chain)[0].get()) != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(kKeyPairPrefix, "certificate ", cert_file, " refused: ", TakeOpenSslReason()));
  }
  for (size_t i = 1; i < chain->size(); ++i) {
    // add1: the context takes its own reference.
    if (SSL_CTX_add1_chain_cert(ctx, (*chain)[i].get()) != 1) {
      return absl::InvalidArgumentError(absl::StrCat(kKeyPairPrefix, "intermediate certificate in ",
                                                     cert_file, " refused: ", TakeOpenSslReason()));
    }
  }
  if (SSL_CTX_use_PrivateKey(ctx, key->get()) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError(absl::StrCat(kKeyPairPrefix,
                                                   "tls: private key does not match public key (",
                                                   cert_file, ", ", key_file, ")"));
  }
  return absl::OkStatus();
}

// CAs into the verification store; `client_ca_list` also names them in CertificateRequest
// (Go sends its ClientCAs' subjects there too).
absl::Status UseCaFile(SSL_CTX* ctx, const std::string& ca_file, bool client_ca_list) {
  auto pem = ReadWholeFile(ca_file);
  if (!pem.ok()) return pem.status();
  auto certs = ParseCertificates(ca_file, *pem);
  if (!certs.ok() || certs->empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("failed to parse root ca certificate (", ca_file, ")"));
  }
  X509_STORE* store = SSL_CTX_get_cert_store(ctx);
  for (const X509Ptr& cert : *certs) {
    if (X509_STORE_add_cert(store, cert.get()) != 1) {
      // A CA listed twice is harmless.
      unsigned long code = ERR_peek_last_error();
      if (ERR_GET_REASON(code) != X509_R_CERT_ALREADY_IN_HASH_TABLE) {
        return absl::InvalidArgumentError(absl::StrCat("failed to parse root ca certificate (",
                                                       ca_file, ": ", TakeOpenSslReason(), ")"));
      }
      ERR_clear_error();
    }
    if (client_ca_list && SSL_CTX_add_client_CA(ctx, cert.get()) != 1) {
      return absl::InvalidArgumentError(absl::StrCat("failed to parse root ca certificate (",
                                                     ca_file, ": ", TakeOpenSslReason(), ")"));
    }
  }
  return absl::OkStatus();
}

// Versions, suites, curves and the options every context shares.
absl::Status ApplyProtocolSettings(SSL_CTX* ctx, MinVersion min_version,
                                   const std::vector<std::string>& cipher_suites,
                                   const std::vector<std::string>& curve_preferences) {
  // Renegotiation is refused outright (a TLS 1.2 peer asking gets a no_renegotiation alert):
  // it re-runs the expensive half of a handshake at the peer's will.
  SSL_CTX_set_options(
      ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  // Idle sessions drop their record buffers: many connections, few active.
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  if (SSL_CTX_set_min_proto_version(ctx, static_cast<int>(min_version)) != 1) {
    return absl::InvalidArgumentError("unsupported min_version");
  }

  std::vector<std::string_view> names;
  if (cipher_suites.empty()) {
    names = DefaultCipherSuiteNames();
  } else {
    names.assign(cipher_suites.begin(), cipher_suites.end());
  }
  std::vector<CipherSuite> tls12;
  for (std::string_view name : names) {
    auto suite = FindCipherSuite(name);
    if (!suite.ok()) return absl::InvalidArgumentError(suite.status().message());
    if (!suite->tls13) tls12.push_back(*suite);
  }
  if (tls12.empty()) {
    if (min_version == MinVersion::kTls12) {
      return absl::InvalidArgumentError(
          "cipher_suites names no TLS 1.2 cipher suite (TLS 1.3 suites are not configurable)");
    }
  } else {
    std::string list = absl::StrJoin(
        tls12, ":", [](std::string* out, const CipherSuite& s) { out->append(s.openssl_name); });
    ERR_clear_error();
    if (SSL_CTX_set_cipher_list(ctx, list.c_str()) != 1) {
      ERR_clear_error();
      return absl::InvalidArgumentError(
          absl::StrCat("none of the cipher suites is available in this OpenSSL build: ", list));
    }
    // OpenSSL drops names it cannot offer silently: refuse rather than run with fewer.
    STACK_OF(SSL_CIPHER)* active = SSL_CTX_get_ciphers(ctx);
    for (const CipherSuite& suite : tls12) {
      bool found = false;
      for (int i = 0; i < sk_SSL_CIPHER_num(active) && !found; ++i) {
        found = SSL_CIPHER_get_protocol_id(sk_SSL_CIPHER_value(active, i)) == suite.iana_id;
      }
      if (!found) {
        return absl::InvalidArgumentError(absl::StrCat("cipher ", std::string(suite.go_name),
                                                       " is not available in this OpenSSL build"));
      }
    }
  }

  std::vector<std::string_view> curves;
  if (curve_preferences.empty()) {
    for (std::string_view name : DefaultCurveNames()) curves.push_back(*FindCurve(name));
  } else {
    for (const std::string& name : curve_preferences) {
      auto curve = FindCurve(name);
      if (!curve.ok()) return absl::InvalidArgumentError(curve.status().message());
      curves.push_back(*curve);
    }
  }
  // The TLS 1.3 suites are OpenSSL's defaults in Go's order of preference (AES-128 first), so a
  // /connz shows what nats-server's would.
  if (SSL_CTX_set_ciphersuites(
          ctx, "TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_256_GCM_SHA384") != 1) {
    ERR_clear_error();
    return absl::InternalError("TLS 1.3 cipher suites not available");
  }

  std::string groups = absl::StrJoin(
      curves, ":", [](std::string* out, std::string_view curve) { out->append(curve); });
  if (SSL_CTX_set1_groups_list(ctx, groups.c_str()) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError(absl::StrCat("curves not available: ", groups));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::shared_ptr<const ServerContext>> ServerContext::Create(
    const ServerSettings& settings) {
  if (settings.cert_file.empty())
    return absl::InvalidArgumentError("missing 'cert_file' in TLS configuration");
  if (settings.key_file.empty())
    return absl::InvalidArgumentError("missing 'key_file' in TLS configuration");
  CtxPtr ctx(SSL_CTX_new(TLS_server_method()));
  if (ctx == nullptr) return absl::InternalError("SSL_CTX_new failed: " + TakeOpenSslReason());
  if (absl::Status s = ApplyProtocolSettings(ctx.get(), settings.min_version,
                                             settings.cipher_suites, settings.curve_preferences);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = UseKeyPair(ctx.get(), settings.cert_file, settings.key_file); !s.ok()) {
    return s;
  }
  if (!settings.ca_file.empty()) {
    if (absl::Status s = UseCaFile(ctx.get(), settings.ca_file, settings.verify); !s.ok()) return s;
  } else if (settings.verify && SSL_CTX_set_default_verify_paths(ctx.get()) != 1) {
    // Without a ca_file nats-server verifies client certificates against the system's CAs.
    ERR_clear_error();
  }
  if (settings.verify) {
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  } else {
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);
  }
  SSL_CTX_set_client_hello_cb(ctx.get(), &internal::OnClientHello, nullptr);
  // A client's renegotiation reaches OnClientHello, which refuses it with the fatal
  // unexpected_message alert Go sends (with SSL_OP_NO_RENEGOTIATION OpenSSL would only warn
  // with no_renegotiation). No renegotiation ever proceeds.
  SSL_CTX_clear_options(ctx.get(), SSL_OP_NO_RENEGOTIATION);
  SSL_CTX_set_options(ctx.get(), SSL_OP_ALLOW_CLIENT_RENEGOTIATION);
  // Resumption by session ticket only, as Go's servers: a resumed session skips the signature
  // (cheaper reconnects) and needs no session cache, which would be one lock shared by every
  // worker. The id context ties a ticket to this configuration.
  static constexpr unsigned char kSessionIdContext[] = "ringnats";
  SSL_CTX_set_session_id_context(ctx.get(), kSessionIdContext, sizeof(kSessionIdContext) - 1);
  SSL_CTX_set_session_cache_mode(ctx.get(), SSL_SESS_CACHE_OFF);
  // One TLS 1.3 ticket per handshake, as Go sends (OpenSSL's default of two costs a second
  // ticket's encryption on every connect).
  SSL_CTX_set_num_tickets(ctx.get(), 1);
  return std::shared_ptr<const ServerContext>(new ServerContext(settings, ctx.release()));
}

ServerContext::ServerContext(ServerSettings settings, SSL_CTX* ctx)
    : settings_(std::move(settings)), ctx_(ctx), cheap_signature_(false) {
  // P-256 and Ed25519 only: OpenSSL 3.0 signs P-384 and P-521 several times slower, closer
  // to RSA than to these.
  if (EVP_PKEY* key = SSL_CTX_get0_privatekey(ctx_); key != nullptr) {
    const int type = EVP_PKEY_get_base_id(key);
    char group[32] = "";
    size_t group_length = 0;
    cheap_signature_ = type == EVP_PKEY_ED25519 ||
                       (type == EVP_PKEY_EC &&
                        EVP_PKEY_get_group_name(key, group, sizeof(group), &group_length) == 1 &&
                        std::string_view(group, group_length) == "prime256v1");
  }
}

std::string ServerContext::CertificateDigest() const {
  X509* certificate = SSL_CTX_get0_certificate(ctx_);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (certificate == nullptr || X509_digest(certificate, EVP_sha256(), digest, &length) != 1) {
    ERR_clear_error();
    return "";
  }
  return std::string(reinterpret_cast<const char*>(digest), length);
}

ServerContext::~ServerContext() {
  SSL_CTX_free(ctx_);
}

absl::StatusOr<std::shared_ptr<const ClientContext>> ClientContext::Create(
    const ClientSettings& settings) {
  if (settings.cert_file.empty() != settings.key_file.empty()) {
    return absl::InvalidArgumentError("TLS configuration needs both 'cert_file' and 'key_file'");
  }
  CtxPtr ctx(SSL_CTX_new(TLS_client_method()));
  if (ctx == nullptr) return absl::InternalError("SSL_CTX_new failed: " + TakeOpenSslReason());
  if (absl::Status s = ApplyProtocolSettings(ctx.get(), settings.min_version,
                                             settings.cipher_suites, settings.curve_preferences);
      !s.ok()) {
    return s;
  }
  if (!settings.cert_file.empty()) {
    if (absl::Status s = UseKeyPair(ctx.get(), settings.cert_file, settings.key_file); !s.ok()) {
      return s;
    }
  }
  if (!settings.ca_file.empty()) {
    if (absl::Status s = UseCaFile(ctx.get(), settings.ca_file, false); !s.ok()) return s;
  } else if (SSL_CTX_set_default_verify_paths(ctx.get()) != 1) {
    ERR_clear_error();
  }
  SSL_CTX_set_verify(ctx.get(), settings.insecure_skip_verify ? SSL_VERIFY_NONE : SSL_VERIFY_PEER,
                     nullptr);
  return std::shared_ptr<const ClientContext>(new ClientContext(settings, ctx.release()));
}

ClientContext::~ClientContext() {
  SSL_CTX_free(ctx_);
}

}  // namespace ringnats::tls
