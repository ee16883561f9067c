#pragma once
// Deciding what an authenticated user may publish and subscribe to, with nats-server's
// semantics: an allow list (when present) must match, a deny list (when present) must not;
// subscribe entries may name a queue group ("subject queue"). Pure functions: any thread (the
// workers check, the config loader validates).

#include <string_view>

#include "absl/status/status.h"
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

// nats-server's check of one configured allow/deny entry, publish or subscribe alike: a
// valid subject, or exactly two whitespace-separated fields whose first is a valid subject
// (the queue group is not checked). Otherwise InvalidArgument with nats-server's reason,
// `subject "X" is not a valid subject`, X quoted as Go's %q does: the first field when there
// are two, else the whole entry.
absl::Status CheckPermissionEntry(std::string_view entry);

// True if every subject `subject` can match is also matched by `pattern`.
bool SubjectIsSubsetOf(std::string_view subject, std::string_view pattern);

}  // namespace ringnats::auth
