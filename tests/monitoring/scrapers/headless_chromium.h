#pragma once
// Headless Chromium driven over the DevTools protocol through --remote-debugging-pipe: the
// browser reads commands on its fd 3 and writes answers and events on its fd 4, each a JSON
// message ended by a NUL byte. No WebSocket and no debugging port (nothing to race for).
//
// Every event that arrives is kept, so a test can judge the page's console at the end
// (ConsoleProblems). Chromium runs in its own process group with a throwaway profile and is
// stopped on every path (Browser.close, then SIGKILL to the group; see ChildProcess).
//
// Used from one test thread at a time.

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "child_process.h"

namespace ringnats::scrapers {

inline constexpr std::chrono::milliseconds kDevToolsTimeout{10000};

class HeadlessChromium {
 public:
  // Starts `chromium` (the Debian launcher or the binary) and opens a blank page; Call with
  // `page = true` talks to that page.
  static absl::StatusOr<std::unique_ptr<HeadlessChromium>> Start(const std::string& chromium);

  HeadlessChromium(const HeadlessChromium&) = delete;
  HeadlessChromium& operator=(const HeadlessChromium&) = delete;
  ~HeadlessChromium();

  // Sends a command and waits for its answer; an error when the browser answers with one,
  // closes the pipe, or does not answer in time.
  absl::StatusOr<nlohmann::json> Call(const std::string& method, nlohmann::json params,
                                      bool page = true,
                                      std::chrono::milliseconds timeout = kDevToolsTimeout);

  // Waits for the page's event `method` arriving after event number `from` (see
  // events_seen); returns its params.
  absl::StatusOr<nlohmann::json> WaitForEvent(const std::string& method, size_t from,
                                              std::chrono::milliseconds timeout);

  // Runtime.evaluate of `expression` in the page, awaiting a returned promise; the value as
  // JSON. A thrown exception is an error.
  absl::StatusOr<nlohmann::json> Evaluate(const std::string& expression,
                                          std::chrono::milliseconds timeout = kDevToolsTimeout);

  // Writes a PNG of the page (Page.captureScreenshot) to `path`.
  absl::Status Screenshot(const std::string& path, bool full_page);

  // Console errors and asserts, uncaught exceptions and browser log entries of level
  // "error" seen so far, one line each; `warnings` gets warning-level ones.
  std::vector<std::string> ConsoleProblems(std::vector<std::string>* warnings = nullptr) const;

  size_t events_seen() const { return events_.size(); }

  // Browser.close, then waits for the browser to exit; an error when it had to be killed.
  absl::Status Close();

  std::string ReadLog() const { return process_ ? process_->ReadLog() : ""; }

 private:
  HeadlessChromium() = default;
  absl::Status Send(const nlohmann::json& message);
  // Reads one message (waiting until `deadline`) into events_ or answers_.
  absl::Status ReadMessage(std::chrono::steady_clock::time_point deadline);

  TempDir profile_;
  std::unique_ptr<ChildProcess> process_;
  int to_browser_ = -1;
  int from_browser_ = -1;
  std::string buffer_;
  int next_id_ = 1;
  std::string session_id_;
  std::vector<nlohmann::json> events_;   // page-session events, in order
  std::vector<nlohmann::json> answers_;  // answers not yet claimed by Call
  bool closed_ = false;
};

}  // namespace ringnats::scrapers
