#pragma once
// Comparing secrets without leaking them through timing.

#include <array>
#include <string_view>

namespace ringnats::auth {

// nats-server treats a stored password or token as bcrypt iff it looks like `$2?$NN$`.
bool IsBcryptHash(std::string_view stored);

// Constant-time equality for plain-text secrets: compares keyed digests of both sides with
// CRYPTO_memcmp, so neither the contents nor the length of the stored secret shows in the
// time taken.
bool SecretsEqual(std::string_view stored, std::string_view presented);

// HMAC-SHA256 of `text` under a random key made once per process.
using Digest = std::array<unsigned char, 32>;
Digest KeyedDigest(std::string_view text);

}  // namespace ringnats::auth
