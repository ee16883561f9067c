#pragma once
// A certificate name printed as nats-server prints it, through Go 1.19's crypto/x509/pkix:
// the subject /connz shows (pkix.Name.String()) and the strings verify_and_map looks a user
// up by (Name.ToRDNSequence().String(), with the domain components nats-server appends).
//
// OpenSSL's RFC 2253 printing is not that: it keeps every attribute in the certificate's
// order and writes UTF-8 as \XX escapes. Go keeps C, ST, L, STREET, POSTALCODE, O, OU, CN and
// SERIALNUMBER only, in that fixed order (the last CN and SERIALNUMBER; every value of the
// others, several values of one type as one multi-valued RDN), prints the string as it is,
// and String() adds every other attribute (emailAddress, DC, UID...) as its dotted OID and
// the hex of the value's DER.
//
// Pure functions over values: any thread.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ringnats::tls {

// One attribute of a certificate name, in the certificate's order. Go's parsed Name keeps the
// attributes as a flat list; nats-server's DN match (NatsServerDn) needs the RDN grouping.
struct NameAttribute {
  std::string oid;    // dotted: "2.5.4.3" for CN
  std::string value;  // as Go decodes it: the string's bytes, a BMPString turned into UTF-8
  int rdn = 0;        // which RDN of the name (OpenSSL's X509_NAME_ENTRY_set)
};

// pkix.Name.String() of the certificate's name: "CN=alice,O=Acme,1.2.840.113549.1.9.1=#0c...".
std::string GoNameString(const std::vector<NameAttribute>& name);

// pkix.Name.ToRDNSequence().String(): "CN=alice,OU=a+OU=b,O=Acme" (no other attributes).
std::string GoRdnSequenceString(const std::vector<NameAttribute>& name);

// The name as nats-server reads it for its DN match (internal/ldap FromRawCertSubject): the
// RDNs last first, each RDN's attributes last first, as (type, value) with the types by the
// short names it knows: C, ST, L, STREET, POSTALCODE, O, OU, CN, SERIALNUMBER and DC. Nullopt
// when an attribute has any other type: an emailAddress or UID in the subject means no DN
// match at all, only the look-ups by the strings above.
using DnAttribute = std::pair<std::string, std::string>;
std::optional<std::vector<std::vector<DnAttribute>>> NatsServerDn(
    const std::vector<NameAttribute>& name);

// The domain components as nats-server appends them to the string above, in the
// certificate's order and unescaped: "DC=example,DC=com"; empty when there are none.
std::string GoDomainComponents(const std::vector<NameAttribute>& name);

}  // namespace ringnats::tls
