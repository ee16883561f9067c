#pragma once
// Which server binary a test talks to. The same tests run against ringnats and against the
// real nats-server, whose behaviour is the specification.

#include <string>
#include <vector>

namespace ringnats::harness {

struct ServerSpec {
  std::string binary;
  std::vector<std::string> args;  // extra arguments, e.g. {"--workers", "2"}
};

// nats-server found on PATH, else in /usr/sbin or /usr/bin (Debian installs it in /usr/sbin);
// the bare name when it is nowhere, so starting it fails with a clear message.
std::string DefaultNatsServerPath();

// From RINGNATS_SERVER (path) and RINGNATS_SERVER_ARGS (whitespace-separated); nats-server
// when unset.
ServerSpec ServerUnderTest();

// From RINGNATS_REFERENCE_SERVER and RINGNATS_REFERENCE_SERVER_ARGS; nats-server when unset.
ServerSpec ReferenceServer();

// True when the binary is nats-server itself (tests that document a reference-only quirk).
bool IsNatsServer(const ServerSpec& spec);

// "nats-server" or "ringnats --workers 2": for failure messages.
std::string Describe(const ServerSpec& spec);

}  // namespace ringnats::harness
