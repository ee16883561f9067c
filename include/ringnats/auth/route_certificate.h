#pragma once
// Routes authorised by their certificate (`cluster { tls { verify_and_map } }` and
// `verify_cert_and_check_known_urls`), as nats-server 2.9 authorises them: the peer's
// certificate names, in this order, each email address, each DNS name and each URI, then its
// subject as Go prints it with its domain components appended and without them
// (CertificateIdentity::rdn_sequence); a route passes when one of them equals the cluster
// `authorization` user
// (verify_and_map), or when one of its DNS names matches the host of a configured route URL
// (check_known_urls; RFC 6125 labels, `*` only as the whole left-most label). Nothing else
// is checked then, not even the password, and without a cluster user verify_and_map admits
// no route at all (nats-server's rule).
//
// Pure functions over an immutable snapshot: any thread.

#include <string>
#include <string_view>
#include <vector>

#include "ringnats/auth/certificate_identity.h"

namespace ringnats::auth {

struct RouteCertificateRule {
  bool map_user = false;                 // verify_and_map
  bool check_known_urls = false;         // verify_cert_and_check_known_urls
  std::string user;                      // the cluster `authorization` user
  std::vector<std::string> known_hosts;  // hosts of the configured route URLs
  bool enabled() const { return map_user || check_known_urls; }
};

// True when `certificate` (null: the peer sent none) authorises the route. `matched_by`
// (optional) says what matched, as nats-server's debug line words it.
bool RouteCertificateAccepted(const RouteCertificateRule& rule,
                              const CertificateIdentity* certificate,
                              std::string_view* matched_by = nullptr);

// A certificate DNS name against a URL host, case-insensitively by labels (`*.b.c` matches
// `a.b.c`, not `b.c` or `x.a.b.c`). Exposed for tests.
bool DnsNameMatchesHost(std::string_view dns_name, std::string_view host);

}  // namespace ringnats::auth
