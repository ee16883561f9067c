#include "ringnats/tls/go_subject.h"

#include <array>
#include <cstdint>
#include <iterator>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_join.h"
#include "ringnats/util/utf8.h"

namespace ringnats::tls {
namespace {

constexpr std::string_view kCommonName = "2.5.4.3";
constexpr std::string_view kSerialNumber = "2.5.4.5";
constexpr std::string_view kDomainComponent = "0.9.2342.19200300.100.1.25";

// Go's attributeTypeNames; ToRDNSequence emits the types in this order.
struct NamedType {
  std::string_view oid;
  std::string_view name;
};
constexpr std::array<NamedType, 9> kNamedTypes = {{
    {"2.5.4.6", "C"},
    {"2.5.4.8", "ST"},
    {"2.5.4.7", "L"},
    {"2.5.4.9", "STREET"},
    {"2.5.4.17", "POSTALCODE"},
    {"2.5.4.10", "O"},
    {"2.5.4.11", "OU"},
    {kCommonName, "CN"},
    {kSerialNumber, "SERIALNUMBER"},
}};

std::string_view TypeName(std::string_view oid) {
  for (const NamedType& type : kNamedTypes) {
    if (type.oid == oid) return type.name;
  }
  return {};
}

struct TypeAndValue {
  std::string_view oid;
  std::string_view value;
};
using Rdn = std::vector<TypeAndValue>;

bool ValidUtf8(std::string_view text) {
  uint32_t rune = 0;
  for (size_t at = 0, length = 0; at < text.size(); at += length) {
    length = util::DecodeUtf8(text, at, &rune);
    if (length == 0) return false;
  }
  return true;
}

// encoding/asn1's isPrintable as Marshal calls it: '*' and '&' make a UTF8String.
bool PrintableStringByte(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         (c >= '\'' && c <= ')') || (c >= '+' && c <= '/') || c == ' ' || c == ':' || c == '=' ||
         c == '?';
}

// asn1.Marshal of a Go string: a PrintableString when every byte may be in one, otherwise
// a UTF8String; DER length in the fewest bytes.
std::string MarshalString(std::string_view value) {
  bool printable = true;
  for (char c : value) printable = printable && PrintableStringByte(static_cast<unsigned char>(c));
  std::string der(1, static_cast<char>(printable ? 0x13 : 0x0c));
  if (value.size() < 0x80) {
    der.push_back(static_cast<char>(value.size()));
  } else {
    std::string length;
    for (size_t n = value.size(); n > 0; n >>= 8) {
      length.insert(length.begin(), static_cast<char>(n & 0xff));
    }
    der.push_back(static_cast<char>(0x80 | length.size()));
    der += length;
  }
  der += value;
  return der;
}

// RDNSequence.String()'s escaping, rune by rune as Go ranges over the string.
void AppendEscaped(std::string* out, std::string_view value) {
  for (size_t at = 0; at < value.size();) {
    uint32_t rune = 0;
    const size_t length = util::DecodeUtf8(value, at, &rune);
    if (length == 0) {
      out->append("\xef\xbf\xbd");  // string([]rune) writes U+FFFD for an invalid byte
      ++at;
      continue;
    }
    bool escape = false;
    switch (rune) {
      case ',':
      case '+':
      case '"':
      case '\\':
      case '<':
      case '>':
      case ';': escape = true; break;
      case ' ': escape = at == 0 || at == value.size() - 1; break;
      case '#': escape = at == 0; break;
      default: break;
    }
    if (escape) out->push_back('\\');
    out->append(value.substr(at, length));
    at += length;
  }
}

// RDNSequence.String(): the last RDN first.
std::string SequenceString(const std::vector<Rdn>& rdns) {
  std::string text;
  for (size_t i = 0; i < rdns.size(); ++i) {
    if (i > 0) text.push_back(',');
    const Rdn& rdn = rdns[rdns.size() - 1 - i];
    for (size_t j = 0; j < rdn.size(); ++j) {
      if (j > 0) text.push_back('+');
      std::string_view type = TypeName(rdn[j].oid);
      if (type.empty()) {
        if (ValidUtf8(rdn[j].value)) {
          text.append(rdn[j].oid)
              .append("=#")
              .append(absl::BytesToHexString(MarshalString(rdn[j].value)));
          continue;
        }
        type = rdn[j].oid;  // asn1.Marshal refused it: printed as a value instead
      }
      text.append(type).push_back('=');
      AppendEscaped(&text, rdn[j].value);
    }
  }
  return text;
}

// Name.ToRDNSequence() of the name x509.ParseCertificate fills.
std::vector<Rdn> ToRdnSequence(const std::vector<NameAttribute>& name) {
  std::vector<Rdn> rdns;
  for (const NamedType& type : kNamedTypes) {
    Rdn rdn;
    const bool last_only = type.oid == kCommonName || type.oid == kSerialNumber;
    for (const NameAttribute& attribute : name) {
      if (attribute.oid != type.oid) continue;
      // Name keeps the last CN and SERIALNUMBER, every value of the other types.
      if (last_only) rdn.clear();
      rdn.push_back({attribute.oid, attribute.value});
    }
    // ToRDNSequence leaves out an empty CN or SERIALNUMBER (an empty O is printed).
    if (last_only && !rdn.empty() && rdn.front().value.empty()) rdn.clear();
    if (!rdn.empty()) rdns.push_back(std::move(rdn));
  }
  return rdns;
}

}  // namespace

std::string GoNameString(const std::vector<NameAttribute>& name) {
  // Attributes without a field of their own come first, so they print last.
  std::vector<Rdn> rdns;
  for (const NameAttribute& attribute : name) {
    if (TypeName(attribute.oid).empty()) rdns.push_back({{attribute.oid, attribute.value}});
  }
  for (Rdn& rdn : ToRdnSequence(name)) rdns.push_back(std::move(rdn));
  return SequenceString(rdns);
}

std::string GoRdnSequenceString(const std::vector<NameAttribute>& name) {
  return SequenceString(ToRdnSequence(name));
}

std::optional<std::vector<std::vector<DnAttribute>>> NatsServerDn(
    const std::vector<NameAttribute>& name) {
  std::vector<std::vector<DnAttribute>> dn;
  for (auto attribute = name.rbegin(); attribute != name.rend(); ++attribute) {
    std::string_view type =
        attribute->oid == kDomainComponent ? std::string_view("DC") : TypeName(attribute->oid);
    if (type.empty()) return std::nullopt;
    if (attribute == name.rbegin() || attribute->rdn != std::prev(attribute)->rdn)
      dn.emplace_back();
    dn.back().emplace_back(std::string(type), attribute->value);
  }
  return dn;
}

std::string GoDomainComponents(const std::vector<NameAttribute>& name) {
  std::vector<std::string> values;
  for (const NameAttribute& attribute : name) {
    if (attribute.oid == kDomainComponent) values.push_back(attribute.value);
  }
  if (values.empty()) return "";
  return "DC=" + absl::StrJoin(values, ",DC=");
}

}  // namespace ringnats::tls
