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
  std::string subject;  // RFC 2253: "CN=alice,OU=eng,O=Acme"
};

}  // namespace ringnats::auth
