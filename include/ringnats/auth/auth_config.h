#pragma once
// Who may connect and what they may do, as configured. An immutable snapshot: built on the
// control thread (start-up, reload) and shared read-only by every worker and the auth pool
// through a shared_ptr, so a reload swaps the pointer and never changes a snapshot in place.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "ringnats/auth/route_certificate.h"
#include "ringnats/util/string_map.h"

namespace ringnats::auth {

// Subjects a user may publish or subscribe to. An allow list, when present, must match; a
// deny list, when present, must not.
struct SubjectRules {
  std::vector<std::string> allow;
  std::vector<std::string> deny;
  bool empty() const { return allow.empty() && deny.empty(); }
};

struct ResponsePermission {
  int64_t max_msgs = 1;
  absl::Duration expires = absl::Minutes(2);
};

struct Permissions {
  SubjectRules publish;
  SubjectRules subscribe;
  std::optional<ResponsePermission> allow_responses;
};

struct User {
  std::string name;
  std::string password;  // plain text, or a bcrypt hash ($2a$, $2b$, $2x$, $2y$)
  std::optional<Permissions> permissions;
};

struct AuthConfig {
  // kRouteCertificate: routes only, the peer's certificate decides (route_certificate.h).
  enum class Mode : uint8_t { kNone, kToken, kSingleUser, kUsers, kRouteCertificate };
  Mode mode = Mode::kNone;
  std::string token;         // kToken: plain text or bcrypt hash
  User single_user;          // kSingleUser
  StringMap<User> users;     // kUsers, by name
  std::string no_auth_user;  // kUsers: who a client without credentials becomes
  std::optional<Permissions> default_permissions;
  absl::Duration timeout = absl::Seconds(2);
  // kUsers with tls { verify_and_map }: the client certificate names the user (see
  // certificate_user.h); CONNECT's user and password play no part.
  bool tls_map = false;
  // tls_map: the users whose names read as distinguished names, by the DN as written and by
  // its RDNs sorted (certificate_user.h's IndexUsersByDistinguishedName), so a mapped connect
  // looks its subject up instead of parsing every user's name. User names, not pointers:
  // the snapshot is copied while it is built.
  StringMap<std::string> users_by_dn;
  StringMap<std::string> users_by_reordered_dn;
  RouteCertificateRule route_certificate;  // kRouteCertificate

  // INFO's auth_required: on whenever auth is configured, except with no_auth_user.
  bool auth_required() const { return mode != Mode::kNone && no_auth_user.empty(); }
  bool enabled() const { return mode != Mode::kNone; }
};

using AuthConfigPtr = std::shared_ptr<const AuthConfig>;

}  // namespace ringnats::auth
