#include "reload/reload_fixture.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "absl/strings/str_format.h"

namespace ringnats::reloadtest {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::chrono::milliseconds kCommandTimeout{10000};

std::string QuietConnect(nlohmann::json fields) {
  fields["verbose"] = false;
  fields["pedantic"] = false;
  return fields.dump();
}

// Lines of `text` in which `pattern` (ECMAScript) is found.
std::vector<std::string> MatchingLines(const std::string& text, std::string_view pattern) {
  const std::regex re{std::string(pattern)};
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (std::regex_search(line, re)) {
      lines.push_back(line);
    }
  }
  return lines;
}

}  // namespace

std::string UserConnect(std::string_view user, std::string_view pass) {
  return QuietConnect({{"user", user}, {"pass", pass}});
}

std::string TokenConnect(std::string_view token) {
  return QuietConnect({{"auth_token", token}});
}

ScratchDir::ScratchDir() {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern =
      absl::StrFormat("%s/ringnats-reload-XXXXXX", (tmp != nullptr && *tmp != '\0') ? tmp : "/tmp");
  if (mkdtemp(pattern.data()) == nullptr) {
    ADD_FAILURE() << "mkdtemp: " << std::strerror(errno);
    return;
  }
  path_ = pattern;
}

ScratchDir::~ScratchDir() {
  if (!path_.empty() && std::getenv("RINGNATS_KEEP_SERVER_DIRS") == nullptr) {
    std::error_code error;
    std::filesystem::remove_all(path_, error);
  }
}

CommandResult RunCommand(const std::vector<std::string>& argv) {
  CommandResult result;
  std::vector<std::string> args = argv;
  std::vector<char*> raw;
  for (std::string& arg : args) {
    raw.push_back(arg.data());
  }
  raw.push_back(nullptr);
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) {
    ADD_FAILURE() << "pipe: " << std::strerror(errno);
    return result;
  }
  const pid_t pid = fork();
  if (pid < 0) {
    ADD_FAILURE() << "fork: " << std::strerror(errno);
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    return result;
  }
  if (pid == 0) {
    const int null_fd = open("/dev/null", O_RDONLY);
    dup2(null_fd, STDIN_FILENO);
    dup2(pipe_fds[1], STDOUT_FILENO);
    dup2(pipe_fds[1], STDERR_FILENO);
    execv(raw[0], raw.data());
    _exit(127);
  }
  close(pipe_fds[1]);
  const Clock::time_point deadline = Clock::now() + kCommandTimeout;
  bool timed_out = false;
  while (true) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    pollfd pfd = {pipe_fds[0], POLLIN, 0};
    const int ready = poll(&pfd, 1, static_cast<int>(std::max<int64_t>(left.count(), 0)));
    if (ready == 0) {
      timed_out = true;
      break;
    }
    if (ready < 0) {
      if (errno == EINTR) {
        continue;
      }
      break;
    }
    char chunk[4096];
    const ssize_t n = read(pipe_fds[0], chunk, sizeof(chunk));
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      break;
    }
    result.output.append(chunk, static_cast<size_t>(n));
  }
  close(pipe_fds[0]);
  if (timed_out) {
    kill(pid, SIGKILL);
    ADD_FAILURE() << "command " << argv[0] << " did not finish within " << kCommandTimeout.count()
                  << " ms; output: " << result.output;
  }
  while (waitpid(pid, &result.wait_status, 0) < 0 && errno == EINTR) {
  }
  return result;
}

int ExitCode(int wait_status) {
  return (wait_status >= 0 && WIFEXITED(wait_status)) ? WEXITSTATUS(wait_status) : -1;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void ReloadTest::WriteConfig(const std::string& config) {
  const std::string path = server().config_path();
  const std::string temporary = path + ".next";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << config;
    ASSERT_TRUE(out.good()) << "could not write " << temporary;
  }
  ASSERT_EQ(std::rename(temporary.c_str(), path.c_str()), 0)
      << "rename " << temporary << ": " << std::strerror(errno);
}

::testing::AssertionResult ReloadTest::SignalReload(bool ok) {
  server().Signal(SIGHUP);
  (ok ? reloads_ok_ : reloads_failed_) += 1;
  // Either outcome ends the wait, so a reload that goes the wrong way fails at once.
  const std::string either = absl::StrFormat("%s|%s", kReloadedPattern, kReloadFailedPattern);
  if (auto result = server().WaitForLogCount(either, reloads_ok_ + reloads_failed_); !result) {
    return result;
  }
  return CheckOutcomes();
}

::testing::AssertionResult ReloadTest::CheckOutcomes() {
  const std::string log = server().ReadLog();
  const size_t good = MatchingLines(log, kReloadedPattern).size();
  const size_t bad = MatchingLines(log, kReloadFailedPattern).size();
  if (good != static_cast<size_t>(reloads_ok_) || bad != static_cast<size_t>(reloads_failed_)) {
    return ::testing::AssertionFailure()
           << "expected " << reloads_ok_ << " applied and " << reloads_failed_
           << " refused reloads so far, the log shows " << good << " and " << bad << ":\n"
           << log;
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult ReloadTest::Reload(const std::string& config) {
  WriteConfig(config);
  if (::testing::Test::HasFatalFailure()) {
    return ::testing::AssertionFailure() << "config not written";
  }
  return SignalReload(/*ok=*/true);
}

::testing::AssertionResult ReloadTest::ReloadFails(const std::string& config,
                                                   std::string_view reason) {
  WriteConfig(config);
  if (::testing::Test::HasFatalFailure()) {
    return ::testing::AssertionFailure() << "config not written";
  }
  if (auto result = SignalReload(/*ok=*/false); !result) {
    return result << "(the reload was expected to fail with /" << reason << "/)";
  }
  const std::vector<std::string> failures = MatchingLines(server().ReadLog(), kReloadFailedPattern);
  const std::string& latest = failures.at(static_cast<size_t>(reloads_failed_ - 1));
  if (!std::regex_search(latest,
                         std::regex(absl::StrFormat("%s%s", kReloadFailedPattern, reason)))) {
    return ::testing::AssertionFailure()
           << "the reload failed, but not for the expected reason /" << reason << "/: " << latest;
  }
  return ::testing::AssertionSuccess();
}

CommandResult ReloadTest::SignalCommand(std::string_view command) {
  return RunCommand({spec().binary, "--signal", std::string(command)});
}

::testing::AssertionResult ReloadTest::Rejected(std::string_view connect_json) {
  std::unique_ptr<harness::RawClient> client = Connect();
  if (client == nullptr) {
    return ::testing::AssertionFailure() << "could not connect";
  }
  if (auto result = client->ReadInfo(); !result) {
    return result;
  }
  if (auto result = client->Send(absl::StrFormat("CONNECT %s\r\nPING\r\n", connect_json));
      !result) {
    return result;
  }
  return client->ExpectClosed(kAuthViolation) << " (CONNECT " << connect_json << ")";
}

}  // namespace ringnats::reloadtest
