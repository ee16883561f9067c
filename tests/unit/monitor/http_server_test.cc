// MonitorServer over real loopback sockets with a fake data source: binding (any port, a
// taken port), every method, the base path, headers, and a slow callback that holds only
// its own request.

#include "ringnats/monitor/http_server.h"

#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <nlohmann/json.hpp>
#include <thread>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "situation.h"

namespace ringnats::monitor {
namespace {

constexpr absl::Duration kLiveness = absl::Seconds(10);

DataSource FakeSource() {
  DataSource source;
  source.server = [] { return testing::CaptureServer(); };
  source.connections = [](const ConnzQuery&) -> absl::StatusOr<ConnzData> {
    ConnzData data;
    data.connections = testing::CaptureConnections();
    return data;
  };
  source.subscriptions = [](const SubszQuery&) { return testing::CaptureSubscriptions(); };
  return source;
}

// Sends `request` on a fresh connection, after `pause` when one is given, and reads until the
// answer's body is complete (Content-Length), without closing the sending side.
std::string RawExchange(int port, const std::string& request,
                        absl::Duration pause = absl::ZeroDuration()) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  EXPECT_GE(fd, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval timeout{5, 0};  // liveness bound
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  std::string answer;
  const bool connected = connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  if (connected) absl::SleepFor(pause);
  if (connected &&
      send(fd, request.data(), request.size(), 0) == static_cast<ssize_t>(request.size())) {
    char buffer[4096];
    while (true) {
      const size_t head_end = answer.find("\r\n\r\n");
      const size_t length_at = answer.find("Content-Length: ");
      if (head_end != std::string::npos && length_at != std::string::npos &&
          answer.size() >= head_end + 4 + std::stoul(answer.substr(length_at + 16))) {
        break;
      }
      const ssize_t n = recv(fd, buffer, sizeof buffer, 0);
      if (n <= 0) break;
      answer.append(buffer, static_cast<size_t>(n));
    }
  }
  close(fd);
  return answer;
}

MonitorServerOptions LoopbackOptions() {
  MonitorServerOptions options;
  options.host = "127.0.0.1";
  options.port = 0;
  options.server_id = testing::CaptureServer().server_id;
  return options;
}

std::unique_ptr<httplib::Client> ClientFor(const MonitorServer& server) {
  auto client = std::make_unique<httplib::Client>("127.0.0.1", server.port());
  client->set_connection_timeout(std::chrono::seconds(5));
  client->set_read_timeout(std::chrono::seconds(10));
  return client;
}

TEST(MonitorServerTest, ServesTheEndpointsOnAPickedPort) {
  MonitorServer server(LoopbackOptions(), FakeSource());
  ASSERT_TRUE(server.Start().ok());
  ASSERT_GT(server.port(), 0);
  auto client = ClientFor(server);

  httplib::Result varz = client->Get("/varz");
  ASSERT_TRUE(varz) << httplib::to_string(varz.error());
  EXPECT_EQ(varz->status, 200);
  EXPECT_EQ(varz->get_header_value("Content-Type"), "application/json");
  EXPECT_TRUE(varz->has_header("Date"));
  const nlohmann::ordered_json json = nlohmann::ordered_json::parse(varz->body);
  EXPECT_EQ(json["server_name"], "capture");
  EXPECT_EQ(json["http_req_stats"]["/varz"], 1);
  EXPECT_GT(json["mem"].get<int64_t>(), 0);  // filled by the monitor

  httplib::Result jsonp = client->Get("/connz?callback=cb&limit=1");
  ASSERT_TRUE(jsonp);
  EXPECT_EQ(jsonp->get_header_value("Content-Type"), "application/javascript");
  EXPECT_EQ(jsonp->body.rfind("cb({", 0), 0u);

  httplib::Result missing = client->Get("/nosuch");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(missing->body, "404 page not found\n");
  EXPECT_EQ(missing->get_header_value("X-Content-Type-Options"), "nosniff");

  httplib::Result bad = client->Get("/connz?sort=foo");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  EXPECT_EQ(bad->body, "invalid sorting option: foo");

  // nats-server's handlers answer any method; a body is read and ignored.
  httplib::Result post = client->Post("/healthz", "ignored", "text/plain");
  ASSERT_TRUE(post);
  EXPECT_EQ(post->status, 200);
  EXPECT_EQ(post->body, R"({"status":"ok"})");
  // A POST without Content-Length (curl -X POST) has no body and is answered at once, not
  // after a read timeout; the answer is complete while the client keeps its side open.
  const std::string bodiless =
      RawExchange(server.port(), "POST /healthz HTTP/1.1\r\nHost: t\r\n\r\n");
  EXPECT_EQ(bodiless.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << bodiless;
  EXPECT_NE(bodiless.find("\r\n\r\n{\"status\":\"ok\"}"), std::string::npos) << bodiless;

  httplib::Result metrics = client->Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_EQ(metrics->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(metrics->body.find("gnatsd_varz_connections"), std::string::npos);

  httplib::Result page = client->Get("/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->get_header_value("Content-Type"), "text/html; charset=utf-8");

  httplib::Result unclean = client->Get("//varz?x=1");
  ASSERT_TRUE(unclean);
  EXPECT_EQ(unclean->status, 301);
  EXPECT_EQ(unclean->get_header_value("Location"), "/varz?x=1");
  server.Stop();
}

TEST(MonitorServerTest, ServesUnderTheBasePath) {
  MonitorServerOptions options = LoopbackOptions();
  options.base_path = "nats/";
  MonitorServer server(options, FakeSource());
  ASSERT_TRUE(server.Start().ok());
  auto client = ClientFor(server);
  httplib::Result varz = client->Get("/nats/varz");
  ASSERT_TRUE(varz);
  EXPECT_EQ(varz->status, 200);
  httplib::Result root = client->Get("/nats");
  ASSERT_TRUE(root);
  EXPECT_EQ(root->status, 200);
  EXPECT_NE(root->body.find("./nats/varz"), std::string::npos);
  httplib::Result outside = client->Get("/varz");
  ASSERT_TRUE(outside);
  EXPECT_EQ(outside->status, 404);
}

TEST(MonitorServerTest, ASlowCallbackHoldsOnlyItsOwnRequest) {
  absl::Notification entered;
  absl::Notification release;
  DataSource source = FakeSource();
  source.connections = [&](const ConnzQuery&) -> absl::StatusOr<ConnzData> {
    entered.Notify();
    // Bounded, as the broker's own wait is: the test fails rather than hangs.
    if (!release.WaitForNotificationWithTimeout(kLiveness)) {
      return absl::DeadlineExceededError("workers did not answer");
    }
    ConnzData data;
    data.connections = testing::CaptureConnections();
    return data;
  };
  MonitorServer server(LoopbackOptions(), source);
  ASSERT_TRUE(server.Start().ok());

  std::atomic<int> slow_status{0};
  std::thread slow([&] {
    auto client = ClientFor(server);
    httplib::Result connz = client->Get("/connz");
    slow_status = connz ? connz->status : -1;
  });
  ASSERT_TRUE(entered.WaitForNotificationWithTimeout(kLiveness));
  auto client = ClientFor(server);
  for (const char* path : {"/varz", "/healthz", "/subsz"}) {
    httplib::Result result = client->Get(path);
    ASSERT_TRUE(result) << path;
    EXPECT_EQ(result->status, 200) << path;
  }
  release.Notify();
  slow.join();
  EXPECT_EQ(slow_status.load(), 200);
}

TEST(MonitorServerTest, AFailingCallbackAnswers503) {
  DataSource source = FakeSource();
  source.server = []() -> absl::StatusOr<ServerSnapshot> {
    return absl::DeadlineExceededError("worker 1 did not answer within 2s");
  };
  MonitorServer server(LoopbackOptions(), source);
  ASSERT_TRUE(server.Start().ok());
  httplib::Result varz = ClientFor(server)->Get("/varz");
  ASSERT_TRUE(varz);
  EXPECT_EQ(varz->status, 503);
  EXPECT_EQ(varz->body, "monitoring data unavailable: worker 1 did not answer within 2s");
}

TEST(MonitorServerTest, RefusesATakenPortAndFreesItsOwnOnStop) {
  MonitorServer first(LoopbackOptions(), FakeSource());
  ASSERT_TRUE(first.Start().ok());
  MonitorServerOptions same = LoopbackOptions();
  same.port = first.port();
  MonitorServer second(same, FakeSource());
  const absl::Status taken = second.Start();
  ASSERT_FALSE(taken.ok());
  EXPECT_NE(taken.message().find("can't listen to the monitor port"), std::string::npos) << taken;
  EXPECT_NE(taken.message().find("address already in use"), std::string::npos) << taken;

  // A client holding a keep-alive connection does not keep Stop from returning.
  auto client = ClientFor(first);
  client->set_keep_alive(true);
  ASSERT_TRUE(client->Get("/healthz"));
  first.Stop();
  first.Stop();  // idempotent
  EXPECT_FALSE(ClientFor(first)->Get("/healthz"));

  MonitorServer again(same, FakeSource());
  ASSERT_TRUE(again.Start().ok());
  EXPECT_EQ(again.port(), same.port);
  EXPECT_TRUE(ClientFor(again)->Get("/healthz"));
}

// cpp-httplib alone closes a connection that sends nothing for the keep-alive timeout, its
// first request included; nats-server waits. A scraper slow to send on a saturated machine
// must still be answered.
TEST(MonitorServerTest, AFreshConnectionWaitsTheReadTimeoutForItsFirstRequest) {
  MonitorServerOptions options = LoopbackOptions();
  options.keep_alive_timeout = absl::Seconds(1);
  options.read_timeout = absl::Seconds(30);
  MonitorServer server(options, FakeSource());
  ASSERT_TRUE(server.Start().ok());
  // The pause is what is tested, not a wait for an event: twice the keep-alive timeout.
  const std::string answer =
      RawExchange(server.port(), "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n", absl::Seconds(2));
  EXPECT_EQ(answer.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << answer;
  EXPECT_NE(answer.find("\r\n\r\n{\"status\":\"ok\"}"), std::string::npos) << answer;
}

TEST(MonitorServerTest, ASilentConnectionIsClosedAfterTheReadTimeoutAndDoesNotHoldStop) {
  MonitorServerOptions options = LoopbackOptions();
  options.read_timeout = absl::Seconds(1);
  MonitorServer server(options, FakeSource());
  ASSERT_TRUE(server.Start().ok());

  const auto connect_silently = [&] {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(server.port()));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    timeval timeout{10, 0};  // liveness bound, far above the read timeout
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    return fd;
  };
  const int silent = connect_silently();
  char byte;
  EXPECT_EQ(recv(silent, &byte, 1, 0), 0) << "expected the server's close, not the liveness bound";
  close(silent);

  // Stop ends the wait for a first request at once, not after a long read timeout.
  MonitorServerOptions patient = LoopbackOptions();
  patient.read_timeout = absl::Hours(1);
  MonitorServer stopping(patient, FakeSource());
  ASSERT_TRUE(stopping.Start().ok());
  const int waiting = connect_silently();
  // Served (so a pool thread is in its wait) once a request on another connection is
  // answered: the pool has more threads than these two connections.
  EXPECT_TRUE(ClientFor(stopping)->Get("/healthz"));
  stopping.Stop();
  EXPECT_EQ(recv(waiting, &byte, 1, 0), 0);
  close(waiting);
}

}  // namespace
}  // namespace ringnats::monitor
