#include "ringnats/auth/secrets.h"

#include <openssl/sha.h>

#include <string>
#include <string_view>

#include "gtest/gtest.h"

namespace ringnats::auth {
namespace {

using namespace std::string_view_literals;

struct BcryptShapeCase {
  std::string_view stored;
  bool bcrypt;
};

class IsBcryptHashTest : public testing::TestWithParam<BcryptShapeCase> {};

TEST_P(IsBcryptHashTest, MatchesNatsServersPrefixRule) {
  EXPECT_EQ(IsBcryptHash(GetParam().stored), GetParam().bcrypt) << GetParam().stored;
}

INSTANTIATE_TEST_SUITE_P(
    Table, IsBcryptHashTest,
    testing::Values(
        // ^\$2[abxy]\$\d{2}\$ : the four variants, any two digits, nothing checked after.
        BcryptShapeCase{"$2a$04$P/.bd.7unw9Ew7yWJqXsl.f4oNRLQGvadEL2YnqQXbbb.IVQajRdK", true},
        BcryptShapeCase{"$2b$05$GBP8iNREh1wbqD2Qr3rccuReFcdVHwQfa9YKhlSz1.717lB5kgFGu", true},
        BcryptShapeCase{"$2x$04$0eBvV6BF.vG6rNXyaLx2NOz5zO9x8az5GNihowXnPATutBprSlO6i", true},
        BcryptShapeCase{"$2y$04$0eBvV6BF.vG6rNXyaLx2NOz5zO9x8az5GNihowXnPATutBprSlO6i", true},
        BcryptShapeCase{"$2a$11$whatever", true}, BcryptShapeCase{"$2a$00$", true},
        BcryptShapeCase{"$2y$99$", true},
        // Not hashes: compared as plain text.
        BcryptShapeCase{"", false}, BcryptShapeCase{"$", false}, BcryptShapeCase{"$2a$", false},
        BcryptShapeCase{"$2a$04", false}, BcryptShapeCase{"$2a$4$abc", false},
        BcryptShapeCase{"$2a$123$", false}, BcryptShapeCase{"$2a$0a$", false},
        BcryptShapeCase{"$2a04$abc", false}, BcryptShapeCase{"$2c$04$abc", false},
        BcryptShapeCase{"$2A$04$abc", false}, BcryptShapeCase{"$2$04$abc", false},
        BcryptShapeCase{"$3a$04$abc", false}, BcryptShapeCase{"2a$04$abc", false},
        BcryptShapeCase{" $2a$04$abc", false}, BcryptShapeCase{"$2a$\xd9\xa0\xd9\xa4$", false},
        BcryptShapeCase{"$6$saltsalt$TVLlQcbpFVof5W3Yz4DTP6gRstiNuHwwTt6GLc1E5n0U0aDehy0S5k",
                        false},
        BcryptShapeCase{"$1$saltsalt$9xy1btjgzLYfb7hivXtC//", false},
        BcryptShapeCase{"s3cr3t", false}, BcryptShapeCase{"$2a\0$04$"sv, false}));

TEST(SecretsEqualTest, EqualOnlyForIdenticalBytes) {
  EXPECT_TRUE(SecretsEqual("s3cr3t", "s3cr3t"));
  EXPECT_TRUE(SecretsEqual("", ""));
  EXPECT_FALSE(SecretsEqual("s3cr3t", "s3cr3T"));
  EXPECT_FALSE(SecretsEqual("s3cr3t", "s3cr3"));
  EXPECT_FALSE(SecretsEqual("s3cr3", "s3cr3t"));
  EXPECT_FALSE(SecretsEqual("s3cr3t", ""));
  EXPECT_FALSE(SecretsEqual("", "s3cr3t"));
  EXPECT_FALSE(SecretsEqual("S3CR3T", "s3cr3t"));
}

TEST(SecretsEqualTest, NulBytesAreOrdinaryBytes) {
  EXPECT_TRUE(SecretsEqual("a\0b"sv, "a\0b"sv));
  EXPECT_FALSE(SecretsEqual("a\0b"sv, "a\0c"sv));
  EXPECT_FALSE(SecretsEqual("a"sv, "a\0"sv));
  EXPECT_FALSE(SecretsEqual("\0"sv, ""sv));
}

TEST(SecretsEqualTest, LongSecretsDifferingInTheLastByte) {
  std::string stored(10'000, 'x');
  std::string presented = stored;
  EXPECT_TRUE(SecretsEqual(stored, presented));
  presented.back() = 'y';
  EXPECT_FALSE(SecretsEqual(stored, presented));
}

TEST(KeyedDigestTest, StableWithinTheProcessAndDistinctPerInput) {
  EXPECT_EQ(KeyedDigest("alice"), KeyedDigest("alice"));
  EXPECT_NE(KeyedDigest("alice"), KeyedDigest("alicE"));
  EXPECT_NE(KeyedDigest("a"), KeyedDigest("a\0"sv));
  EXPECT_NE(KeyedDigest(""), KeyedDigest("\0"sv));
}

TEST(KeyedDigestTest, IsKeyedNotAPlainHash) {
  // Someone who knows the text but not the process key cannot recompute the digest.
  const std::string_view text = "password";
  Digest plain;
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), plain.data());
  EXPECT_NE(KeyedDigest(text), plain);
  Digest empty_plain;
  SHA256(nullptr, 0, empty_plain.data());
  EXPECT_NE(KeyedDigest(""), empty_plain);
}

}  // namespace
}  // namespace ringnats::auth
