#pragma once
// Reading typed option values out of a ConfigValue, with nats-server's error messages
// ("<file>:<line>:<col>: interface conversion: interface {} is string, not int64").
// Private to the config module.

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "ringnats/config/config_value.h"

namespace ringnats::config {

// nats-server reports an error about a map value at the position of its key.
MapEntry AtKey(const MapEntry& entry);

// The Go type nats-server names for a value of this kind.
std::string_view GoTypeName(const ConfigValue& value);

absl::Status ErrorAt(const Position& at, std::string_view reason);
absl::Status WrongType(const ConfigValue& value, std::string_view want);

absl::StatusOr<int64_t> AsInt(const ConfigValue& value);
absl::StatusOr<bool> AsBool(const ConfigValue& value);
absl::StatusOr<std::string> AsString(const ConfigValue& value);

// A Go duration string ("2s", "1m30s", "500ms", "250µs"), within Go's range (an int64 of
// nanoseconds); refused as "error parsing <field>: <Go's reason>".
absl::StatusOr<absl::Duration> GoDuration(const ConfigValue& value,
                                          std::string_view field = "duration");

// Go's time.ParseDuration reason for a string it refuses ("time: invalid duration \"x\"").
std::string GoDurationError(std::string_view text);

// `listen` and `http` (nats-server's parseListen): a port number, or "host:port" split by
// Go's rules (net.SplitHostPort: IPv6 only in brackets, "[::1]:8222"; strconv.Atoi for the
// port: an optional sign and decimal digits). A port alone or ":8222" gives an empty host.
struct HostPort {
  std::string host;
  int64_t port = 0;
};
absl::StatusOr<HostPort> AsHostPort(const ConfigValue& value);

// Ports and counts are int64 in the file and on the command line (Go's int) and int in
// ServerOptions: a value out of int's range becomes INT_MIN/INT_MAX (still invalid as a
// port) rather than wrapping round to a plausible one.
int SaturateToInt(int64_t value);

}  // namespace ringnats::config
