#include "random_password.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <array>

namespace ringnats::passwd {

absl::StatusOr<std::string> RandomPassword(size_t length) {
  constexpr size_t kAlphabetSize = kPasswordAlphabet.size();
  static_assert(kAlphabetSize > 0 && kAlphabetSize <= 256);
  // Bytes at or above the largest multiple of the alphabet size would favour the first
  // characters (256 % 72 = 40 of them); they are thrown away and drawn again.
  constexpr unsigned kAcceptBelow = 256 - 256 % kAlphabetSize;

  std::string password;
  password.reserve(length);
  std::array<unsigned char, 64> random;
  while (password.size() < length) {
    if (RAND_bytes(random.data(), static_cast<int>(random.size())) != 1) {
      return absl::InternalError("RAND_bytes failed: no randomness for the password");
    }
    for (unsigned char byte : random) {
      if (byte >= kAcceptBelow) continue;
      password.push_back(kPasswordAlphabet[byte % kAlphabetSize]);
      if (password.size() == length) break;
    }
  }
  OPENSSL_cleanse(random.data(), random.size());
  return password;
}

}  // namespace ringnats::passwd
