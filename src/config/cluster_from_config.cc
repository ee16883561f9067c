#include "cluster_from_config.h"

#include <set>
#include <string>
#include <string_view>

#include "absl/strings/ascii.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "ringnats/config/authorization_from_config.h"
#include "route_url_internal.h"
#include "tls_from_config.h"
#include "value_conversions.h"

namespace ringnats::config {
namespace {

std::string Lower(std::string_view key) {
  return absl::AsciiStrToLower(absl::string_view(key.data(), key.size()));
}

// nats-server's warning form; -t refuses a file with warnings.
std::string Warning(const Position& at, std::string_view field, std::string_view reason) {
  return absl::StrFormat("%s:%d:%d: invalid use of field \"%s\": %s", at.file, at.line,
                         NatsColumn(at), field, reason);
}

// nats-server reports a quoted array element one column into it, after the quote.
Position ElementPosition(const ConfigValue& element) {
  Position at = element.position();
  if (element.is_string() && element.quoted()) ++at.column;
  return at;
}

// `routes = [url, ...]`: each a string Go's url.Parse accepts. A repeated entry (compared as
// written) is a warning and dropped. Errors name the URL with its password redacted, where
// nats-server prints it as written.
absl::Status ApplyRoutes(const ConfigValue& value, ClusterOptions* out,
                         std::vector<std::string>* warnings) {
  if (!value.is_array()) return WrongType(value, "[]interface {}");
  std::vector<RouteUrl> routes;
  std::set<std::string> seen;
  for (const ConfigValue& element : value.array()) {
    if (!element.is_string()) return WrongType(element, "string");
    const std::string& text = element.string_value();
    if (!seen.insert(text).second) {
      warnings->push_back(
          Warning(ElementPosition(element), RedactUrlText(text), "Duplicate route entry detected"));
      continue;
    }
    const std::string_view trimmed = TrimBlanks(text);
    absl::StatusOr<RouteUrl> url = ParseRouteUrl(trimmed);
    if (!url.ok()) {
      return ErrorAt(ElementPosition(element),
                     absl::StrFormat("error parsing route url [\"%s\"]", RedactUrlText(trimmed)));
    }
    routes.push_back(*std::move(url));
  }
  out->routes = std::move(routes);
  return absl::OkStatus();
}

// `permissions { import, export }` (publish/subscribe also accepted, as nats-server reads
// them with the user permission parser); dynamic responses are refused.
absl::StatusOr<RoutePermissions> RoutePermissionsFrom(const MapEntry& entry) {
  absl::StatusOr<auth::Permissions> permissions = PermissionsFromConfig(entry.value);
  if (!permissions.ok()) return permissions.status();
  if (permissions->allow_responses.has_value()) {
    return ErrorAt(entry.key_position, "Cluster permissions do not support dynamic responses");
  }
  return RoutePermissions{.imports = permissions->publish, .exports = permissions->subscribe};
}

// The cluster's `authorization`: one user and password; a token or users list is refused.
// Its `permissions` still work but are deprecated (a warning, so -t refuses them).
absl::Status ApplyClusterAuthorization(const MapEntry& block, ClusterOptions* out,
                                       std::optional<RoutePermissions>* auth_permissions,
                                       bool* timeout_given, std::vector<std::string>* warnings) {
  const ConfigValue& value = block.value;
  if (!value.is_map()) return WrongType(value, "map[string]interface {}");
  std::string user;
  std::string password;
  std::string token;
  double timeout = 0;
  bool has_users = false;
  for (const MapEntry& raw : value.map()) {
    const MapEntry entry = AtKey(raw);
    const std::string key = Lower(entry.key);
    const ConfigValue& v = entry.value;
    if (key == "user" || key == "username") {
      if (!v.is_string()) return WrongType(v, "string");
      user = v.string_value();
    } else if (key == "password" || key == "pass") {
      if (!v.is_string()) return WrongType(v, "string");
      password = v.string_value();
    } else if (key == "token") {
      if (!v.is_string()) return WrongType(v, "string");
      token = v.string_value();
    } else if (key == "timeout") {
      // Seconds as a number; anything else is one second (nats-server's rule).
      timeout = v.is_int()      ? static_cast<double>(v.int_value())
                : v.is_double() ? v.double_value()
                                : 1.0;
    } else if (key == "users") {
      if (!v.is_array()) {
        return ErrorAt(entry.key_position, "Expected users field to be an array");
      }
      has_users = true;
    } else if (key == "default_permissions" || key == "default_permission" ||
               key == "permissions") {
      absl::StatusOr<auth::Permissions> permissions = PermissionsFromConfig(v);
      if (!permissions.ok()) return permissions.status();
      *auth_permissions =
          RoutePermissions{.imports = permissions->publish, .exports = permissions->subscribe};
    } else if (!v.used_as_variable()) {
      return ErrorAt(entry.key_position, absl::StrFormat("unknown field \"%s\"", entry.key));
    }
  }
  if (has_users) {
    return ErrorAt(block.key_position, "Cluster authorization does not allow multiple users");
  }
  if (!token.empty()) {
    return ErrorAt(block.key_position, "Cluster authorization does not support tokens");
  }
  out->user = user;
  out->password = password;
  // 0 means the default: 2 s, or more with TLS (see ApplyClusterBlock).
  *timeout_given = timeout != 0;
  out->auth_timeout = timeout == 0 ? absl::Seconds(2) : absl::Seconds(timeout);
  if (auth_permissions->has_value()) {
    warnings->push_back(
        Warning(block.key_position, block.key,
                "setting \"permissions\" within cluster authorization block is deprecated"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ApplyClusterBlock(const MapEntry& raw_block, ClusterOptions* out,
                               std::vector<std::string>* warnings) {
  const MapEntry block = AtKey(raw_block);
  if (!block.value.is_map()) {
    return ErrorAt(block.key_position, absl::StrFormat("Expected map to define cluster, got %s",
                                                       GoTypeName(block.value)));
  }
  std::optional<RoutePermissions> auth_permissions;
  bool has_permissions = false;
  bool auth_timeout_given = false;
  for (const MapEntry& raw : block.value.map()) {
    const MapEntry entry = AtKey(raw);
    const std::string key = Lower(entry.key);
    const ConfigValue& v = entry.value;
    if (key == "name") {
      absl::StatusOr<std::string> name = AsString(v);
      if (!name.ok()) return name.status();
      out->name = *std::move(name);
    } else if (key == "listen") {
      absl::StatusOr<HostPort> listen = AsHostPort(v);
      if (!listen.ok()) return listen.status();
      out->host = listen->host;
      out->port = SaturateToInt(listen->port);
    } else if (key == "port") {
      absl::StatusOr<int64_t> port = AsInt(v);
      if (!port.ok()) return port.status();
      out->port = SaturateToInt(*port);
    } else if (key == "host" || key == "net") {
      absl::StatusOr<std::string> host = AsString(v);
      if (!host.ok()) return host.status();
      out->host = *std::move(host);
    } else if (key == "authorization") {
      if (absl::Status st = ApplyClusterAuthorization(entry, out, &auth_permissions,
                                                      &auth_timeout_given, warnings);
          !st.ok()) {
        return st;
      }
    } else if (key == "routes") {
      if (absl::Status st = ApplyRoutes(v, out, warnings); !st.ok()) return st;
    } else if (key == "cluster_advertise" || key == "advertise") {
      absl::StatusOr<std::string> advertise = AsString(v);
      if (!advertise.ok()) return advertise.status();
      out->advertise = *std::move(advertise);
    } else if (key == "no_advertise") {
      absl::StatusOr<bool> no_advertise = AsBool(v);
      if (!no_advertise.ok()) return no_advertise.status();
      out->no_advertise = *no_advertise;
    } else if (key == "connect_retries") {
      absl::StatusOr<int64_t> retries = AsInt(v);
      if (!retries.ok()) return retries.status();
      out->connect_retries = SaturateToInt(*retries);
    } else if (key == "permissions") {
      absl::StatusOr<RoutePermissions> permissions = RoutePermissionsFrom(entry);
      if (!permissions.ok()) return permissions.status();
      out->permissions = *std::move(permissions);
      has_permissions = true;
    } else if (key == "tls") {
      if (absl::Status st = ApplyTlsBlock(raw, /*route=*/true, &out->tls); !st.ok()) return st;
    } else if (!v.used_as_variable()) {
      // pool_size, compression, accounts... are nats-server 2.10 keys: 2.9.10 refuses them.
      return ErrorAt(entry.key_position, absl::StrFormat("unknown field \"%s\"", entry.key));
    }
  }
  // The cluster's own `permissions` win over the deprecated ones in its authorization.
  if (!has_permissions && auth_permissions.has_value()) out->permissions = auth_permissions;
  // nats-server's default route authorization timeout leaves room for the TLS handshake.
  if (!auth_timeout_given && out->tls.enabled) {
    out->auth_timeout = out->tls.timeout + absl::Seconds(1);
  }
  return absl::OkStatus();
}

}  // namespace ringnats::config
