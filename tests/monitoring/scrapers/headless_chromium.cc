#include "headless_chromium.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "harness/server_process.h"

namespace ringnats::scrapers {
namespace {

using Clock = std::chrono::steady_clock;
using Json = nlohmann::json;

constexpr std::chrono::milliseconds kCloseGrace{10000};

std::string Describe(const Json& value) {
  if (value.is_string()) return value.get<std::string>();
  return value.dump();
}

// A console message's text: its arguments' values or descriptions, space separated.
std::string ConsoleText(const Json& params) {
  std::string text;
  for (const Json& arg : params.value("args", Json::array())) {
    if (!text.empty()) text += " ";
    if (arg.contains("value")) {
      text += Describe(arg["value"]);
    } else {
      text += arg.value("description", arg.value("type", "?"));
    }
  }
  return text;
}

std::string Location(const Json& details) {
  return absl::StrCat(details.value("url", ""), ":", details.value("lineNumber", 0), ":",
                      details.value("columnNumber", 0));
}

}  // namespace

absl::StatusOr<std::unique_ptr<HeadlessChromium>> HeadlessChromium::Start(
    const std::string& chromium) {
  std::unique_ptr<HeadlessChromium> browser(new HeadlessChromium());
  if (browser->profile_.path().empty()) return absl::InternalError("mkdtemp failed");
  int commands[2];  // we write [1], the browser reads [0] as its fd 3
  int answers[2];   // the browser writes [1] as its fd 4, we read [0]
  if (pipe2(commands, O_CLOEXEC) != 0) return absl::InternalError(std::strerror(errno));
  if (pipe2(answers, O_CLOEXEC) != 0) {
    close(commands[0]);
    close(commands[1]);
    return absl::InternalError(std::strerror(errno));
  }
  const std::string& dir = browser->profile_.path();
  ChildOptions options;
  options.argv = {
      chromium,
      "--headless=new",
      // The tests run as root in CI containers, where Chromium's sandbox cannot start.
      "--no-sandbox",
      "--disable-gpu",
      "--disable-dev-shm-usage",
      "--no-first-run",
      "--no-default-browser-check",
      "--disable-extensions",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--password-store=basic",
      "--use-mock-keychain",
      "--user-data-dir=" + dir + "/profile",
      "--remote-debugging-pipe",
      "about:blank",
  };
  options.log_path = dir + "/chromium.log";
  options.pass_fds = {commands[0], answers[1]};
  absl::StatusOr<std::unique_ptr<ChildProcess>> process = ChildProcess::Start(options);
  close(commands[0]);
  close(answers[1]);
  browser->to_browser_ = commands[1];
  browser->from_browser_ = answers[0];
  if (!process.ok()) return process.status();
  browser->process_ = std::move(*process);
  // A write after the browser died must be an error, not a SIGPIPE that kills the test.
  signal(SIGPIPE, SIG_IGN);

  // A page of our own, attached in flat mode: its commands and events carry a sessionId.
  absl::StatusOr<Json> target =
      browser->Call("Target.createTarget", {{"url", "about:blank"}}, /*page=*/false);
  if (!target.ok()) {
    return absl::Status(
        target.status().code(),
        absl::StrCat(target.status().message(), "; chromium log:\n", browser->ReadLog()));
  }
  absl::StatusOr<Json> attached = browser->Call(
      "Target.attachToTarget", {{"targetId", (*target)["targetId"]}, {"flatten", true}},
      /*page=*/false);
  if (!attached.ok()) return attached.status();
  browser->session_id_ = (*attached)["sessionId"].get<std::string>();
  for (const char* domain : {"Runtime.enable", "Log.enable", "Page.enable"}) {
    if (absl::StatusOr<Json> enabled = browser->Call(domain, Json::object()); !enabled.ok()) {
      return enabled.status();
    }
  }
  return browser;
}

HeadlessChromium::~HeadlessChromium() {
  if (to_browser_ >= 0) close(to_browser_);
  if (process_ != nullptr) {
    // Closing the command pipe asks the browser to quit; the group is killed if it lingers.
    (void)process_->Stop(SIGTERM, std::chrono::seconds(5));
  }
  if (from_browser_ >= 0) close(from_browser_);
}

absl::Status HeadlessChromium::Send(const Json& message) {
  std::string bytes = message.dump();
  bytes.push_back('\0');
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = write(to_browser_, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return absl::UnavailableError(absl::StrCat("write to chromium: ", std::strerror(errno)));
    }
    done += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

absl::Status HeadlessChromium::ReadMessage(Clock::time_point deadline) {
  while (true) {
    const size_t end = buffer_.find('\0');
    if (end != std::string::npos) {
      Json message = Json::parse(buffer_.substr(0, end), nullptr, /*allow_exceptions=*/false);
      buffer_.erase(0, end + 1);
      if (message.is_discarded()) return absl::DataLossError("chromium sent invalid JSON");
      if (message.contains("id")) {
        answers_.push_back(std::move(message));
      } else if (message.value("sessionId", "") == session_id_ && !session_id_.empty()) {
        events_.push_back(std::move(message));
      }
      return absl::OkStatus();
    }
    if (closed_) return absl::UnavailableError("chromium closed its DevTools pipe");
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return absl::DeadlineExceededError("no message from chromium");
    pollfd fd = {from_browser_, POLLIN, 0};
    const int ready = poll(&fd, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno != EINTR) return absl::InternalError(std::strerror(errno));
    if (ready <= 0) continue;
    char chunk[65536];
    const ssize_t n = read(from_browser_, chunk, sizeof(chunk));
    if (n < 0 && errno != EINTR && errno != EAGAIN) {
      return absl::InternalError(std::strerror(errno));
    }
    if (n == 0) closed_ = true;
    if (n > 0) buffer_.append(chunk, static_cast<size_t>(n));
  }
}

absl::StatusOr<Json> HeadlessChromium::Call(const std::string& method, Json params, bool page,
                                            std::chrono::milliseconds timeout) {
  const int id = next_id_++;
  Json message = {{"id", id}, {"method", method}, {"params", std::move(params)}};
  if (page) message["sessionId"] = session_id_;
  if (absl::Status sent = Send(message); !sent.ok()) return sent;
  const Clock::time_point deadline = Clock::now() + timeout;
  while (true) {
    auto it = std::find_if(answers_.begin(), answers_.end(),
                           [id](const Json& answer) { return answer["id"] == id; });
    if (it != answers_.end()) {
      Json answer = std::move(*it);
      answers_.erase(it);
      if (answer.contains("error")) {
        return absl::InternalError(absl::StrCat(method, ": ", answer["error"].dump()));
      }
      return answer.value("result", Json::object());
    }
    if (absl::Status read = ReadMessage(deadline); !read.ok()) {
      return absl::Status(read.code(), absl::StrCat(method, ": ", read.message()));
    }
  }
}

absl::StatusOr<Json> HeadlessChromium::WaitForEvent(const std::string& method, size_t from,
                                                    std::chrono::milliseconds timeout) {
  const Clock::time_point deadline = Clock::now() + timeout;
  while (true) {
    for (size_t i = from; i < events_.size(); ++i) {
      if (events_[i].value("method", "") == method) {
        return events_[i].value("params", Json::object());
      }
    }
    if (absl::Status read = ReadMessage(deadline); !read.ok()) {
      return absl::Status(read.code(), absl::StrCat("waiting for ", method, ": ", read.message()));
    }
  }
}

absl::StatusOr<Json> HeadlessChromium::Evaluate(const std::string& expression,
                                                std::chrono::milliseconds timeout) {
  absl::StatusOr<Json> result = Call("Runtime.evaluate",
                                     {{"expression", expression},
                                      {"awaitPromise", true},
                                      {"returnByValue", true},
                                      {"timeout", timeout.count()}},
                                     /*page=*/true, timeout + std::chrono::seconds(5));
  if (!result.ok()) return result.status();
  if (result->contains("exceptionDetails")) {
    return absl::InternalError(
        absl::StrCat("evaluate threw: ", (*result)["exceptionDetails"].dump()));
  }
  return (*result)["result"].value("value", Json());
}

absl::Status HeadlessChromium::Screenshot(const std::string& path, bool full_page) {
  absl::StatusOr<Json> shot =
      Call("Page.captureScreenshot", {{"format", "png"}, {"captureBeyondViewport", full_page}});
  if (!shot.ok()) return shot.status();
  std::string png;
  if (!absl::Base64Unescape((*shot)["data"].get<std::string>(), &png)) {
    return absl::DataLossError("screenshot: invalid base64");
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << png;
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

std::vector<std::string> HeadlessChromium::ConsoleProblems(
    std::vector<std::string>* warnings) const {
  std::vector<std::string> problems;
  for (const Json& event : events_) {
    const std::string method = event.value("method", "");
    const Json params = event.value("params", Json::object());
    if (method == "Runtime.consoleAPICalled") {
      const std::string type = params.value("type", "");
      const std::string line = absl::StrCat("console.", type, ": ", ConsoleText(params));
      if (type == "error" || type == "assert") problems.push_back(line);
      if (type == "warning" && warnings != nullptr) warnings->push_back(line);
    } else if (method == "Runtime.exceptionThrown") {
      const Json details = params.value("exceptionDetails", Json::object());
      problems.push_back(absl::StrCat("uncaught exception at ", Location(details), ": ",
                                      details.value("exception", Json::object())
                                          .value("description", details.value("text", ""))));
    } else if (method == "Log.entryAdded") {
      const Json entry = params.value("entry", Json::object());
      const std::string level = entry.value("level", "");
      const std::string line =
          absl::StrCat("log ", entry.value("source", ""), " ", level, ": ", entry.value("text", ""),
                       " (", entry.value("url", ""), ")");
      if (level == "error") problems.push_back(line);
      if (level == "warning" && warnings != nullptr) warnings->push_back(line);
    }
  }
  return problems;
}

absl::Status HeadlessChromium::Close() {
  if (process_ == nullptr) return absl::OkStatus();
  // The answer may not make it out before the browser goes; its exit is what counts.
  (void)Call("Browser.close", Json::object(), /*page=*/false, std::chrono::seconds(5));
  absl::StatusOr<int> status = process_->WaitForExit(kCloseGrace);
  if (!status.ok()) {
    (void)process_->Stop(SIGKILL, std::chrono::seconds(5));
    return absl::DeadlineExceededError(
        absl::StrCat("chromium did not exit after Browser.close; log:\n", ReadLog()));
  }
  if (*status != 0) {
    return absl::InternalError(absl::StrFormat("chromium %s after Browser.close; log:\n%s",
                                               harness::DescribeWaitStatus(*status), ReadLog()));
  }
  return absl::OkStatus();
}

}  // namespace ringnats::scrapers
