#include "ringnats/auth/certificate_user.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
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

// A DN as a map key: every type and value with its length before it, so no two DNs share
// a key whatever their values hold.
std::string DnKey(const DistinguishedName& dn) {
  std::string key;
  for (const Rdn& rdn : dn) {
    for (const auto& [type, value] : rdn) {
      absl::StrAppend(&key, type.size(), ":", type, value.size(), ":", value);
    }
    key.push_back('/');
  }
  return key;
}

DistinguishedName Reordered(DistinguishedName dn) {
  std::sort(dn.begin(), dn.end());
  return dn;
}

const User* UserNamedIn(const AuthConfig& config, const StringMap<std::string>& index,
                        const std::string& key) {
  auto it = index.find(key);
  return it == index.end() ? nullptr : FindUser(config, it->second);
}

// A user whose name, read as a DN, is the subject's DN: in the same order first, then with
// the same RDNs in another order (nats-server's two passes).
const User* UserByDistinguishedName(const AuthConfig& config, const DistinguishedName& subject) {
  if (subject.empty()) return nullptr;
  if (const User* user = UserNamedIn(config, config.users_by_dn, DnKey(subject))) return user;
  return UserNamedIn(config, config.users_by_reordered_dn, DnKey(Reordered(subject)));
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

void IndexUsersByDistinguishedName(AuthConfig& config) {
  config.users_by_dn.clear();
  config.users_by_reordered_dn.clear();
  for (const auto& [name, user] : config.users) {
    DistinguishedName dn = ParseDistinguishedName(name);
    if (dn.empty()) continue;
    // Two names for one DN ("CN=a,O=b" and "cn=a, o=b"): either may answer, as the
    // order nats-server walks its users in is a map's.
    config.users_by_dn.try_emplace(DnKey(dn), name);
    config.users_by_reordered_dn.try_emplace(DnKey(Reordered(std::move(dn))), name);
  }
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
