#include "tls_from_config.h"

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "ringnats/tls/names.h"
#include "value_conversions.h"

namespace ringnats::config {
namespace {

constexpr char kPrefix[] = "error parsing tls config, ";

std::string Lower(std::string_view text) {
  return absl::AsciiStrToLower(absl::string_view(text.data(), text.size()));
}

// nats-server reports a quoted array element one column into it, after the quote.
Position ElementPosition(const ConfigValue& element) {
  Position at = element.position();
  if (element.is_string() && element.quoted()) ++at.column;
  return at;
}

absl::Status FileName(const MapEntry& entry, std::string* out) {
  if (!entry.value.is_string()) {
    return ErrorAt(entry.key_position,
                   absl::StrFormat("%sexpected '%s' to be filename", kPrefix, Lower(entry.key)));
  }
  *out = entry.value.string_value();
  return absl::OkStatus();
}

absl::StatusOr<bool> Boolean(const MapEntry& entry) {
  if (!entry.value.is_bool()) {
    return ErrorAt(entry.key_position,
                   absl::StrFormat("%sexpected '%s' to be a boolean", kPrefix, Lower(entry.key)));
  }
  return entry.value.bool_value();
}

// cipher_suites and curve_preferences: a non-empty array of known names. `find` returns
// nats-server's "unrecognized ..." error for an unknown one.
template <typename Find>
absl::Status NameList(const MapEntry& entry, Find find, std::vector<std::string>* out) {
  const ConfigValue& value = entry.value;
  if (!value.is_array()) return WrongType(value, "[]interface {}");
  if (value.array().empty()) {
    return ErrorAt(entry.key_position,
                   absl::StrFormat("%s'%s' cannot be empty", kPrefix, Lower(entry.key)));
  }
  std::vector<std::string> names;
  for (const ConfigValue& element : value.array()) {
    if (!element.is_string()) return WrongType(element, "string");
    if (absl::Status known = find(element.string_value()); !known.ok()) {
      return ErrorAt(ElementPosition(element), std::string(known.message()));
    }
    names.push_back(element.string_value());
  }
  *out = std::move(names);
  return absl::OkStatus();
}

// A number of seconds (integer or not), or a Go duration string.
absl::Status Timeout(const MapEntry& entry, absl::Duration* out) {
  const ConfigValue& value = entry.value;
  if (value.is_int()) {
    *out = absl::Seconds(value.int_value());
  } else if (value.is_double()) {
    *out = absl::Seconds(value.double_value());
  } else if (value.is_string()) {
    absl::StatusOr<absl::Duration> duration = GoDuration(value);
    if (!duration.ok()) {
      return ErrorAt(entry.key_position, absl::StrFormat("%s'timeout' %s", kPrefix,
                                                         GoDurationError(value.string_value())));
    }
    *out = *duration;
  } else {
    return ErrorAt(entry.key_position, absl::StrFormat("%s'timeout' wrong type", kPrefix));
  }
  // 0 is nats-server's "not set": the default applies.
  if (*out == absl::ZeroDuration()) *out = absl::Seconds(2);
  return absl::OkStatus();
}

bool IsSpkiHash(std::string_view text) {
  if (text.size() != 64) return false;
  for (char c : text) {
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

absl::Status PinnedCerts(const MapEntry& entry, std::vector<std::string>* out) {
  const ConfigValue& value = entry.value;
  if (!value.is_array()) {
    return ErrorAt(entry.key_position,
                   absl::StrFormat("%sexpected 'pinned_certs' to be a list of hex-encoded sha256 "
                                   "of DER encoded SubjectPublicKeyInfo",
                                   kPrefix));
  }
  std::vector<std::string> pins;
  for (const ConfigValue& element : value.array()) {
    if (!element.is_string()) return WrongType(element, "string");
    std::string pin = Lower(element.string_value());
    if (!IsSpkiHash(pin)) {
      return ErrorAt(ElementPosition(element),
                     absl::StrFormat("%s'pinned_certs' key %s does not look like hex-encoded "
                                     "sha256 of DER encoded SubjectPublicKeyInfo",
                                     kPrefix, pin));
    }
    pins.push_back(std::move(pin));
  }
  *out = std::move(pins);
  return absl::OkStatus();
}

// nats-server 2.10's min_version: "1.2" or "1.3"; older versions are refused by name.
absl::Status MinVersion(const MapEntry& entry, tls::MinVersion* out) {
  const ConfigValue& value = entry.value;
  if (!value.is_string()) {
    return ErrorAt(entry.key_position,
                   absl::StrFormat("error parsing tls config: 'min_version' wrong type: %s",
                                   value.raw_text()));
  }
  const std::string& text = value.string_value();
  if (text == "1.2") {
    *out = tls::MinVersion::kTls12;
  } else if (text == "1.3") {
    *out = tls::MinVersion::kTls13;
  } else if (text == "1.0" || text == "1.1") {
    return ErrorAt(
        entry.key_position,
        absl::StrFormat("error parsing tls config: unsupported TLS version: TLS %s", text));
  } else {
    return ErrorAt(entry.key_position,
                   absl::StrFormat("error parsing tls config: unknown version: %s", text));
  }
  return absl::OkStatus();
}

// nats-server 2.10's handshake_first: a boolean, "true"/"on", "false"/"off", "auto" (fall
// back to INFO first after 50 ms of client silence) or a duration to wait instead.
absl::Status HandshakeFirst(const MapEntry& entry, TlsOptions* out) {
  const ConfigValue& value = entry.value;
  out->handshake_first_fallback = absl::ZeroDuration();
  if (value.is_bool()) {
    out->handshake_first = value.bool_value();
    return absl::OkStatus();
  }
  if (!value.is_string()) {
    return ErrorAt(entry.key_position,
                   absl::StrFormat("field \"%s\" should be a boolean or a string, got %s",
                                   entry.key, GoTypeName(value)));
  }
  const std::string text = Lower(value.string_value());
  if (text == "true" || text == "on") {
    out->handshake_first = true;
  } else if (text == "false" || text == "off") {
    out->handshake_first = false;
  } else if (text == "auto" || text == "auto_fallback") {
    out->handshake_first = true;
    out->handshake_first_fallback = absl::Milliseconds(50);
  } else if (absl::StatusOr<absl::Duration> delay = GoDuration(value); delay.ok()) {
    out->handshake_first = true;
    out->handshake_first_fallback = *delay;
  } else {
    return ErrorAt(entry.key_position, absl::StrFormat("field \"%s\"'s value \"%s\" is invalid",
                                                       entry.key, value.string_value()));
  }
  return absl::OkStatus();
}

absl::Status ApplyEntry(const MapEntry& entry, bool route, TlsOptions* o) {
  const std::string key = Lower(entry.key);
  if (key == "cert_file") return FileName(entry, &o->cert_file);
  if (key == "key_file") return FileName(entry, &o->key_file);
  if (key == "ca_file") return FileName(entry, &o->ca_file);
  if (key == "insecure" || key == "verify" || key == "verify_and_map" ||
      key == "verify_cert_and_check_known_urls") {
    absl::StatusOr<bool> flag = Boolean(entry);
    if (!flag.ok()) return flag.status();
    if (key == "insecure") {
      o->insecure = *flag;
    } else if (key == "verify") {
      o->verify = *flag;
    } else if (key == "verify_and_map") {
      // true turns verify on; false leaves it as it is.
      if (*flag) o->verify = true;
      o->verify_and_map = *flag;
    } else {
      if (*flag && !route) {
        return ErrorAt(entry.key_position,
                       "verify_cert_and_check_known_urls not supported in this context");
      }
      if (*flag) o->verify = true;
      o->verify_cert_and_check_known_urls = *flag;
    }
    return absl::OkStatus();
  }
  if (key == "cipher_suites") {
    return NameList(
        entry, [](std::string_view name) { return tls::FindCipherSuite(name).status(); },
        &o->cipher_suites);
  }
  if (key == "curve_preferences") {
    return NameList(
        entry, [](std::string_view name) { return tls::FindCurve(name).status(); },
        &o->curve_preferences);
  }
  if (key == "timeout") return Timeout(entry, &o->timeout);
  if (key == "connection_rate_limit") {
    if (!entry.value.is_int()) {
      return ErrorAt(entry.key_position,
                     absl::StrFormat("%s'connection_rate_limit' wrong type", kPrefix));
    }
    o->connection_rate_limit = entry.value.int_value();
    return absl::OkStatus();
  }
  if (key == "pinned_certs") return PinnedCerts(entry, &o->pinned_certs);
  if (key == "min_version") return MinVersion(entry, &o->min_version);
  if (key == "handshake_first" || key == "first" || key == "immediate") {
    return HandshakeFirst(entry, o);
  }
  // nats-server does not let a variable definition stand in a tls block either.
  return ErrorAt(entry.key_position,
                 absl::StrFormat("%sunknown field [\"%s\"]", kPrefix, entry.key));
}

}  // namespace

absl::Status ApplyTlsBlock(const MapEntry& raw_block, bool route, TlsOptions* out) {
  const MapEntry block = AtKey(raw_block);
  if (!block.value.is_map()) return WrongType(block.value, "map[string]interface {}");
  TlsOptions parsed;
  parsed.enabled = true;
  for (const MapEntry& raw : block.value.map()) {
    if (absl::Status st = ApplyEntry(AtKey(raw), route, &parsed); !st.ok()) return st;
  }
  if (absl::Status st = CheckTlsOptions(parsed); !st.ok()) {
    return ErrorAt(block.key_position, std::string(st.message()));
  }
  *out = std::move(parsed);
  return absl::OkStatus();
}

}  // namespace ringnats::config
