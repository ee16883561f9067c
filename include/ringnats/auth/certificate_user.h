#pragma once
// verify_and_map: the configured user a client certificate names, looked up as nats-server
// 2.9 does: each email address, then each DNS name, then each URI of the certificate as a
// user name; then a user whose name, read as a distinguished name, equals the certificate's
// subject (attribute types case-insensitive), or has the same RDNs in another order; then a
// user named exactly as Go prints the subject with its domain components appended, and as Go
// prints it alone (CertificateIdentity::rdn_sequence: this is how a subject that also holds
// an emailAddress or UID still maps to "CN=alice,O=Acme").
//
// Pure functions over an immutable AuthConfig snapshot: any thread.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ringnats/auth/auth_config.h"
#include "ringnats/auth/certificate_identity.h"

namespace ringnats::auth {

// Fills config.users_by_dn and config.users_by_reordered_dn from config.users, which the DN
// step of UserFromCertificate looks in. Call once the users are final.
void IndexUsersByDistinguishedName(AuthConfig& config);

// Null when no user matches. `matched_by` (optional) says which part of the certificate
// matched, as nats-server's debug line words it ("email found in cert", "SAN found in cert",
// "URI found in cert", "DistinguishedNameMatch", "RDNSequence", "certificate subject").
const User* UserFromCertificate(const AuthConfig& config, const CertificateIdentity& identity,
                                std::string_view* matched_by = nullptr);

// A user name read as a DN, as nats-server's DN parser (internal/ldap ParseDN) reads it, in
// CanonicalDn form; empty when it is not one. Values are unescaped ("\,", and "\C3\A9" for
// the bytes of "é"); an escape must be a special character or two hex digits; a value may not
// start with '#'; every '=' ends a type ("CN=a=b" is type "a"); spaces around types and
// values do not count; an attribute left empty at the very end drops its whole RDN.
// Exposed for tests.
DistinguishedName ParseDistinguishedName(std::string_view text);

}  // namespace ringnats::auth
