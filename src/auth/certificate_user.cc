#include "ringnats/auth/certificate_user.h"

#include <algorithm>
#include <utility>

#include "ringnats/util/hex_digit.h"

namespace ringnats::auth {
namespace {

// RFC 4514's characters that an escape gives as themselves; any other escape is two hex
// digits.
bool EscapesAsItself(char c) {
  switch (c) {
    case ' ':
    case '"':
    case '#':
    case '+':
    case ',':
    case ';':
    case '<':
    case '=':
    case '>':
    case '\\': return true;
    default: return false;
  }
}

const User* FindUser(const AuthConfig& config, std::string_view name) {
  auto it = config.users.find(name);
  return it == config.users.end() ? nullptr : &it->second;
}

// A user whose name, read as a DN, is the subject's DN.
const User* UserByDistinguishedName(const AuthConfig& config, const DistinguishedName& subject) {
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
  Rdn rdn;
  std::string type;
  std::string buffer;
  size_t trailing_spaces = 0;  // unescaped spaces at the end of `buffer`
  const auto take = [&] {
    std::string taken = buffer.substr(0, buffer.size() - trailing_spaces);
    buffer.clear();
    trailing_spaces = 0;
    return taken;
  };
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\\') {
      trailing_spaces = 0;
      if (++i == text.size()) break;  // a lone backslash at the end is dropped
      if (EscapesAsItself(text[i])) {
        buffer.push_back(text[i]);
        continue;
      }
      if (i + 1 == text.size()) return {};
      const int high = util::HexDigitValue(text[i]);
      const int low = util::HexDigitValue(text[i + 1]);
      if (high < 0 || low < 0) return {};
      buffer.push_back(static_cast<char>(high * 16 + low));
      ++i;
    } else if (c == '=') {
      type = take();
      // A '#' value is BER, which nats-server's parser refuses.
      if (i + 1 < text.size() && text[i + 1] == '#') return {};
    } else if (c == ',' || c == '+') {
      if (type.empty()) return {};
      rdn.emplace_back(std::move(type), take());
      type.clear();
      if (c == ',') dn.push_back(std::exchange(rdn, {}));
    } else if (c == ' ' && buffer.empty()) {
      continue;  // leading spaces do not count
    } else {
      trailing_spaces = c == ' ' ? trailing_spaces + 1 : 0;
      buffer.push_back(c);
    }
  }
  // What is still open counts only when its value is not empty.
  if (!buffer.empty()) {
    if (type.empty()) return {};
    rdn.emplace_back(std::move(type), take());
    dn.push_back(std::move(rdn));
  }
  return CanonicalDn(std::move(dn));
}

const User* UserFromCertificate(const AuthConfig& config, const CertificateIdentity& identity,
                                std::string_view* matched_by) {
  auto found = [&](const User* user, std::string_view how) {
    if (user != nullptr && matched_by != nullptr) *matched_by = how;
    return user;
  };
  if (NamesNoUser(identity)) return nullptr;
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
  for (const SubjectName& subject : GoSubjectNames(identity)) {
    if (const User* user = FindUser(config, subject.name)) return found(user, subject.matched_by);
  }
  return nullptr;
}

}  // namespace ringnats::auth
