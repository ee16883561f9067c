#pragma once
// Go's net.SplitHostPort with its error reasons, shared by the route URL code and the
// --cluster flag. Private to the config module; pure.

#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace ringnats::config {

// "address X: missing port in address" and the other reasons of Go's net.AddrError ("X"
// left out when the address is empty, as Go does).
// strings.TrimSpace for ASCII blanks.
std::string_view TrimBlanks(std::string_view text);

absl::Status GoSplitHostPort(std::string_view hostport, std::string* host, std::string* port);

}  // namespace ringnats::config
