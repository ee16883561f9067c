#pragma once
// Command line of ringnats-bench: `ringnats-bench <scenario> [--flag value]...`.

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "protocol.h"
#include "report.h"

namespace ringnats::load {

class TlsContext;

enum class Scenario {
  kPub,
  kPubSub,
  kFanout,
  kQueue,
  kManySubjects,
  kReqRep,
  kStorm,
  kConnect,
  kIdle,
  kGenUsers,
};

std::string_view ScenarioName(Scenario scenario);

struct Options {
  Scenario scenario = Scenario::kPub;
  bool help = false;

  std::string host = "127.0.0.1";
  uint16_t port = 4222;
  std::string source_ip;  // connect / idle: local address to connect from; empty = any
  int threads = 2;

  // Traffic scenarios. `msgs` > 0 replaces the time bound with a message count.
  double duration_s = 5;
  bool duration_given = false;  // connect: --duration bounds the run by time
  uint64_t msgs = 0;
  size_t size = 16;
  int pubs = 0;  // 0 = the scenario's default
  int subs = 0;
  int subjects = 10000;   // many-subjects: `bench.<i>.*` subscriptions
  int wildcard_subs = 1;  // many-subjects: extra `bench.>` subscriptions
  bool literal_subjects = false;  // many-subjects: `bench.<i>.x` instead of `bench.<i>.*`
  double drain_timeout_s = 10;

  // reqrep: requests per second on a fixed schedule, over all requesters; 0 = each requester
  // keeps one request outstanding.
  double rate = 0;
  int requesters = 1;  // reqrep: requester connections (one responder answers them all)

  // connect / idle.
  uint64_t conns = 0;  // 0 = the scenario's default
  int concurrency = 16;  // storm: 8 unless given
  bool concurrency_given = false;
  Credentials credentials;
  std::string users_file;
  double bad_pass_rate = 0;  // fraction of connects that send a wrong password on purpose
  bool keep_open = false;
  bool prime = false;  // connect: one handshake per credential before the clock starts
  double settle_s = 2;  // idle: wait before sampling RSS
  double hold_s = 0;    // idle: keep the connections open this much longer afterwards
  double connect_timeout_s = 5;
  double storm_ramp_s = 0.5;  // storm: the connect storm runs this long before the clock starts
  // storm: niceness of the storm's connector threads, so that on a small machine the load
  // generator's own handshakes do not delay its requester (the broker is what is measured).
  int storm_nice = 10;
  int connector_nice = 0;  // connect: niceness of the connector threads (storm sets it)

  // gen-users.
  uint64_t count = 1000;
  std::string server_config_out;
  int bcrypt_cost = 0;  // 0 = plaintext passwords in the server config

  // TLS (--tls): every connection upgrades after INFO. --storm-tls: only the storm's
  // connectors do (the reqrep pair stays plaintext). The context is built by main().
  bool tls = false;
  bool storm_tls = false;
  std::string tls_ca;
  std::string tls_cert;
  std::string tls_key;
  std::shared_ptr<const TlsContext> tls_context;

  pid_t server_pid = 0;
  OutputFormat format = OutputFormat::kTable;
  std::string label;
};

absl::StatusOr<Options> ParseOptions(const std::vector<std::string_view>& args);

std::string UsageText();

}  // namespace ringnats::load
