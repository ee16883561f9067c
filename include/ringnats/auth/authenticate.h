#pragma once
// The decision nats-server makes when a CONNECT arrives (its order of checks, reference
// §2.2), minus the bcrypt computation itself, which the caller hands to the AuthPool.

#include <string_view>

#include "ringnats/auth/auth_config.h"
#include "ringnats/auth/certificate_user.h"

namespace ringnats::auth {

// What the client presented in CONNECT.
struct Credentials {
  std::string_view user;
  std::string_view pass;
  std::string_view token;
};

struct Verdict {
  enum class Kind : uint8_t { kAccept, kReject, kNeedsHash };
  Kind kind = Kind::kReject;
  // The user the client becomes (kAccept) or claims to be (kNeedsHash); null for token and
  // for rejections. Points into the AuthConfig snapshot.
  const User* user = nullptr;
  std::string_view stored_hash;  // kNeedsHash: the bcrypt hash to check `secret` against
  std::string_view secret;       // kNeedsHash: the presented password or token
  // How nats-server names the client in its "authentication error" log line, e.g.
  // ` - User "bob"`; empty for single-user and token modes.
  std::string_view log_user;
  bool log_user_named = false;
  // verify_and_map: what in the certificate named the user (certificate_user.h).
  std::string_view certificate_match;
};

// `certificate`: the client's verified certificate, when it presented one; with
// verify_and_map (config.tls_map) it alone names the user.
Verdict Authenticate(const AuthConfig& config, const Credentials& presented,
                     const CertificateIdentity* certificate = nullptr);

// The user a client with no credentials becomes (no_auth_user), or null.
const User* NoAuthUser(const AuthConfig& config);

}  // namespace ringnats::auth
