#include "ringnats/route/route_info.h"

#include <nlohmann/json.hpp>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace ringnats::route {
namespace {

using Json = nlohmann::ordered_json;

std::string StringField(const Json& json, const char* key) {
  auto it = json.find(key);
  return it != json.end() && it->is_string() ? it->get<std::string>() : std::string();
}

bool BoolField(const Json& json, const char* key) {
  auto it = json.find(key);
  return it != json.end() && it->is_boolean() && it->get<bool>();
}

absl::StatusOr<Json> ParseObject(std::string_view text) {
  Json json = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) {
    return absl::InvalidArgumentError("not a JSON object");
  }
  return json;
}

}  // namespace

std::string BuildRouteInfo(const LocalRouteFacts& facts, std::string_view nonce) {
  Json info;
  info["server_id"] = facts.server_id;
  info["server_name"] = facts.server_name;
  info["version"] = RINGNATS_NATS_COMPAT_VERSION;
  info["proto"] = 2;
  info["host"] = facts.host;
  info["port"] = facts.port;
  info["headers"] = facts.headers;
  if (facts.auth_required) info["auth_required"] = true;
  if (facts.tls_required) {
    info["tls_required"] = true;
    info["tls_verify"] = true;
  }
  info["max_payload"] = facts.max_payload;
  if (!nonce.empty()) info["nonce"] = nonce;
  info["cluster"] = facts.cluster;
  if (facts.cluster_dynamic) info["cluster_dynamic"] = true;
  if (!facts.connect_urls.empty()) info["connect_urls"] = facts.connect_urls;
  if (facts.lame_duck) info["ldm"] = true;
  info["ringnats_version"] = RINGNATS_VERSION;
  return absl::StrCat("INFO ", info.dump(), " \r\n");
}

absl::StatusOr<PeerRouteInfo> ParsePeerRouteInfo(std::string_view text) {
  absl::StatusOr<Json> json = ParseObject(text);
  if (!json.ok()) return json.status();
  PeerRouteInfo info;
  info.server_id = StringField(*json, "server_id");
  info.server_name = StringField(*json, "server_name");
  info.host = StringField(*json, "host");
  if (auto it = json->find("port"); it != json->end() && it->is_number_integer()) {
    info.port = it->get<int>();
  }
  info.auth_required = BoolField(*json, "auth_required");
  info.headers = BoolField(*json, "headers");
  info.cluster = StringField(*json, "cluster");
  info.cluster_dynamic = BoolField(*json, "cluster_dynamic");
  info.ip = StringField(*json, "ip");
  info.lame_duck = BoolField(*json, "ldm");
  if (auto it = json->find("connect_urls"); it != json->end() && it->is_array()) {
    // A server offers its clients a URL per address it listens on: a handful. Past the
    // bound a peer's list would only grow every client's INFO (limits.md).
    for (const Json& url : *it) {
      if (info.connect_urls.size() == kMaxPeerConnectUrls) break;
      if (url.is_string()) info.connect_urls.push_back(url.get<std::string>());
    }
  }
  info.json.assign(text);
  return info;
}

std::string BuildGossipInfo(const PeerRouteInfo& peer, std::string_view ip,
                            std::string_view cluster, bool cluster_dynamic) {
  Json info = Json::parse(peer.json, nullptr, /*allow_exceptions=*/false);
  if (info.is_discarded() || !info.is_object()) info = Json::object();
  info.erase("nonce");
  info["ip"] = ip;
  info["cluster"] = cluster;
  if (cluster_dynamic) {
    info["cluster_dynamic"] = true;
  } else {
    info.erase("cluster_dynamic");
  }
  return absl::StrCat("INFO ", info.dump(), "\r\n");
}

std::string BuildRouteConnect(const RouteConnectFacts& facts) {
  Json connect;
  connect["echo"] = true;
  connect["verbose"] = false;
  connect["pedantic"] = false;
  if (!facts.user.empty()) connect["user"] = facts.user;
  if (!facts.password.empty()) connect["pass"] = facts.password;
  connect["tls_required"] = facts.tls_required;
  connect["headers"] = facts.headers;
  connect["name"] = facts.server_id;
  connect["cluster"] = facts.cluster;
  // nats-server's route CONNECT names it so (its INFO too); omitted when false, as there.
  if (facts.cluster_dynamic) connect["cluster_dynamic"] = true;
  return absl::StrCat("CONNECT ", connect.dump(), "\r\n");
}

absl::StatusOr<PeerRouteConnect> ParsePeerRouteConnect(std::string_view text) {
  absl::StatusOr<Json> json = ParseObject(text);
  if (!json.ok()) return json.status();
  PeerRouteConnect connect;
  connect.user = StringField(*json, "user");
  connect.password = StringField(*json, "pass");
  connect.server_id = StringField(*json, "name");
  connect.cluster = StringField(*json, "cluster");
  connect.cluster_dynamic = BoolField(*json, "cluster_dynamic");
  connect.headers = BoolField(*json, "headers");
  connect.is_client = json->contains("lang");
  connect.is_gateway = json->contains("gateway");
  return connect;
}

std::string HostPortOfUrl(std::string_view url) {
  if (size_t scheme = url.find("://"); scheme != std::string_view::npos) {
    url.remove_prefix(scheme + 3);
  }
  if (size_t at = url.rfind('@'); at != std::string_view::npos) url.remove_prefix(at + 1);
  if (size_t slash = url.find('/'); slash != std::string_view::npos) url = url.substr(0, slash);
  return std::string(url);
}

}  // namespace ringnats::route
