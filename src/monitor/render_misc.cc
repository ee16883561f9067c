// The endpoints of features ringnats does not have (routes, JetStream, leaf nodes,
// gateways, accounts beyond the global one), answered as nats-server answers without them.

#include "absl/strings/str_cat.h"
#include "absl_view.h"
#include "render_internal.h"
#include "ringnats/monitor/render.h"

namespace ringnats::monitor {
namespace {

Json Header(std::string_view server_id, absl::Time now) {
  Json json;
  json["server_id"] = server_id;
  json["now"] = GoTime(now, absl::UTCTimeZone());
  return json;
}

}  // namespace

Json RoutezJson(std::string_view server_id, const RoutezData& data, SubsOption subs,
                absl::Time now, absl::TimeZone local) {
  Json json = Header(server_id, now);
  json["num_routes"] = data.routes.size();
  Json routes = Json::array();
  for (const RouteInfo& route : data.routes) {
    Json entry;
    entry["rid"] = route.rid;
    entry["remote_id"] = route.remote_id;
    entry["did_solicit"] = route.did_solicit;
    entry["is_configured"] = route.is_configured;
    entry["ip"] = route.ip;
    entry["port"] = route.port;
    entry["start"] = GoTime(route.start, local);
    entry["last_activity"] = GoTime(route.last_activity, local);
    entry["rtt"] = GoDuration(GoRttRounding(route.rtt));
    entry["uptime"] = GoUptime(now - route.start);
    entry["idle"] = GoUptime(now - route.last_activity);
    entry["pending_size"] = route.pending_size;
    entry["in_msgs"] = route.in_msgs;
    entry["out_msgs"] = route.out_msgs;
    entry["in_bytes"] = route.in_bytes;
    entry["out_bytes"] = route.out_bytes;
    entry["subscriptions"] = route.subscriptions;
    if (subs == SubsOption::kList && !route.subs.empty()) {
      Json list = Json::array();
      for (const SubscriptionInfo& sub : route.subs) list.push_back(sub.subject);
      entry["subscriptions_list"] = std::move(list);
    } else if (subs == SubsOption::kDetail && !route.subs.empty()) {
      Json list = Json::array();
      for (const SubscriptionInfo& sub : route.subs) {
        list.push_back(SubscriptionJson(sub, /*with_account=*/false));
      }
      entry["subscriptions_list_detail"] = std::move(list);
    }
    routes.push_back(std::move(entry));
  }
  json["routes"] = std::move(routes);
  return json;
}

Json HealthzJson(std::string_view error) {
  Json json;
  json["status"] = error.empty() ? "ok" : "error";
  if (!error.empty()) json["error"] = error;
  return json;
}

absl::StatusOr<Json> AccountzJson(const ServerSnapshot& server, std::string_view account,
                                  absl::TimeZone local) {
  Json json = Header(server.server_id, server.now);
  if (!server.system_account.empty()) json["system_account"] = server.system_account;
  if (account.empty()) {
    Json accounts = Json::array();
    for (const std::string& name : server.accounts) accounts.push_back(name);
    json["accounts"] = std::move(accounts);
    return json;
  }
  if (std::find(server.accounts.begin(), server.accounts.end(), account) == server.accounts.end()) {
    return absl::NotFoundError(absl::StrCat("Account ", AbslView(account), " does not exist"));
  }
  // Only the global account carries connections and subscriptions in ringnats.
  const bool global = account == "$G";
  Json detail;
  detail["account_name"] = account;
  detail["update_time"] = GoTime(server.start, local);
  if (account == server.system_account) detail["is_system"] = true;
  detail["expired"] = false;
  detail["complete"] = true;
  detail["jetstream_enabled"] = false;
  detail["leafnode_connections"] = global ? server.leafnodes : 0;
  detail["client_connections"] = global ? server.connections : 0;
  detail["subscriptions"] = global ? server.subscriptions : 0;
  Json stats = Json::object();
  AppendSublistStats(global ? server.sublist : SublistStats{}, &stats);
  detail["sublist_stats"] = std::move(stats);
  json["account_detail"] = std::move(detail);
  return json;
}

Json AccstatzJson(const ServerSnapshot& server, bool include_unused) {
  Json json = Header(server.server_id, server.now);
  Json list = Json::array();
  if (include_unused || server.connections != 0) {
    Json stat;
    stat["acc"] = "$G";
    stat["conns"] = server.connections;
    stat["leafnodes"] = server.leafnodes;
    stat["total_conns"] = server.connections + server.leafnodes;
    Json sent;
    sent["msgs"] = server.out_msgs;
    sent["bytes"] = server.out_bytes;
    stat["sent"] = std::move(sent);
    Json received;
    received["msgs"] = server.in_msgs;
    received["bytes"] = server.in_bytes;
    stat["received"] = std::move(received);
    stat["slow_consumers"] = server.slow_consumers;
    list.push_back(std::move(stat));
  }
  json["account_statz"] = std::move(list);
  return json;
}

Json JszJson(std::string_view server_id, absl::Time now) {
  Json json = Header(server_id, now);
  json["disabled"] = true;
  Json config;
  config["max_memory"] = 0;
  config["max_storage"] = 0;
  json["config"] = std::move(config);
  json["memory"] = 0;
  json["storage"] = 0;
  json["reserved_memory"] = 0;
  json["reserved_storage"] = 0;
  json["accounts"] = 0;
  json["ha_assets"] = 0;
  Json api;
  api["total"] = 0;
  api["errors"] = 0;
  json["api"] = std::move(api);
  json["streams"] = 0;
  json["consumers"] = 0;
  json["messages"] = 0;
  json["bytes"] = 0;
  return json;
}

Json LeafzJson(std::string_view server_id, absl::Time now) {
  Json json = Header(server_id, now);
  json["leafnodes"] = 0;
  json["leafs"] = nullptr;
  return json;
}

Json GatewayzJson(std::string_view server_id, absl::Time now) {
  Json json = Header(server_id, now);
  json["outbound_gateways"] = Json::object();
  json["inbound_gateways"] = Json::object();
  return json;
}

}  // namespace ringnats::monitor
