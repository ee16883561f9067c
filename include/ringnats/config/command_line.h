#pragma once
// nats-server's command line (Go `flag` package rules: `-x` and `--x` are the same flag,
// `--x=v` or `--x v`, boolean flags take a value only with `=`).

#include <string>

#include "absl/status/statusor.h"
#include "ringnats/config/options.h"

namespace ringnats::config {

// Parses argv into options on top of `base` (flags override the config file, so the caller
// loads the file first and re-applies the flags). InvalidArgument carries the message that
// nats-server would print.
absl::StatusOr<ServerOptions> ParseCommandLine(int argc, const char* const* argv,
                                               ServerOptions base = {});

// The text printed for -h/--help.
const char* UsageText();

// The text printed for --help_tls: an example `tls {}` block and the cipher suite and curve
// names `cipher_suites` and `curve_preferences` accept.
std::string TlsUsageText();

// The line printed for -v/--version: nats-server's own line for the release ringnats
// reproduces ("nats-server: v2.9.10"), then ringnats' version. Tools and client test suites
// take the first vX.Y.Z in it as the server's version, so the nats-server one comes first.
std::string VersionText();

}  // namespace ringnats::config
