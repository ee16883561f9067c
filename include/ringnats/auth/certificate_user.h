#pragma once
// verify_and_map: the configured user a client certificate names, looked up as nats-server
// 2.9 does: each email address, then each DNS name, then each URI of the certificate as a
// user name; then a user whose name, read as a distinguished name, equals the certificate's
// subject (attribute types case-insensitive), or has the same RDNs in another order.
//
// Pure functions over an immutable AuthConfig snapshot: any thread.

#include <string>
#include <string_view>
#include <vector>

#include "ringnats/auth/auth_config.h"
#include "ringnats/auth/certificate_identity.h"

namespace ringnats::auth {

// Null when no user matches. `matched_by` (optional) says which part of the certificate
// matched, as nats-server's debug line words it ("email found in cert", "SAN found in cert",
// "URI found in cert", "DistinguishedNameMatch").
const User* UserFromCertificate(const AuthConfig& config, const CertificateIdentity& identity,
                                std::string_view* matched_by = nullptr);

// A distinguished name as (lower-case attribute type, value) pairs in written order;
// an empty list when `text` is not a DN. Exposed for tests.
std::vector<std::pair<std::string, std::string>> ParseDistinguishedName(std::string_view text);

}  // namespace ringnats::auth
