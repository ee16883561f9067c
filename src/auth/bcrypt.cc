#include "ringnats/auth/bcrypt.h"

#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <cstring>

#include "absl/strings/str_format.h"
#include "ringnats/auth/secrets.h"

namespace ringnats::auth {

BcryptHasher::BcryptHasher() : data_(std::make_unique<crypt_data>()) {}
BcryptHasher::~BcryptHasher() {
  OPENSSL_cleanse(data_.get(), sizeof(crypt_data));
}

bool BcryptHasher::Verify(std::string_view hash, std::string_view secret) {
  // libxcrypt would also check SHA-512, MD5 or DES crypt strings; only bcrypt is configured.
  if (!IsBcryptHash(hash)) return false;
  // crypt takes C strings: a secret with a NUL byte can never be the one that was hashed.
  if (secret.find('\0') != std::string_view::npos) return false;
  const std::string setting(hash);
  std::string phrase(secret);
  std::memset(data_.get(), 0, sizeof(crypt_data));
  const char* out = crypt_rn(phrase.c_str(), setting.c_str(), data_.get(), sizeof(crypt_data));
  OPENSSL_cleanse(phrase.data(), phrase.size());
  if (out == nullptr || out[0] == '*') return false;
  const size_t len = std::strlen(out);
  return len == setting.size() && CRYPTO_memcmp(out, setting.data(), len) == 0;
}

absl::StatusOr<std::string> BcryptHasher::Hash(std::string_view secret, int cost) {
  if (cost < 4 || cost > 31) {
    return absl::InvalidArgumentError(absl::StrFormat("bcrypt cost %d is outside 4..31", cost));
  }
  if (secret.find('\0') != std::string_view::npos) {
    return absl::InvalidArgumentError("a password cannot contain a NUL byte");
  }
  unsigned char random[16];
  if (RAND_bytes(random, sizeof random) != 1) return absl::InternalError("RAND_bytes failed");
  char setting[CRYPT_GENSALT_OUTPUT_SIZE];
  if (crypt_gensalt_rn("$2a$", static_cast<unsigned long>(cost),
                       reinterpret_cast<const char*>(random), sizeof random, setting,
                       sizeof setting) == nullptr) {
    return absl::InternalError("crypt_gensalt_rn failed");
  }
  std::string phrase(secret);
  std::memset(data_.get(), 0, sizeof(crypt_data));
  const char* out = crypt_rn(phrase.c_str(), setting, data_.get(), sizeof(crypt_data));
  OPENSSL_cleanse(phrase.data(), phrase.size());
  if (out == nullptr || out[0] == '*') return absl::InternalError("crypt_rn failed");
  return std::string(out);
}

}  // namespace ringnats::auth
