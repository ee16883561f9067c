#pragma once
// Subject syntax, as nats-server 2.9 checks it.

#include <string_view>

namespace ringnats::sublist {

// A subscription subject: non-empty tokens without whitespace; `>` only as the last token.
// `*` and `>` count as wildcards only as whole tokens (`foo*.bar` is a literal).
bool IsValidSubscribeSubject(std::string_view subject);

// A publish subject in pedantic mode: as above, and no wildcard token at all.
bool IsValidPublishSubject(std::string_view subject);

// Literal subject, no `*`/`>` tokens (used to decide what may be cached).
bool IsLiteralSubject(std::string_view subject);

// Does `subject` (a publish subject, tokens taken literally) match `pattern` (a subscription
// subject with wildcards)? The reference oracle for tests and for permission checks.
bool SubjectMatches(std::string_view pattern, std::string_view subject);

}  // namespace ringnats::sublist
