#pragma once
// Deciding what an authenticated user may publish and subscribe to, with nats-server's
// semantics: an allow list (when present) must match, a deny list (when present) must not;
// subscribe entries may name a queue group ("subject queue").

#include <string_view>

#include "ringnats/auth/auth_config.h"

namespace ringnats::auth {

// Plain publish permission, not counting allow_responses (see the session's reply tracking).
bool MayPublish(const Permissions& permissions, std::string_view subject);

// May a subscription on `subject` (wildcards allowed), in `queue` (empty: none), be made?
bool MaySubscribe(const Permissions& permissions, std::string_view subject, std::string_view queue);

// Must a message on `subject` be withheld from a subscription of this user? True when the
// subject falls under a subscribe deny entry (a wildcard SUB may be allowed while some of the
// subjects it covers are denied).
bool DeliveryDenied(const Permissions& permissions, std::string_view subject);

// True if every subject `subject` can match is also matched by `pattern`.
bool SubjectIsSubsetOf(std::string_view subject, std::string_view pattern);

}  // namespace ringnats::auth
