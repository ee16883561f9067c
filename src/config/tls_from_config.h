#pragma once
// The `tls { }` block as nats-server 2.9.10 reads it (with 2.10's min_version and
// handshake_first). Private to the config module; runs on the control thread with the rest
// of the file.

#include "absl/status/status.h"
#include "ringnats/config/config_value.h"
#include "ringnats/config/tls_options.h"

namespace ringnats::config {

// Replaces `*out` with the block (nats-server starts each `tls` block afresh), then loads its
// certificate, key and CAs as nats-server does under -t, so a missing or bad file is reported
// at the block's key. `route`: the block inside `cluster { }`.
absl::Status ApplyTlsBlock(const MapEntry& block, bool route, TlsOptions* out);

// The checks nats-server makes when it builds its TLS configuration (both or neither of
// cert_file and key_file, readable and matching files, known suites and curves), then
// ringnats' refusals of what nats-server accepts but ringnats cannot serve. Errors carry no
// position.
absl::Status CheckTlsOptions(const TlsOptions& options);

}  // namespace ringnats::config
