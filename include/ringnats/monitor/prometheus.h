#pragma once
// /metrics: Prometheus text exposition (format 0.0.4). Pure function; any thread.
//
// gnatsd_varz_<field>, gnatsd_connz_<field>, gnatsd_subsz_<field> and
// gnatsd_routez_num_routes carry the names (and the server_id label) prometheus-nats-exporter
// derives from those endpoints, so its dashboards work when Prometheus scrapes ringnats
// directly; like the exporter they are all gauges, and times are epoch milliseconds. Two
// exporter names are left out because `promtool check metrics` rejects them (a gauge ending
// in _total): gnatsd_connz_total (equal to gnatsd_varz_connections) and the constant
// gnatsd_connz_offset/limit. ringnats' own metrics are ringnats_* with units in their names,
// counters ending in _total, and histograms for the auth latencies.

#include <string>

#include "absl/time/time.h"
#include "ringnats/monitor/snapshot.h"

namespace ringnats::monitor {

inline constexpr char kMetricsContentType[] = "text/plain; version=0.0.4; charset=utf-8";

// `open_connections` feeds the gnatsd_connz_* sums (subscription lists are not needed).
std::string MetricsText(const ServerSnapshot& server, const ConnzData& open_connections,
                        absl::TimeZone local);

}  // namespace ringnats::monitor
