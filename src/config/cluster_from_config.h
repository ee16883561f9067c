#pragma once
// The `cluster { ... }` block as nats-server 2.9.10 reads it. Private to the config module;
// runs on the control thread with the rest of the file.

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "ringnats/config/cluster_options.h"
#include "ringnats/config/config_value.h"

namespace ringnats::config {

// Applies the block over `*out` (keys it does not name keep their values). Warnings (a
// repeated route, permissions inside the authorization) are appended to `warnings`.
absl::Status ApplyClusterBlock(const MapEntry& block, ClusterOptions* out,
                               std::vector<std::string>* warnings);

}  // namespace ringnats::config
