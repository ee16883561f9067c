#pragma once
// bcrypt through libxcrypt's crypt_rn. Each hasher carries its own ~31 KiB crypt_data, so a
// thread that hashes owns one; ring threads never hash (bcrypt takes 50-200 ms at cost 10-12).

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

struct crypt_data;

namespace ringnats::auth {

class BcryptHasher {
 public:
  BcryptHasher();
  ~BcryptHasher();
  BcryptHasher(const BcryptHasher&) = delete;
  BcryptHasher& operator=(const BcryptHasher&) = delete;

  // True iff `secret` hashes to `hash` (compared in constant time).
  bool Verify(std::string_view hash, std::string_view secret);

  // A new `$2a$` hash (the prefix Go and nats tooling emit) of `secret` at `cost` (4-31).
  absl::StatusOr<std::string> Hash(std::string_view secret, int cost);

 private:
  std::unique_ptr<crypt_data> data_;
};

}  // namespace ringnats::auth
