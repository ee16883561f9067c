#pragma once
// Random passwords for when the operator does not bring one: 22 characters from the same
// 72-character alphabet as nats-server's mkpasswd (about 135 bits), drawn from OpenSSL's CSPRNG
// without modulo bias.

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace ringnats::passwd {

constexpr size_t kRandomPasswordLength = 22;
constexpr std::string_view kPasswordAlphabet =
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!@$#%^&*()";

absl::StatusOr<std::string> RandomPassword(size_t length = kRandomPasswordLength);

}  // namespace ringnats::passwd
