#pragma once
// The `authorization { ... }` block: single user, token, or a users list with permissions,
// as nats-server reads it (its aliases, its mutual exclusions, its error messages).

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ringnats/auth/auth_config.h"
#include "ringnats/config/config_value.h"

namespace ringnats::config {

// Replaces `*out` with the block's configuration (keeping out->no_auth_user).
absl::Status ApplyAuthorizationBlock(const MapEntry& block, auth::AuthConfig* out);

// A `permissions` map (publish/pub/import, subscribe/sub/export, allow_responses), `value`
// positioned at its key, with nats-server's checks and messages.
absl::StatusOr<auth::Permissions> PermissionsFromConfig(const ConfigValue& value);

}  // namespace ringnats::config
