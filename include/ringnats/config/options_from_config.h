#pragma once
// Turns a parsed configuration file into ServerOptions, with nats-server's key names,
// aliases, types and checks. Every error names the file, line and column of the value.

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ringnats/config/config_value.h"
#include "ringnats/config/options.h"

namespace ringnats::config {

struct ConfigLoad {
  ServerOptions options;
  std::vector<std::string> warnings;  // e.g. an integer ping_interval; -t treats them as errors
};

// Applies the top-level map `root` over `base`.
absl::StatusOr<ConfigLoad> OptionsFromConfig(const ConfigValue& root, ServerOptions base);

// nats-server's baseline once the file and the flags are merged: a limit, interval or port
// written as 0 means its default (port 0 is 4222; -1 picks a free port).
void ApplyBaseline(ServerOptions& options);

// The checks nats-server makes only when it starts (not under -t).
absl::Status ValidateForStart(const ServerOptions& options);

// Parses `path` and applies it over `base`.
absl::StatusOr<ConfigLoad> LoadConfigFile(const std::string& path, ServerOptions base);

}  // namespace ringnats::config
