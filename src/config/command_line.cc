#include "ringnats/config/command_line.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "ringnats/auth/certificate_user.h"
#include "ringnats/config/cluster_options.h"
#include "ringnats/tls/names.h"
#include "route_url_internal.h"
#include "value_conversions.h"

namespace ringnats::config {
namespace {

// Splits `-name=value` / `--name=value` / `-name` into its parts.
struct FlagWord {
  std::string_view name;
  std::string_view value;
  bool has_value = false;
};

FlagWord SplitFlag(std::string_view word) {
  FlagWord flag;
  word.remove_prefix(word.starts_with("--") ? 2 : 1);
  const size_t eq = word.find('=');
  flag.name = word.substr(0, eq);
  if (eq != std::string_view::npos) {
    flag.value = word.substr(eq + 1);
    flag.has_value = true;
  }
  return flag;
}

absl::StatusOr<bool> ParseBool(std::string_view text) {
  if (text == "1" || text == "t" || text == "T" || text == "true" || text == "TRUE" ||
      text == "True") {
    return true;
  }
  if (text == "0" || text == "f" || text == "F" || text == "false" || text == "FALSE" ||
      text == "False") {
    return false;
  }
  return absl::InvalidArgumentError(absl::StrFormat("invalid boolean value \"%s\"", text));
}

// Go's strconv.ParseInt(text, 0, 64), which the flag package uses for int flags: an optional
// sign, then decimal, 0x hex, 0o or 0 octal, or 0b binary digits, with `_` allowed only
// between digits (or after the base prefix). Returns flag's reason for a refusal.
enum class GoIntError { kNone, kSyntax, kRange };

bool GoUnderscoresOk(std::string_view text) {
  char saw = '^';  // '^' start, '0' a digit or base prefix, '_' an underscore, '!' other
  if (!text.empty() && (text.front() == '+' || text.front() == '-')) text.remove_prefix(1);
  size_t i = 0;
  bool hex = false;
  if (text.size() >= 2 && text[0] == '0') {
    const char base = absl::ascii_tolower(static_cast<unsigned char>(text[1]));
    if (base == 'b' || base == 'o' || base == 'x') {
      i = 2;
      saw = '0';
      hex = base == 'x';
    }
  }
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (absl::ascii_isdigit(static_cast<unsigned char>(c)) ||
        (hex && absl::ascii_isxdigit(static_cast<unsigned char>(c)))) {
      saw = '0';
      continue;
    }
    if (c == '_') {
      if (saw != '0') return false;
      saw = '_';
      continue;
    }
    if (saw == '_') return false;
    saw = '!';
  }
  return saw != '_';
}

GoIntError ParseGoInt(std::string_view text, int64_t* value) {
  std::string_view digits = text;
  bool negative = false;
  if (!digits.empty() && (digits.front() == '+' || digits.front() == '-')) {
    negative = digits.front() == '-';
    digits.remove_prefix(1);
  }
  if (digits.empty()) return GoIntError::kSyntax;
  int base = 10;
  if (digits.front() == '0') {
    const char prefix =
        digits.size() >= 3 ? absl::ascii_tolower(static_cast<unsigned char>(digits[1])) : '\0';
    if (prefix == 'b' || prefix == 'o' || prefix == 'x') {
      base = prefix == 'b' ? 2 : prefix == 'o' ? 8 : 16;
      digits.remove_prefix(2);
    } else {
      base = 8;
      digits.remove_prefix(1);
    }
  }
  constexpr uint64_t kMax = ~uint64_t{0};
  uint64_t magnitude = 0;
  bool underscores = false;
  for (char c : digits) {
    if (c == '_') {
      underscores = true;
      continue;
    }
    int digit = 0;
    if (absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      digit = c - '0';
    } else if (absl::ascii_isalpha(static_cast<unsigned char>(c))) {
      digit = absl::ascii_tolower(static_cast<unsigned char>(c)) - 'a' + 10;
    } else {
      return GoIntError::kSyntax;
    }
    if (digit >= base) return GoIntError::kSyntax;
    // ParseUint stops at the first overflow, before looking at the rest.
    if (magnitude > (kMax - digit) / base) return GoIntError::kRange;
    magnitude = magnitude * base + digit;
  }
  if (underscores && !GoUnderscoresOk(text)) return GoIntError::kSyntax;
  constexpr uint64_t kLimit = uint64_t{1} << 63;
  if (!negative && magnitude >= kLimit) return GoIntError::kRange;
  if (negative && magnitude > kLimit) return GoIntError::kRange;
  *value = negative ? static_cast<int64_t>(~magnitude + 1) : static_cast<int64_t>(magnitude);
  return GoIntError::kNone;
}

// nats-server 2.9 flags for features ringnats does not have yet: refused by name rather than
// as unknown, so a moved command line fails with a clear reason.
bool IsNatsFlagNotSupported(std::string_view name) {
  static constexpr std::string_view kFlags[] = {
      "s",  "syslog",    "r",  "remote_syslog", "log_size_limit", "max_traced_msg_len",
      "js", "jetstream", "sd", "store_dir",     "profile"};
  for (std::string_view known : kFlags) {
    if (name == known) return true;
  }
  return false;
}

// --cluster/--cluster_listen (nats-server's overrideCluster): "" turns the listener off;
// otherwise a URL whose host:port (":-1" a random port) is the listener, and whose user and
// password, if any, replace the cluster authorization (none clears it).
absl::Status OverrideCluster(std::string_view listen, ClusterOptions* cluster) {
  if (listen.empty()) {
    cluster->port = 0;
    return absl::OkStatus();
  }
  std::string text(listen);
  const bool random = text.ends_with(":-1");
  if (random) text = text.substr(0, text.size() - 3) + ":0";
  absl::StatusOr<RouteUrl> url = ParseRouteUrl(text);
  if (!url.ok()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("parse \"%s\": %s", RedactUrlText(text), url.status().message()));
  }
  std::string host;
  std::string port;
  if (absl::Status split = GoSplitHostPort(url->HostPort(), &host, &port); !split.ok()) {
    return split;
  }
  if (random) port = "-1";
  // fmt.Sscan into an int: the port is digits here (url.Parse checked), "-1", or empty. A
  // leading 0 makes it octal, read up to the first non-octal digit ("09" is 0).
  if (port.empty()) return absl::InvalidArgumentError("EOF");
  std::string token = port;
  int base = 10;
  if (port.size() > 1 && port.front() == '0') {
    base = 8;
    token = port.substr(0, port.find_first_not_of("01234567"));
  }
  int64_t value = 0;
  if (base == 8) {
    uint64_t magnitude = 0;
    for (char c : token) {
      if (magnitude > (uint64_t{1} << 63) / 8) {
        magnitude = ~uint64_t{0};
        break;
      }
      magnitude = magnitude * 8 + (c - '0');
    }
    if (magnitude >= (uint64_t{1} << 63)) {
      return absl::InvalidArgumentError(
          absl::StrFormat("strconv.ParseInt: parsing \"%s\": value out of range", token));
    }
    value = static_cast<int64_t>(magnitude);
  } else if (!absl::SimpleAtoi(absl::string_view(token.data(), token.size()), &value)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("strconv.ParseInt: parsing \"%s\": value out of range", token));
  }
  cluster->host = host;
  cluster->port = SaturateToInt(value);
  if (url->has_user) {
    if (!url->has_password)
      return absl::InvalidArgumentError("expected cluster password to be set");
    cluster->user = url->user;
    cluster->password = url->password;
  } else {
    cluster->user.clear();
    cluster->password.clear();
  }
  return absl::OkStatus();
}

// The --tls* flags as given; nats-server applies them once every flag is read.
struct TlsFlags {
  std::optional<bool> tls;  // --tls, --tls=false
  bool any_given = false;   // any --tls* flag
  bool verify = false;
  std::string cert;
  std::string key;
  std::string ca;
};

// nats-server's overrideTLS: --tls=false turns TLS off whatever else is given (the file's
// block too); any other --tls* flag replaces the file's certificate, key, CA, verification,
// suites and curves with the flags' (nats-server's defaults for the rest), keeping its
// timeout, verify_and_map, pinned certificates and rate limit. The files are read when the
// server starts (BuildTlsContexts), as nats-server reads them after its flag pass.
absl::Status OverrideTls(const TlsFlags& flags, TlsOptions* tls) {
  if (flags.tls.has_value() && !*flags.tls) {
    tls->enabled = false;
    return absl::OkStatus();
  }
  if (!flags.any_given) return absl::OkStatus();
  if (flags.cert.empty()) {
    return absl::InvalidArgumentError("TLS Server certificate must be present and valid");
  }
  if (flags.key.empty()) {
    return absl::InvalidArgumentError("TLS Server private key must be present and valid");
  }
  tls->enabled = true;
  tls->cert_file = flags.cert;
  tls->key_file = flags.key;
  tls->ca_file = flags.ca;
  tls->verify = flags.verify;
  tls->insecure = false;
  tls->cipher_suites.clear();
  tls->curve_preferences.clear();
  tls->min_version = tls::MinVersion::kTls12;
  return absl::OkStatus();
}

// --routes: a comma-separated list of URLs, each trimmed; "" removes the routes.
// nats-server ignores a URL that does not parse (and then crashes on it); it is refused here.
absl::Status OverrideRoutes(std::string_view list, ClusterOptions* cluster) {
  cluster->routes.clear();
  if (list.empty()) return absl::OkStatus();
  for (absl::string_view part : absl::StrSplit(absl::string_view(list.data(), list.size()), ',')) {
    const std::string_view trimmed = TrimBlanks(std::string_view(part.data(), part.size()));
    absl::StatusOr<RouteUrl> url = ParseRouteUrl(trimmed);
    if (!url.ok()) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "flag -routes: parse \"%s\": %s", RedactUrlText(trimmed), url.status().message()));
    }
    cluster->routes.push_back(*std::move(url));
  }
  return absl::OkStatus();
}

}  // namespace

const char* UsageText() {
  return R"(Usage: ringnats [options]

Server Options:
    -a, --addr, --net <host>         Bind to host address (default: 0.0.0.0)
    -p, --port <port>                Use port for clients (default: 4222, -1 picks a free port)
    -n, --name, --server_name <name> Server name (default: auto)
    -P, --pid <file>                 File to store PID
    -m, --http_port <port>           Use port for http monitoring (-1 picks a free port)
    -ms,--https_port <port>          Use port for https monitoring
    -c, --config <file>              Configuration file
    -t                               Test configuration and exit
    -sl,--signal <signal>[=<pid>]    Send signal to ringnats process (ldm, stop, quit, term, reopen, reload)
                                     <pid> can be either a PID (e.g. 1) or the path to a PID file (e.g. /var/run/ringnats.pid)
        --ports_file_dir <dir>       Creates a ports file in the specified directory (<executable_name>_<pid>.ports).
        --client_advertise <string>  Client URL to advertise to other servers
        --workers <n>                Ring threads, one per core (default: online CPUs)

Cluster Options:
        --routes <rurl-1, rurl-2>    Routes to solicit and connect
        --cluster <cluster-url>      Cluster URL for solicited routes
        --cluster_name <string>      Cluster Name, if not set one will be dynamically generated
        --no_advertise <bool>        Do not advertise known cluster information to clients
        --cluster_advertise <string> Cluster URL to advertise to other servers
        --connect_retries <number>   For implicit routes, number of connect retries
        --cluster_listen <url>       Cluster url from which members can solicit routes

TLS Options:
        --tls                        Enable TLS, do not verify clients (default: false)
        --tlscert <file>             Server certificate file
        --tlskey <file>              Private key for server certificate
        --tlsverify                  Enable TLS, verify client certificates
        --tlscacert <file>           Client certificate CA for verification

Authorization Options:
        --user <user>                User required for connections
        --pass <password>            Password required for connections
        --auth <token>               Authorization token required for connections

Logging Options:
    -l, --log <file>                 File to redirect log output
    -T, --logtime                    Timestamp log entries (default: true)
    -D, --debug                      Enable debugging output
    -V, --trace                      Trace the raw protocol
    -DV                              Debug and trace

Common Options:
    -h, --help                       Show this message
    -v, --version                    Show version
        --help_tls                   TLS help
)";
}

std::string TlsUsageText() {
  std::string text = R"(
A tls block in the configuration file turns TLS on: at the top level for clients, inside
cluster { } for routes; https_port serves monitoring with the clients' block. For example:

    tls {
        cert_file: "/etc/ringnats/server-cert.pem"
        key_file:  "/etc/ringnats/server-key.pem"
        ca_file:   "/etc/ringnats/ca.pem"
        verify:    true
        timeout:   2
        cipher_suites: [
            "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"
            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"
        ]
        curve_preferences: ["X25519", "CurveP256"]
    }

ECDSA P-256 or Ed25519 keys cost a fraction of an RSA key's CPU per handshake. Every option
is described in docs/tls.md.

Cipher suites (TLS 1.3 suites are accepted by name and always enabled):
)";
  const auto list = [&text](const std::vector<std::string_view>& names) {
    for (std::string_view name : names) text.append("    ").append(name).append("\n");
  };
  list(tls::UsableCipherSuiteNames());
  text += "\nCurve preferences:\n";
  list(tls::DefaultCurveNames());
  return text;
}

std::string VersionText() {
  return absl::StrFormat("nats-server: v%s (ringnats v%s)\n", RINGNATS_NATS_COMPAT_VERSION,
                         RINGNATS_VERSION);
}

absl::StatusOr<ServerOptions> ParseCommandLine(int argc, const char* const* argv,
                                               ServerOptions base) {
  ServerOptions options = std::move(base);
  // --cluster and --routes are resolved once every flag is read (the last one given wins),
  // as nats-server does after its flag pass; not under -t, where nats-server stops before.
  std::optional<std::string> cluster_listen;
  std::optional<std::string> routes;
  TlsFlags tls_flags;
  for (int i = 1; i < argc; ++i) {
    const std::string_view word = argv[i];
    if (word == "version") {
      options.show_version = true;
      continue;
    }
    if (word == "help") {
      options.show_help = true;
      continue;
    }
    if (word.size() < 2 || word[0] != '-') {
      return absl::InvalidArgumentError(absl::StrFormat("unrecognized command: \"%s\"", word));
    }
    const FlagWord flag = SplitFlag(word);
    auto take_value = [&]() -> absl::StatusOr<std::string> {
      if (flag.has_value) return std::string(flag.value);
      if (i + 1 >= argc) {
        return absl::InvalidArgumentError(
            absl::StrFormat("flag needs an argument: -%s", flag.name));
      }
      return std::string(argv[++i]);
    };
    auto take_bool = [&]() -> absl::StatusOr<bool> {
      if (!flag.has_value) return true;
      absl::StatusOr<bool> value = ParseBool(flag.value);
      if (!value.ok()) {
        return absl::InvalidArgumentError(absl::StrFormat(
            "invalid boolean value \"%s\" for -%s: parse error", flag.value, flag.name));
      }
      return value;
    };
    auto take_int = [&]() -> absl::StatusOr<int> {
      absl::StatusOr<std::string> text = take_value();
      if (!text.ok()) return text.status();
      int64_t value = 0;
      switch (ParseGoInt(*text, &value)) {
        case GoIntError::kNone: break;
        case GoIntError::kSyntax:
          return absl::InvalidArgumentError(
              absl::StrFormat("invalid value \"%s\" for flag -%s: parse error", *text, flag.name));
        case GoIntError::kRange:
          return absl::InvalidArgumentError(absl::StrFormat(
              "invalid value \"%s\" for flag -%s: value out of range", *text, flag.name));
      }
      return SaturateToInt(value);
    };
#define RN_ASSIGN_OR_RETURN(lhs, expr)          \
  {                                             \
    auto result_ = (expr);                      \
    if (!result_.ok()) return result_.status(); \
    lhs = *std::move(result_);                  \
  }
    const std::string_view name = flag.name;
    if (name == "a" || name == "addr" || name == "net") {
      RN_ASSIGN_OR_RETURN(options.host, take_value());
    } else if (name == "p" || name == "port") {
      RN_ASSIGN_OR_RETURN(options.port, take_int());
    } else if (name == "n" || name == "name" || name == "server_name") {
      RN_ASSIGN_OR_RETURN(options.server_name, take_value());
    } else if (name == "P" || name == "pid") {
      RN_ASSIGN_OR_RETURN(options.pid_file, take_value());
    } else if (name == "c" || name == "config") {
      RN_ASSIGN_OR_RETURN(options.config_file, take_value());
    } else if (name == "t") {
      RN_ASSIGN_OR_RETURN(options.check_config, take_bool());
    } else if (name == "ports_file_dir") {
      RN_ASSIGN_OR_RETURN(options.ports_file_dir, take_value());
    } else if (name == "workers") {
      RN_ASSIGN_OR_RETURN(options.workers, take_int());
    } else if (name == "l" || name == "log") {
      RN_ASSIGN_OR_RETURN(options.log_file, take_value());
    } else if (name == "T" || name == "logtime") {
      RN_ASSIGN_OR_RETURN(options.logtime, take_bool());
    } else if (name == "D" || name == "debug") {
      RN_ASSIGN_OR_RETURN(options.debug, take_bool());
    } else if (name == "V" || name == "trace") {
      RN_ASSIGN_OR_RETURN(options.trace, take_bool());
    } else if (name == "DV") {
      RN_ASSIGN_OR_RETURN(options.debug, take_bool());
      options.trace = options.debug;
    } else if (name == "sl" || name == "signal") {
      RN_ASSIGN_OR_RETURN(options.signal_command, take_value());
    } else if (name == "user") {
      RN_ASSIGN_OR_RETURN(options.cli_user, take_value());
    } else if (name == "pass") {
      RN_ASSIGN_OR_RETURN(options.cli_pass, take_value());
    } else if (name == "auth") {
      RN_ASSIGN_OR_RETURN(options.cli_token, take_value());
    } else if (name == "client_advertise") {
      RN_ASSIGN_OR_RETURN(options.client_advertise, take_value());
    } else if (name == "VV") {
      // nats-server's verbose trace adds its system account's traffic; ringnats has none.
      RN_ASSIGN_OR_RETURN(options.trace, take_bool());
    } else if (name == "DVV") {
      RN_ASSIGN_OR_RETURN(options.debug, take_bool());
      options.trace = options.debug;
    } else if (name == "m" || name == "http_port") {
      // 0 turns monitoring off, as at nats-server's start (flags are applied over the file).
      RN_ASSIGN_OR_RETURN(options.http_port, take_int());
    } else if (name == "cluster" || name == "cluster_listen") {
      RN_ASSIGN_OR_RETURN(cluster_listen, take_value());
    } else if (name == "routes") {
      RN_ASSIGN_OR_RETURN(routes, take_value());
    } else if (name == "cluster_name") {
      RN_ASSIGN_OR_RETURN(options.cluster.name, take_value());
    } else if (name == "cluster_advertise") {
      RN_ASSIGN_OR_RETURN(options.cluster.advertise, take_value());
    } else if (name == "no_advertise") {
      RN_ASSIGN_OR_RETURN(options.cluster.no_advertise, take_bool());
    } else if (name == "connect_retries") {
      RN_ASSIGN_OR_RETURN(options.cluster.connect_retries, take_int());
    } else if (name == "ms" || name == "https_port") {
      RN_ASSIGN_OR_RETURN(options.https_port, take_int());
    } else if (name == "tls") {
      RN_ASSIGN_OR_RETURN(tls_flags.tls, take_bool());
      tls_flags.any_given = true;
    } else if (name == "tlsverify") {
      RN_ASSIGN_OR_RETURN(tls_flags.verify, take_bool());
      tls_flags.any_given = true;
    } else if (name == "tlscert") {
      RN_ASSIGN_OR_RETURN(tls_flags.cert, take_value());
      tls_flags.any_given = true;
    } else if (name == "tlskey") {
      RN_ASSIGN_OR_RETURN(tls_flags.key, take_value());
      tls_flags.any_given = true;
    } else if (name == "tlscacert") {
      RN_ASSIGN_OR_RETURN(tls_flags.ca, take_value());
      tls_flags.any_given = true;
    } else if (IsNatsFlagNotSupported(name)) {
      return absl::InvalidArgumentError(
          absl::StrFormat("flag -%s is not supported by ringnats yet", flag.name));
    } else if (name == "h" || name == "help") {
      options.show_help = true;
    } else if (name == "help_tls") {
      options.show_tls_help = true;
    } else if (name == "v" || name == "version") {
      options.show_version = true;
    } else {
      return absl::InvalidArgumentError(
          absl::StrFormat("flag provided but not defined: -%s", flag.name));
    }
#undef RN_ASSIGN_OR_RETURN
  }
  if (cluster_listen.has_value()) {
    options.cluster.flag_listen_given = !cluster_listen->empty();
    if (!options.check_config) {
      if (absl::Status st = OverrideCluster(*cluster_listen, &options.cluster); !st.ok()) return st;
    }
  }
  if (routes.has_value()) {
    options.cluster.flag_routes = *routes;
    if (!options.check_config) {
      if (absl::Status st = OverrideRoutes(*routes, &options.cluster); !st.ok()) return st;
    }
  }
  if (!options.check_config) {
    if (absl::Status st = OverrideTls(tls_flags, &options.tls); !st.ok()) return st;
  }
  return options;
}

auth::AuthConfig ResolveAuth(const ServerOptions& options) {
  auth::AuthConfig resolved = options.authorization;
  // nats-server's default leaves room for the TLS handshake before CONNECT.
  if (!options.authorization_timeout_given) {
    resolved.timeout =
        options.tls.enabled ? options.tls.timeout + absl::Seconds(1) : absl::Seconds(2);
  }
  if (!options.cli_token.empty()) {
    const absl::Duration timeout = resolved.timeout;
    resolved = auth::AuthConfig{};
    resolved.mode = auth::AuthConfig::Mode::kToken;
    resolved.token = options.cli_token;
    resolved.timeout = timeout;
  } else if (!options.cli_user.empty()) {
    const absl::Duration timeout = resolved.timeout;
    resolved = auth::AuthConfig{};
    resolved.mode = auth::AuthConfig::Mode::kSingleUser;
    resolved.single_user.name = options.cli_user;
    resolved.single_user.password = options.cli_pass;
    resolved.timeout = timeout;
  }
  resolved.tls_map = options.tls.enabled && options.tls.verify_and_map &&
                     resolved.mode == auth::AuthConfig::Mode::kUsers;
  if (resolved.tls_map) auth::IndexUsersByDistinguishedName(resolved);
  return resolved;
}

}  // namespace ringnats::config
