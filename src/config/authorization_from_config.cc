#include "ringnats/config/authorization_from_config.h"

#include <string_view>

#include "absl/strings/ascii.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "ringnats/auth/permissions.h"
#include "value_conversions.h"

namespace ringnats::config {
namespace {

std::string Lower(std::string_view key) {
  return absl::AsciiStrToLower(absl::string_view(key.data(), key.size()));
}

// A subject list: one subject or an array of them. Every entry must pass nats-server's check
// (auth::CheckPermissionEntry). nats-server names the allow/deny key for an entry of the map
// form (`report_at`) and no position at all for the plain forms, where ringnats names the
// entry's own.
absl::StatusOr<std::vector<std::string>> SubjectList(const ConfigValue& value,
                                                     const Position* report_at) {
  auto check = [&](const ConfigValue& subject) -> absl::Status {
    absl::Status valid = auth::CheckPermissionEntry(subject.string_value());
    if (valid.ok()) return valid;
    return ErrorAt(report_at != nullptr ? *report_at : subject.position(),
                   std::string(valid.message()));
  };
  std::vector<std::string> subjects;
  if (value.is_string()) {
    if (absl::Status valid = check(value); !valid.ok()) return valid;
    subjects.push_back(value.string_value());
    return subjects;
  }
  if (value.is_array()) {
    for (const ConfigValue& element : value.array()) {
      if (!element.is_string()) {
        return ErrorAt(element.position(), "Subject in permissions array cannot be cast to string");
      }
      subjects.push_back(element.string_value());
    }
    // nats-server checks the entries once all of them are strings.
    for (const ConfigValue& element : value.array()) {
      if (absl::Status valid = check(element); !valid.ok()) return valid;
    }
    return subjects;
  }
  return absl::InvalidArgumentError(
      absl::StrFormat("Expected subject permissions to be a subject, or array of subjects, got %s",
                      GoTypeName(value)));
}

// `publish: "a.>"`, `publish: [..]` (an allow list) or `publish: {allow: .., deny: ..}`.
absl::StatusOr<auth::SubjectRules> SubjectRulesFrom(const ConfigValue& value) {
  auth::SubjectRules rules;
  if (!value.is_map()) {
    absl::StatusOr<std::vector<std::string>> allow = SubjectList(value, nullptr);
    if (!allow.ok()) return allow.status();
    rules.allow = *std::move(allow);
    return rules;
  }
  for (const MapEntry& raw : value.map()) {
    const MapEntry entry = AtKey(raw);
    const std::string key = Lower(entry.key);
    if (key != "allow" && key != "deny") {
      return ErrorAt(entry.key_position,
                     absl::StrFormat("Unknown field name \"%s\" parsing subject permissions, "
                                     "only 'allow' or 'deny' are permitted",
                                     entry.key));
    }
    if (!entry.value.is_string() && !entry.value.is_array()) {
      return ErrorAt(entry.value.position(),
                     absl::StrFormat("Expected subject permissions to be a subject, or array of "
                                     "subjects, got %s",
                                     GoTypeName(entry.value)));
    }
    absl::StatusOr<std::vector<std::string>> list = SubjectList(entry.value, &entry.key_position);
    if (!list.ok()) return list.status();
    if (key == "allow") {
      rules.allow = *std::move(list);
    } else {
      rules.deny = *std::move(list);
    }
  }
  return rules;
}

absl::StatusOr<auth::ResponsePermission> ResponsePermissionFrom(const ConfigValue& value) {
  auth::ResponsePermission response;
  if (value.is_bool()) return response;
  if (!value.is_map()) return WrongType(value, "map[string]interface {}");
  for (const MapEntry& raw : value.map()) {
    const MapEntry entry = AtKey(raw);
    const std::string key = Lower(entry.key);
    if (key == "max") {
      if (!entry.value.is_int()) return WrongType(entry.value, "int64");
      response.max_msgs = entry.value.int_value();
    } else if (key == "expires") {
      absl::StatusOr<absl::Duration> expires = GoDuration(entry.value, "expires");
      if (!expires.ok()) return expires.status();
      response.expires = *expires;
    } else {
      return ErrorAt(entry.key_position, absl::StrFormat("unknown field \"%s\"", entry.key));
    }
  }
  return response;
}

// Go's %+v of a configuration value, for "Expected permissions to be a map/struct, got X".
std::string GoValueText(const ConfigValue& value) {
  switch (value.kind()) {
    case ConfigValue::Kind::kString: return value.string_value();
    case ConfigValue::Kind::kInt: return std::to_string(value.int_value());
    case ConfigValue::Kind::kBool: return value.bool_value() ? "true" : "false";
    case ConfigValue::Kind::kDouble: return absl::StrFormat("%g", value.double_value());
    default: return std::string(GoTypeName(value));
  }
}

}  // namespace

absl::StatusOr<auth::Permissions> PermissionsFromConfig(const ConfigValue& value) {
  if (!value.is_map()) {
    return ErrorAt(
        value.position(),
        absl::StrFormat("Expected permissions to be a map/struct, got %s", GoValueText(value)));
  }
  auth::Permissions permissions;
  for (const MapEntry& raw : value.map()) {
    const MapEntry entry = AtKey(raw);
    const std::string key = Lower(entry.key);
    if (key == "publish" || key == "pub" || key == "import") {
      absl::StatusOr<auth::SubjectRules> rules = SubjectRulesFrom(entry.value);
      if (!rules.ok()) return rules.status();
      permissions.publish = *std::move(rules);
    } else if (key == "subscribe" || key == "sub" || key == "export") {
      absl::StatusOr<auth::SubjectRules> rules = SubjectRulesFrom(entry.value);
      if (!rules.ok()) return rules.status();
      permissions.subscribe = *std::move(rules);
    } else if (key == "allow_responses" || key == "publish_allow_responses") {
      if (entry.value.is_bool() && !entry.value.bool_value()) continue;
      absl::StatusOr<auth::ResponsePermission> response = ResponsePermissionFrom(entry.value);
      if (!response.ok()) return response.status();
      permissions.allow_responses = *response;
    } else if (!entry.value.used_as_variable()) {
      return ErrorAt(entry.key_position,
                     absl::StrFormat("Unknown field \"%s\" parsing permissions", entry.key));
    }
  }
  return permissions;
}

namespace {

absl::StatusOr<auth::User> UserFrom(const ConfigValue& value) {
  if (!value.is_map()) return WrongType(value, "map[string]interface {}");
  auth::User user;
  bool named = false;
  for (const MapEntry& raw : value.map()) {
    const MapEntry entry = AtKey(raw);
    const std::string key = Lower(entry.key);
    if (key == "user" || key == "username") {
      if (!entry.value.is_string()) return WrongType(entry.value, "string");
      user.name = entry.value.string_value();
      named = true;
    } else if (key == "password" || key == "pass") {
      if (!entry.value.is_string()) return WrongType(entry.value, "string");
      user.password = entry.value.string_value();
    } else if (key == "permissions" || key == "permission") {
      absl::StatusOr<auth::Permissions> permissions = PermissionsFromConfig(entry.value);
      if (!permissions.ok()) return permissions.status();
      user.permissions = *std::move(permissions);
    } else if (key == "nkey" || key == "allowed_connection_types" || key == "account") {
      return ErrorAt(entry.key_position,
                     absl::StrFormat("option \"%s\" is not supported by ringnats yet", entry.key));
    } else {
      return ErrorAt(entry.key_position, absl::StrFormat("unknown field \"%s\"", entry.key));
    }
  }
  if (!named) {
    // nats-server points at the last key it looked at (its maps have no order); for an empty
    // entry, just past its '}', which is not recorded here.
    const Position& at = value.map().empty() ? value.position() : value.map().back().key_position;
    return ErrorAt(at, "User entry requires a user");
  }
  return user;
}

}  // namespace

absl::Status ApplyAuthorizationBlock(const MapEntry& raw_block, auth::AuthConfig* out) {
  const MapEntry block = AtKey(raw_block);
  const ConfigValue& value = block.value;
  if (!value.is_map()) return WrongType(value, "map[string]interface {}");
  auth::AuthConfig config;
  config.no_auth_user = out->no_auth_user;
  std::string user;
  std::string password;
  bool has_user = false;
  bool has_users = false;
  for (const MapEntry& raw : value.map()) {
    const MapEntry entry = AtKey(raw);
    const std::string key = Lower(entry.key);
    const ConfigValue& v = entry.value;
    if (key == "user" || key == "username") {
      if (!v.is_string()) return WrongType(v, "string");
      user = v.string_value();
      has_user = true;
    } else if (key == "password" || key == "pass") {
      if (!v.is_string()) return WrongType(v, "string");
      password = v.string_value();
    } else if (key == "token") {
      if (!v.is_string()) return WrongType(v, "string");
      config.token = v.string_value();
    } else if (key == "timeout") {
      // Numbers only, in seconds; nats-server turns anything else into one second.
      if (v.is_int()) {
        config.timeout = absl::Seconds(v.int_value());
      } else if (v.is_double()) {
        config.timeout = absl::Seconds(v.double_value());
      } else {
        config.timeout = absl::Seconds(1);
      }
    } else if (key == "users") {
      if (!v.is_array()) return WrongType(v, "[]interface {}");
      has_users = true;
      for (const ConfigValue& element : v.array()) {
        absl::StatusOr<auth::User> parsed = UserFrom(element);
        if (!parsed.ok()) return parsed.status();
        if (config.users.contains(parsed->name)) {
          return ErrorAt(block.key_position,
                         absl::StrFormat("Duplicate user \"%s\" detected", parsed->name));
        }
        std::string name = parsed->name;
        config.users.emplace(std::move(name), *std::move(parsed));
      }
    } else if (key == "default_permissions" || key == "default_permission" ||
               key == "permissions") {
      absl::StatusOr<auth::Permissions> permissions = PermissionsFromConfig(v);
      if (!permissions.ok()) return permissions.status();
      config.default_permissions = *std::move(permissions);
    } else if (!v.used_as_variable()) {
      return ErrorAt(entry.key_position, absl::StrFormat("unknown field \"%s\"", entry.key));
    }
  }
  if (has_user && !config.token.empty()) {
    return ErrorAt(block.key_position, "Cannot have a user/pass and token");
  }
  if (has_users && has_user) {
    return ErrorAt(block.key_position, "Can not have a single user/pass and a users array");
  }
  if (has_users && !config.token.empty()) {
    return ErrorAt(block.key_position, "Can not have a token and a users array");
  }
  if (has_users) {
    config.mode = auth::AuthConfig::Mode::kUsers;
    if (config.default_permissions.has_value()) {
      for (auto& [name, entry] : config.users) {
        if (!entry.permissions.has_value()) entry.permissions = config.default_permissions;
      }
    }
  } else if (!config.token.empty()) {
    config.mode = auth::AuthConfig::Mode::kToken;
  } else if (has_user) {
    config.mode = auth::AuthConfig::Mode::kSingleUser;
    config.single_user.name = user;
    config.single_user.password = password;
  }
  *out = std::move(config);
  return absl::OkStatus();
}

}  // namespace ringnats::config
