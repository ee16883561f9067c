#pragma once
// Query parameters of the monitoring endpoints, decoded as nats-server 2.9.10 decodes them,
// with its exact error texts (sent as HTTP 400 bodies). Pure functions; any thread.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ringnats/monitor/snapshot.h"

namespace ringnats::monitor {

// URL-decoded query parameters in URL order; a repeated name counts by its first value.
using QueryParams = std::vector<std::pair<std::string, std::string>>;

// A URL's raw query read as Go's url.ParseQuery reads it (nats-server's r.URL.Query()):
// pairs split at '&', a pair holding ';' dropped, name and value cut at the first '=', '+'
// and %XX unescaped, a pair with a bad escape dropped.
QueryParams ParseGoQuery(std::string_view raw_query);

// The first value of `name`, or "" (Go's url.Values.Get).
std::string_view QueryValue(const QueryParams& params, std::string_view name);

// Each decoder answers InvalidArgument with nats-server's 400 body as the message, e.g.
// "Error decoding boolean for 'auth': strconv.ParseBool: parsing \"yes\": invalid syntax".
absl::StatusOr<bool> DecodeBool(const QueryParams& params, std::string_view name);
absl::StatusOr<int64_t> DecodeInt(const QueryParams& params, std::string_view name);
absl::StatusOr<uint64_t> DecodeUint64(const QueryParams& params, std::string_view name);

// /connz's auth, subs, offset, limit, cid, state, user, acc, mqtt_client, in nats-server's
// order (the first bad one is reported), with its adjustments (negative offset = 0,
// limit <= 0 = 1024, a cid forces limit 1). `sort` is left for ApplyConnzSort: nats-server
// rejects a bad sort only after counting the request.
absl::StatusOr<ConnzQuery> ParseConnzQuery(const QueryParams& params);
// Sets query->sort from `sort` ("" = cid); "invalid sorting option: x", or "sort by stop
// only valid on closed connections" (and by reason) when the state is not closed.
absl::Status ApplyConnzSort(std::string_view sort, ConnzQuery* query);

// /subsz's subs, offset, limit, then the test subject ("invalid test subject, must be valid
// publish subject: x"), and acc.
absl::StatusOr<SubszQuery> ParseSubszQuery(const QueryParams& params);

// subs=1|true|detail for /connz and /routez.
absl::StatusOr<SubsOption> DecodeSubs(const QueryParams& params);

}  // namespace ringnats::monitor
