// ringnats: the command-line entry point. Reads flags and the config file as nats-server
// does (flags override the file), then serves.

#include <cstdio>
#include <string>

#include "ringnats/broker/server.h"
#include "ringnats/config/command_line.h"
#include "ringnats/config/options_from_config.h"
#include "ringnats/util/log.h"
#include "signal_command.h"

namespace {

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "ringnats: %s\n", std::string(status.message()).c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  using ringnats::config::ServerOptions;
  absl::StatusOr<ServerOptions> flags = ringnats::config::ParseCommandLine(argc, argv);
  if (!flags.ok()) return Fail(flags.status());
  if (flags->show_help) {
    std::fputs(ringnats::config::UsageText(), stdout);
    return 0;
  }
  if (flags->show_tls_help) {
    std::fputs(ringnats::config::TlsUsageText().c_str(), stdout);
    return 0;
  }
  if (flags->show_version) {
    std::fputs(ringnats::config::VersionText().c_str(), stdout);
    return 0;
  }
  if (!flags->signal_command.empty()) {
    if (absl::Status sent = ringnats::server::SendSignalCommand(flags->signal_command);
        !sent.ok()) {
      return Fail(sent);
    }
    return 0;
  }
  ServerOptions options = *flags;
  if (!flags->config_file.empty()) {
    absl::StatusOr<ringnats::config::ConfigLoad> load =
        ringnats::config::LoadConfigFile(flags->config_file, ServerOptions{});
    if (!load.ok()) return Fail(load.status());
    for (const std::string& warning : load->warnings) {
      std::fprintf(stderr, "ringnats: %s\n", warning.c_str());
    }
    if (flags->check_config && !load->warnings.empty()) return 1;
    absl::StatusOr<ServerOptions> merged =
        ringnats::config::ParseCommandLine(argc, argv, load->options);
    if (!merged.ok()) return Fail(merged.status());
    options = *std::move(merged);
  }
  ringnats::config::ApplyBaseline(options);
  if (options.check_config) {
    if (options.config_file.empty()) {
      return Fail(absl::InvalidArgumentError(
          "must specify [-c, --config] option to check configuration file syntax"));
    }
    std::fprintf(stderr, "ringnats: configuration file %s is valid\n", options.config_file.c_str());
    return 0;
  }
  if (absl::Status valid = ringnats::config::ValidateForStart(options); !valid.ok()) {
    return Fail(valid);
  }
  ringnats::log::Configure(ringnats::log::Settings{
      .debug = options.debug, .trace = options.trace, .logtime = options.logtime});
  if (absl::Status st = ringnats::log::UseLogFile(options.log_file); !st.ok()) return Fail(st);
  // A reload reads the file again and puts the command line over it, as at start-up.
  auto reload = [argc, argv, path = options.config_file]() -> absl::StatusOr<ServerOptions> {
    absl::StatusOr<ringnats::config::ConfigLoad> load =
        ringnats::config::LoadConfigFile(path, ServerOptions{});
    if (!load.ok()) return load.status();
    absl::StatusOr<ServerOptions> merged =
        ringnats::config::ParseCommandLine(argc, argv, load->options);
    if (!merged.ok()) return merged.status();
    ringnats::config::ApplyBaseline(*merged);
    if (absl::Status valid = ringnats::config::ValidateForStart(*merged); !valid.ok()) {
      return valid;
    }
    return merged;
  };
  absl::StatusOr<int> exit_code = ringnats::broker::RunServer(options, reload);
  if (!exit_code.ok()) return Fail(exit_code.status());
  return *exit_code;
}
