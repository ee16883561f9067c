// Monitoring under load (issue 10): a scrape loop over the heavy endpoints runs while a
// publish flood reaches many subscribers, and while a storm of bcrypt logins keeps the
// password checks busy.
//
// Scraping must never stall a ring: neighbours keep answering PING and a request/reply pair
// keeps getting its replies within the liveness bound, every scrape gets a 200 with a
// well-formed body, the broker's RSS stays bounded and it stops cleanly afterwards.
// nats-server has no /metrics, so the reference run scrapes the JSON endpoints only.
//
// Threads: the test thread drives the attack; ScrapeLoop and RequestReplyProbe each run one
// thread of their own that only touches its own connections.

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/strings/str_format.h"
#include "adversarial/adversarial_fixture.h"
#include "auth/credentials.h"
#include "harness/http_get.h"

namespace ringnats::adversarial {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::string_view kQuiet = R"({"verbose":false,"pedantic":false})";
// One scrape may take long while the broker is saturated; no answer within this is a hang.
constexpr Millis kScrapeGuard{10000};
// Turns a lost request or reply into a failure instead of a stuck test.
constexpr Millis kProbeGuard{30000};
// Pause between scrape rounds and probe round trips, so the test's own threads leave the
// broker most of the two cores.
constexpr Millis kScrapePace{10};
constexpr Millis kProbePace{20};

// GETs the endpoints that walk every connection or subscription, round after round, and
// checks each answer: status 200, a JSON object (or Prometheus text for /metrics).
class ScrapeLoop {
 public:
  ScrapeLoop(int monitor_port, bool with_metrics) : port_(monitor_port) {
    paths_ = {"/varz", "/connz?subs=1", "/connz?state=closed", "/subsz?subs=1"};
    if (with_metrics) paths_.push_back("/metrics");
    thread_ = std::thread([this] { Run(); });
  }
  ScrapeLoop(const ScrapeLoop&) = delete;
  ScrapeLoop& operator=(const ScrapeLoop&) = delete;
  ~ScrapeLoop() { Stop(); }

  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  // Complete rounds (every path answered once).
  int rounds() {
    std::lock_guard<std::mutex> lock(mu_);
    return rounds_;
  }
  Millis worst() {
    std::lock_guard<std::mutex> lock(mu_);
    return worst_;
  }
  std::string failure() {
    std::lock_guard<std::mutex> lock(mu_);
    return failure_;
  }
  // The largest body seen for /connz?subs=1, to show the scrapes were not trivial.
  size_t largest_connz() {
    std::lock_guard<std::mutex> lock(mu_);
    return largest_connz_;
  }

 private:
  void Run() {
    while (!stop_) {
      for (const std::string& path : paths_) {
        const Clock::time_point start = Clock::now();
        absl::StatusOr<harness::HttpAnswer> answer = harness::HttpGet(port_, path, kScrapeGuard);
        const Millis took = std::chrono::duration_cast<Millis>(Clock::now() - start);
        std::string bad = answer.ok() ? Check(path, *answer) : answer.status().ToString();
        std::lock_guard<std::mutex> lock(mu_);
        worst_ = std::max(worst_, took);
        if (!bad.empty()) {
          failure_ = absl::StrFormat("GET %s after %d rounds: %s", path, rounds_, bad);
          return;
        }
        if (path == "/connz?subs=1") largest_connz_ = std::max(largest_connz_, answer->body.size());
      }
      {
        std::lock_guard<std::mutex> lock(mu_);
        ++rounds_;
      }
      std::this_thread::sleep_for(kScrapePace);
    }
  }

  static std::string Check(const std::string& path, const harness::HttpAnswer& answer) {
    if (answer.status != 200) {
      return absl::StrFormat("status %d: %s", answer.status, answer.body.substr(0, 200));
    }
    if (path == "/metrics") {
      if (!answer.content_type.starts_with("text/plain")) {
        return "Content-Type " + answer.content_type;
      }
      if (answer.body.find("# TYPE ") == std::string::npos) return "no # TYPE line";
      return "";
    }
    const nlohmann::json body = nlohmann::json::parse(answer.body, nullptr, false);
    if (body.is_discarded() || !body.is_object()) {
      return "not a JSON object: " + answer.body.substr(0, 200);
    }
    if (path.starts_with("/connz") && !body.contains("connections")) return "no connections";
    if (path.starts_with("/subsz") && !body.contains("num_subscriptions")) {
      return "no num_subscriptions";
    }
    if (path == "/varz" && !body.contains("connections")) return "no connections";
    return "";
  }

  const int port_;
  std::vector<std::string> paths_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  int rounds_ = 0;
  Millis worst_{0};
  size_t largest_connz_ = 0;
  std::string failure_;
  std::thread thread_;
};

// A requester and a responder on their own connections (usually on different workers),
// one request at a time: the time from the request's PUB to the reply's MSG is a sample.
class RequestReplyProbe {
 public:
  RequestReplyProbe(std::unique_ptr<harness::RawClient> requester,
                    std::unique_ptr<harness::RawClient> responder)
      : requester_(std::move(requester)), responder_(std::move(responder)) {
    thread_ = std::thread([this] { Run(); });
  }
  RequestReplyProbe(const RequestReplyProbe&) = delete;
  RequestReplyProbe& operator=(const RequestReplyProbe&) = delete;
  ~RequestReplyProbe() { Stop(); }

  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  int replies() {
    std::lock_guard<std::mutex> lock(mu_);
    return replies_;
  }
  Millis worst() {
    std::lock_guard<std::mutex> lock(mu_);
    return worst_;
  }
  std::string failure() {
    std::lock_guard<std::mutex> lock(mu_);
    return failure_;
  }

  static constexpr std::string_view kSubject = "adv.monitor.rr";
  static constexpr std::string_view kInbox = "_INBOX.adv.monitor.rr";

 private:
  void Run() {
    for (uint64_t i = 0; !stop_; ++i) {
      const std::string body = absl::StrFormat("%08d", i % 100000000);
      const Clock::time_point start = Clock::now();
      std::string bad = RoundTrip(body);
      const Millis took = std::chrono::duration_cast<Millis>(Clock::now() - start);
      std::lock_guard<std::mutex> lock(mu_);
      if (!bad.empty()) {
        failure_ = absl::StrFormat("request %d: %s", i, bad);
        return;
      }
      worst_ = std::max(worst_, took);
      ++replies_;
      std::this_thread::sleep_for(kProbePace);
    }
  }

  std::string RoundTrip(const std::string& body) {
    harness::Msg msg;
    if (auto r = requester_->Send(
            absl::StrFormat("PUB %s %s %d\r\n%s\r\n", kSubject, kInbox, body.size(), body),
            kProbeGuard);
        !r) {
      return "requester: " + std::string(r.message());
    }
    if (auto r = responder_->ReadMsg(&msg, kProbeGuard); !r) {
      return "responder: " + std::string(r.message());
    }
    if (msg.reply != kInbox || msg.payload != body) return "responder got another request";
    if (auto r = responder_->Send(
            absl::StrFormat("PUB %s %d\r\n%s\r\n", msg.reply, body.size(), body), kProbeGuard);
        !r) {
      return "responder: " + std::string(r.message());
    }
    if (auto r = requester_->ReadMsg(&msg, kProbeGuard); !r) {
      return "requester: " + std::string(r.message());
    }
    if (msg.payload != body) return "a reply to another request";
    return "";
  }

  std::unique_ptr<harness::RawClient> requester_;
  std::unique_ptr<harness::RawClient> responder_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  int replies_ = 0;
  Millis worst_{0};
  std::string failure_;
  std::thread thread_;
};

// A config whose users have a cost-10 hash (tens of milliseconds per check). The attackers'
// CONNECTs all arrive at once; the raised timeout keeps them waiting for their verdict rather
// than timing out, so every one costs a hash.
std::string BcryptUsers() {
  return absl::StrFormat(
      "authorization {\n"
      "  timeout: 30\n"
      "  users = [\n"
      "    {user: \"good\", password: \"%s\"}\n"
      "    {user: \"victim\", password: \"%s\"}\n"
      "  ]\n"
      "}\n",
      authtest::kCoalesceHash, authtest::kCoalesceHash);
}

std::string LoginJson(std::string_view user, std::string_view pass) {
  return absl::StrFormat(R"({"verbose":false,"pedantic":false,"user":"%s","pass":"%s"})", user,
                         pass);
}

std::string GoodLogin() {
  return LoginJson("good", authtest::kCoalescePassword);
}

class MonitoringLoadTest : public AdversarialTest {
 protected:
  void StartMonitoredServer(const std::string& config) {
    ASSERT_NO_FATAL_FAILURE(StartServer(config, {"-m", "-1"}));
    ASSERT_GT(server().monitor_port(), 0) << "no monitoring port in the ports file";
  }

  // The request/reply pair, subscribed and confirmed before the attack starts.
  void StartProbe(std::string_view login) {
    std::unique_ptr<harness::RawClient> requester = Client(login);
    std::unique_ptr<harness::RawClient> responder = Client(login);
    ASSERT_TRUE(requester && responder);
    ASSERT_TRUE(requester->Send(absl::StrFormat("SUB %s 1\r\n", RequestReplyProbe::kInbox)));
    ASSERT_TRUE(requester->Ping());
    ASSERT_TRUE(responder->Send(absl::StrFormat("SUB %s 1\r\n", RequestReplyProbe::kSubject)));
    ASSERT_TRUE(responder->Ping());
    probe_ = std::make_unique<RequestReplyProbe>(std::move(requester), std::move(responder));
  }

  void StartScrapes() {
    scrapes_ = std::make_unique<ScrapeLoop>(server().monitor_port(), !reference());
  }

  // Stops the probe and the scrapes and checks what they saw during the attack.
  void FinishProbeAndScrapes() {
    ASSERT_TRUE(probe_ && scrapes_);
    scrapes_->Stop();
    probe_->Stop();
    std::cout << "[ adversarial ] " << harness::Describe(spec()) << ": " << scrapes_->rounds()
              << " scrape rounds, slowest GET " << scrapes_->worst().count()
              << " ms, largest /connz?subs=1 " << scrapes_->largest_connz() / 1024 << " KiB; "
              << probe_->replies() << " replies, slowest " << probe_->worst().count() << " ms\n";
    EXPECT_EQ(scrapes_->failure(), "");
    EXPECT_GE(scrapes_->rounds(), 1) << "no complete scrape round during the attack";
    EXPECT_EQ(probe_->failure(), "") << "request/reply stopped answering";
    EXPECT_GE(probe_->replies(), 1);
    EXPECT_LE(probe_->worst().count(), kLivenessBound.count())
        << "slowest request/reply round trip during the attack";
  }

  // Connections that are gone, so /connz?state=closed has entries from the start.
  void CloseSome(std::string_view login, int count) {
    for (int i = 0; i < count; ++i) {
      std::unique_ptr<harness::RawClient> client = Client(login);
      ASSERT_NE(client, nullptr);
      ASSERT_TRUE(client->Send(absl::StrFormat("SUB adv.monitor.gone.%d 1\r\n", i)));
      ASSERT_TRUE(client->Ping());
    }
  }

  std::unique_ptr<RequestReplyProbe> probe_;
  std::unique_ptr<ScrapeLoop> scrapes_;
};

// 16 subscribers (each with 250 more subscriptions, so /connz?subs=1 and /subsz?subs=1 have
// thousands of entries to render) read everything two publishers send, while the scrapes run.
TEST_F(MonitoringLoadTest, ScrapesDuringPublishFlood) {
  ASSERT_NO_FATAL_FAILURE(StartMonitoredServer("max_pending: 8MB\n"));
  ASSERT_NO_FATAL_FAILURE(OpenNeighbours());
  ASSERT_NO_FATAL_FAILURE(CloseSome(kQuiet, 20));
  constexpr int kSubscribers = 16;
  constexpr int kExtraSubs = 250;
  constexpr int kPublishers = 2;
  constexpr uint64_t kPerPublisher = 150'000;
  constexpr size_t kSize = 128;
  constexpr int kPerChunk = 64;
  const std::string payload(kSize, 'f');
  std::string chunk;
  for (int i = 0; i < kPerChunk; ++i) {
    chunk += absl::StrFormat("PUB adv.monitor.flood %d\r\n%s\r\n", kSize, payload);
  }

  std::vector<std::unique_ptr<ThrottledSubscriber>> readers;
  for (int s = 0; s < kSubscribers; ++s) {
    std::unique_ptr<harness::RawClient> client = Client();
    ASSERT_NE(client, nullptr);
    std::string subs = "SUB adv.monitor.flood 1\r\n";
    for (int i = 0; i < kExtraSubs; ++i) {
      subs += absl::StrFormat("SUB adv.monitor.idle.%d.%d %d\r\n", s, i, i + 2);
    }
    ASSERT_TRUE(client->Send(subs));
    ASSERT_TRUE(client->Ping());
    readers.push_back(std::make_unique<ThrottledSubscriber>(
        std::move(client),
        ThrottledSubscriber::Options{.read_size = 64 * 1024,
                                     .pause = std::chrono::microseconds(200),
                                     .expected = kPublishers * kPerPublisher,
                                     .timeout = Millis(kSanitized ? 240000 : 120000)},
        [](uint64_t, std::string_view body) {
          return body.size() == kSize ? std::string() : absl::StrFormat("%d bytes", body.size());
        }));
  }
  std::vector<std::unique_ptr<harness::RawClient>> pubs;
  for (int p = 0; p < kPublishers; ++p) {
    pubs.push_back(Client(kQuiet, {.answer_pings = false}));
    ASSERT_NE(pubs.back(), nullptr);
  }
  ASSERT_NO_FATAL_FAILURE(StartProbe(kQuiet));
  StartWatch();
  StartScrapes();

  std::vector<std::thread> publishers;
  std::vector<std::string> errors(kPublishers);
  for (int p = 0; p < kPublishers; ++p) {
    publishers.emplace_back([&, p, pub = pubs[p].get()] {
      for (uint64_t sent = 0; sent < kPerPublisher; sent += kPerChunk) {
        if (auto r = pub->Send(chunk, Millis(60000)); !r) {
          errors[p] = r.message();
          return;
        }
      }
      if (auto r = pub->Sync(Millis(60000)); !r) errors[p] = r.message();
    });
  }
  for (std::thread& t : publishers) t.join();
  for (int p = 0; p < kPublishers; ++p) EXPECT_EQ(errors[p], "") << "publisher " << p;
  for (auto& reader : readers) {
    if (!errors[0].empty() || !errors[1].empty()) reader->Cancel();
    reader->Join();
    EXPECT_EQ(reader->error(), "");
  }
  ASSERT_NO_FATAL_FAILURE(FinishProbeAndScrapes());
  FinishWatch();
  EXPECT_EQ(CountLogLines("Slow Consumer"), 0);
  ExpectPeakRssBelow(RssBoundMib(300));
  EXPECT_TRUE(ServerStillWorks());
  ExpectCleanStop();
}

// Wrong cost-10 passwords from hundreds of connections (every one a distinct password, so
// nothing can answer from a cache) and good logins beside them, while the scrapes run;
// /connz?state=closed fills with the rejected ones.
TEST_F(MonitoringLoadTest, ScrapesDuringBcryptConnectStorm) {
  ASSERT_NO_FATAL_FAILURE(StartMonitoredServer(BcryptUsers()));
  ASSERT_NO_FATAL_FAILURE(OpenNeighbours(GoodLogin()));
  ASSERT_NO_FATAL_FAILURE(CloseSome(GoodLogin(), 20));
  ASSERT_NO_FATAL_FAILURE(StartProbe(GoodLogin()));
  StartWatch();
  StartScrapes();

  // nats-server hashes every attacker at once on its own goroutine, which starves a
  // two-core machine (see auth_flood_test.cc): the reference proves the expectations with
  // few attackers. ringnats queues them for its auth pool.
  constexpr int kWaves = 4;
  const int per_wave =
      std::min(reference() ? 10 : 100, std::max(1, (AvailableDescriptors() - 100) / kWaves));
  std::vector<std::unique_ptr<harness::RawClient>> attackers;
  int refused = 0;
  int good_logins = 0;
  for (int wave = 0; wave < kWaves; ++wave) {
    for (int i = 0; i < per_wave; ++i) {
      absl::StatusOr<std::unique_ptr<harness::RawClient>> client =
          harness::RawClient::Connect(port(), {.answer_pings = false});
      if (!client.ok()) {
        ++refused;
        continue;
      }
      const std::string connect =
          absl::StrFormat("CONNECT %s\r\nPING\r\n",
                          LoginJson("victim", absl::StrFormat("wrong-%d-%d-password", wave, i)));
      (void)send((*client)->fd(), connect.data(), connect.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      attackers.push_back(std::move(*client));
    }
    // A good login between the waves: it must get through (ringnats may answer it from its
    // credential cache; nats-server hashes it beside the attackers).
    std::unique_ptr<harness::RawClient> good = Client(GoodLogin());
    if (good != nullptr && good->Ping(Millis(30000))) ++good_logins;
  }
  // Every attacker gets its verdict (a close) while the scrapes go on.
  int closed = 0;
  for (auto& attacker : attackers) {
    if (WaitClosedWithoutReading(attacker->fd(), Millis(kSanitized ? 120000 : 60000))) ++closed;
  }
  std::cout << "[ adversarial ] " << attackers.size() << " attackers (" << refused << " refused), "
            << closed << " closed by the broker; " << good_logins << " good logins\n";
  EXPECT_EQ(closed, static_cast<int>(attackers.size()));
  EXPECT_EQ(good_logins, kWaves);
  ASSERT_NO_FATAL_FAILURE(FinishProbeAndScrapes());
  FinishWatch();
  attackers.clear();
  ExpectPeakRssBelow(RssBoundMib(300));

  // The rejected logins are listed as closed connections.
  absl::StatusOr<harness::HttpAnswer> closed_conns =
      harness::HttpGet(server().monitor_port(), "/connz?state=closed&limit=1");
  ASSERT_TRUE(closed_conns.ok()) << closed_conns.status();
  const nlohmann::json body = nlohmann::json::parse(closed_conns->body, nullptr, false);
  ASSERT_TRUE(body.is_object()) << closed_conns->body.substr(0, 300);
  EXPECT_GE(body.value("total", 0), 20) << closed_conns->body.substr(0, 300);

  EXPECT_TRUE(ServerStillWorks(GoodLogin()));
  ExpectCleanStop();
}

}  // namespace
}  // namespace ringnats::adversarial
