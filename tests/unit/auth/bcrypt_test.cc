#include "ringnats/auth/bcrypt.h"

#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "ringnats/auth/secrets.h"

namespace ringnats::auth {
namespace {

using namespace std::string_view_literals;

// Hashes made by other bcrypt implementations, with their plain texts.
struct Fixture {
  std::string_view origin;
  std::string_view hash;
  std::string_view plain;
};

constexpr Fixture kFixtures[] = {
    // nats-server's test/configs/authorization.conf ("Just foo for testing"); Go bcrypt.
    {"nats authorization.conf", "$2a$04$P/.bd.7unw9Ew7yWJqXsl.f4oNRLQGvadEL2YnqQXbbb.IVQajRdK",
     "foo"},
    // nats-server's test/auth_test.go, made with `nats server passwd`.
    {"nats BCRYPT_AUTH_HASH", "$2a$04$Q.CgCP2Sl9pkcTXEZHazaeMwPaAkSHk7AI51HkyMt5iJQQyUA4qxq",
     "IW@$6v(y1(t@fhPDvf!5^%"},
    {"nats BCRYPT_AUTH_TOKEN_HASH", "$2a$04$u5ZClXpcjHgpfc61Ee0VKuwI1K3vTC4zq7SjphjnlHMeb1Llkb5Y6",
     "0uhJOSr3GW7xvHvtd^K6pa"},
    {"nats client_auth_test testToken",
     "$2a$05$3sSWEVA1eMCbV0hWavDjXOx.ClBjI6u1CuUdLqf22cbJjXsnzz8/.", "test"},
    // `mkpasswd -m bcrypt -R 5` (Debian whois package: libxcrypt, $2b$).
    {"mkpasswd $2b$", "$2b$05$bO33kwQDwMfSpRYgXWcddeYdnljN15J80vgjWmswmZtrBbljns/DC", "secret"},
    {"mkpasswd $2b$", "$2b$05$GBP8iNREh1wbqD2Qr3rccuReFcdVHwQfa9YKhlSz1.717lB5kgFGu",
     "correct horse battery staple"},
    {"mkpasswd $2b$ utf-8", "$2b$05$XjNBSZ8DSLDxHGRNg8g8fOmvQiSwYQHulYSUvn/FcnHmnh16XdrLC",
     "p@$$w0rd!\xc3\xbc\xc3\xb1"},
    {"mkpasswd $2b$ empty", "$2b$05$WZ8/MzeJcVwNW1gVNtj/L.WxeDD/k/u.JmJ0rM12Iqn1VMcB7.4oa", ""},
    // `mkpasswd -m bcrypt-a -R 5`.
    {"mkpasswd $2a$", "$2a$05$PeKVhg6RpBUo4/YIIpe1weETWnrWFyvqszNCklnUDEoiABLTq7ptm", "secret"},
    {"mkpasswd $2a$ utf-8", "$2a$05$ZnF2sSRY15OQrRoF8iFsqeTlBxHv34H9fuaq58s0VmkLcJPRxDXYi",
     "p@$$w0rd!\xc3\xbc\xc3\xb1"},
    // `htpasswd -bnBC 4 u PASSWORD` (apache2-utils, $2y$).
    {"htpasswd $2y$", "$2y$04$lEfASQQWdCq/dhN1HHok1eou86BDx5DwEUhSN.jObpFOf6yJmk4gK", "secret"},
    {"htpasswd $2y$", "$2y$04$hDKF4MXuiF7l3GX5r8WO5eVbGLN0/6Qh9nGmhmcgM9halbZZRLbcq",
     "correct horse battery staple"},
    {"htpasswd $2y$ utf-8", "$2y$04$UnCv6dr3X9epbZUerD5jwul0S.v7w4JbLL4Jw0VSZwUw6AS9qxrC6",
     "p@$$w0rd!\xc3\xbc\xc3\xb1"},
    {"htpasswd $2y$ empty", "$2y$04$CrR/2MEgsNfP/Y1yzoTGJuWsD03EQlIfHpmnF2R4AP.wAbqGQ2OJS", ""},
    // An htpasswd hash relabelled $2x$: for ASCII passwords $2x$ computes what $2a$ does.
    {"$2x$ ascii", "$2x$04$0eBvV6BF.vG6rNXyaLx2NOz5zO9x8az5GNihowXnPATutBprSlO6i", "secret"},
    // `mkpasswd -m bcrypt -R 5` of 72 'A's: bcrypt reads no further than 72 bytes.
    {"mkpasswd 72 bytes", "$2b$05$ouknlDzeka3XQ9O6Y2o.HuPMXEcLaZ1FkbWqO/.sW9FYnmnTUHRyS",
     "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"},
};

class BcryptFixtureTest : public testing::TestWithParam<Fixture> {
 protected:
  BcryptHasher hasher_;
};

TEST_P(BcryptFixtureTest, VerifiesTheRightPassword) {
  const Fixture& f = GetParam();
  ASSERT_TRUE(IsBcryptHash(f.hash)) << f.origin;
  EXPECT_TRUE(hasher_.Verify(f.hash, f.plain)) << f.origin;
}

TEST_P(BcryptFixtureTest, RejectsWrongPasswords) {
  const Fixture& f = GetParam();
  // Past 72 bytes an extra character is not seen (see SeventyTwoBytesIsAllBcryptReads).
  if (f.plain.size() < 72) {
    EXPECT_FALSE(hasher_.Verify(f.hash, std::string(f.plain) + "x")) << f.origin;
  }
  EXPECT_FALSE(hasher_.Verify(f.hash, "x" + std::string(f.plain))) << f.origin;
  if (!f.plain.empty()) {
    std::string changed(f.plain);
    changed.back() ^= 0x01;
    EXPECT_FALSE(hasher_.Verify(f.hash, changed)) << f.origin;
    EXPECT_FALSE(hasher_.Verify(f.hash, "")) << f.origin;
    EXPECT_FALSE(hasher_.Verify(f.hash, f.plain.substr(0, f.plain.size() - 1))) << f.origin;
  }
  // Sending the hash itself must not work (nats-server's TestBadBcryptPassword).
  EXPECT_FALSE(hasher_.Verify(f.hash, f.hash)) << f.origin;
}

TEST_P(BcryptFixtureTest, RejectsASecretWithANulByte) {
  // crypt would stop at the NUL and see only the right password.
  const Fixture& f = GetParam();
  std::string with_nul(f.plain);
  with_nul.push_back('\0');
  EXPECT_FALSE(hasher_.Verify(f.hash, with_nul)) << f.origin;
  with_nul += "tail";
  EXPECT_FALSE(hasher_.Verify(f.hash, with_nul)) << f.origin;
}

TEST_P(BcryptFixtureTest, RejectsADamagedHash) {
  const Fixture& f = GetParam();
  std::string damaged(f.hash);
  damaged.back() = damaged.back() == 'a' ? 'b' : 'a';
  EXPECT_FALSE(hasher_.Verify(damaged, f.plain)) << f.origin;
  EXPECT_FALSE(hasher_.Verify(f.hash.substr(0, f.hash.size() - 1), f.plain)) << f.origin;
  EXPECT_FALSE(hasher_.Verify(std::string(f.hash) + "x", f.plain)) << f.origin;
  EXPECT_FALSE(hasher_.Verify(f.hash.substr(0, 29), f.plain)) << f.origin;  // setting only
}

INSTANTIATE_TEST_SUITE_P(OtherTools, BcryptFixtureTest, testing::ValuesIn(kFixtures));

TEST(BcryptHasherTest, SeventyTwoBytesIsAllBcryptReads) {
  // Go's bcrypt, which nats-server uses, truncates the same way: clients that send a longer
  // password must be let in as they are by nats-server.
  BcryptHasher hasher;
  const std::string_view hash = "$2b$05$ouknlDzeka3XQ9O6Y2o.HuPMXEcLaZ1FkbWqO/.sW9FYnmnTUHRyS";
  EXPECT_TRUE(hasher.Verify(hash, std::string(72, 'A') + "anything after"));
  EXPECT_FALSE(hasher.Verify(hash, std::string(71, 'A')));
}

TEST(BcryptHasherTest, RejectsHashesThatAreNotBcrypt) {
  // The class hashes bcrypt only; libxcrypt would happily check SHA-512, MD5 and DES crypt
  // strings too, which a config value must never be taken for.
  BcryptHasher hasher;
  EXPECT_FALSE(hasher.Verify(
      "$6$saltsalt$TVLlQcbpFVof5W3Yz4DTP6gRstiNuHwwTt6GLc1E5n0U0aDehy0S5knV8wiOQSpT0Y77vwPZN.Pq."
      "H91p5hVO1",
      "secret"));
  EXPECT_FALSE(hasher.Verify("$1$saltsalt$9xy1btjgzLYfb7hivXtC//", "secret"));
  EXPECT_FALSE(hasher.Verify("abNANd1rDfiNc", "secret"));
}

TEST(BcryptHasherTest, RejectsMalformedSettings) {
  BcryptHasher hasher;
  EXPECT_FALSE(hasher.Verify("", ""));
  EXPECT_FALSE(hasher.Verify("$2a$", "secret"));
  EXPECT_FALSE(
      hasher.Verify("$2a$03$P/.bd.7unw9Ew7yWJqXsl.f4oNRLQGvadEL2YnqQXbbb.IVQajRdK", "foo"));
  EXPECT_FALSE(hasher.Verify("$2a$04$!!!!!!!!!!!!!!!!!!!!!!4oNRLQGvadEL2YnqQXbbb.IVQajRdK", "foo"));
  EXPECT_FALSE(hasher.Verify("$2a$11$whatever", "whatever"));
}

TEST(BcryptHasherTest, HashRoundTripsAtCost4) {
  BcryptHasher hasher;
  absl::StatusOr<std::string> hash = hasher.Hash("s3cr3t pass", 4);
  ASSERT_TRUE(hash.ok()) << hash.status();
  EXPECT_EQ(hash->size(), 60u);
  EXPECT_EQ(hash->substr(0, 7), "$2a$04$");
  EXPECT_TRUE(IsBcryptHash(*hash));
  EXPECT_TRUE(hasher.Verify(*hash, "s3cr3t pass"));
  EXPECT_FALSE(hasher.Verify(*hash, "s3cr3t pasS"));
  // A second hasher (another thread's) agrees.
  BcryptHasher other;
  EXPECT_TRUE(other.Verify(*hash, "s3cr3t pass"));
}

TEST(BcryptHasherTest, HashUsesAFreshSaltEachTime) {
  BcryptHasher hasher;
  absl::StatusOr<std::string> a = hasher.Hash("same", 4);
  absl::StatusOr<std::string> b = hasher.Hash("same", 4);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(*a, *b);
  EXPECT_TRUE(hasher.Verify(*a, "same"));
  EXPECT_TRUE(hasher.Verify(*b, "same"));
}

TEST(BcryptHasherTest, HashCarriesTheCost) {
  BcryptHasher hasher;
  absl::StatusOr<std::string> hash = hasher.Hash("pw", 5);
  ASSERT_TRUE(hash.ok()) << hash.status();
  EXPECT_EQ(hash->substr(0, 7), "$2a$05$");
}

TEST(BcryptHasherTest, HashRejectsBadInput) {
  BcryptHasher hasher;
  EXPECT_EQ(hasher.Hash("pw", 3).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(hasher.Hash("pw", 32).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(hasher.Hash("pw", -1).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(hasher.Hash("p\0w"sv, 4).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(BcryptHasherTest, EmptyPasswordRoundTrips) {
  BcryptHasher hasher;
  absl::StatusOr<std::string> hash = hasher.Hash("", 4);
  ASSERT_TRUE(hash.ok()) << hash.status();
  EXPECT_TRUE(hasher.Verify(*hash, ""));
  EXPECT_FALSE(hasher.Verify(*hash, " "));
}

TEST(BcryptHasherTest, OneHasherPerThreadRunsConcurrently) {
  // Every auth pool thread owns a hasher; they must not share state.
  constexpr int kThreads = 4;
  constexpr int kRounds = 8;
  std::vector<int> right(kThreads, 0);
  std::vector<int> wrong_accepted(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([t, &right, &wrong_accepted] {
      BcryptHasher hasher;
      for (int i = 0; i < kRounds; ++i) {
        const Fixture& f = kFixtures[static_cast<size_t>(t + i) % std::size(kFixtures)];
        right[t] += hasher.Verify(f.hash, f.plain) ? 1 : 0;
        wrong_accepted[t] += hasher.Verify(f.hash, "!" + std::string(f.plain)) ? 1 : 0;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(right[t], kRounds) << "thread " << t;
    EXPECT_EQ(wrong_accepted[t], 0) << "thread " << t;
  }
}

}  // namespace
}  // namespace ringnats::auth
