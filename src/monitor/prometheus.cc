#include "ringnats/monitor/prometheus.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/string_view.h"
#include "ringnats/monitor/go_format.h"
#include "ringnats/monitor/render.h"

namespace ringnats::monitor {
namespace {

std::string Number(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  return GoJsonFloat(value);
}

std::string LabelValue(absl::string_view value) {
  return absl::StrReplaceAll(value, {{"\\", "\\\\"}, {"\"", "\\\""}, {"\n", "\\n"}});
}

class Writer {
 public:
  void Family(absl::string_view name, absl::string_view type, absl::string_view help) {
    absl::StrAppend(&out_, "# HELP ", name, " ", help, "\n# TYPE ", name, " ", type, "\n");
  }
  void Sample(absl::string_view name, absl::string_view labels, absl::string_view value) {
    absl::StrAppend(&out_, name, labels.empty() ? "" : "{", labels, labels.empty() ? "" : "}", " ",
                    value, "\n");
  }
  void Gauge(absl::string_view name, absl::string_view help, absl::string_view labels,
             absl::string_view value) {
    Family(name, "gauge", help);
    Sample(name, labels, value);
  }
  void Counter(absl::string_view name, absl::string_view help, uint64_t value) {
    Family(name, "counter", help);
    Sample(name, "", absl::StrCat(value));
  }
  void Histogram(absl::string_view name, absl::string_view help, const HistogramSnapshot& h) {
    Family(name, "histogram", help);
    const std::string bucket = absl::StrCat(name, "_bucket");
    uint64_t cumulative = 0;
    for (size_t i = 0; i < h.upper_bounds_seconds.size(); ++i) {
      if (i < h.counts.size()) cumulative += h.counts[i];
      Sample(bucket, absl::StrCat("le=\"", Number(h.upper_bounds_seconds[i]), "\""),
             absl::StrCat(cumulative));
    }
    uint64_t total = 0;
    for (uint64_t count : h.counts) total += count;
    Sample(bucket, "le=\"+Inf\"", absl::StrCat(total));
    Sample(absl::StrCat(name, "_sum"), "", Number(h.sum_seconds));
    Sample(absl::StrCat(name, "_count"), "", absl::StrCat(total));
  }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

// The exporter's metric name for a /varz key path: joined with '_', '/' as '_', no leading,
// trailing or doubled '_'.
std::string ExporterName(absl::string_view prefix, absl::string_view key) {
  std::string name = absl::StrReplaceAll(absl::StrCat(prefix, "_", key), {{"/", "_"}});
  while (name.find("__") != std::string::npos) name = absl::StrReplaceAll(name, {{"__", "_"}});
  while (!name.empty() && name.front() == '_') name.erase(0, 1);
  while (!name.empty() && name.back() == '_') name.pop_back();
  return name;
}

// Fields the exporter skips, and the string fields it turns into label or time gauges.
bool ExporterSkips(absl::string_view name) {
  static constexpr absl::string_view kSkip[] = {"leaf",
                                                "trusted_operators_claim",
                                                "cluster_tls_timeout",
                                                "cluster_cluster_port",
                                                "cluster_auth_timeout",
                                                "gateway_port",
                                                "gateway_auth_timeout",
                                                "gateway_tls_timeout",
                                                "gateway_connect_retries"};
  for (absl::string_view skip : kSkip) {
    if (name == skip) return true;
  }
  return false;
}

bool ExporterLabelKey(absl::string_view key) {
  return key == "server_id" || key == "server_name" || key == "version" || key == "domain" ||
         key == "leader" || key == "name";
}

void VarzMetrics(const ServerSnapshot& server, const Json& object, absl::string_view prefix,
                 absl::string_view id_label, Writer* writer) {
  for (auto it = object.begin(); it != object.end(); ++it) {
    const std::string& key = it.key();
    if (prefix.empty() && key == "ringnats") continue;  // exported as ringnats_* below
    const std::string name = ExporterName(prefix, key);
    if (ExporterSkips(name)) continue;
    const std::string metric = absl::StrCat("gnatsd_varz_", name);
    const Json& value = it.value();
    if (value.is_number_unsigned()) {
      // Integers keep every digit (a double would round counters above 2^53).
      writer->Gauge(metric, name, id_label, absl::StrCat(value.get<uint64_t>()));
    } else if (value.is_number_integer()) {
      writer->Gauge(metric, name, id_label, absl::StrCat(value.get<int64_t>()));
    } else if (value.is_number()) {
      writer->Gauge(metric, name, id_label, Number(value.get<double>()));
    } else if (value.is_string() && prefix.empty() &&
               (key == "start" || key == "config_load_time")) {
      const absl::Time time = key == "start" ? server.start : server.config_load_time;
      writer->Gauge(metric, name, id_label, absl::StrCat(absl::ToUnixMillis(time)));
    } else if (value.is_string() && ExporterLabelKey(key)) {
      writer->Gauge(metric, name,
                    absl::StrCat(id_label, ",value=\"", LabelValue(value.get<std::string>()), "\""),
                    "1");
    } else if (value.is_object()) {
      VarzMetrics(server, value, name, id_label, writer);
    }
  }
}

}  // namespace

std::string MetricsText(const ServerSnapshot& server, const ConnzData& open_connections,
                        absl::TimeZone local) {
  Writer writer;
  const std::string id = absl::StrCat("server_id=\"", LabelValue(server.server_id), "\"");
  VarzMetrics(server, VarzJson(server, local), "", id, &writer);

  int64_t connections = 0;
  int64_t pending = 0;
  int64_t subscriptions = 0;
  int64_t in_msgs = 0;
  int64_t out_msgs = 0;
  int64_t in_bytes = 0;
  int64_t out_bytes = 0;
  for (const ConnectionInfo& info : open_connections.connections) {
    if (info.stop.has_value()) continue;
    ++connections;
    pending += info.pending_bytes;
    subscriptions += info.num_subs;
    in_msgs += info.in_msgs;
    out_msgs += info.out_msgs;
    in_bytes += info.in_bytes;
    out_bytes += info.out_bytes;
  }
  const auto connz = [&](absl::string_view field, int64_t value) {
    writer.Gauge(absl::StrCat("gnatsd_connz_", field), field, id, absl::StrCat(value));
  };
  connz("num_connections", connections);
  connz("pending_bytes", pending);
  connz("subscriptions", subscriptions);
  connz("in_msgs", in_msgs);
  connz("out_msgs", out_msgs);
  connz("in_bytes", in_bytes);
  connz("out_bytes", out_bytes);

  Json sublist = Json::object();
  const SublistStats& stats = server.sublist;
  sublist["num_subscriptions"] = stats.num_subscriptions;
  sublist["num_cache"] = stats.num_cache;
  sublist["num_inserts"] = stats.num_inserts;
  sublist["num_removes"] = stats.num_removes;
  sublist["num_matches"] = stats.num_matches;
  sublist["cache_hit_rate"] = stats.cache_hit_rate;
  sublist["max_fanout"] = stats.max_fanout;
  sublist["avg_fanout"] = stats.avg_fanout;
  for (auto it = sublist.begin(); it != sublist.end(); ++it) {
    writer.Gauge(absl::StrCat("gnatsd_subsz_", it.key()), it.key(), id,
                 Number(it.value().get<double>()));
  }
  writer.Gauge("gnatsd_routez_num_routes", "num_routes", id, absl::StrCat(server.routes));

  const RingnatsStats& r = server.ringnats;
  writer.Gauge("ringnats_info", "ringnats' version and the nats-server version it answers as.",
               absl::StrCat(id, ",version=\"", LabelValue(r.version), "\",nats_version=\"",
                            LabelValue(server.version), "\""),
               "1");
  writer.Counter("ringnats_auth_successes_total", "Client CONNECTs that authenticated.",
                 r.auth_successes);
  writer.Counter("ringnats_auth_failures_total", "Client CONNECTs refused by authentication.",
                 r.auth_failures);
  writer.Counter("ringnats_auth_timeouts_total",
                 "Clients closed for not authenticating within auth_timeout.", r.auth_timeouts);
  writer.Gauge("ringnats_auth_pool_threads", "Threads of the auth pool (password hashing).", "",
               absl::StrCat(r.auth_pool_threads));
  writer.Gauge("ringnats_auth_pool_queue_depth",
               "Credential checks waiting for an auth pool thread.", "",
               absl::StrCat(r.auth_pool_queue_depth));
  writer.Counter("ringnats_auth_hashes_total", "Password hashes computed by the auth pool.",
                 r.auth_hashes);
  writer.Counter("ringnats_auth_cache_hits_total",
                 "Credential checks answered from the verified-credentials cache.",
                 r.auth_cache_hits);
  writer.Counter("ringnats_auth_coalesced_total",
                 "Credential checks that joined an identical check already in flight.",
                 r.auth_coalesced);
  writer.Histogram("ringnats_auth_hash_duration_seconds",
                   "Time one password hash (bcrypt) took on an auth pool thread.",
                   r.auth_hash_time);
  writer.Histogram("ringnats_auth_wait_duration_seconds",
                   "Time from a client's CONNECT to its authentication verdict.", r.auth_wait_time);
  const auto per_worker = [&](absl::string_view name, absl::string_view type,
                              absl::string_view help, auto field) {
    writer.Family(name, type, help);
    for (size_t i = 0; i < r.workers.size(); ++i) {
      writer.Sample(name, absl::StrCat("worker=\"", i, "\""), absl::StrCat(field(r.workers[i])));
    }
  };
  per_worker("ringnats_worker_connections", "gauge", "Open client connections per worker.",
             [](const WorkerStats& w) { return w.connections; });
  per_worker("ringnats_worker_in_messages_total", "counter", "Messages received per worker.",
             [](const WorkerStats& w) { return w.in_msgs; });
  per_worker("ringnats_worker_out_messages_total", "counter", "Messages delivered per worker.",
             [](const WorkerStats& w) { return w.out_msgs; });
  per_worker("ringnats_worker_in_bytes_total", "counter", "Payload bytes received per worker.",
             [](const WorkerStats& w) { return w.in_bytes; });
  per_worker("ringnats_worker_out_bytes_total", "counter", "Payload bytes delivered per worker.",
             [](const WorkerStats& w) { return w.out_bytes; });
  writer.Counter("ringnats_slow_consumer_closes_total", "Connections closed as slow consumers.",
                 r.slow_consumer_closes);
  writer.Family("ringnats_reloads_total", "counter", "Configuration reloads by outcome.");
  writer.Sample("ringnats_reloads_total", "outcome=\"success\"",
                absl::StrCat(r.reloads - std::min(r.reloads, r.reload_failures)));
  writer.Sample("ringnats_reloads_total", "outcome=\"failure\"", absl::StrCat(r.reload_failures));
  if (r.last_reload.has_value()) {
    writer.Gauge("ringnats_last_reload_timestamp_seconds",
                 "When the last configuration reload was attempted.", "",
                 Number(absl::ToDoubleSeconds(*r.last_reload - absl::UnixEpoch())));
    writer.Gauge("ringnats_last_reload_success", "1 if the last configuration reload succeeded.",
                 "", r.last_reload_error.empty() ? "1" : "0");
  }
  return writer.Take();
}

}  // namespace ringnats::monitor
