#pragma once
// The CONNECT argument, decoded the way nats-server 2.9.10 decodes it (Go's json.Unmarshal
// into its client options struct): unknown keys ignored, keys matched case-insensitively
// (with Go's Unicode folds for k and s), last duplicate wins, null leaves a field alone, a
// known key with the wrong JSON type is an error, invalid UTF-8 and lone surrogates inside
// strings become U+FFFD. Any error means nats-server closes the connection silently.

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace ringnats::proto {

struct ConnectOptions {
  bool verbose = true;
  bool pedantic = true;
  bool echo = true;
  bool headers = false;
  bool no_responders = false;
  bool tls_required = false;
  int protocol = 0;  // range not checked here: outside [0, 1] is 'invalid client protocol'
  std::string name;
  std::string lang;
  std::string version;
  std::string user;
  std::string pass;
  std::string auth_token;
  std::string sig;
  std::string nkey;
  std::string jwt;
  bool has_account = false;  // "account" non-empty or "new_account": true (auth violation)
};

// Decodes over the defaults above.
absl::StatusOr<ConnectOptions> ParseConnectOptions(std::string_view json);

// Decodes over `base`: nats-server keeps a client's options across CONNECTs and unmarshals a
// later CONNECT over them, so absent keys keep their earlier values.
absl::StatusOr<ConnectOptions> ParseConnectOptions(std::string_view json,
                                                   const ConnectOptions& base);

// What nats-server requires of an INFO a client sends (it otherwise ignores it): valid JSON
// whose top level is an object or null. An error means a silent close.
absl::Status CheckInfoJson(std::string_view json);

}  // namespace ringnats::proto
