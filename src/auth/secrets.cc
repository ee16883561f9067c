#include "ringnats/auth/secrets.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <array>
#include <cstdint>

#include "ringnats/util/check.h"

namespace ringnats::auth {
namespace {

// A per-process random key, so digests of secrets mean nothing outside this process.
const std::array<unsigned char, 32>& ProcessKey() {
  static const std::array<unsigned char, 32> key = [] {
    std::array<unsigned char, 32> k;
    RN_CHECK(RAND_bytes(k.data(), static_cast<int>(k.size())) == 1);
    return k;
  }();
  return key;
}

}  // namespace

Digest KeyedDigest(std::string_view text) {
  Digest digest;
  unsigned int len = 0;
  const auto& key = ProcessKey();
  RN_CHECK(HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
                reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest.data(),
                &len) != nullptr);
  return digest;
}

bool IsBcryptHash(std::string_view stored) {
  // ^\$2[abxy]\$\d{2}\$
  return stored.size() >= 7 && stored[0] == '$' && stored[1] == '2' &&
         (stored[2] == 'a' || stored[2] == 'b' || stored[2] == 'x' || stored[2] == 'y') &&
         stored[3] == '$' && stored[4] >= '0' && stored[4] <= '9' && stored[5] >= '0' &&
         stored[5] <= '9' && stored[6] == '$';
}

bool SecretsEqual(std::string_view stored, std::string_view presented) {
  const Digest a = KeyedDigest(stored);
  const Digest b = KeyedDigest(presented);
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace ringnats::auth
