// Certificate names printed as Go 1.19's pkix package prints them (nats-server's /connz
// subject and verify_and_map strings). Each expectation follows Go's source: fixed type order,
// the last CN, multi-valued OU, escapes, and `OID=#DER` for types without a name.

#include "ringnats/tls/go_subject.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ringnats::tls {
namespace {

constexpr char kC[] = "2.5.4.6";
constexpr char kO[] = "2.5.4.10";
constexpr char kOU[] = "2.5.4.11";
constexpr char kCN[] = "2.5.4.3";
constexpr char kSerial[] = "2.5.4.5";
constexpr char kEmail[] = "1.2.840.113549.1.9.1";
constexpr char kDC[] = "0.9.2342.19200300.100.1.25";
constexpr char kUid[] = "0.9.2342.19200300.100.1.1";

using Name = std::vector<NameAttribute>;

TEST(GoSubjectTest, KnownTypesPrintLastFirstInGosFixedOrder) {
  const Name name = {{kCN, "alice"}, {kC, "US"}, {kO, "Acme"}, {kOU, "eng"}};
  EXPECT_EQ(GoRdnSequenceString(name), "CN=alice,OU=eng,O=Acme,C=US");
  EXPECT_EQ(GoNameString(name), "CN=alice,OU=eng,O=Acme,C=US");
  EXPECT_EQ(GoDomainComponents(name), "");
}

TEST(GoSubjectTest, SeveralValuesOfATypeAreOneRdnAndOnlyTheLastCommonNameCounts) {
  const Name name = {{kO, "Acme"}, {kOU, "a"}, {kCN, "first"}, {kOU, "b"}, {kCN, "last"}};
  EXPECT_EQ(GoRdnSequenceString(name), "CN=last,OU=a+OU=b,O=Acme");
}

TEST(GoSubjectTest, OtherTypesAreLeftOutOfTheRdnStringAndPrintedAsDerByString) {
  const Name name = {
      {kDC, "test"}, {kDC, "acme"}, {kO, "Acme"}, {kCN, "frank"}, {kEmail, "frank@acme.test"}};
  EXPECT_EQ(GoRdnSequenceString(name), "CN=frank,O=Acme");
  EXPECT_EQ(GoDomainComponents(name), "DC=test,DC=acme");
  // '@' is not a PrintableString character: UTF8String (0x0c); "acme" is: 0x13.
  EXPECT_EQ(GoNameString(name),
            "CN=frank,O=Acme,1.2.840.113549.1.9.1=#0c0f6672616e6b4061636d652e74657374,"
            "0.9.2342.19200300.100.1.25=#130461636d65,"
            "0.9.2342.19200300.100.1.25=#130474657374");
}

TEST(GoSubjectTest, AnEmptyLastCommonNameIsLeftOutAnEmptyOrganizationIsNot) {
  EXPECT_EQ(GoRdnSequenceString({{kCN, "alice"}, {kO, ""}, {kCN, ""}}), "O=");
}

// nats-server's DN of a certificate knows the named types and DC; anything else and there is
// no DN. The RDNs and the attributes within one come last first.
TEST(GoSubjectTest, NatsServerReadsADnOnlyOfTheTypesItKnows) {
  using Dn = std::vector<std::vector<DnAttribute>>;
  EXPECT_EQ(NatsServerDn({{.oid = kDC, .value = "acme", .rdn = 0},
                          {.oid = kO, .value = "Acme", .rdn = 1},
                          {.oid = kCN, .value = "a", .rdn = 2},
                          {.oid = kSerial, .value = "1", .rdn = 2}}),
            (Dn{{{"SERIALNUMBER", "1"}, {"CN", "a"}}, {{"O", "Acme"}}, {{"DC", "acme"}}}));
  EXPECT_EQ(NatsServerDn({}), Dn{});
  EXPECT_EQ(NatsServerDn({{.oid = kO, .value = "Acme", .rdn = 0},
                          {.oid = kCN, .value = "a", .rdn = 1},
                          {.oid = kEmail, .value = "a@acme.test", .rdn = 2}}),
            std::nullopt);
  EXPECT_EQ(NatsServerDn({{kUid, "a"}}), std::nullopt);
}

TEST(GoSubjectTest, SerialNumberIsNamedAndPrintedOnce) {
  const Name name = {{kCN, "x"}, {kSerial, "42"}, {kUid, "u*1"}};
  EXPECT_EQ(GoRdnSequenceString(name), "SERIALNUMBER=42,CN=x");
  // '*' makes a UTF8String too (asn1.Marshal rejects it in a PrintableString).
  EXPECT_EQ(GoNameString(name), "SERIALNUMBER=42,CN=x,0.9.2342.19200300.100.1.1=#0c03752a31");
}

TEST(GoSubjectTest, SpecialCharactersAreEscapedAndUtf8IsNot) {
  EXPECT_EQ(GoRdnSequenceString({{kCN, " a,b+c\"d\\e<f>g;h "}}),
            R"(CN=\ a\,b\+c\"d\\e\<f\>g\;h\ )");
  EXPECT_EQ(GoRdnSequenceString({{kCN, "#one#"}}), "CN=\\#one#");
  EXPECT_EQ(GoRdnSequenceString({{kCN, "Jos\xc3\xa9"}}), "CN=Jos\xc3\xa9");
}

TEST(GoSubjectTest, LongValuesTakeALongFormDerLength) {
  const std::string value(200, 'a');
  const std::string hex = GoNameString({{kUid, value}});
  EXPECT_EQ(hex.substr(0, 33), "0.9.2342.19200300.100.1.1=#1381c8");
  EXPECT_EQ(hex.size(), 27 + 2 * (3 + 200));
}

TEST(GoSubjectTest, InvalidUtf8IsPrintedAsAReplacementCharacter) {
  // asn1.Marshal refuses the string, so Go prints the value with the OID as its type name,
  // ranging over it rune by rune.
  EXPECT_EQ(GoNameString({{kUid, "a\xff"}}), "0.9.2342.19200300.100.1.1=a\xef\xbf\xbd");
  EXPECT_EQ(GoRdnSequenceString({{kCN, "\xc3"}}), "CN=\xef\xbf\xbd");
}

}  // namespace
}  // namespace ringnats::tls
