#include "ringnats/proto/connect_options.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>

#include "absl/strings/str_format.h"
#include "ringnats/util/utf8.h"

namespace ringnats::proto {
namespace {

using Json = nlohmann::json;

// Go's decoder gives up past this nesting depth.
constexpr int kMaxDepth = 10000;

enum class Field : uint8_t {
  kNone,  // unknown key, or no key pending
  kVerbose,
  kPedantic,
  kEcho,
  kHeaders,
  kNoResponders,
  kTlsRequired,
  kProtocol,
  kName,
  kLang,
  kVersion,
  kUser,
  kPass,
  kAuthToken,
  kSig,
  kNkey,
  kJwt,
  kAccount,
  kNewAccount,
};

struct FieldName {
  std::string_view name;
  Field field;
};

constexpr std::array<FieldName, 18> kFields = {{
    {"verbose", Field::kVerbose},
    {"pedantic", Field::kPedantic},
    {"echo", Field::kEcho},
    {"headers", Field::kHeaders},
    {"no_responders", Field::kNoResponders},
    {"tls_required", Field::kTlsRequired},
    {"protocol", Field::kProtocol},
    {"name", Field::kName},
    {"lang", Field::kLang},
    {"version", Field::kVersion},
    {"user", Field::kUser},
    {"pass", Field::kPass},
    {"auth_token", Field::kAuthToken},
    {"sig", Field::kSig},
    {"nkey", Field::kNkey},
    {"jwt", Field::kJwt},
    {"account", Field::kAccount},
    {"new_account", Field::kNewAccount},
}};

// Go matches object keys to field names ignoring ASCII case, and also lets U+212A (Kelvin
// sign) stand for k and U+017F (long s) for s. `name` is lower case.
bool KeyMatches(std::string_view key, std::string_view name) {
  size_t i = 0;
  for (char c : name) {
    if (i == key.size()) {
      return false;
    }
    const bool letter = c >= 'a' && c <= 'z';
    if (key[i] == c || (letter && (key[i] | 0x20) == c)) {
      ++i;
    } else if (c == 'k' && key.substr(i, 3) == "\xE2\x84\xAA") {
      i += 3;
    } else if (c == 's' && key.substr(i, 2) == "\xC5\xBF") {
      i += 2;
    } else {
      return false;
    }
  }
  return i == key.size();
}

Field LookupField(std::string_view key) {
  for (const FieldName& f : kFields) {
    if (KeyMatches(key, f.name)) {
      return f.field;
    }
  }
  return Field::kNone;
}

bool IsBoolField(Field f) {
  switch (f) {
    case Field::kVerbose:
    case Field::kPedantic:
    case Field::kEcho:
    case Field::kHeaders:
    case Field::kNoResponders:
    case Field::kTlsRequired:
    case Field::kNewAccount: return true;
    default: return false;
  }
}

// Feeds SAX events into ConnectOptions with Go's typing rules.
class ConnectSax : public nlohmann::json_sax<Json> {
 public:
  // With match_fields false no key is known, so only syntax and the top-level kind count.
  ConnectSax(ConnectOptions& out, bool match_fields) : out_(out), match_fields_(match_fields) {}

  const std::string& error() const { return error_; }

  bool null() override {
    // null is allowed for any field (and at the top level) and changes nothing.
    field_ = Field::kNone;
    return true;
  }

  bool boolean(bool value) override {
    if (!Top("bool")) {
      return false;
    }
    const Field f = Take();
    if (f == Field::kNone) {
      return true;
    }
    if (!IsBoolField(f)) {
      return TypeError(f, "bool");
    }
    switch (f) {
      case Field::kVerbose: out_.verbose = value; break;
      case Field::kPedantic: out_.pedantic = value; break;
      case Field::kEcho: out_.echo = value; break;
      case Field::kHeaders: out_.headers = value; break;
      case Field::kNoResponders: out_.no_responders = value; break;
      case Field::kTlsRequired: out_.tls_required = value; break;
      case Field::kNewAccount: out_.has_account = out_.has_account || value; break;
      default: break;
    }
    return true;
  }

  bool number_integer(number_integer_t value) override { return Integer(value, true); }

  bool number_unsigned(number_unsigned_t value) override {
    const bool fits = value <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
    return Integer(fits ? static_cast<int64_t>(value) : 0, fits);
  }

  bool number_float(number_float_t, const string_t&) override {
    if (!Top("number")) {
      return false;
    }
    const Field f = Take();
    return f == Field::kNone ? true : TypeError(f, "number");
  }

  bool string(string_t& value) override {
    if (!Top("string")) {
      return false;
    }
    const Field f = Take();
    switch (f) {
      case Field::kNone: return true;
      case Field::kName: out_.name = value; return true;
      case Field::kLang: out_.lang = value; return true;
      case Field::kVersion: out_.version = value; return true;
      case Field::kUser: out_.user = value; return true;
      case Field::kPass: out_.pass = value; return true;
      case Field::kAuthToken: out_.auth_token = value; return true;
      case Field::kSig: out_.sig = value; return true;
      case Field::kNkey: out_.nkey = value; return true;
      case Field::kJwt: out_.jwt = value; return true;
      case Field::kAccount: out_.has_account = out_.has_account || !value.empty(); return true;
      default: return TypeError(f, "string");
    }
  }

  bool binary(binary_t&) override { return Fail("unexpected binary value"); }

  bool start_object(std::size_t) override { return Open("object"); }

  bool key(string_t& key) override {
    if (depth_ == 1 && match_fields_) {
      field_ = LookupField(key);
    }
    return true;
  }

  bool end_object() override {
    --depth_;
    return true;
  }

  bool start_array(std::size_t) override {
    if (depth_ == 0) {
      return Fail("cannot decode a JSON array into an object");
    }
    return Open("array");
  }

  bool end_array() override {
    --depth_;
    return true;
  }

  bool parse_error(std::size_t position, const std::string&,
                   const nlohmann::detail::exception& ex) override {
    syntax_error_id_ = ex.id;
    syntax_error_position_ = position;
    return Fail(ex.what());
  }

  int syntax_error_id() const { return syntax_error_id_; }
  size_t syntax_error_position() const { return syntax_error_position_; }

 private:
  // A scalar at the top level cannot be decoded into the options object.
  bool Top(const char* what) {
    if (depth_ == 0) {
      return Fail(absl::StrFormat("cannot decode a JSON %s into an object", what));
    }
    return true;
  }

  // The field a value at depth 1 is for; deeper values belong to unknown keys' containers.
  Field Take() {
    if (depth_ != 1) {
      return Field::kNone;
    }
    const Field f = field_;
    field_ = Field::kNone;
    return f;
  }

  bool Open(const char* what) {
    if (depth_ > 0) {
      const Field f = Take();
      if (f != Field::kNone) {
        return TypeError(f, what);
      }
    }
    if (++depth_ > kMaxDepth) {
      return Fail("JSON nested too deeply");
    }
    return true;
  }

  bool Integer(int64_t value, bool fits_int64) {
    if (!Top("number")) {
      return false;
    }
    const Field f = Take();
    if (f == Field::kNone) {
      return true;
    }
    if (f != Field::kProtocol || !fits_int64) {
      return TypeError(f, "number");
    }
    // Go's field is 64-bit; clamping keeps any out-of-range value out of range.
    constexpr int64_t kMin = std::numeric_limits<int>::min();
    constexpr int64_t kMax = std::numeric_limits<int>::max();
    out_.protocol = static_cast<int>(std::clamp(value, kMin, kMax));
    return true;
  }

  bool TypeError(Field f, const char* what) {
    for (const FieldName& n : kFields) {
      if (n.field == f) {
        return Fail(absl::StrFormat("wrong JSON type (%s) for CONNECT field %s", what, n.name));
      }
    }
    return Fail("wrong JSON type");
  }

  bool Fail(std::string message) {
    if (error_.empty()) {
      error_ = std::move(message);
    }
    return false;
  }

  ConnectOptions& out_;
  const bool match_fields_;
  int depth_ = 0;
  Field field_ = Field::kNone;
  std::string error_;
  int syntax_error_id_ = 0;
  size_t syntax_error_position_ = 0;
};

std::optional<unsigned> Hex4(std::string_view s, size_t i) {
  if (i + 4 > s.size()) {
    return std::nullopt;
  }
  unsigned v = 0;
  for (size_t k = i; k < i + 4; ++k) {
    const char c = s[k];
    unsigned d;
    if (c >= '0' && c <= '9') {
      d = static_cast<unsigned>(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      d = static_cast<unsigned>(c - 'a' + 10);
    } else if (c >= 'A' && c <= 'F') {
      d = static_cast<unsigned>(c - 'A' + 10);
    } else {
      return std::nullopt;
    }
    v = v * 16 + d;
  }
  return v;
}

bool NeedsRepair(std::string_view s) {
  for (size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80 || (c == '\\' && i + 1 < s.size() && s[i + 1] == 'u')) {
      return true;
    }
  }
  return false;
}

// Go's decoder accepts, inside strings, invalid UTF-8 (each bad byte becomes U+FFFD) and
// unpaired surrogate escapes (each becomes U+FFFD); nlohmann rejects both, so rewrite them
// first. Elsewhere the replacements stay syntax errors, as they are for Go.
std::string RepairForGo(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 16);
  bool in_string = false;
  size_t i = 0;
  while (i < s.size()) {
    const char c = s[i];
    if (static_cast<unsigned char>(c) >= 0x80) {
      uint32_t rune = 0;
      const size_t len = util::DecodeUtf8(s, i, &rune);
      if (len == 0) {
        out += "\xEF\xBF\xBD";
        ++i;
      } else {
        out.append(s.substr(i, len));
        i += len;
      }
      continue;
    }
    if (!in_string) {
      in_string = c == '"';
      out += c;
      ++i;
      continue;
    }
    if (c == '"') {
      in_string = false;
    } else if (c == '\\' && i + 1 < s.size()) {
      if (s[i + 1] == 'u') {
        const std::optional<unsigned> cp = Hex4(s, i + 2);
        if (cp && *cp >= 0xD800 && *cp <= 0xDFFF) {
          if (*cp <= 0xDBFF && i + 12 <= s.size() && s[i + 6] == '\\' && s[i + 7] == 'u') {
            const std::optional<unsigned> low = Hex4(s, i + 8);
            if (low && *low >= 0xDC00 && *low <= 0xDFFF) {
              out.append(s.substr(i, 12));
              i += 12;
              continue;
            }
          }
          out += "\\uFFFD";
          i += 6;
          continue;
        }
      }
      if (static_cast<unsigned char>(s[i + 1]) < 0x80) {
        out.append(s.substr(i, 2));
        i += 2;
        continue;
      }
    }
    out += c;
    ++i;
  }
  return out;
}

// nlohmann fails on a number too large for a double (406); Go only checks its syntax unless
// it lands in a typed field. Replace such a literal with a float of the same length, which
// keeps the text valid and is still a type error for every known field.
bool NeutralizeOverflow(std::string& text, size_t position) {
  size_t end = std::min(position, text.size());
  while (end > 0) {
    const char c = text[end - 1];
    if ((c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-') {
      break;
    }
    --end;
  }
  size_t begin = end;
  while (begin > 0) {
    const char c = text[begin - 1];
    if (!((c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-')) {
      break;
    }
    --begin;
  }
  if (end - begin < 3) {
    return false;
  }
  text.replace(begin, end - begin, "0.0" + std::string(end - begin - 3, ' '));
  return true;
}

absl::Status Decode(std::string_view json, ConnectOptions& out, bool match_fields) {
  // Go rejects a byte order mark; nlohmann would skip it.
  if (json.substr(0, 3) == "\xEF\xBB\xBF") {
    return absl::InvalidArgumentError("invalid character at start of JSON");
  }
  // nlohmann takes a NUL byte for the end of its input, so `{}\0garbage` would pass; NUL is
  // valid nowhere in JSON (inside strings it must be escaped), and Go refuses it.
  if (json.find('\0') != std::string_view::npos) {
    return absl::InvalidArgumentError("invalid character '\\x00' in JSON");
  }
  std::string repaired;
  if (NeedsRepair(json)) {
    repaired = RepairForGo(json);
    json = repaired;
  }
  // A few rounds at most: each one removes one overflowing literal.
  for (int round = 0; round < 64; ++round) {
    ConnectOptions attempt = out;
    ConnectSax sax(attempt, match_fields);
    if (Json::sax_parse(json.begin(), json.end(), &sax)) {
      out = std::move(attempt);
      return absl::OkStatus();
    }
    if (sax.syntax_error_id() == 406) {
      if (repaired.data() != json.data()) {
        repaired.assign(json);
        json = repaired;
      }
      if (NeutralizeOverflow(repaired, sax.syntax_error_position())) {
        json = repaired;
        continue;
      }
    }
    return absl::InvalidArgumentError(sax.error().empty() ? "invalid JSON" : sax.error());
  }
  return absl::InvalidArgumentError("invalid JSON");
}

}  // namespace

absl::StatusOr<ConnectOptions> ParseConnectOptions(std::string_view json) {
  return ParseConnectOptions(json, ConnectOptions{});
}

absl::StatusOr<ConnectOptions> ParseConnectOptions(std::string_view json,
                                                   const ConnectOptions& base) {
  ConnectOptions out = base;
  absl::Status status = Decode(json, out, /*match_fields=*/true);
  if (!status.ok()) {
    return status;
  }
  return out;
}

absl::Status CheckInfoJson(std::string_view json) {
  ConnectOptions ignored;
  return Decode(json, ignored, /*match_fields=*/false);
}

}  // namespace ringnats::proto
