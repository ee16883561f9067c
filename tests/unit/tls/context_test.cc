// Building contexts: nats-server's settings and defaults accepted, every bad file or name
// refused with the file and the reason.

#include "ringnats/tls/context.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <unistd.h>

#include <memory>

#include "pump.h"

namespace ringnats::tls {
namespace {

using testing::Certs;
using testing::DefaultServerSettings;
using ::testing::HasSubstr;

struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

PkeyPtr ReadKey(const std::string& path) {
  BioPtr in(BIO_new_file(path.c_str(), "r"));
  if (in == nullptr) return nullptr;
  return PkeyPtr(PEM_read_bio_PrivateKey(in.get(), nullptr, nullptr, nullptr));
}

std::string CreateError(const ServerSettings& settings) {
  auto ctx = ServerContext::Create(settings);
  return ctx.ok() ? "ok" : std::string(ctx.status().message());
}

TEST(Context, EveryKeyTypeLoads) {
  for (const auto* cert : {&Certs().server_rsa, &Certs().server_ecdsa, &Certs().server_ed25519}) {
    ServerSettings settings = DefaultServerSettings(*cert);
    settings.ca_file = Certs().ca.cert_file;
    settings.verify = true;
    EXPECT_EQ(CreateError(settings), "ok") << cert->cert_file;
  }
}

TEST(Context, MissingFiles) {
  ServerSettings settings = DefaultServerSettings();
  settings.cert_file = Certs().pki.dir() + "/nope.pem";
  EXPECT_EQ(CreateError(settings), "error parsing X509 certificate/key pair: open " +
                                       settings.cert_file + ": no such file or directory");
  settings = DefaultServerSettings();
  settings.key_file = Certs().pki.dir() + "/nope-key.pem";
  EXPECT_EQ(CreateError(settings), "error parsing X509 certificate/key pair: open " +
                                       settings.key_file + ": no such file or directory");
  settings = DefaultServerSettings();
  settings.ca_file = Certs().pki.dir() + "/nope-ca.pem";
  EXPECT_EQ(CreateError(settings), "open " + settings.ca_file + ": no such file or directory");
  settings = DefaultServerSettings();
  settings.cert_file.clear();
  EXPECT_EQ(CreateError(settings), "missing 'cert_file' in TLS configuration");
}

TEST(Context, BadPem) {
  const std::string garbage = Certs().pki.WriteFile("garbage.pem", "not a pem file\n");
  const std::string broken = Certs().pki.WriteFile(
      "broken.pem", "-----BEGIN CERTIFICATE-----\nAAAA!!!!\n-----END CERTIFICATE-----\n");
  ServerSettings settings = DefaultServerSettings();
  settings.cert_file = garbage;
  EXPECT_EQ(CreateError(settings),
            "error parsing X509 certificate/key pair: tls: failed to find any PEM data in "
            "certificate input (" +
                garbage + ")");
  settings.cert_file = broken;
  EXPECT_THAT(CreateError(settings), HasSubstr("malformed certificate in " + broken));
  settings = DefaultServerSettings();
  settings.key_file = garbage;
  EXPECT_EQ(CreateError(settings),
            "error parsing X509 certificate/key pair: tls: failed to find any PEM data in key "
            "input (" +
                garbage + ")");
  settings = DefaultServerSettings();
  settings.ca_file = garbage;
  EXPECT_EQ(CreateError(settings), "failed to parse root ca certificate (" + garbage + ")");
}

// An encrypted key is refused, as nats-server refuses it, even when a passphrase waits on
// stdin: OpenSSL's default would read one from the terminal, or from stdin without one.
TEST(Context, EncryptedKeyIsRefusedWithoutAskingForAPassphrase) {
  PkeyPtr key = ReadKey(Certs().server_ecdsa.key_file);
  ASSERT_NE(key, nullptr);
  BioPtr out(BIO_new(BIO_s_mem()));
  static constexpr char kPassphrase[] = "secret";
  ASSERT_EQ(PEM_write_bio_PKCS8PrivateKey(out.get(), key.get(), EVP_aes_256_cbc(), kPassphrase,
                                          sizeof(kPassphrase) - 1, nullptr, nullptr),
            1);
  char* data = nullptr;
  const long len = BIO_get_mem_data(out.get(), &data);
  const std::string encrypted =
      Certs().pki.WriteFile("encrypted-key.pem", std::string(data, static_cast<size_t>(len)));

  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  ASSERT_EQ(write(pipe_fds[1], "secret\n", 7), 7);
  close(pipe_fds[1]);
  const int saved_stdin = dup(0);
  dup2(pipe_fds[0], 0);
  close(pipe_fds[0]);
  ServerSettings settings = DefaultServerSettings();
  settings.key_file = encrypted;
  const std::string error = CreateError(settings);
  dup2(saved_stdin, 0);
  close(saved_stdin);
  EXPECT_THAT(error, HasSubstr("error parsing X509 certificate/key pair: tls: failed to parse "
                               "private key (" +
                               encrypted));
}

TEST(Context, KeyDoesNotMatchCertificate) {
  ServerSettings settings = DefaultServerSettings();
  settings.key_file = Certs().server_rsa.key_file;
  EXPECT_EQ(
      CreateError(settings),
      "error parsing X509 certificate/key pair: tls: private key does not match public key (" +
          settings.cert_file + ", " + settings.key_file + ")");
}

TEST(Context, CipherAndCurveNames) {
  ServerSettings settings = DefaultServerSettings();
  settings.cipher_suites = {"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "TLS_AES_128_GCM_SHA256"};
  settings.curve_preferences = {"CurveP384"};
  EXPECT_EQ(CreateError(settings), "ok");
  settings.cipher_suites = {"AES128-SHA"};
  EXPECT_EQ(CreateError(settings), "unrecognized cipher AES128-SHA");
  settings.cipher_suites = {"TLS_RSA_WITH_RC4_128_SHA"};
  EXPECT_THAT(CreateError(settings), HasSubstr("OpenSSL build"));
  settings.cipher_suites = {"TLS_AES_128_GCM_SHA256"};
  EXPECT_THAT(CreateError(settings), HasSubstr("no TLS 1.2 cipher suite"));
  settings.min_version = MinVersion::kTls13;
  EXPECT_EQ(CreateError(settings), "ok");
  settings = DefaultServerSettings();
  settings.curve_preferences = {"P-256"};
  EXPECT_EQ(CreateError(settings), "unrecognized curve preference P-256");
}

TEST(Context, VerifyWithoutCaUsesTheSystemStore) {
  ServerSettings settings = DefaultServerSettings();
  settings.verify = true;
  settings.ca_file.clear();
  EXPECT_EQ(CreateError(settings), "ok");
}

TEST(Context, ClientSettings) {
  ClientSettings settings = testing::DefaultClientSettings();
  EXPECT_TRUE(ClientContext::Create(settings).ok());
  settings.cert_file = Certs().client.cert_file;
  EXPECT_FALSE(ClientContext::Create(settings).ok());  // key_file missing
  settings.key_file = Certs().client.key_file;
  EXPECT_TRUE(ClientContext::Create(settings).ok());
}

}  // namespace
}  // namespace ringnats::tls
