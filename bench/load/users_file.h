#pragma once
// Credentials lists for the connect scenario: reading a users file, and generating one
// together with the matching server configuration.
//
// Users file format: one credential per line, `user password` (separated by blanks; the
// password is the rest of the line). A line with a single field is a token. Empty lines and
// lines starting with `#` are ignored.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "protocol.h"

namespace ringnats::load {

absl::StatusOr<std::vector<Credentials>> ReadUsersFile(const std::string& path);

// Writes `count` users with random passwords to `users_path` and an `authorization { users =
// [...] }` block accepting them to `config_path`; with `bcrypt_cost` > 0 the config holds
// bcrypt hashes ($2b$) instead of the plaintext passwords.
absl::Status GenerateUsers(uint64_t count, int bcrypt_cost, const std::string& users_path,
                           const std::string& config_path);

}  // namespace ringnats::load
