#include "ringnats/auth/certificate_identity.h"

#include <algorithm>

#include "absl/strings/ascii.h"

namespace ringnats::auth {

DistinguishedName CanonicalDn(DistinguishedName dn) {
  for (Rdn& rdn : dn) {
    for (auto& [type, value] : rdn) absl::AsciiStrToLower(&type);
    std::sort(rdn.begin(), rdn.end());
  }
  return dn;
}

bool NamesNoUser(const CertificateIdentity& identity) {
  return identity.emails.empty() && identity.uris.empty() && identity.name_string.empty();
}

std::vector<SubjectName> GoSubjectNames(const CertificateIdentity& identity) {
  std::vector<SubjectName> names;
  if (!identity.domain_components.empty()) {
    names.push_back({identity.rdn_sequence + "," + identity.domain_components, "RDNSequence"});
  }
  // An empty name matches nothing in nats-server's look-ups.
  if (!identity.rdn_sequence.empty()) {
    names.push_back({identity.rdn_sequence, "certificate subject"});
  }
  return names;
}

}  // namespace ringnats::auth
