#pragma once
// What the authentication tests share: CONNECT lines with credentials, the exact replies of
// auth failures and permission violations, "this login is accepted / rejected" checks, and
// counting lines of the server log.

#include <gtest/gtest.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "harness/raw_client.h"
#include "harness/server_fixture.h"

namespace ringnats::authtest {

inline constexpr std::string_view kAuthViolation = "-ERR 'Authorization Violation'\r\n";
inline constexpr std::string_view kAuthTimeout = "-ERR 'Authentication Timeout'\r\n";

// CONNECT JSON in quiet mode (verbose and pedantic off unless `verbose`).
std::string UserConnect(std::string_view user, std::string_view pass, bool verbose = false);
std::string UserOnlyConnect(std::string_view user);  // "user" but no "pass"
std::string TokenConnect(std::string_view token, bool verbose = false);
std::string AnonymousConnect(bool verbose = false);

// Whether the server treats this CONNECT as verbose (nats-server: verbose unless the field
// says otherwise).
bool IsVerboseConnect(std::string_view connect_json);

// The exact -ERR lines for permission violations.
std::string PubViolation(std::string_view subject);
std::string SubViolation(std::string_view subject, std::string_view queue = "");

// `log` with every line escaped: failure messages end up in the XML report meson parses,
// which breaks on raw non-UTF-8 bytes (a corrupted log line is exactly what a failure may
// be about).
std::string PrintableLog(std::string_view log);

// Lines of `log` matching `regex` (ECMAScript, searched within each line).
int CountLines(std::string_view log, std::string_view regex);

// Sends `CONNECT <json>` and PING on a connection that has read INFO. Accepted means the
// answer is exactly PONG, preceded by +OK when the CONNECT is verbose (the default when the
// field is absent), and the connection stays open.
::testing::AssertionResult LogsIn(harness::RawClient& client, std::string_view connect_json);

// Rejected means exactly `-ERR 'Authorization Violation'` and then the close: the PING sent
// with the CONNECT must not be answered first, even when the verdict takes a bcrypt.
::testing::AssertionResult IsRejected(harness::RawClient& client, std::string_view connect_json);

class AuthTest : public harness::ServerTest {
 protected:
  // A fresh connection that has read its INFO (copied to `info`); nullptr after a failure.
  std::unique_ptr<harness::RawClient> ConnectWithInfo(nlohmann::ordered_json* info = nullptr);

  // A fresh connection logged in with `connect_json`; nullptr after a failure.
  std::unique_ptr<harness::RawClient> Login(std::string_view connect_json);

  ::testing::AssertionResult Accepts(std::string_view connect_json);
  ::testing::AssertionResult Rejects(std::string_view connect_json);

  int CountLogLines(std::string_view regex) { return CountLines(server().ReadLog(), regex); }

  // The server log so far, printable.
  std::string Log() { return PrintableLog(server().ReadLog()); }

  // Waits (up to the harness' log timeout) for a line matching `regex`.
  ::testing::AssertionResult LogShows(std::string_view regex);
};

}  // namespace ringnats::authtest
