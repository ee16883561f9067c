// The status page at / in Debian's headless Chromium against a running broker: it renders
// its numbers from /varz, the message rates move while a client publishes and fall back to
// zero when it stops, the auth cards move while clients log in against bcrypt passwords,
// the console stays free of errors, and it fits a phone's screen. The run leaves screenshots
// in the build directory (desktop and phone width, and one during the logins).

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "auth/credentials.h"
#include "harness/raw_client.h"
#include "harness/server_fixture.h"
#include "headless_chromium.h"

namespace ringnats::scrapers {
namespace {

using Json = nlohmann::json;

constexpr std::chrono::milliseconds kPageTimeout{10000};
// CSS pixels across a current phone's screen (390 x 844).
constexpr int kPhoneWidth = 390;
// The page polls once a second and shows a rate from two polls; traffic must show within a
// few polls even on a loaded machine.
constexpr std::chrono::milliseconds kRateTimeout{15000};

// Every element with an id, as {id: text}, plus the page's own sizes.
constexpr char kSnapshotJs[] = R"JS(
function snapshot() {
  const s = {};
  for (const e of document.querySelectorAll("[id]")) s[e.id] = e.textContent;
  const state = document.getElementById("state");
  s.state_class = state ? state.className : null;
  return s;
}
)JS";

// A promise that resolves with the first snapshot satisfying `condition` (a JS expression
// over `s`), checked at once and after every change of the DOM, or with the last snapshot
// and timed_out after `ms`.
std::string WaitForDomJs(const std::string& condition, std::chrono::milliseconds ms) {
  return absl::StrCat("(() => {", kSnapshotJs, R"JS(
  return new Promise((resolve) => {
    const ok = (s) => { return )JS",
                      condition, R"JS(; };
    let s = snapshot();
    if (ok(s)) { resolve(s); return; }
    const observer = new MutationObserver(() => {
      s = snapshot();
      if (ok(s)) { observer.disconnect(); clearTimeout(timer); resolve(s); }
    });
    const timer = setTimeout(() => {
      observer.disconnect(); s = snapshot(); s.timed_out = true; resolve(s);
    }, )JS",
                      ms.count(), R"JS();
    observer.observe(document.body, {subtree: true, childList: true, characterData: true,
                                     attributes: true});
  });
})())JS");
}

// Layout facts after the next frame, against the device's width `screen_width`: a phone's
// browser widens its layout viewport (and zooms the whole page out) to fit content wider than
// the screen, so innerWidth itself shows an overflow; elements reaching past the screen's
// edge and numbers wider than their box name the culprit.
std::string LayoutJs(int screen_width) {
  return absl::StrCat("const screenWidth = ", screen_width, ";", R"JS(
new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => {
  const out = [];
  for (const e of document.body.querySelectorAll("*")) {
    if (e.tagName === "SCRIPT" || e.tagName === "STYLE") continue;
    const r = e.getBoundingClientRect();
    if (r.width > 0 && (r.left < -0.5 || r.right > screenWidth + 0.5)) {
      out.push(`${e.tagName}#${e.id}.${e.className} spans ${r.left}..${r.right}: ` +
               e.textContent.trim().slice(0, 80));
    }
    if (e.classList.contains("value") && e.scrollWidth > e.clientWidth) {
      out.push(`#${e.id} text ${e.scrollWidth}px in a ${e.clientWidth}px box`);
    }
  }
  resolve({inner_width: window.innerWidth, scroll_width: document.documentElement.scrollWidth,
           overflowing: out});
})))
)JS");
}

constexpr char kNumber[] = R"(/^[0-9]+(\.[0-9])?[kMGT]?$/.test)";

std::string OutputPath(const std::string& name) {
  return absl::StrCat(RINGNATS_SCRAPERS_OUTPUT_DIR, "/", name);
}

class StatusPageBrowserTest : public harness::ServerTest {
 protected:
  void TearDown() override {
    StopTraffic();
    StopLogins();
  }

  // A client that publishes to its own subscription in paced batches until StopTraffic, on
  // its own thread (the test thread is busy waiting on the browser meanwhile).
  void StartTraffic() {
    traffic_client_ = Client();
    ASSERT_NE(traffic_client_, nullptr);
    ASSERT_TRUE(traffic_client_->Send("SUB page.traffic 1\r\n"));
    ASSERT_TRUE(traffic_client_->Ping());
    traffic_ = std::thread([this] {
      std::string batch;
      for (int i = 0; i < 50; ++i) batch += "PUB page.traffic 16\r\n0123456789abcdef\r\n";
      while (!stop_traffic_.load()) {
        std::string delivered;
        bool closed = false;
        if (!traffic_client_->Send(batch) || !traffic_client_->PingCollect(&delivered, &closed) ||
            closed) {
          traffic_failed_ = true;
          return;
        }
        ++batches_;
        // Pacing, not synchronisation: a steady trickle the page can see without the
        // publisher taking a core from the broker and the browser.
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    });
  }

  void StopTraffic() {
    stop_traffic_ = true;
    if (traffic_.joinable()) traffic_.join();
  }

  // Fails the test, quoting the snapshot, when `s` timed out.
  static ::testing::AssertionResult Reached(const absl::StatusOr<Json>& s, const char* what) {
    if (!s.ok()) return ::testing::AssertionFailure() << what << ": " << s.status();
    if (s->value("timed_out", false)) {
      return ::testing::AssertionFailure() << what << " not reached; page shows " << s->dump();
    }
    return ::testing::AssertionSuccess();
  }

  void ExpectCleanConsole(HeadlessChromium& browser) {
    std::vector<std::string> warnings;
    const std::vector<std::string> problems = browser.ConsoleProblems(&warnings);
    EXPECT_TRUE(problems.empty()) << "the page's console:\n" << absl::StrJoin(problems, "\n");
    for (const std::string& warning : warnings) std::cout << "console warning: " << warning << "\n";
  }

  // Headless Chromium at desktop size with `page_path` of the monitoring port loaded.
  void OpenPage(const std::string& page_path, std::unique_ptr<HeadlessChromium>* opened) {
    absl::StatusOr<std::unique_ptr<HeadlessChromium>> started =
        HeadlessChromium::Start(RINGNATS_CHROMIUM);
    ASSERT_TRUE(started.ok()) << started.status();
    HeadlessChromium& browser = **started;
    ASSERT_TRUE(
        browser
            .Call("Emulation.setDeviceMetricsOverride",
                  {{"width", 1280}, {"height", 900}, {"deviceScaleFactor", 1}, {"mobile", false}})
            .ok());
    const size_t before_load = browser.events_seen();
    const std::string url = absl::StrCat("http://127.0.0.1:", server().monitor_port(), page_path);
    absl::StatusOr<Json> navigated = browser.Call("Page.navigate", {{"url", url}});
    ASSERT_TRUE(navigated.ok()) << navigated.status();
    ASSERT_FALSE(navigated->contains("errorText")) << navigated->dump();
    ASSERT_TRUE(browser.WaitForEvent("Page.loadEventFired", before_load, kPageTimeout).ok());
    *opened = *std::move(started);
  }

  // Logs in as `user` with the right password, then with a wrong one, over and over on a
  // thread of its own until StopLogins.
  void StartLogins(const std::string& user, const std::string& password) {
    logins_ = std::thread([this, user, password] {
      const auto login = [&](const std::string& pass, bool accepted) {
        absl::StatusOr<std::unique_ptr<harness::RawClient>> client =
            harness::RawClient::Connect(port());
        if (!client.ok() || !(*client)->ReadInfo()) return false;
        const std::string connect =
            absl::StrCat(R"(CONNECT {"verbose":false,"pedantic":false,"user":")", user,
                         R"(","pass":")", pass, "\"}\r\nPING\r\n");
        if (!(*client)->Send(connect)) return false;
        return accepted ? static_cast<bool>((*client)->Expect("PONG\r\n"))
                        : static_cast<bool>(
                              (*client)->ExpectClosed("-ERR 'Authorization Violation'\r\n"));
      };
      while (!stop_logins_.load()) {
        if (!login(password, true) || !login(password + "-wrong", false)) {
          logins_failed_ = true;
          return;
        }
        ++login_rounds_;
        // Pacing, not synchronisation, as for the traffic above.
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    });
  }

  void StopLogins() {
    stop_logins_ = true;
    if (logins_.joinable()) logins_.join();
  }

  void CheckStatusPage(const std::string& page_path, const std::string& screenshot_prefix) {
    const int monitor_port = server().monitor_port();
    ASSERT_GT(monitor_port, 0) << "no monitoring port in the ports file";
    // One idle client besides the publisher: the page must show 2 connections.
    std::unique_ptr<harness::RawClient> idle = Client();
    ASSERT_NE(idle, nullptr);
    ASSERT_TRUE(idle->Ping());

    std::unique_ptr<HeadlessChromium> opened;
    ASSERT_NO_FATAL_FAILURE(OpenPage(page_path, &opened));
    HeadlessChromium& browser = *opened;

    // Rendered: live, the held connections counted, rates shown (two polls) and idle.
    absl::StatusOr<Json> idle_page = browser.Evaluate(
        WaitForDomJs(absl::StrCat(R"(s.state === "live" && s.connections === "1" && )",
                                  R"(s.in_msgs === "0" && s.out_msgs === "0")"),
                     kPageTimeout),
        kPageTimeout);
    ASSERT_TRUE(Reached(idle_page, "a live page with 1 connection and no traffic"));
    const Json& shown = *idle_page;
    EXPECT_EQ(shown.value("state_class", "?"), "");
    EXPECT_TRUE(std::regex_search(shown.value("version", ""),
                                  std::regex(R"(^nats 2\.9\.10 / ringnats [0-9]+\.[0-9]+)")))
        << shown.dump();
    EXPECT_TRUE(std::regex_match(shown.value("uptime", ""), std::regex(R"(([0-9]+[dhms])+)")))
        << shown.dump();
    EXPECT_EQ(shown.value("subscriptions", ""), "0") << shown.dump();
    EXPECT_EQ(shown.value("in_bytes", ""), "0 B") << shown.dump();
    EXPECT_EQ(shown.value("auth_ok", ""), "0") << shown.dump();
    EXPECT_EQ(shown.value("auth_failed", ""), "0") << shown.dump();
    EXPECT_EQ(shown.value("auth_queue", ""), "0") << shown.dump();
    EXPECT_EQ(shown.value("slow", ""), "0") << shown.dump();
    EXPECT_TRUE(std::regex_match(shown.value("cpu", ""), std::regex(R"([0-9]+\.[0-9] %)")))
        << shown.dump();
    EXPECT_TRUE(std::regex_match(shown.value("mem", ""), std::regex(R"([0-9.]+ (KiB|MiB|GiB))")))
        << shown.dump();

    // Numbers move: a second client publishing shows as message and byte rates in and out.
    ASSERT_NO_FATAL_FAILURE(StartTraffic());
    absl::StatusOr<Json> busy = browser.Evaluate(
        WaitForDomJs(absl::StrCat("s.connections === \"2\" && s.subscriptions === \"1\" && ",
                                  "s.in_msgs !== \"0\" && ", kNumber, "(s.in_msgs) && ",
                                  "s.out_msgs !== \"0\" && ", kNumber, "(s.out_msgs) && ",
                                  "s.in_bytes !== \"0 B\" && s.out_bytes !== \"0 B\""),
                     kRateTimeout),
        kRateTimeout);
    EXPECT_FALSE(traffic_failed_.load());
    ASSERT_TRUE(Reached(busy, "message rates above zero while a client publishes"))
        << batches_.load() << " batches of 50 published";
    ASSERT_TRUE(browser.Screenshot(OutputPath(screenshot_prefix + ".png"), false).ok());
    std::cout << "status page screenshot: " << OutputPath(screenshot_prefix + ".png") << "\n";
    StopTraffic();
    ASSERT_FALSE(traffic_failed_.load());

    // ... and fall back when it stops: the rates are rates, not totals.
    absl::StatusOr<Json> quiet = browser.Evaluate(
        WaitForDomJs(R"(s.in_msgs === "0" && s.out_msgs === "0" && s.in_bytes === "0 B")",
                     kRateTimeout),
        kRateTimeout);
    EXPECT_TRUE(Reached(quiet, "message rates back at zero after the traffic stopped"));

    // Readable on a phone: nothing wider than the screen, no number cut off.
    ASSERT_TRUE(browser
                    .Call("Emulation.setDeviceMetricsOverride", {{"width", kPhoneWidth},
                                                                 {"height", 844},
                                                                 {"deviceScaleFactor", 3},
                                                                 {"mobile", true}})
                    .ok());
    absl::StatusOr<Json> layout = browser.Evaluate(LayoutJs(kPhoneWidth));
    ASSERT_TRUE(layout.ok()) << layout.status();
    EXPECT_EQ(layout->value("inner_width", 0), kPhoneWidth)
        << "the page is wider than a phone's screen: " << layout->dump(2);
    EXPECT_LE(layout->value("scroll_width", 1 << 20), layout->value("inner_width", 0))
        << layout->dump(2);
    EXPECT_TRUE((*layout)["overflowing"].empty()) << layout->dump(2);
    ASSERT_TRUE(browser.Screenshot(OutputPath(screenshot_prefix + "_phone.png"), true).ok());
    std::cout << "status page screenshot (phone): " << OutputPath(screenshot_prefix + "_phone.png")
              << "\n";

    // A round trip after everything, so events the page raised before it have arrived.
    ASSERT_TRUE(browser.Evaluate("1").ok());
    ExpectCleanConsole(browser);
    absl::Status closed = browser.Close();
    EXPECT_TRUE(closed.ok()) << closed;
  }

  std::unique_ptr<harness::RawClient> traffic_client_;
  std::thread traffic_;
  std::atomic<bool> stop_traffic_{false};
  std::atomic<bool> traffic_failed_{false};
  std::atomic<int> batches_{0};
  std::thread logins_;
  std::atomic<bool> stop_logins_{false};
  std::atomic<bool> logins_failed_{false};
  std::atomic<int> login_rounds_{0};
};

TEST_F(StatusPageBrowserTest, RendersMovesAndFitsAPhone) {
  ASSERT_NO_FATAL_FAILURE(StartServer("", {"-m", "-1"}));
  CheckStatusPage("/", "status_page");
}

// Under http_base_path the page fetches /varz below the prefix.
TEST_F(StatusPageBrowserTest, UnderHttpBasePath) {
  ASSERT_NO_FATAL_FAILURE(StartServer("http_base_path: \"/nats/monitor\"\n", {"-m", "-1"}));
  CheckStatusPage("/nats/monitor", "status_page_base_path");
}

// The auth cards, where an operator watches a bcrypt cost take effect: logins per second
// (accepted and refused) and the hash time move while clients log in against bcrypt
// passwords, and the rates fall back when they stop.
TEST_F(StatusPageBrowserTest, AuthCardsFollowBcryptLogins) {
  const std::string config =
      "authorization {\n  users: [\n    {user: alice, password: " + std::string(authtest::kHash2a) +
      "}\n  ]\n}\n";
  ASSERT_NO_FATAL_FAILURE(StartServer(config, {"-m", "-1"}));
  std::unique_ptr<HeadlessChromium> opened;
  ASSERT_NO_FATAL_FAILURE(OpenPage("/", &opened));
  HeadlessChromium& browser = *opened;
  absl::StatusOr<Json> idle = browser.Evaluate(
      WaitForDomJs(R"(s.state === "live" && s.auth_ok === "0" && s.hash_p50 === "-")",
                   kPageTimeout),
      kPageTimeout);
  ASSERT_TRUE(Reached(idle, "a live page with no logins and no hash yet"));

  ASSERT_NO_FATAL_FAILURE(StartLogins("alice", std::string(authtest::kPassword2a)));
  constexpr char kDuration[] = R"(/^[0-9.]+ (\u00b5s|ms|s)$/.test)";
  absl::StatusOr<Json> busy = browser.Evaluate(
      WaitForDomJs(absl::StrCat("s.auth_ok !== \"0\" && ", kNumber, "(s.auth_ok) && ",
                                "s.auth_failed !== \"0\" && ", kNumber, "(s.auth_failed) && ",
                                kDuration, "(s.hash_p50) && ", kDuration, "(s.hash_p99) && ",
                                kNumber, "(s.auth_queue)"),
                   kRateTimeout),
      kRateTimeout);
  EXPECT_FALSE(logins_failed_.load());
  ASSERT_TRUE(Reached(busy, "login rates and hash times while clients log in"))
      << login_rounds_.load() << " rounds of one good and one wrong login";
  ASSERT_TRUE(browser.Screenshot(OutputPath("status_page_auth.png"), false).ok());
  std::cout << "status page screenshot (logins): " << OutputPath("status_page_auth.png") << "\n";
  StopLogins();
  ASSERT_FALSE(logins_failed_.load());

  absl::StatusOr<Json> quiet = browser.Evaluate(
      WaitForDomJs(R"(s.auth_ok === "0" && s.auth_failed === "0")", kRateTimeout), kRateTimeout);
  EXPECT_TRUE(Reached(quiet, "login rates back at zero after the logins stopped"));
  // The hash time is a distribution since the start: it stays.
  EXPECT_NE(quiet->value("hash_p50", "-"), "-") << quiet->dump();

  ASSERT_TRUE(browser.Evaluate("1").ok());
  ExpectCleanConsole(browser);
  absl::Status closed = browser.Close();
  EXPECT_TRUE(closed.ok()) << closed;
}

}  // namespace
}  // namespace ringnats::scrapers
