// ringnats: the command-line entry point. Parses flags as nats-server does, then serves.

#include <cstdio>

#include "ringnats/broker/server.h"
#include "ringnats/config/command_line.h"
#include "ringnats/util/log.h"

int main(int argc, char** argv) {
  absl::StatusOr<ringnats::config::ServerOptions> options =
      ringnats::config::ParseCommandLine(argc, argv);
  if (!options.ok()) {
    std::fprintf(stderr, "ringnats: %s\n", std::string(options.status().message()).c_str());
    return 1;
  }
  if (options->show_help) {
    std::fputs(ringnats::config::UsageText(), stdout);
    return 0;
  }
  if (options->show_version) {
    std::printf("ringnats: v%s (nats-server v%s protocol)\n", RINGNATS_VERSION,
                RINGNATS_NATS_COMPAT_VERSION);
    return 0;
  }
  ringnats::log::Configure(ringnats::log::Settings{
      .debug = options->debug, .trace = options->trace, .logtime = options->logtime});
  absl::StatusOr<int> exit_code = ringnats::broker::RunServer(*options);
  if (!exit_code.ok()) {
    std::fprintf(stderr, "ringnats: %s\n", std::string(exit_code.status().message()).c_str());
    return 1;
  }
  return *exit_code;
}
