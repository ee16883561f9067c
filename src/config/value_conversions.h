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

// A Go duration string ("2s", "1m30s", "500ms").
absl::StatusOr<absl::Duration> GoDuration(const ConfigValue& value);

}  // namespace ringnats::config
