#include "ringnats/tls/names.h"

#include <gtest/gtest.h>

namespace ringnats::tls {
namespace {

TEST(Names, VersionsAsConnzShowsThem) {
  EXPECT_EQ(VersionName(0x0301), "1.0");
  EXPECT_EQ(VersionName(0x0302), "1.1");
  EXPECT_EQ(VersionName(0x0303), "1.2");
  EXPECT_EQ(VersionName(0x0304), "1.3");
  EXPECT_EQ(VersionName(0x7f1c), "Unknown [0x7f1c]");
}

TEST(Names, CipherSuitesAsConnzShowsThem) {
  EXPECT_EQ(CipherSuiteName(0x1301), "TLS_AES_128_GCM_SHA256");
  EXPECT_EQ(CipherSuiteName(0x1303), "TLS_CHACHA20_POLY1305_SHA256");
  EXPECT_EQ(CipherSuiteName(0xc02f), "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
  EXPECT_EQ(CipherSuiteName(0xcca9), "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305");
  EXPECT_EQ(CipherSuiteName(0x00ff), "Unknown [0xff]");
}

TEST(Names, ConfigNamesResolve) {
  auto suite = FindCipherSuite("TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384");
  ASSERT_TRUE(suite.ok());
  EXPECT_EQ(suite->openssl_name, "ECDHE-ECDSA-AES256-GCM-SHA384");
  EXPECT_EQ(suite->iana_id, 0xc02c);
  EXPECT_FALSE(suite->tls13);
  EXPECT_TRUE(FindCipherSuite("TLS_AES_256_GCM_SHA384")->tls13);
  EXPECT_EQ(FindCipherSuite("ECDHE-RSA-AES128-GCM-SHA256").status().message(),
            "unrecognized cipher ECDHE-RSA-AES128-GCM-SHA256");
  EXPECT_EQ(*FindCurve("CurveP256"), "P-256");
  EXPECT_EQ(*FindCurve("X25519"), "X25519");
  EXPECT_EQ(FindCurve("P-256").status().message(), "unrecognized curve preference P-256");
}

TEST(Names, DefaultsAreNatsServers) {
  const std::vector<std::string_view> suites = {
      "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
      "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305",  "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305",
      "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"};
  EXPECT_EQ(DefaultCipherSuiteNames(), suites);
  const std::vector<std::string_view> curves = {"X25519", "CurveP256", "CurveP384", "CurveP521"};
  EXPECT_EQ(DefaultCurveNames(), curves);
  for (std::string_view name : DefaultCipherSuiteNames()) EXPECT_TRUE(FindCipherSuite(name).ok());
}

TEST(Names, AlertsInGosWords) {
  EXPECT_EQ(AlertText(42), "bad certificate");
  EXPECT_EQ(AlertText(48), "unknown certificate authority");
  EXPECT_EQ(AlertText(116), "certificate required");
  EXPECT_EQ(AlertText(200), "alert(200)");
}

}  // namespace
}  // namespace ringnats::tls
