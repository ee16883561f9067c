#include "ringnats/auth/certificate_user.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "ringnats/util/hex_digit.h"

namespace ringnats::auth {
namespace {

// Spaces (not other whitespace) around an attribute's type or value do not count, as
// nats-server's DN parser reads a user name; a space escaped with a backslash ("alice\ ")
// is part of the value.
std::string_view TrimSpaces(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') {
    size_t backslashes = 0;
    while (backslashes + 1 < text.size() && text[text.size() - 2 - backslashes] == '\\') {
      ++backslashes;
    }
    if (backslashes % 2 == 1) break;
    text.remove_suffix(1);
  }
  return text;
}

// Splits at `separator` where it is not escaped with a backslash.
std::vector<std::string_view> SplitUnescaped(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\') {
      ++i;
    } else if (text[i] == separator) {
      parts.push_back(text.substr(start, i - start));
      start = i + 1;
    }
  }
  parts.push_back(text.substr(start));
  return parts;
}

// RFC 4514 escapes: a backslash and two hex digits is that byte (OpenSSL writes every byte of
// a UTF-8 character so), a backslash and any other character is that character.
std::string Unescape(std::string_view value) {
  std::string out;
  for (size_t i = 0; i < value.size(); ++i) {
    if (value[i] == '\\' && i + 1 < value.size()) {
      ++i;
      if (i + 1 < value.size() && util::HexDigitValue(value[i]) >= 0 &&
          util::HexDigitValue(value[i + 1]) >= 0) {
        out.push_back(static_cast<char>(util::HexDigitValue(value[i]) * 16 +
                                        util::HexDigitValue(value[i + 1])));
        ++i;
        continue;
      }
    }
    out.push_back(value[i]);
  }
  return out;
}

const User* FindUser(const AuthConfig& config, std::string_view name) {
  auto it = config.users.find(name);
  return it == config.users.end() ? nullptr : &it->second;
}

// A user whose name, read as a DN, is the subject's DN.
const User* UserByDistinguishedName(const AuthConfig& config, std::string_view subject_text) {
  const DistinguishedName subject = ParseDistinguishedName(subject_text);
  if (subject.empty()) return nullptr;
  // Exact order first, then the same RDNs reordered (nats-server's two passes).
  const User* reordered = nullptr;
  DistinguishedName sorted_subject = subject;
  std::sort(sorted_subject.begin(), sorted_subject.end());
  for (const auto& [name, user] : config.users) {
    DistinguishedName candidate = ParseDistinguishedName(name);
    if (candidate.empty()) continue;
    if (candidate == subject) return &user;
    std::sort(candidate.begin(), candidate.end());
    if (reordered == nullptr && candidate == sorted_subject) reordered = &user;
  }
  return reordered;
}

}  // namespace

DistinguishedName ParseDistinguishedName(std::string_view text) {
  DistinguishedName dn;
  if (TrimSpaces(text).empty()) return dn;
  for (std::string_view rdn_text : SplitUnescaped(text, ',')) {
    Rdn rdn;
    // "CN=alice+UID=7" is one RDN of two attributes; an escaped "\+" is part of a value.
    for (std::string_view attribute : SplitUnescaped(rdn_text, '+')) {
      attribute = TrimSpaces(attribute);
      const size_t equals = attribute.find('=');
      if (equals == std::string_view::npos || equals == 0) return {};
      std::string type(TrimSpaces(attribute.substr(0, equals)));
      absl::AsciiStrToLower(&type);
      rdn.emplace_back(std::move(type), Unescape(TrimSpaces(attribute.substr(equals + 1))));
    }
    std::sort(rdn.begin(), rdn.end());
    dn.push_back(std::move(rdn));
  }
  return dn;
}

const User* UserFromCertificate(const AuthConfig& config, const CertificateIdentity& identity,
                                std::string_view* matched_by) {
  auto found = [&](const User* user, const char* how) {
    if (user != nullptr && matched_by != nullptr) *matched_by = how;
    return user;
  };
  for (const std::string& email : identity.emails) {
    if (const User* user = FindUser(config, email)) return found(user, "email found in cert");
  }
  for (const std::string& name : identity.dns_names) {
    if (const User* user = FindUser(config, name)) return found(user, "SAN found in cert");
  }
  for (const std::string& uri : identity.uris) {
    if (const User* user = FindUser(config, uri)) return found(user, "URI found in cert");
  }
  if (const User* user = UserByDistinguishedName(config, identity.subject)) {
    return found(user, "DistinguishedNameMatch");
  }
  // Then users named as Go prints the subject, with its domain components and without.
  if (!identity.domain_components.empty()) {
    if (const User* user =
            FindUser(config, identity.rdn_sequence + "," + identity.domain_components)) {
      return found(user, "RDNSequence");
    }
  }
  if (identity.rdn_sequence.empty()) return nullptr;
  return found(FindUser(config, identity.rdn_sequence), "certificate subject");
}

}  // namespace ringnats::auth
