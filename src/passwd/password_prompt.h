#pragma once
// Reading a password the operator types: twice, without echo, and the two must agree.

#include <string>

#include "absl/status/statusor.h"

namespace ringnats::passwd {

// Reads the password twice from `fd`. When `fd` is a terminal, echo is off while reading
// (restored afterwards, also on SIGINT/SIGTERM/SIGHUP/SIGQUIT) and the prompts go to `fd`;
// otherwise two lines are read without prompts, so a password can be piped in. A trailing
// "\r\n" or "\n" is not part of the password.
absl::StatusOr<std::string> ReadPasswordTwice(int fd);

}  // namespace ringnats::passwd
