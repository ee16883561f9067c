#pragma once
// The INFO line a client gets on connect, in nats-server's field order.

#include <cstdint>
#include <string>
#include <string_view>

#include "ringnats/config/options.h"

namespace ringnats::broker {

// A fresh 56-character server id in nats-server's shape ('N' + base32).
std::string NewServerId();

struct InfoFacts {
  std::string_view server_id;
  int port = 0;
  bool auth_required = false;
  bool tls_required = false;
  bool tls_verify = false;
};

// `INFO {...` up to and including the comma before the per-client fields.
std::string BuildInfoPrefix(const config::ServerOptions& options, const InfoFacts& facts);

// Completes the prefix for one client: `"client_id":N,"client_ip":"..."} \r\n`, then the
// cluster's fields when there is a cluster (`cluster_fields`: `,"cluster":...` as
// nats-server orders them), with `"ldm":true` last when the server is in lame duck mode.
void AppendInfoClientFields(std::string* info, uint64_t client_id, std::string_view client_ip,
                            bool lame_duck = false, std::string_view cluster_fields = {});

}  // namespace ringnats::broker
