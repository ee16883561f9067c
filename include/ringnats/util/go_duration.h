#pragma once
// Go's time.Duration.String(), which nats-server prints in its JSON and its error messages.

#include <string>

#include "absl/time/time.h"

namespace ringnats::util {

// "0s", "850ns", "280µs", "1.5ms", "2m3.004s", "1h0m0s".
std::string GoDuration(absl::Duration duration);

}  // namespace ringnats::util
