#include "storm_scenario.h"

#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "connect_scenario.h"
#include "reqrep_scenario.h"
#include "users_file.h"

namespace ringnats::load {

absl::StatusOr<Report> RunStormScenario(const Options& options) {
  Options reqrep = options;
  std::vector<Credentials> storm_users;
  const bool reqrep_has_credentials =
      !options.credentials.user.empty() || !options.credentials.token.empty();
  if (!options.users_file.empty()) {
    absl::StatusOr<std::vector<Credentials>> read = ReadUsersFile(options.users_file);
    if (!read.ok()) return read.status();
    storm_users = std::move(*read);
    if (!reqrep_has_credentials) {
      // The last line is the reqrep pair's, kept out of the storm so that the storm's
      // credentials are exactly the rest of the file.
      if (storm_users.size() < 2) {
        return absl::InvalidArgumentError(
            "storm: the users file needs two lines or more (the last is the reqrep pair's), "
            "or give the pair --user/--pass");
      }
      reqrep.credentials = storm_users.back();
      storm_users.pop_back();
    }
  } else {
    storm_users.push_back(options.credentials);
  }

  Options storm = options;
  storm.keep_open = false;
  storm.tls = options.tls || options.storm_tls;
  storm.connector_nice = options.storm_nice;
  std::unique_ptr<ConnectStorm> running;
  // The reqrep pair connects first (its own handshakes are not measured), then the storm
  // starts and gets --storm-ramp to fill its connectors before the clock starts.
  absl::StatusOr<Report> report = RunReqRepScenario(reqrep, [&]() -> absl::Status {
    absl::StatusOr<std::unique_ptr<ConnectStorm>> started = ConnectStorm::Start(storm, storm_users);
    if (!started.ok()) return started.status();
    running = std::move(*started);
    std::this_thread::sleep_for(std::chrono::duration<double>(options.storm_ramp_s));
    return absl::OkStatus();
  });
  if (running == nullptr) {
    return report.ok() ? absl::InternalError("storm did not start") : report.status();
  }
  const ConnectStorm::Summary summary = running->Stop();
  if (!report.ok()) return report.status();

  report->Set("storm_tls", storm.tls);
  report->Set("storm_concurrency", static_cast<int64_t>(storm.concurrency));
  report->Set("storm_distinct_credentials", static_cast<int64_t>(storm_users.size()));
  report->Set("storm_attempts", static_cast<int64_t>(summary.attempts));
  report->Set("storm_accepted", static_cast<int64_t>(summary.ok));
  report->Set("storm_failures", static_cast<int64_t>(summary.failures));
  if (summary.elapsed_s > 0) {
    report->Set("storm_connects_per_sec",
                static_cast<double>(summary.attempts) / summary.elapsed_s, "handshakes/s");
  }
  report->Set("storm_connect_p50_us", summary.connect_p50_us, "us");
  report->Set("storm_connect_p99_us", summary.connect_p99_us, "us");
  report->Set("storm_credentials_reused", summary.attempts > storm_users.size());
  const Report::Value* ok = report->Find("ok");
  const bool reqrep_ok = ok != nullptr && std::get<bool>(*ok);
  // A storm that logged nobody in measured nothing; failed handshakes are the broker's
  // failure to keep up (e.g. authentication timeouts) and fail the run.
  report->Set("ok", reqrep_ok && summary.ok > 0 && summary.failures == 0);
  for (const std::string& note : summary.notes) report->AddNote(note);
  return report;
}

}  // namespace ringnats::load
