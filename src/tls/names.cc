#include "ringnats/tls/names.h"

#include <array>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace ringnats::tls {
namespace {

// Every suite nats-server 2.9.10 names (its cipher map), with its IANA id and OpenSSL's name.
// RC4 and 3DES are in the table so /connz can name them; OpenSSL 3 does not offer them, so
// configuring them fails when the context is built.
constexpr std::array<CipherSuite, 24> kSuites = {{
    {"TLS_RSA_WITH_RC4_128_SHA", 0x0005, "RC4-SHA", false},
    {"TLS_RSA_WITH_3DES_EDE_CBC_SHA", 0x000a, "DES-CBC3-SHA", false},
    {"TLS_RSA_WITH_AES_128_CBC_SHA", 0x002f, "AES128-SHA", false},
    {"TLS_RSA_WITH_AES_128_CBC_SHA256", 0x003c, "AES128-SHA256", false},
    {"TLS_RSA_WITH_AES_256_CBC_SHA", 0x0035, "AES256-SHA", false},
    {"TLS_RSA_WITH_AES_256_GCM_SHA384", 0x009d, "AES256-GCM-SHA384", false},
    {"TLS_ECDHE_ECDSA_WITH_RC4_128_SHA", 0xc007, "ECDHE-ECDSA-RC4-SHA", false},
    {"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", 0xc009, "ECDHE-ECDSA-AES128-SHA", false},
    {"TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", 0xc00a, "ECDHE-ECDSA-AES256-SHA", false},
    {"TLS_ECDHE_RSA_WITH_RC4_128_SHA", 0xc011, "ECDHE-RSA-RC4-SHA", false},
    {"TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA", 0xc012, "ECDHE-RSA-DES-CBC3-SHA", false},
    {"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", 0xc013, "ECDHE-RSA-AES128-SHA", false},
    {"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", 0xc027, "ECDHE-RSA-AES128-SHA256", false},
    {"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", 0xc023, "ECDHE-ECDSA-AES128-SHA256", false},
    {"TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", 0xc014, "ECDHE-RSA-AES256-SHA", false},
    {"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", 0xc02f, "ECDHE-RSA-AES128-GCM-SHA256", false},
    {"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", 0xc02b, "ECDHE-ECDSA-AES128-GCM-SHA256", false},
    {"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", 0xc030, "ECDHE-RSA-AES256-GCM-SHA384", false},
    {"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", 0xc02c, "ECDHE-ECDSA-AES256-GCM-SHA384", false},
    {"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305", 0xcca8, "ECDHE-RSA-CHACHA20-POLY1305", false},
    {"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305", 0xcca9, "ECDHE-ECDSA-CHACHA20-POLY1305", false},
    {"TLS_AES_128_GCM_SHA256", 0x1301, "TLS_AES_128_GCM_SHA256", true},
    {"TLS_AES_256_GCM_SHA384", 0x1302, "TLS_AES_256_GCM_SHA384", true},
    {"TLS_CHACHA20_POLY1305_SHA256", 0x1303, "TLS_CHACHA20_POLY1305_SHA256", true},
}};

struct Curve {
  std::string_view go_name;
  std::string_view openssl_name;
};
constexpr std::array<Curve, 4> kCurves = {{
    {"X25519", "X25519"},
    {"CurveP256", "P-256"},
    {"CurveP384", "P-384"},
    {"CurveP521", "P-521"},
}};

}  // namespace

std::string VersionName(int protocol_version) {
  switch (protocol_version) {
    case 0x0301: return "1.0";
    case 0x0302: return "1.1";
    case 0x0303: return "1.2";
    case 0x0304: return "1.3";
  }
  return absl::StrFormat("Unknown [0x%x]", protocol_version);
}

std::string CipherSuiteName(uint16_t iana_id) {
  for (const CipherSuite& suite : kSuites) {
    if (suite.iana_id == iana_id) return std::string(suite.go_name);
  }
  return absl::StrFormat("Unknown [0x%x]", iana_id);
}

absl::StatusOr<CipherSuite> FindCipherSuite(std::string_view go_name) {
  for (const CipherSuite& suite : kSuites) {
    if (suite.go_name == go_name) return suite;
  }
  return absl::NotFoundError(absl::StrCat("unrecognized cipher ", std::string(go_name)));
}

const std::vector<std::string_view>& DefaultCipherSuiteNames() {
  static const std::vector<std::string_view> kDefaults = {
      "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
      "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305",  "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305",
      "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
  };
  return kDefaults;
}

std::vector<std::string_view> UsableCipherSuiteNames() {
  std::vector<std::string_view> names;
  for (const bool tls13 : {false, true}) {
    for (const CipherSuite& suite : kSuites) {
      const bool withdrawn = suite.go_name.find("RC4") != std::string_view::npos ||
                             suite.go_name.find("3DES") != std::string_view::npos;
      if (suite.tls13 == tls13 && !withdrawn) names.push_back(suite.go_name);
    }
  }
  return names;
}

absl::StatusOr<std::string_view> FindCurve(std::string_view go_name) {
  for (const Curve& curve : kCurves) {
    if (curve.go_name == go_name) return curve.openssl_name;
  }
  return absl::NotFoundError(absl::StrCat("unrecognized curve preference ", std::string(go_name)));
}

const std::vector<std::string_view>& DefaultCurveNames() {
  static const std::vector<std::string_view> kDefaults = {"X25519", "CurveP256", "CurveP384",
                                                          "CurveP521"};
  return kDefaults;
}

std::string AlertText(int description) {
  switch (description) {
    case 0: return "close notify";
    case 10: return "unexpected message";
    case 20: return "bad record MAC";
    case 21: return "decryption failed";
    case 22: return "record overflow";
    case 30: return "decompression failure";
    case 40: return "handshake failure";
    case 42: return "bad certificate";
    case 43: return "unsupported certificate";
    case 44: return "revoked certificate";
    case 45: return "expired certificate";
    case 46: return "unknown certificate";
    case 47: return "illegal parameter";
    case 48: return "unknown certificate authority";
    case 49: return "access denied";
    case 50: return "error decoding message";
    case 51: return "error decrypting message";
    case 60: return "export restriction";
    case 70: return "protocol version not supported";
    case 71: return "insufficient security level";
    case 80: return "internal error";
    case 86: return "inappropriate fallback";
    case 90: return "user canceled";
    case 100: return "no renegotiation";
    case 109: return "missing extension";
    case 110: return "unsupported extension";
    case 111: return "certificate unobtainable";
    case 112: return "unrecognized name";
    case 113: return "bad certificate status response";
    case 114: return "bad certificate hash value";
    case 115: return "unknown PSK identity";
    case 116: return "certificate required";
    case 120: return "no application protocol";
  }
  return absl::StrCat("alert(", description, ")");
}

}  // namespace ringnats::tls
