#pragma once
// Server configurations that several authentication suites run: the same file in the
// behaviour tests and in the transcripts compared with nats-server.

#include <string>

#include "absl/strings/str_format.h"
#include "auth/credentials.h"

namespace ringnats::authtest {

// Five users, one for each way a password can be stored: plain, $2a$ unquoted, $2b$, $2y$,
// and a plain one through a variable (erin's password is "Pw-var-81x").
inline const std::string kUsersConfig = absl::StrFormat(
    "PASS: \"Pw-var-81x\"\n"
    "authorization {\n"
    "  users: [\n"
    "    {user: alice, password: \"%s\"}\n"
    "    {user: bob, password: %s}\n"
    "    {user: carol, password: \"%s\"}\n"
    "    {user: dave, password: \"%s\"}\n"
    "    {user: erin, password: $PASS}\n"
    "  ]\n"
    "}\n",
    kPlainPassword, kHash2a, kHash2b, kHash2y);

// A user per kind of permission: everything (admin), allow and deny lists with a queue entry
// (pub), allow_responses with defaults (svc) and with limits (svc2), and default_permissions
// (dflt).
inline constexpr char kPermissionsConfig[] = R"(
authorization {
  default_permissions: { publish: "pub.>", subscribe: ["nothing", "pub.>"] }
  users: [
    {user: admin, password: "Pw-admin-77", permissions: { publish: ">", subscribe: ">" }}
    {user: pub, password: "Pw-pub-12", permissions: {
      publish: { allow: ["foo.>", "bar"], deny: ["foo.secret"] }
      subscribe: { allow: ["foo.*", "q.* v1"], deny: ["foo.secret"] }
    }}
    {user: svc, password: "Pw-svc-34", permissions: { subscribe: "svc", allow_responses: true }}
    {user: svc2, password: "Pw-svc2-56", permissions: {
      subscribe: "svc2", allow_responses: { max: 2, expires: "1m" }
    }}
    {user: dflt, password: "Pw-dflt-78"}
  ]
}
)";

// no_auth_user: a client without credentials is the restricted guest.
inline constexpr char kNoAuthUserConfig[] = R"(
no_auth_user: guest
authorization {
  timeout: 0.5
  users: [
    {user: guest, password: "Pw-guest-31",
     permissions: { publish: "public.>", subscribe: "public.>" }}
    {user: admin, password: "Pw-admin-77"}
  ]
}
)";

}  // namespace ringnats::authtest
