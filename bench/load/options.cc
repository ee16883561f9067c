#include "options.h"

#include <arpa/inet.h>

#include <charconv>
#include <cmath>
#include <functional>
#include <map>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"

namespace ringnats::load {
namespace {

struct ScenarioEntry {
  std::string_view name;
  Scenario scenario;
};

constexpr ScenarioEntry kScenarios[] = {
    {"pub", Scenario::kPub},
    {"pubsub", Scenario::kPubSub},
    {"fanout", Scenario::kFanout},
    {"queue", Scenario::kQueue},
    {"many-subjects", Scenario::kManySubjects},
    {"reqrep", Scenario::kReqRep},
    {"storm", Scenario::kStorm},
    {"connect", Scenario::kConnect},
    {"idle", Scenario::kIdle},
    {"gen-users", Scenario::kGenUsers},
};

bool FindScenario(std::string_view name, Scenario* out) {
  for (const ScenarioEntry& e : kScenarios) {
    if (e.name == name) {
      *out = e.scenario;
      return true;
    }
  }
  return false;
}

absl::Status Bad(std::string_view flag, std::string_view value, std::string_view why) {
  return absl::InvalidArgumentError(absl::StrFormat("--%s %s: %s", flag, value, why));
}

template <typename T>
absl::Status ParseInteger(std::string_view flag, std::string_view text, T min, T max, T* out) {
  T v{};
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size()) {
    return Bad(flag, text, "not an integer");
  }
  if (v < min || v > max) {
    return Bad(flag, text, absl::StrFormat("must be in [%d, %d]", min, max));
  }
  *out = v;
  return absl::OkStatus();
}

absl::Status ParseDouble(std::string_view flag, std::string_view text, double min, double max,
                         double* out) {
  double v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size() || !std::isfinite(v)) {
    return Bad(flag, text, "not a number");
  }
  if (v < min || v > max) return Bad(flag, text, absl::StrFormat("must be in [%g, %g]", min, max));
  *out = v;
  return absl::OkStatus();
}

// Accepts host:port, nats://host:port or a bare port. The host must be a loopback IPv4
// address (127.x.y.z) or `localhost`: the tool measures a broker on the same machine, and
// its load is not something to point at other hosts by accident.
absl::Status ParseUrl(std::string_view text, Options* o) {
  std::string_view s = text;
  if (s.substr(0, 7) == "nats://") s.remove_prefix(7);
  size_t colon = s.rfind(':');
  std::string_view host = colon == std::string_view::npos ? "127.0.0.1" : s.substr(0, colon);
  std::string_view port = colon == std::string_view::npos ? s : s.substr(colon + 1);
  if (host == "localhost" || host.empty()) host = "127.0.0.1";
  in_addr addr{};
  if (inet_pton(AF_INET, std::string(host).c_str(), &addr) != 1 ||
      (ntohl(addr.s_addr) >> 24) != 127) {
    return Bad("url", text, "the host must be a loopback IPv4 address (127.x.y.z)");
  }
  o->host = std::string(host);
  return ParseInteger<uint16_t>("url", port, 1, 65535, &o->port);
}

using Setter = std::function<absl::Status(Options*, std::string_view)>;

struct Flag {
  bool takes_value;
  Setter set;
};

const std::map<std::string_view, Flag>& Flags() {
  static const auto* flags = new std::map<std::string_view, Flag>{
      {"url", {true, [](Options* o, std::string_view v) { return ParseUrl(v, o); }}},
      {"source-ip", {true, [](Options* o, std::string_view v) {
         in_addr addr{};
         if (inet_pton(AF_INET, std::string(v).c_str(), &addr) != 1 ||
             (ntohl(addr.s_addr) >> 24) != 127) {
           return Bad("source-ip", v, "must be a loopback IPv4 address (127.x.y.z)");
         }
         o->source_ip = std::string(v);
         return absl::OkStatus();
       }}},
      {"threads", {true, [](Options* o, std::string_view v) {
         return ParseInteger("threads", v, 1, 64, &o->threads);
       }}},
      {"duration", {true, [](Options* o, std::string_view v) {
         o->duration_given = true;
         return ParseDouble("duration", v, 0.01, 3600, &o->duration_s);
       }}},
      {"msgs", {true, [](Options* o, std::string_view v) {
         return ParseInteger<uint64_t>("msgs", v, 1, 10'000'000'000ULL, &o->msgs);
       }}},
      {"size", {true, [](Options* o, std::string_view v) {
         return ParseInteger<size_t>("size", v, 0, 64 * 1024, &o->size);
       }}},
      {"pubs", {true, [](Options* o, std::string_view v) {
         return ParseInteger("pubs", v, 1, 1000, &o->pubs);
       }}},
      {"subs", {true, [](Options* o, std::string_view v) {
         return ParseInteger("subs", v, 1, 10'000, &o->subs);
       }}},
      {"subjects", {true, [](Options* o, std::string_view v) {
         return ParseInteger("subjects", v, 1, 1'000'000, &o->subjects);
       }}},
      {"wildcard-subs", {true, [](Options* o, std::string_view v) {
         return ParseInteger("wildcard-subs", v, 0, 100, &o->wildcard_subs);
       }}},
      {"drain-timeout", {true, [](Options* o, std::string_view v) {
         return ParseDouble("drain-timeout", v, 0.1, 600, &o->drain_timeout_s);
       }}},
      {"requesters", {true, [](Options* o, std::string_view v) {
         return ParseInteger("requesters", v, 1, 10'000, &o->requesters);
       }}},
      {"rate", {true, [](Options* o, std::string_view v) {
         return ParseDouble("rate", v, 0, 10'000'000, &o->rate);
       }}},
      {"conns", {true, [](Options* o, std::string_view v) {
         return ParseInteger<uint64_t>("conns", v, 1, 10'000'000, &o->conns);
       }}},
      {"concurrency", {true, [](Options* o, std::string_view v) {
         o->concurrency_given = true;
         return ParseInteger("concurrency", v, 1, 10'000, &o->concurrency);
       }}},
      {"storm-ramp", {true, [](Options* o, std::string_view v) {
         return ParseDouble("storm-ramp", v, 0, 60, &o->storm_ramp_s);
       }}},
      {"storm-nice", {true, [](Options* o, std::string_view v) {
         return ParseInteger("storm-nice", v, 0, 19, &o->storm_nice);
       }}},
      {"user", {true, [](Options* o, std::string_view v) {
         o->credentials.user = std::string(v);
         return absl::OkStatus();
       }}},
      {"pass", {true, [](Options* o, std::string_view v) {
         o->credentials.pass = std::string(v);
         return absl::OkStatus();
       }}},
      {"token", {true, [](Options* o, std::string_view v) {
         o->credentials.token = std::string(v);
         return absl::OkStatus();
       }}},
      {"users-file", {true, [](Options* o, std::string_view v) {
         o->users_file = std::string(v);
         return absl::OkStatus();
       }}},
      {"bad-pass-rate", {true, [](Options* o, std::string_view v) {
         return ParseDouble("bad-pass-rate", v, 0, 1, &o->bad_pass_rate);
       }}},
      {"literal-subjects", {false, [](Options* o, std::string_view) {
         o->literal_subjects = true;
         return absl::OkStatus();
       }}},
      {"keep-open", {false, [](Options* o, std::string_view) {
         o->keep_open = true;
         return absl::OkStatus();
       }}},
      {"prime", {false, [](Options* o, std::string_view) {
         o->prime = true;
         return absl::OkStatus();
       }}},
      {"settle", {true, [](Options* o, std::string_view v) {
         return ParseDouble("settle", v, 0, 600, &o->settle_s);
       }}},
      {"hold", {true, [](Options* o, std::string_view v) {
         return ParseDouble("hold", v, 0, 3600, &o->hold_s);
       }}},
      {"timeout", {true, [](Options* o, std::string_view v) {
         return ParseDouble("timeout", v, 0.01, 600, &o->connect_timeout_s);
       }}},
      {"count", {true, [](Options* o, std::string_view v) {
         return ParseInteger<uint64_t>("count", v, 1, 1'000'000, &o->count);
       }}},
      {"server-config", {true, [](Options* o, std::string_view v) {
         o->server_config_out = std::string(v);
         return absl::OkStatus();
       }}},
      {"bcrypt-cost", {true, [](Options* o, std::string_view v) {
         return ParseInteger("bcrypt-cost", v, 4, 31, &o->bcrypt_cost);
       }}},
      {"tls", {false, [](Options* o, std::string_view) {
         o->tls = true;
         return absl::OkStatus();
       }}},
      {"storm-tls", {false, [](Options* o, std::string_view) {
         o->storm_tls = true;
         return absl::OkStatus();
       }}},
      {"tls-ca", {true, [](Options* o, std::string_view v) {
         o->tls_ca = std::string(v);
         return absl::OkStatus();
       }}},
      {"tls-cert", {true, [](Options* o, std::string_view v) {
         o->tls_cert = std::string(v);
         return absl::OkStatus();
       }}},
      {"tls-key", {true, [](Options* o, std::string_view v) {
         o->tls_key = std::string(v);
         return absl::OkStatus();
       }}},
      {"server-pid", {true, [](Options* o, std::string_view v) {
         return ParseInteger<pid_t>("server-pid", v, 1, 1 << 30, &o->server_pid);
       }}},
      {"pid", {true, [](Options* o, std::string_view v) {
         return ParseInteger<pid_t>("pid", v, 1, 1 << 30, &o->server_pid);
       }}},
      {"json", {false, [](Options* o, std::string_view) {
         o->format = OutputFormat::kJson;
         return absl::OkStatus();
       }}},
      {"csv", {false, [](Options* o, std::string_view) {
         o->format = OutputFormat::kCsv;
         return absl::OkStatus();
       }}},
      {"label", {true, [](Options* o, std::string_view v) {
         o->label = std::string(v);
         return absl::OkStatus();
       }}},
      {"help", {false, [](Options* o, std::string_view) {
         o->help = true;
         return absl::OkStatus();
       }}},
  };
  return *flags;
}

}  // namespace

std::string_view ScenarioName(Scenario scenario) {
  for (const ScenarioEntry& e : kScenarios) {
    if (e.scenario == scenario) return e.name;
  }
  return "?";
}

absl::StatusOr<Options> ParseOptions(const std::vector<std::string_view>& args) {
  Options o;
  bool have_scenario = false;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string_view arg = args[i];
    if (arg == "-h") arg = "--help";
    if (arg.substr(0, 2) != "--") {
      if (have_scenario) {
        return absl::InvalidArgumentError(absl::StrFormat("unexpected argument \"%s\"", arg));
      }
      if (!FindScenario(arg, &o.scenario)) {
        return absl::InvalidArgumentError(absl::StrFormat("unknown scenario \"%s\"", arg));
      }
      have_scenario = true;
      continue;
    }
    std::string_view name = arg.substr(2);
    std::string_view value;
    bool has_inline_value = false;
    if (size_t eq = name.find('='); eq != std::string_view::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_inline_value = true;
    }
    if (name == "scenario") {
      if (!has_inline_value) {
        if (i + 1 >= args.size()) return absl::InvalidArgumentError("--scenario needs a value");
        value = args[++i];
      }
      if (have_scenario) return absl::InvalidArgumentError("scenario given twice");
      if (!FindScenario(value, &o.scenario)) {
        return absl::InvalidArgumentError(absl::StrFormat("unknown scenario \"%s\"", value));
      }
      have_scenario = true;
      continue;
    }
    auto it = Flags().find(name);
    if (it == Flags().end()) {
      return absl::InvalidArgumentError(absl::StrFormat("unknown flag --%s", name));
    }
    if (it->second.takes_value && !has_inline_value) {
      if (i + 1 >= args.size()) {
        return absl::InvalidArgumentError(absl::StrFormat("--%s needs a value", name));
      }
      value = args[++i];
    } else if (!it->second.takes_value && has_inline_value) {
      return absl::InvalidArgumentError(absl::StrFormat("--%s takes no value", name));
    }
    if (absl::Status s = it->second.set(&o, value); !s.ok()) return s;
  }
  if (!have_scenario && !o.help) return absl::InvalidArgumentError("no scenario given");
  // storm takes both: the file for the storm, --user/--pass or --token for the reqrep pair.
  if (!o.users_file.empty() && o.scenario != Scenario::kGenUsers &&
      o.scenario != Scenario::kStorm &&
      (!o.credentials.user.empty() || !o.credentials.token.empty())) {
    return absl::InvalidArgumentError("--users-file excludes --user and --token");
  }
  if (o.scenario == Scenario::kStorm && !o.concurrency_given) o.concurrency = 8;
  if (o.bad_pass_rate > 0 && o.credentials.pass.empty() && o.users_file.empty() &&
      o.credentials.token.empty()) {
    return absl::InvalidArgumentError(
        "--bad-pass-rate needs credentials (--user/--pass, --token or --users-file)");
  }
  if ((o.tls || o.storm_tls) && o.tls_ca.empty()) {
    return absl::InvalidArgumentError("--tls and --storm-tls need --tls-ca FILE");
  }
  if (o.tls_cert.empty() != o.tls_key.empty()) {
    return absl::InvalidArgumentError("--tls-cert and --tls-key go together");
  }
  if (o.storm_tls && o.scenario != Scenario::kStorm) {
    return absl::InvalidArgumentError("--storm-tls is for the storm scenario");
  }
  if (o.scenario == Scenario::kGenUsers && (o.users_file.empty() || o.server_config_out.empty())) {
    return absl::InvalidArgumentError("gen-users needs --users-file and --server-config");
  }
  return o;
}

std::string UsageText() {
  return R"(usage: ringnats-bench <scenario> [flags]      (or --scenario NAME)

Load generator for NATS brokers (ringnats, nats-server) speaking the raw client protocol.

scenarios:
  pub            P publishers, no subscribers: published msgs/s and MB/s
  pubsub         P publishers -> S subscribers on one subject; verifies no loss
  fanout         1 publisher -> S subscribers (default 8)
  queue          P publishers -> S members of one queue group; verifies exactly-once
  many-subjects  S subscriber connections holding --subjects `bench.<i>.*` subscriptions
                 (`bench.<i>.x` with --literal-subjects) plus --wildcard-subs `bench.>`
                 ones; publishes spread over `bench.<i>.x`; reports the broker's RSS
  reqrep         --requesters N (1) requesters, one responder: latency histogram; --rate R
                 sends on a fixed schedule (split over the requesters) and measures from the
                 intended send time
  storm          reqrep (as above) while --concurrency C (8) connectors run handshakes
                 without pause beside it: the latency cost of a (bcrypt) connect storm
  connect        --conns N handshakes (TCP, INFO, CONNECT, PING/PONG) by --concurrency C
                 connectors, or as many as fit in --duration: connects/s, latency, errors
  idle           open --conns N idle connections; with --pid reports broker RSS per 10k conns
  gen-users      write --count users to --users-file and a matching nats config to
                 --server-config (plaintext, or bcrypt with --bcrypt-cost)

common flags:
  --url HOST:PORT        broker on this machine (default 127.0.0.1:4222; loopback only)
  --threads N            client event-loop threads (default 2)
  --server-pid PID       also report the broker's CPU time (/proc/PID/task/*/schedstat) and
                         CPU per operation; alias --pid
  --json | --csv         machine output (default: a table)
  --label TEXT           copied into the output (e.g. the broker's name)
  --tls --tls-ca FILE    every connection: plaintext INFO, then a TLS handshake (verifying the
                         server's certificate against FILE and the --url IP), then NATS inside
  --tls-cert FILE --tls-key FILE   a client certificate for brokers with `verify`
traffic flags:
  --duration SECS (5)  --msgs N (total; replaces --duration)  --size BYTES (16, 0..65536)
  --pubs P  --subs S  --subjects M (10000)  --wildcard-subs W (1)  --drain-timeout SECS (10)
reqrep flags:
  --duration / --msgs as above, --size, --rate REQS_PER_SEC (0 = closed loop: each
  requester keeps one request out), --requesters N (1, each its own connection)
storm flags:
  reqrep's flags, --concurrency C (8), --storm-ramp SECS (0.5, storm before the clock starts),
  --storm-nice N (10: the connector threads' niceness, so they do not delay the requester);
  --storm-tls (with --tls-ca): TLS for the storm's connectors only (--tls: for all);
  storm credentials: --users-file FILE (attempt i uses line i), else --user/--pass or --token;
  the reqrep pair uses --user/--pass or --token if given, else the file's last line (which
  the storm then leaves out)
connect / idle flags:
  --conns N  --concurrency C (16)  --timeout SECS (5, per handshake)  --keep-open
  --duration SECS        connect: start attempts for this long instead of making --conns
  --prime                connect: one handshake with every credential before the clock
                         starts, so the run is a reconnect storm of known clients
  --user U --pass P | --token T | --users-file FILE (lines `user password`)
  --bad-pass-rate F      this fraction of connects sends a wrong password/token on purpose
  --settle SECS (2)      idle: wait before sampling RSS   --hold SECS (0) keep open longer
  --source-ip 127.x.y.z  connect from this local address (each has its own ~28k ports)
)";
}

}  // namespace ringnats::load
