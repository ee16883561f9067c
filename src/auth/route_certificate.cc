#include "ringnats/auth/route_certificate.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"

namespace ringnats::auth {

bool DnsNameMatchesHost(std::string_view dns_name, std::string_view host) {
  const std::vector<std::string> name_labels = absl::StrSplit(
      absl::AsciiStrToLower(absl::string_view(dns_name.data(), dns_name.size())), '.');
  const std::vector<std::string> host_labels =
      absl::StrSplit(absl::AsciiStrToLower(absl::string_view(host.data(), host.size())), '.');
  if (name_labels.size() != host_labels.size()) return false;
  for (size_t i = name_labels[0] == "*" ? 1 : 0; i < name_labels.size(); ++i) {
    if (name_labels[i] != host_labels[i]) return false;
  }
  return true;
}

bool RouteCertificateAccepted(const RouteCertificateRule& rule,
                              const CertificateIdentity* certificate,
                              std::string_view* matched_by) {
  if (certificate == nullptr || NamesNoUser(*certificate)) return false;
  // nats-server's callback: an empty name never matches; a DNS name may match a known URL.
  const auto accepts = [&rule](const std::string& name, bool dns_name) {
    if (name.empty()) return false;
    if (rule.check_known_urls && dns_name) {
      for (const std::string& host : rule.known_hosts) {
        if (DnsNameMatchesHost(name, host)) return true;
      }
    }
    return rule.map_user && name == rule.user;
  };
  const auto found = [matched_by](std::string_view how) {
    if (matched_by != nullptr) *matched_by = how;
    return true;
  };
  for (const std::string& email : certificate->emails) {
    if (accepts(email, false)) return found("email found in cert");
  }
  for (const std::string& dns_name : certificate->dns_names) {
    if (accepts(dns_name, true)) return found("SAN found in cert");
  }
  for (const std::string& uri : certificate->uris) {
    if (accepts(uri, false)) return found("URI found in cert");
  }
  for (const SubjectName& subject : GoSubjectNames(*certificate)) {
    if (accepts(subject.name, false)) return found(subject.matched_by);
  }
  return false;
}

}  // namespace ringnats::auth
