#include "monitoring/endpoints/side_by_side.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <chrono>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace ringnats::monitoring {
namespace {

using harness::RawClient;

absl::Status Check(const ::testing::AssertionResult& result, const std::string& what) {
  if (result) return absl::OkStatus();
  return absl::InternalError(absl::StrCat(what, ": ", result.message()));
}

int LocalPort(const RawClient& client) {
  sockaddr_in address{};
  socklen_t length = sizeof(address);
  if (getsockname(client.fd(), reinterpret_cast<sockaddr*>(&address), &length) != 0) return 0;
  return ntohs(address.sin_port);
}

absl::StatusOr<std::unique_ptr<harness::ServerProcess>> StartOne(const harness::ServerSpec& spec,
                                                                 const std::string& config) {
  harness::ServerOptions options;
  options.spec = spec;
  options.config = config;
  if (harness::IsNatsServer(spec)) options.config += "no_system_account: true\n";
  options.extra_args = {"-m", "-1"};
  absl::StatusOr<std::unique_ptr<harness::ServerProcess>> server =
      harness::ServerProcess::Start(options);
  if (!server.ok()) {
    return absl::Status(
        server.status().code(),
        absl::StrCat(harness::Describe(spec), " -m -1 did not start: ", server.status().message()));
  }
  if ((*server)->monitor_port() <= 0) {
    return absl::FailedPreconditionError(
        absl::StrCat(harness::Describe(spec),
                     " started with -m -1 but its ports file names no \"monitoring\" URL; "
                     "log:\n",
                     (*server)->ReadLog()));
  }
  return server;
}

// Reads `count` MSG/HMSG frames, then proves with a round trip that nothing else came.
absl::Status ReadMessages(RawClient& client, int count, const std::string& who) {
  for (int i = 0; i < count; ++i) {
    harness::Msg msg;
    if (auto result = client.ReadMsg(&msg); !result) {
      return absl::InternalError(
          absl::StrCat(who, " got ", i, " of ", count, " messages: ", result.message()));
    }
  }
  return Check(client.Ping(), absl::StrCat(who, " after its ", count, " messages"));
}

}  // namespace

absl::StatusOr<std::unique_ptr<ServerPair>> ServerPair::Start(const std::string& config) {
  std::unique_ptr<ServerPair> pair(new ServerPair());
  auto reference = StartOne(harness::ReferenceServer(), config);
  if (!reference.ok()) return reference.status();
  pair->reference_ = *std::move(reference);
  auto actual = StartOne(harness::ServerUnderTest(), config);
  if (!actual.ok()) return actual.status();
  pair->actual_ = *std::move(actual);
  return pair;
}

absl::StatusOr<AnswerPair> ServerPair::Get(std::string_view path_and_query) {
  AnswerPair answers;
  auto reference = harness::HttpGet(reference_->monitor_port(), path_and_query);
  if (!reference.ok()) return reference.status();
  answers.reference = *std::move(reference);
  auto actual = harness::HttpGet(actual_->monitor_port(), path_and_query);
  if (!actual.ok()) return actual.status();
  answers.actual = *std::move(actual);
  return answers;
}

absl::Status ServerPair::PollBoth(std::string_view path_and_query,
                                  bool (*done)(const std::string& body)) {
  // There is no event to wait for: a server records a closed connection on its own time.
  // Polling is bounded, and each poll is a full HTTP round trip.
  constexpr auto kDeadline = std::chrono::seconds(10);
  constexpr auto kPause = std::chrono::milliseconds(20);
  int asked[2] = {0, 0};
  harness::ServerProcess* servers[2] = {reference_.get(), actual_.get()};
  for (int i = 0; i < 2; ++i) {
    const auto deadline = std::chrono::steady_clock::now() + kDeadline;
    while (true) {
      auto answer = harness::HttpGet(servers[i]->monitor_port(), path_and_query);
      ++asked[i];
      if (!answer.ok()) return answer.status();
      if (done(answer->body)) break;
      if (std::chrono::steady_clock::now() > deadline) {
        return absl::DeadlineExceededError(
            absl::StrCat(i == 0 ? "nats-server" : "the server under test", ": ",
                         std::string(path_and_query), " still answers ", answer->body));
      }
      std::this_thread::sleep_for(kPause);
    }
  }
  for (int i = 0; i < 2; ++i) {
    for (; asked[i] < std::max(asked[0], asked[1]); ++asked[i]) {
      if (auto answer = harness::HttpGet(servers[i]->monitor_port(), path_and_query);
          !answer.ok()) {
        return answer.status();
      }
    }
  }
  return absl::OkStatus();
}

absl::Status BuildSituation(int port, Situation* situation) {
  situation->client_ports.assign(kClients, 0);
  const auto connect = [&](int number,
                           std::string_view json) -> absl::StatusOr<std::unique_ptr<RawClient>> {
    auto client = harness::ConnectAndHandshake(port, json);
    if (!client.ok()) {
      return absl::Status(client.status().code(),
                          absl::StrCat("client #", number, ": ", client.status().message()));
    }
    situation->client_ports[number] = LocalPort(**client);
    return client;
  };

  auto c0 = connect(0, R"({"verbose":false,"pedantic":false,"user":"alice","pass":"secret",)"
                       R"("name":"sub-a","lang":"python3","version":"1.2.3","protocol":1})");
  if (!c0.ok()) return c0.status();
  if (auto s = Check((*c0)->Send("SUB foo 1\r\nSUB bar.* 2\r\nSUB work q1 3\r\nUNSUB 3\r\n"),
                     "client #0 SUB");
      !s.ok()) {
    return s;
  }
  if (auto s = Check((*c0)->Ping(), "client #0 SUB"); !s.ok()) return s;

  auto c1 = connect(1, R"({"verbose":false,"pedantic":false,"user":"bob","pass":"hunter2",)"
                       R"("lang":"go","version":"1.25.0","protocol":1})");
  if (!c1.ok()) return c1.status();
  // One member per queue group, so which subscription gets a message is not left to chance.
  if (auto s = Check((*c1)->Send("SUB foo 1\r\nSUB baz.> 2\r\nSUB work q1 3\r\nSUB work q2 4\r\n"),
                     "client #1 SUB");
      !s.ok()) {
    return s;
  }
  if (auto s = Check((*c1)->Ping(), "client #1 SUB"); !s.ok()) return s;

  auto c2 = connect(2, R"({"verbose":false,"pedantic":false,"name":"pub","headers":true,)"
                       R"("protocol":1})");
  if (!c2.ok()) return c2.status();

  auto c3 = connect(3, R"({"verbose":false,"pedantic":false,"user":"bob","pass":"hunter2",)"
                       R"("name":"goner","lang":"c","version":"3.7.0","protocol":1})");
  if (!c3.ok()) return c3.status();
  if (auto s = Check((*c3)->Send("SUB foo 1\r\nSUB gone.* 2\r\n"), "client #3 SUB"); !s.ok()) {
    return s;
  }
  if (auto s = Check((*c3)->Ping(), "client #3 SUB"); !s.ok()) return s;

  {  // #4: a wrong password.
    auto c4 = RawClient::Connect(port);
    if (!c4.ok()) return c4.status();
    situation->client_ports[4] = LocalPort(**c4);
    if (auto s = Check((*c4)->ReadInfo(), "client #4 INFO"); !s.ok()) return s;
    if (auto s = Check((*c4)->Send(R"(CONNECT {"verbose":false,"pedantic":false,"user":"alice",)"
                                   R"("pass":"wrong","name":"intruder","protocol":1})"
                                   "\r\nPING\r\n"),
                       "client #4 CONNECT");
        !s.ok()) {
      return s;
    }
    if (auto s =
            Check((*c4)->ExpectClosed("-ERR 'Authorization Violation'\r\n"), "client #4 refused");
        !s.ok()) {
      return s;
    }
  }

  auto c5 = connect(5, R"({"verbose":false,"pedantic":false,"user":"alice","pass":"secret",)"
                       R"("name":"limited","protocol":1})");
  if (!c5.ok()) return c5.status();
  if (auto s = Check((*c5)->Send("SUB lim 9\r\nUNSUB 9 2\r\nSUB lim2 q3 10\r\nUNSUB 10 5\r\n"),
                     "client #5 SUB");
      !s.ok()) {
    return s;
  }
  if (auto s = Check((*c5)->Ping(), "client #5 SUB"); !s.ok()) return s;

  {  // #6: a parse error.
    auto c6 = connect(6, R"({"verbose":false,"pedantic":false,"user":"bob","pass":"hunter2",)"
                         R"("name":"garbler","protocol":1})");
    if (!c6.ok()) return c6.status();
    if (auto s = Check((*c6)->Send("FOO BAR\r\n"), "client #6 garbage"); !s.ok()) return s;
    if (auto s = Check((*c6)->ExpectClosed("-ERR 'Unknown Protocol Operation'\r\n"),
                       "client #6 closed for a parse error");
        !s.ok()) {
      return s;
    }
  }

  // #2 publishes; every subscriber then reads exactly what it was due.
  if (auto s = Check((*c2)->Send("PUB foo 5\r\nhello\r\n"
                                 "PUB foo 5\r\nhello\r\n"
                                 "HPUB foo 12 14\r\nNATS/1.0\r\n\r\nhi\r\n"
                                 "PUB bar.x 3\r\nabc\r\n"
                                 "PUB work 1\r\nw\r\n"
                                 "PUB work 1\r\nw\r\n"
                                 "PUB lim 2\r\nhi\r\n"
                                 "PUB lim 2\r\nhi\r\n"
                                 "PUB lim 2\r\nhi\r\n"
                                 "PUB lim2 4\r\nhey!\r\n"
                                 "PUB lim2 4\r\nhey!\r\n"
                                 "PUB nobody 0\r\n\r\n"),
                     "client #2 PUB");
      !s.ok()) {
    return s;
  }
  if (auto s = Check((*c2)->Ping(), "client #2 PUB"); !s.ok()) return s;
  if (auto s = ReadMessages(**c0, 4, "client #0"); !s.ok()) return s;  // foo x3, bar.x
  if (auto s = ReadMessages(**c1, 7, "client #1"); !s.ok()) return s;  // foo x3, work q1/q2
  if (auto s = ReadMessages(**c3, 3, "client #3"); !s.ok()) return s;  // foo x3
  if (auto s = ReadMessages(**c5, 4, "client #5"); !s.ok()) return s;  // lim x2, lim2 x2

  (*c3)->Close();
  situation->open.push_back(*std::move(c0));
  situation->open.push_back(*std::move(c1));
  situation->open.push_back(*std::move(c2));
  situation->open.push_back(*std::move(c5));
  return absl::OkStatus();
}

absl::StatusOr<CidMap> MapCids(ServerPair& servers, const Situation& reference,
                               const Situation& actual) {
  auto answers = servers.Get("/connz?state=all&limit=100");
  if (!answers.ok()) return answers.status();
  CidMap map;
  const auto fill = [](const harness::HttpAnswer& answer, const Situation& situation,
                       std::map<int64_t, int>* cids, const std::string& who) -> absl::Status {
    Json doc = Json::parse(answer.body, nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded() || !doc.contains("connections") || !doc["connections"].is_array()) {
      return absl::InternalError(
          absl::StrCat(who, " /connz?state=all is not a connection list: ", answer.body));
    }
    for (const Json& connection : doc["connections"]) {
      if (!connection.contains("port") || !connection["port"].is_number_integer() ||
          !connection.contains("cid") || !connection["cid"].is_number_integer()) {
        continue;
      }
      const int port = connection["port"].get<int>();
      for (int k = 0; k < kClients; ++k) {
        if (situation.client_ports[k] == port) {
          (*cids)[connection["cid"].get<int64_t>()] = k;
        }
      }
    }
    if (cids->size() != static_cast<size_t>(kClients)) {
      return absl::InternalError(
          absl::StrFormat("%s /connz?state=all names %d of the test's %d clients (by port): %s",
                          who, cids->size(), kClients, answer.body));
    }
    return absl::OkStatus();
  };
  if (auto s = fill(answers->reference, reference, &map.reference, "nats-server"); !s.ok()) {
    return s;
  }
  if (auto s = fill(answers->actual, actual, &map.actual, "the server under test"); !s.ok()) {
    return s;
  }
  return map;
}

}  // namespace ringnats::monitoring
