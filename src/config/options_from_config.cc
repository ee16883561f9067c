#include "ringnats/config/options_from_config.h"

#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <string_view>

#include "absl/strings/ascii.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "cluster_from_config.h"
#include "ringnats/config/authorization_from_config.h"
#include "ringnats/config/config_parser.h"
#include "ringnats/util/go_duration.h"
#include "tls_from_config.h"
#include "value_conversions.h"

namespace ringnats::config {
namespace {

// ping_interval and write_deadline: a duration string, or an integer number of seconds
// (accepted with a warning, as nats-server does).
absl::StatusOr<absl::Duration> AsDurationOrSeconds(std::string_view key, const ConfigValue& value,
                                                   std::vector<std::string>* warnings) {
  if (value.is_string()) return GoDuration(value, key);
  if (value.is_int()) {
    const Position& at = value.position();
    warnings->push_back(absl::StrFormat("%s:%d:%d: %s should be converted to a duration", at.file,
                                        at.line, NatsColumn(at), key));
    return absl::Seconds(value.int_value());
  }
  return WrongType(value, "string");
}

absl::Status ApplyListen(const ConfigValue& value, ServerOptions* options) {
  absl::StatusOr<HostPort> listen = AsHostPort(value);
  if (!listen.ok()) return listen.status();
  options->host = listen->host;
  options->port = SaturateToInt(listen->port);
  return absl::OkStatus();
}

// `http: 8222` or `http: "host:port"`. A bare port leaves the host empty, as does ":8222":
// empty means the client listener's host, resolved when the monitor starts (nats-server
// resolves it the same way, so a reload compares the resolved hosts).
absl::Status ApplyHttp(const ConfigValue& value, ServerOptions* options) {
  absl::StatusOr<HostPort> http = AsHostPort(value);
  if (!http.ok()) return http.status();
  options->http_host = http->host;
  options->http_port = SaturateToInt(http->port);
  return absl::OkStatus();
}

// ringnats' own `cpu_affinity: true` (worker i on CPU i) or `cpu_affinity: [2, 3]`.
absl::Status ApplyCpuAffinity(const ConfigValue& value, ServerOptions* options) {
  options->cpu_affinity.clear();
  if (value.is_bool()) {
    if (value.bool_value()) {
      const long online = sysconf(_SC_NPROCESSORS_ONLN);
      for (long cpu = 0; cpu < online; ++cpu)
        options->cpu_affinity.push_back(static_cast<int>(cpu));
    }
    return absl::OkStatus();
  }
  if (!value.is_array()) return WrongType(value, "[]interface {}");
  for (const ConfigValue& element : value.array()) {
    absl::StatusOr<int64_t> cpu = AsInt(element);
    if (!cpu.ok()) return cpu.status();
    if (*cpu < 0 || *cpu >= CPU_SETSIZE) return ErrorAt(element.position(), "invalid CPU number");
    options->cpu_affinity.push_back(static_cast<int>(*cpu));
  }
  return absl::OkStatus();
}

// ringnats' own `auth_cache { enabled: true, ttl: "2m", max_entries: 100000 }`, or
// `auth_cache: false` to turn the verified-credential cache off.
absl::Status ApplyAuthCache(const ConfigValue& value, ServerOptions* options) {
  if (value.is_bool()) {
    options->auth_cache_enabled = value.bool_value();
    return absl::OkStatus();
  }
  if (!value.is_map()) return WrongType(value, "map[string]interface {}");
  for (const MapEntry& entry : value.map()) {
    const std::string key =
        absl::AsciiStrToLower(absl::string_view(entry.key.data(), entry.key.size()));
    if (key == "enabled") {
      absl::StatusOr<bool> enabled = AsBool(entry.value);
      if (!enabled.ok()) return enabled.status();
      options->auth_cache_enabled = *enabled;
    } else if (key == "ttl") {
      absl::StatusOr<absl::Duration> ttl = GoDuration(entry.value, "ttl");
      if (!ttl.ok()) return ttl.status();
      options->auth_cache_ttl = *ttl;
    } else if (key == "max_entries") {
      absl::StatusOr<int64_t> max_entries = AsInt(entry.value);
      if (!max_entries.ok()) return max_entries.status();
      options->auth_cache_max_entries = *max_entries;
    } else {
      return ErrorAt(entry.key_position, absl::StrFormat("unknown field \"%s\"", entry.key));
    }
  }
  return absl::OkStatus();
}

// `https: 8443` or `https: "host:port"`: as `http`, for the HTTPS port.
absl::Status ApplyHttps(const ConfigValue& value, ServerOptions* options) {
  absl::StatusOr<HostPort> https = AsHostPort(value);
  if (!https.ok()) return https.status();
  options->http_host = https->host;
  options->https_port = SaturateToInt(https->port);
  return absl::OkStatus();
}

// Whether an `authorization` block names a timeout nats-server does not treat as unset (a
// non-number counts as 1 s, so only a numeric 0 is unset).
bool NamesAuthTimeout(const ConfigValue& block) {
  if (!block.is_map()) return false;
  const ConfigValue* timeout = block.Find("timeout");
  if (timeout == nullptr) return false;
  if (timeout->is_int()) return timeout->int_value() != 0;
  if (timeout->is_double()) return timeout->double_value() != 0;
  return true;
}

// Keys nats-server knows that ringnats does not implement yet: refused, never ignored.
bool IsNatsOptionNotSupported(std::string_view key) {
  static constexpr std::string_view kKeys[] = {"accounts",
                                               "system_account",
                                               "system",
                                               "operator",
                                               "operators",
                                               "resolver",
                                               "resolver_preload",
                                               "resolver_tls",
                                               "trusted",
                                               "trusted_keys",
                                               "jetstream",
                                               "gateway",
                                               "leafnodes",
                                               "leaf",
                                               "websocket",
                                               "mqtt",
                                               "allow_non_tls",
                                               "syslog",
                                               "remote_syslog",
                                               "log_size_limit",
                                               "logfile_size_limit",
                                               "max_traced_msg_len",
                                               "trace_verbose",
                                               "mappings",
                                               "connect_error_reports",
                                               "reconnect_error_reports",
                                               "max_sub_tokens",
                                               "disable_sublist_cache",
                                               "no_sublist_cache",
                                               "no_system_account",
                                               "no_sys_acc",
                                               "no_system",
                                               "default_js_domain",
                                               "ocsp",
                                               "ocsp_cache",
                                               "server_tags",
                                               "accounts_tls",
                                               "nkey"};
  for (std::string_view known : kKeys) {
    if (key == known) return true;
  }
  return false;
}

// An int option: values beyond int's range saturate (nats-server keeps them in a 64-bit int)
// rather than wrap into some other number.
absl::StatusOr<int> SaturatedInt(const ConfigValue& value) {
  absl::StatusOr<int64_t> number = AsInt(value);
  if (!number.ok()) return number.status();
  return SaturateToInt(*number);
}

}  // namespace

absl::StatusOr<ConfigLoad> OptionsFromConfig(const ConfigValue& root, ServerOptions base) {
  ConfigLoad load{std::move(base), {}};
  ServerOptions& o = load.options;
#define RN_TRY_ASSIGN(lhs, expr)                \
  {                                             \
    auto result_ = (expr);                      \
    if (!result_.ok()) return result_.status(); \
    lhs = static_cast<decltype(lhs)>(*result_); \
  }
  for (const MapEntry& raw : root.map()) {
    const MapEntry entry = AtKey(raw);
    const std::string key =
        absl::AsciiStrToLower(absl::string_view(entry.key.data(), entry.key.size()));
    const ConfigValue& v = entry.value;
    if (key == "listen") {
      if (absl::Status st = ApplyListen(v, &o); !st.ok()) return st;
    } else if (key == "host" || key == "net") {
      RN_TRY_ASSIGN(o.host, AsString(v));
    } else if (key == "port") {
      RN_TRY_ASSIGN(o.port, SaturatedInt(v));
    } else if (key == "http") {
      if (absl::Status st = ApplyHttp(v, &o); !st.ok()) return st;
    } else if (key == "http_port" || key == "monitor_port") {
      absl::StatusOr<int64_t> port = AsInt(v);
      if (!port.ok()) return port.status();
      o.http_port = SaturateToInt(*port);
    } else if (key == "https") {
      if (absl::Status st = ApplyHttps(v, &o); !st.ok()) return st;
    } else if (key == "https_port") {
      absl::StatusOr<int64_t> port = AsInt(v);
      if (!port.ok()) return port.status();
      o.https_port = SaturateToInt(*port);
    } else if (key == "tls") {
      if (absl::Status st = ApplyTlsBlock(raw, /*route=*/false, &o.tls); !st.ok()) return st;
    } else if (key == "http_base_path") {
      RN_TRY_ASSIGN(o.http_base_path, AsString(v));
    } else if (key == "server_name") {
      RN_TRY_ASSIGN(o.server_name, AsString(v));
    } else if (key == "client_advertise") {
      RN_TRY_ASSIGN(o.client_advertise, AsString(v));
    } else if (key == "max_payload") {
      RN_TRY_ASSIGN(o.max_payload, AsInt(v));
      if (v.int_value() > INT32_MAX) return ErrorAt(v.position(), "max_payload value is too big");
    } else if (key == "max_pending") {
      RN_TRY_ASSIGN(o.max_pending, AsInt(v));
    } else if (key == "max_control_line") {
      RN_TRY_ASSIGN(o.max_control_line, AsInt(v));
      if (v.int_value() > INT32_MAX) {
        return ErrorAt(v.position(), "max_control_line value is too big");
      }
    } else if (key == "max_connections" || key == "max_conn") {
      RN_TRY_ASSIGN(o.max_connections, SaturatedInt(v));
    } else if (key == "max_subscriptions" || key == "max_subs") {
      RN_TRY_ASSIGN(o.max_subscriptions, SaturatedInt(v));
    } else if (key == "ping_interval") {
      RN_TRY_ASSIGN(o.ping_interval, AsDurationOrSeconds(key, v, &load.warnings));
    } else if (key == "ping_max") {
      RN_TRY_ASSIGN(o.ping_max, SaturatedInt(v));
    } else if (key == "write_deadline") {
      RN_TRY_ASSIGN(o.write_deadline, AsDurationOrSeconds(key, v, &load.warnings));
    } else if (key == "no_header_support") {
      RN_TRY_ASSIGN(o.no_header_support, AsBool(v));
    } else if (key == "debug") {
      RN_TRY_ASSIGN(o.debug, AsBool(v));
    } else if (key == "trace") {
      RN_TRY_ASSIGN(o.trace, AsBool(v));
    } else if (key == "logtime") {
      RN_TRY_ASSIGN(o.logtime, AsBool(v));
    } else if (key == "log_file" || key == "logfile") {
      RN_TRY_ASSIGN(o.log_file, AsString(v));
    } else if (key == "pid_file" || key == "pidfile") {
      RN_TRY_ASSIGN(o.pid_file, AsString(v));
    } else if (key == "ports_file_dir") {
      RN_TRY_ASSIGN(o.ports_file_dir, AsString(v));
    } else if (key == "authorization") {
      if (absl::Status st = ApplyAuthorizationBlock(entry, &o.authorization); !st.ok()) return st;
      o.authorization_timeout_given = NamesAuthTimeout(v);
    } else if (key == "cluster") {
      if (absl::Status st = ApplyClusterBlock(entry, &o.cluster, &load.warnings); !st.ok()) {
        return st;
      }
    } else if (key == "no_auth_user") {
      RN_TRY_ASSIGN(o.authorization.no_auth_user, AsString(v));
    } else if (key == "lame_duck_duration") {
      absl::StatusOr<absl::Duration> duration = GoDuration(v, key);
      if (!duration.ok()) return duration.status();
      if (*duration < absl::Seconds(30)) {
        return ErrorAt(v.position(),
                       absl::StrFormat("invalid lame_duck_duration of %s, minimum is 30 seconds",
                                       util::GoDuration(*duration)));
      }
      o.lame_duck_duration = *duration;
    } else if (key == "lame_duck_grace_period") {
      absl::StatusOr<absl::Duration> duration = GoDuration(v, key);
      if (!duration.ok()) return duration.status();
      if (*duration < absl::ZeroDuration()) {
        return ErrorAt(v.position(), "invalid lame_duck_grace_period, needs to be positive");
      }
      o.lame_duck_grace_period = *duration;
    } else if (key == "cpu_affinity") {
      if (absl::Status st = ApplyCpuAffinity(v, &o); !st.ok()) return st;
    } else if (key == "auth_threads") {
      RN_TRY_ASSIGN(o.auth_threads, SaturatedInt(v));
    } else if (key == "auth_cache") {
      if (absl::Status st = ApplyAuthCache(v, &o); !st.ok()) return st;
    } else if (key == "workers") {
      RN_TRY_ASSIGN(o.workers, SaturatedInt(v));
    } else if (v.used_as_variable()) {
      // A key that only serves as a variable is not an option (nats-server agrees).
    } else if (IsNatsOptionNotSupported(key)) {
      return ErrorAt(entry.key_position,
                     absl::StrFormat("option \"%s\" is not supported by ringnats yet", entry.key));
    } else {
      return ErrorAt(entry.key_position, absl::StrFormat("unknown field \"%s\"", entry.key));
    }
  }
#undef RN_TRY_ASSIGN
  return load;
}

void ApplyBaseline(ServerOptions& o) {
  const ServerOptions defaults;
  if (o.port == 0) o.port = defaults.port;
  if (o.max_connections == 0) o.max_connections = defaults.max_connections;
  if (o.ping_interval == absl::ZeroDuration()) o.ping_interval = defaults.ping_interval;
  // Seconds as an integer can go past Go's range (nats-server then wraps); any interval this
  // long means never, and keeps the next ping's time from overflowing.
  o.ping_interval = std::min(o.ping_interval, absl::Hours(24 * 365 * 100));
  if (o.ping_max == 0) o.ping_max = defaults.ping_max;
  if (o.max_control_line == 0) o.max_control_line = defaults.max_control_line;
  if (o.max_payload == 0) o.max_payload = defaults.max_payload;
  if (o.max_pending == 0) o.max_pending = defaults.max_pending;
  if (o.write_deadline == absl::ZeroDuration()) o.write_deadline = defaults.write_deadline;
  if (o.lame_duck_duration == absl::ZeroDuration()) {
    o.lame_duck_duration = defaults.lame_duck_duration;
  }
  if (o.lame_duck_grace_period == absl::ZeroDuration()) {
    o.lame_duck_grace_period = defaults.lame_duck_grace_period;
  }
}

absl::Status ValidateForStart(const ServerOptions& o) {
  // nats-server reads the --tls* flags' files while it reads its flags, before the rest.
  if (absl::StatusOr<TlsContexts> contexts = BuildTlsContexts(o); !contexts.ok()) {
    return contexts.status();
  }
  // nats-server fails to listen on a port outside 0-65535 (-1 picks a free one).
  if (o.port < -1 || o.port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrFormat("Error listening on port: %s:%d, \"listen tcp: address %d: invalid port\"",
                        o.host.empty() ? "0.0.0.0" : o.host, o.port, o.port));
  }
  if (o.lame_duck_duration > absl::ZeroDuration() &&
      o.lame_duck_grace_period >= o.lame_duck_duration) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "lame duck grace period (%s) should be strictly lower than lame duck duration (%s)",
        util::GoDuration(o.lame_duck_grace_period), util::GoDuration(o.lame_duck_duration)));
  }
  if (o.max_payload > o.max_pending) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "max_payload (%d) cannot be higher than max_pending (%d)", o.max_payload, o.max_pending));
  }
  // nats-server checks this when it starts, not under -t: its monitor listener refuses the
  // port (an int here, so one beyond int's range arrives as INT_MIN/INT_MAX).
  if (o.http_port < -1 || o.http_port > 65535) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "Can't start monitoring: can't listen to the monitor port: listen tcp: address %d: "
        "invalid port",
        o.http_port));
  }
  if (o.http_port != 0 && o.https_port != 0) {
    return absl::InvalidArgumentError(
        absl::StrFormat("Can't start monitoring: can't specify both HTTP (%d) and HTTPs (%d) ports",
                        o.http_port, o.https_port));
  }
  if (o.https_port != 0 && !o.tls.enabled) {
    return absl::InvalidArgumentError(
        "Can't start monitoring: TLS cert and key required for HTTPS");
  }
  if (o.https_port < -1 || o.https_port > 65535) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "Can't start monitoring: can't listen to the monitor port: listen tcp: address %d: "
        "invalid port",
        o.https_port));
  }
  // nats-server checks these when it starts, not under -t: a --routes flag needs a cluster
  // listener (from the file or --cluster), and the advertised cluster address must parse.
  if (!o.cluster.flag_routes.empty() && !o.cluster.flag_listen_given && o.cluster.host.empty() &&
      o.cluster.port == 0) {
    return absl::InvalidArgumentError(
        "solicited routes require cluster capabilities, e.g. --cluster");
  }
  if (o.cluster.enabled()) {
    if (absl::Status advertise = CheckClusterAdvertise(o.cluster.advertise); !advertise.ok()) {
      return absl::InvalidArgumentError(
          absl::StrFormat("Error setting route INFO with Cluster.Advertise value of %s, err=%s",
                          o.cluster.advertise, advertise.message()));
    }
  }
  // nats-server checks this when it starts, not under -t.
  if (!o.authorization.no_auth_user.empty() &&
      (o.authorization.mode != auth::AuthConfig::Mode::kUsers ||
       !o.authorization.users.contains(o.authorization.no_auth_user))) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "no_auth_user: \"%s\" not present as user or nkey in authorization block or account "
        "configuration",
        o.authorization.no_auth_user));
  }
  return absl::OkStatus();
}

absl::StatusOr<ConfigLoad> LoadConfigFile(const std::string& path, ServerOptions base) {
  absl::StatusOr<ConfigValue> root = ParseConfigFile(path);
  if (!root.ok()) return root.status();
  return OptionsFromConfig(*root, std::move(base));
}

}  // namespace ringnats::config
