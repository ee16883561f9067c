#pragma once
// The monitoring endpoints' JSON documents with nats-server 2.9.10's field names, order,
// types and units (write them with GoJsonIndent). Pure functions of their arguments; any
// thread. `local` is the zone nats-server writes its local-clock times in (start,
// last_activity, config_load_time); "now" and "stop" are always UTC, as there.

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "ringnats/monitor/go_format.h"
#include "ringnats/monitor/snapshot.h"

namespace ringnats::monitor {

// /varz; `server.now` is the answer's time. Ends with ringnats' own "ringnats" object.
Json VarzJson(const ServerSnapshot& server, absl::TimeZone local);
// The "ringnats" object of /varz alone (also what the status page reads).
Json RingnatsJson(const RingnatsStats& stats, absl::TimeZone local);

// /connz: filters, sorts and pages `data.connections` as nats-server does (including its
// quirks: with state=all a cid is looked up among closed connections only; `total` counts
// before the user filter), and writes the text GoJsonIndent would, without building a Json
// (an answer over tens of thousands of connections is millions of values).
std::string ConnzJsonText(std::string_view server_id, const ConnzData& data,
                          const ConnzQuery& query, absl::Time now, absl::TimeZone local);
// The same document parsed back into a Json (for tests and small answers).
Json ConnzJson(std::string_view server_id, const ConnzData& data, const ConnzQuery& query,
               absl::Time now, absl::TimeZone local);

// /subsz and /subscriptionsz: the sublist statistics alone unless subs=1 selects a
// non-empty page of subscriptions, as nats-server answers.
Json SubszJson(std::string_view server_id, const SubszData& data, const SubszQuery& query,
               absl::Time now);

// /routez; `subs` lists each route's subscriptions (subjects, or in detail).
Json RoutezJson(std::string_view server_id, const RoutezData& data, SubsOption subs,
                absl::Time now, absl::TimeZone local);
// /healthz: {"status":"ok"}, or status "error" with `error` when it is not empty.
Json HealthzJson(std::string_view error);
// /accountz: the account list, or with acc=<name> its details (NotFound with nats-server's
// "Account <name> does not exist" when unknown).
absl::StatusOr<Json> AccountzJson(const ServerSnapshot& server, std::string_view account,
                                  absl::TimeZone local);
// /accstatz: the global account's traffic (listed when it has connections or `unused`).
Json AccstatzJson(const ServerSnapshot& server, bool include_unused);
// /jsz, /leafz, /gatewayz as a server without JetStream, leaf nodes and gateways answers.
Json JszJson(std::string_view server_id, absl::Time now);
Json LeafzJson(std::string_view server_id, absl::Time now);
Json GatewayzJson(std::string_view server_id, absl::Time now);

// A quantile (0..1) of a histogram, interpolated linearly inside its bucket as Prometheus'
// histogram_quantile does; 0 when empty, the last bound when it falls beyond it.
double HistogramQuantile(const HistogramSnapshot& histogram, double quantile);

}  // namespace ringnats::monitor
