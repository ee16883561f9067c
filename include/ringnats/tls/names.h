#pragma once
// nats-server's names for TLS things and their OpenSSL equivalents: the protocol versions and
// cipher suites /connz shows (`tls_version` "1.2"/"1.3", `tls_cipher_suite` Go's IANA-style
// names such as "TLS_AES_128_GCM_SHA256"), the names `cipher_suites` and `curve_preferences`
// accept, and nats-server 2.9.10's defaults for both.
//
// Pure functions over constant tables: any thread.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace ringnats::tls {

// As /connz's `tls_version`: "1.0", "1.1", "1.2", "1.3", otherwise "Unknown [0x%x]".
// `protocol_version` is the wire value (0x0303 for TLS 1.2), as SSL_version() returns it.
std::string VersionName(int protocol_version);

// As /connz's `tls_cipher_suite`: nats-server's name for the suite's two-byte IANA id, or
// "Unknown [0x%x]" for a suite it has no name for.
std::string CipherSuiteName(uint16_t iana_id);

// One `cipher_suites` entry resolved. TLS 1.3 suites are accepted by name (nats-server accepts
// them) but, as with Go's crypto/tls, not configurable: OpenSSL's TLS 1.3 defaults apply.
struct CipherSuite {
  std::string_view go_name;       // "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"
  uint16_t iana_id = 0;           // 0xc02f
  std::string_view openssl_name;  // "ECDHE-RSA-AES128-GCM-SHA256"
  bool tls13 = false;
};

// Looks up a nats-server cipher suite name; NotFound "unrecognized cipher NAME" (nats-server's
// wording) for any other.
absl::StatusOr<CipherSuite> FindCipherSuite(std::string_view go_name);

// nats-server 2.9.10's default TLS 1.2 suites, in its order.
const std::vector<std::string_view>& DefaultCipherSuiteNames();

// Every `cipher_suites` name this build can use (nats-server's names without RC4 and 3DES,
// which OpenSSL 3 no longer offers), TLS 1.2 suites first; for --help_tls.
std::vector<std::string_view> UsableCipherSuiteNames();

// Looks up a `curve_preferences` entry ("X25519", "CurveP256", "CurveP384", "CurveP521") and
// gives OpenSSL's group name ("X25519", "P-256", ...); NotFound "unrecognized curve preference
// NAME" otherwise.
absl::StatusOr<std::string_view> FindCurve(std::string_view go_name);

// nats-server 2.9.10's default curve preferences, in its order (X25519 first).
const std::vector<std::string_view>& DefaultCurveNames();

// Go's text for a TLS alert description (the part after "remote error: tls: "), e.g.
// "bad certificate", "unknown certificate authority"; "alert(N)" for one Go does not name.
std::string AlertText(int description);

}  // namespace ringnats::tls
