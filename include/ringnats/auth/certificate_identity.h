#pragma once
// What a verified peer certificate says about its holder: the names verify_and_map looks up
// (certificate_user.h for clients, route_certificate.h for routes).

#include <string>
#include <vector>

namespace ringnats::auth {

struct CertificateIdentity {
  std::vector<std::string> emails;
  std::vector<std::string> dns_names;
  std::vector<std::string> uris;
  // RFC 2253 as OpenSSL prints it, "CN=alice,OU=eng,O=Acme", for the DN match; empty when
  // nats-server could not read the subject as a DN (tls::NatsServerReadsAsDn).
  std::string subject;
  // The subject as nats-server's literal look-ups print it (tls/go_subject.h): Go's
  // RDNSequence string ("CN=alice,OU=eng,O=Acme", no emailAddress, DC or UID) and the domain
  // components it appends when there are any ("DC=acme,DC=test").
  std::string rdn_sequence;
  std::string domain_components;
};

}  // namespace ringnats::auth
