#include "auth/auth_fixture.h"

#include <regex>
#include <sstream>

#include "absl/strings/str_format.h"

namespace ringnats::authtest {
namespace {

using ::testing::AssertionFailure;
using ::testing::AssertionResult;

nlohmann::ordered_json QuietObject(bool verbose) {
  nlohmann::ordered_json json = nlohmann::ordered_json::object();
  json["verbose"] = verbose;
  json["pedantic"] = false;
  return json;
}

}  // namespace

bool IsVerboseConnect(std::string_view connect_json) {
  const nlohmann::json json = nlohmann::json::parse(connect_json, nullptr, false);
  if (json.is_discarded() || !json.is_object() || !json.contains("verbose")) {
    return true;
  }
  return json["verbose"].is_boolean() && json["verbose"].get<bool>();
}

std::string UserConnect(std::string_view user, std::string_view pass, bool verbose) {
  nlohmann::ordered_json json = QuietObject(verbose);
  json["user"] = user;
  json["pass"] = pass;
  return json.dump();
}

std::string UserOnlyConnect(std::string_view user) {
  nlohmann::ordered_json json = QuietObject(false);
  json["user"] = user;
  return json.dump();
}

std::string TokenConnect(std::string_view token, bool verbose) {
  nlohmann::ordered_json json = QuietObject(verbose);
  json["auth_token"] = token;
  return json.dump();
}

std::string AnonymousConnect(bool verbose) {
  return QuietObject(verbose).dump();
}

std::string PubViolation(std::string_view subject) {
  return absl::StrFormat("-ERR 'Permissions Violation for Publish to \"%s\"'\r\n", subject);
}

std::string SubViolation(std::string_view subject, std::string_view queue) {
  if (queue.empty()) {
    return absl::StrFormat("-ERR 'Permissions Violation for Subscription to \"%s\"'\r\n", subject);
  }
  return absl::StrFormat(
      "-ERR 'Permissions Violation for Subscription to \"%s\" using queue \"%s\"'\r\n", subject,
      queue);
}

std::string PrintableLog(std::string_view log) {
  std::istringstream lines{std::string(log)};
  std::string out;
  for (std::string line; std::getline(lines, line);) {
    out += harness::Escape(line) + "\n";
  }
  return out;
}

int CountLines(std::string_view log, std::string_view regex) {
  const std::regex pattern{std::string(regex)};
  std::istringstream lines{std::string(log)};
  int count = 0;
  for (std::string line; std::getline(lines, line);) {
    if (std::regex_search(line, pattern)) {
      ++count;
    }
  }
  return count;
}

AssertionResult LogsIn(harness::RawClient& client, std::string_view connect_json) {
  if (AssertionResult sent = client.Send(absl::StrFormat("CONNECT %s\r\nPING\r\n", connect_json));
      !sent) {
    return sent;
  }
  return client.Expect(IsVerboseConnect(connect_json) ? "+OK\r\nPONG\r\n" : "PONG\r\n")
         << " (CONNECT " << connect_json << ")";
}

AssertionResult IsRejected(harness::RawClient& client, std::string_view connect_json) {
  // The server may close before taking the PING; reading shows what happened.
  (void)client.Send(absl::StrFormat("CONNECT %s\r\nPING\r\n", connect_json));
  return client.ExpectClosed(kAuthViolation) << " (CONNECT " << connect_json << ")";
}

std::unique_ptr<harness::RawClient> AuthTest::ConnectWithInfo(nlohmann::ordered_json* info) {
  std::unique_ptr<harness::RawClient> client = Connect();
  if (client == nullptr) {
    return nullptr;
  }
  if (AssertionResult read = client->ReadInfo(info); !read) {
    ADD_FAILURE() << read.message();
    return nullptr;
  }
  return client;
}

std::unique_ptr<harness::RawClient> AuthTest::Login(std::string_view connect_json) {
  std::unique_ptr<harness::RawClient> client = ConnectWithInfo();
  if (client == nullptr) {
    return nullptr;
  }
  if (AssertionResult in = LogsIn(*client, connect_json); !in) {
    ADD_FAILURE() << in.message();
    return nullptr;
  }
  return client;
}

AssertionResult AuthTest::Accepts(std::string_view connect_json) {
  std::unique_ptr<harness::RawClient> client = ConnectWithInfo();
  if (client == nullptr) {
    return AssertionFailure() << "no connection";
  }
  return LogsIn(*client, connect_json);
}

AssertionResult AuthTest::Rejects(std::string_view connect_json) {
  std::unique_ptr<harness::RawClient> client = ConnectWithInfo();
  if (client == nullptr) {
    return AssertionFailure() << "no connection";
  }
  return IsRejected(*client, connect_json);
}

AssertionResult AuthTest::LogShows(std::string_view regex) {
  if (server().WaitForLog(regex)) {
    return ::testing::AssertionSuccess();
  }
  return AssertionFailure() << "no log line matches /" << regex << "/; log:\n" << Log();
}

}  // namespace ringnats::authtest
