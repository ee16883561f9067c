// ringnats-bench: load generator for NATS brokers. See README.md next to this file.

#include <signal.h>

#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "connect_scenario.h"
#include "options.h"
#include "reqrep_scenario.h"
#include "storm_scenario.h"
#include "tls_client.h"
#include "traffic_scenario.h"
#include "users_file.h"

namespace ringnats::load {
namespace {

absl::StatusOr<Report> RunScenario(const Options& options) {
  switch (options.scenario) {
    case Scenario::kPub:
    case Scenario::kPubSub:
    case Scenario::kFanout:
    case Scenario::kQueue:
    case Scenario::kManySubjects: return RunTrafficScenario(options);
    case Scenario::kReqRep: return RunReqRepScenario(options);
    case Scenario::kStorm: return RunStormScenario(options);
    case Scenario::kConnect:
    case Scenario::kIdle: return RunConnectScenario(options);
    case Scenario::kGenUsers: break;
  }
  return absl::InvalidArgumentError("not a measuring scenario");
}

int Main(int argc, char** argv) {
  std::vector<std::string_view> args(argv + 1, argv + argc);
  absl::StatusOr<Options> options = ParseOptions(args);
  if (!options.ok()) {
    std::fprintf(stderr, "ringnats-bench: %s\n\n%s",
                 std::string(options.status().message()).c_str(), UsageText().c_str());
    return 2;
  }
  if (options->help) {
    std::fputs(UsageText().c_str(), stdout);
    return 0;
  }
  // A broker that closes a connection must not kill us with SIGPIPE (sends use MSG_NOSIGNAL,
  // this covers anything else).
  ::signal(SIGPIPE, SIG_IGN);
  if (options->scenario == Scenario::kGenUsers) {
    absl::Status s = GenerateUsers(options->count, options->bcrypt_cost, options->users_file,
                                   options->server_config_out);
    if (!s.ok()) {
      std::fprintf(stderr, "ringnats-bench: %s\n", std::string(s.message()).c_str());
      return 1;
    }
    return 0;
  }
  if (options->tls || options->storm_tls) {
    absl::StatusOr<std::shared_ptr<const TlsContext>> tls =
        TlsContext::Create(options->host, options->tls_ca, options->tls_cert, options->tls_key);
    if (!tls.ok()) {
      std::fprintf(stderr, "ringnats-bench: %s\n", std::string(tls.status().message()).c_str());
      return 1;
    }
    options->tls_context = std::move(*tls);
  }
  absl::StatusOr<Report> report = RunScenario(*options);
  if (!report.ok()) {
    std::fprintf(stderr, "ringnats-bench %s: %s\n",
                 std::string(ScenarioName(options->scenario)).c_str(),
                 std::string(report.status().message()).c_str());
    return 1;
  }
  switch (options->format) {
    case OutputFormat::kTable: std::fputs(report->ToTable().c_str(), stdout); break;
    case OutputFormat::kJson: std::printf("%s\n", report->ToJson().c_str()); break;
    case OutputFormat::kCsv: std::fputs(report->ToCsv(true).c_str(), stdout); break;
  }
  const Report::Value* ok = report->Find("ok");
  return ok != nullptr && std::get<bool>(*ok) ? 0 : 3;
}

}  // namespace
}  // namespace ringnats::load

int main(int argc, char** argv) {
  return ringnats::load::Main(argc, argv);
}
