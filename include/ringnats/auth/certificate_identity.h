#pragma once
// What a verified peer certificate says about its holder: the names verify_and_map looks up
// (certificate_user.h for clients, route_certificate.h for routes).

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ringnats::auth {

// One RDN of a distinguished name as nats-server's DN match compares it: its (lower-case
// attribute type, value) pairs, sorted, since a multi-valued RDN ("CN=alice+UID=7") is a set.
using Rdn = std::vector<std::pair<std::string, std::string>>;
using DistinguishedName = std::vector<Rdn>;

// `dn` with its types in lower case and each RDN sorted: the form the DN match compares.
DistinguishedName CanonicalDn(DistinguishedName dn);

struct CertificateIdentity {
  std::vector<std::string> emails;
  std::vector<std::string> dns_names;
  std::vector<std::string> uris;
  // The subject as nats-server reads it for its DN match (tls::NatsServerDn), in CanonicalDn
  // form; empty when it cannot read it as a DN.
  DistinguishedName subject;
  // The subject as nats-server's literal look-ups print it (tls/go_subject.h): Go's
  // RDNSequence string ("CN=alice,OU=eng,O=Acme", no emailAddress, DC or UID) and the domain
  // components it appends when there are any ("DC=acme,DC=test").
  std::string rdn_sequence;
  std::string domain_components;
  // Go's pkix.Name.String() of the subject, as /connz prints it. Empty when Go sees no
  // subject attribute (none, or only an empty CN).
  std::string name_string;
};

// nats-server looks at nothing else, not even the DNS names, when a certificate has no email,
// no URI and a subject Go prints as empty ("User required in cert, none found").
bool NamesNoUser(const CertificateIdentity& identity);

// The names nats-server looks up literally after the DN match, in its order: Go's RDN string
// with the domain components appended (when there are any), then without. Each with the words
// of nats-server's debug line ("RDNSequence", "certificate subject"). No empty names.
struct SubjectName {
  std::string name;
  std::string_view matched_by;
};
std::vector<SubjectName> GoSubjectNames(const CertificateIdentity& identity);

}  // namespace ringnats::auth
