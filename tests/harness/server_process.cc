#include "harness/server_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "harness/sanitizer_report.h"

namespace ringnats::harness {
namespace {

using Clock = std::chrono::steady_clock;

constexpr char kLogName[] = "server.log";
constexpr char kConfigName[] = "server.conf";
constexpr std::string_view kPortsSuffix = ".ports";
// Upper bound on one wait, so a missed inotify event costs at most this much.
constexpr std::chrono::milliseconds kMaxWaitSlice{50};

std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::chrono::milliseconds Remaining(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return std::max(left, std::chrono::milliseconds(0));
}

// The port of the first URL under `key` in `{"nats":["nats://127.0.0.1:PORT"],
// "monitoring":["http://127.0.0.1:PORT"],"cluster":["nats://127.0.0.1:PORT"]}`; 0 when
// absent or while the file is incomplete.
int PortFromPortsFile(const std::string& text, std::string_view key) {
  nlohmann::json doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return 0;
  auto urls = doc.find(key);
  if (urls == doc.end() || !urls->is_array() || urls->empty() || !(*urls)[0].is_string()) {
    return 0;
  }
  const std::string url = (*urls)[0].get<std::string>();
  const size_t colon = url.rfind(':');
  if (colon == std::string::npos) {
    return 0;
  }
  return std::atoi(url.c_str() + colon + 1);
}

// True when /proc/net/tcp or tcp6 holds a socket in state LISTEN (0A) on `port`. Lines read
// "  0: 0100007F:1F90 00000000:0000 0A ...": local address:port in hex, remote, state.
bool TcpPortListening(int port) {
  const std::string hex_port = absl::StrFormat(":%04X", port);
  for (const char* table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    std::istringstream lines(ReadWholeFile(table));
    std::string line;
    std::getline(lines, line);  // the header
    while (std::getline(lines, line)) {
      std::istringstream fields(line);
      std::string slot, local, remote, state;
      fields >> slot >> local >> remote >> state;
      if (state == "0A" && local.ends_with(hex_port)) return true;
    }
  }
  return false;
}

}  // namespace

std::string DescribeWaitStatus(int wait_status) {
  if (WIFEXITED(wait_status)) {
    return absl::StrFormat("exited with status %d", WEXITSTATUS(wait_status));
  }
  if (WIFSIGNALED(wait_status)) {
    return absl::StrFormat("killed by signal %d (%s)", WTERMSIG(wait_status),
                           strsignal(WTERMSIG(wait_status)));
  }
  return absl::StrFormat("wait status %#x", wait_status);
}

absl::StatusOr<std::unique_ptr<ServerProcess>> ServerProcess::Start(const ServerOptions& options) {
  std::unique_ptr<ServerProcess> server(new ServerProcess());
  absl::Status status = server->Launch(options);
  if (status.ok()) {
    status = options.fixed_port != 0
                 ? server->AwaitListening(options.fixed_port, kServerStartTimeout)
                 : server->AwaitPortsFile(kServerStartTimeout);
  }
  if (!status.ok()) {
    // The caller gets the exit status in `status` (some tests expect a start to fail); the
    // destructor still fails the test on a sanitizer report.
    server->exit_status_claimed_ = true;
    return status;
  }
  return server;
}

absl::Status ServerProcess::Launch(const ServerOptions& options) {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = absl::StrFormat("%s/ringnats-harness-XXXXXX",
                                        (tmp != nullptr && *tmp != '\0') ? tmp : "/tmp");
  if (mkdtemp(pattern.data()) == nullptr) {
    return absl::InternalError(absl::StrFormat("mkdtemp: %s", std::strerror(errno)));
  }
  dir_ = pattern;
  description_ = Describe(options.spec);

  std::vector<std::string> args = {options.spec.binary};
  args.insert(args.end(), options.spec.args.begin(), options.spec.args.end());
  if (options.fixed_port != 0) {
    args.insert(args.end(), {"-a", "127.0.0.1", "-p", std::to_string(options.fixed_port)});
  } else {
    args.insert(args.end(), {"-a", "127.0.0.1", "-p", "-1", "--ports_file_dir", dir_});
  }
  if (!options.config.empty()) {
    const std::string config_path = dir_ + "/" + kConfigName;
    std::ofstream(config_path, std::ios::binary) << options.config;
    args.insert(args.end(), {"-c", config_path});
  }
  args.insert(args.end(), options.extra_args.begin(), options.extra_args.end());

  inotify_fd_ = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (inotify_fd_ < 0 ||
      inotify_add_watch(inotify_fd_, dir_.c_str(),
                        IN_CREATE | IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_TO) < 0) {
    return absl::InternalError(absl::StrFormat("inotify: %s", std::strerror(errno)));
  }

  // Everything the child needs is prepared before fork: after fork only async-signal-safe
  // calls are allowed.
  std::vector<char*> argv;
  for (std::string& arg : args) {
    argv.push_back(arg.data());
  }
  argv.push_back(nullptr);
  const std::string log_file = log_path();
  const pid_t parent = getpid();

  pid_ = fork();
  if (pid_ < 0) {
    return absl::InternalError(absl::StrFormat("fork: %s", std::strerror(errno)));
  }
  if (pid_ == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) {
      _exit(127);
    }
    const int log_fd = open(log_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int null_fd = open("/dev/null", O_RDONLY);
    if (log_fd < 0 || null_fd < 0) {
      _exit(127);
    }
    dup2(null_fd, STDIN_FILENO);
    dup2(log_fd, STDOUT_FILENO);
    dup2(log_fd, STDERR_FILENO);
    execv(argv[0], argv.data());
    _exit(127);
  }
  pidfd_ = static_cast<int>(syscall(SYS_pidfd_open, pid_, 0));
  return absl::OkStatus();
}

absl::Status ServerProcess::AwaitPortsFile(std::chrono::milliseconds timeout) {
  const Clock::time_point deadline = Clock::now() + timeout;
  while (true) {
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator(dir_, error)) {
      const std::string name = entry.path().filename().string();
      if (name.size() > kPortsSuffix.size() && name.ends_with(kPortsSuffix)) {
        const std::string text = ReadWholeFile(entry.path().string());
        port_ = PortFromPortsFile(text, "nats");
        monitor_port_ = PortFromPortsFile(text, "monitoring");
        cluster_port_ = PortFromPortsFile(text, "cluster");
      }
    }
    if (port_ > 0) {
      return absl::OkStatus();
    }
    if (!Running()) {
      return absl::InternalError(
          absl::StrFormat("server exited (status %d) before writing its "
                          "ports file; log:\n%s",
                          wait_status_, ReadLog()));
    }
    if (Clock::now() >= deadline) {
      return absl::DeadlineExceededError(absl::StrFormat(
          "no ports file in %s after %d ms; log:\n%s", dir_, timeout.count(), ReadLog()));
    }
    WaitForActivity(Remaining(deadline));
  }
}

absl::Status ServerProcess::AwaitListening(int port, std::chrono::milliseconds timeout) {
  const Clock::time_point deadline = Clock::now() + timeout;
  while (true) {
    if (TcpPortListening(port)) {
      port_ = port;
      return absl::OkStatus();
    }
    if (!Running()) {
      return absl::InternalError(
          absl::StrFormat("server exited (status %d) before listening on port %d; log:\n%s",
                          wait_status_, port, ReadLog()));
    }
    if (Clock::now() >= deadline) {
      return absl::DeadlineExceededError(absl::StrFormat(
          "nothing listening on port %d after %d ms; log:\n%s", port, timeout.count(), ReadLog()));
    }
    // The server writes its log as it starts; that wakes this wait, else the slice ends it.
    WaitForActivity(Remaining(deadline));
  }
}

void ServerProcess::WaitForActivity(std::chrono::milliseconds timeout) {
  pollfd fds[2] = {{inotify_fd_, POLLIN, 0}, {pidfd_, POLLIN, 0}};
  const int nfds = pidfd_ >= 0 ? 2 : 1;
  poll(fds, nfds, static_cast<int>(std::min(timeout, kMaxWaitSlice).count()));
  if ((fds[0].revents & POLLIN) != 0) {
    char events[4096];
    while (read(inotify_fd_, events, sizeof(events)) > 0) {
    }
  }
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0 && !checked_) {
    if (::testing::AssertionResult verdict = StopAndCheck(); !verdict) {
      ADD_FAILURE() << verdict.message();
    }
  }
  if (pidfd_ >= 0) {
    close(pidfd_);
  }
  if (inotify_fd_ >= 0) {
    close(inotify_fd_);
  }
  if (!dir_.empty() && !keep_dir_ && std::getenv("RINGNATS_KEEP_SERVER_DIRS") == nullptr) {
    std::error_code error;
    std::filesystem::remove_all(dir_, error);
  }
}

std::string ServerProcess::log_path() const { return dir_ + "/" + kLogName; }

std::string ServerProcess::config_path() const { return dir_ + "/" + kConfigName; }

std::string ServerProcess::ReadLog() const { return ReadWholeFile(log_path()); }

::testing::AssertionResult ServerProcess::WaitForLog(std::string_view pattern,
                                                     std::chrono::milliseconds timeout) {
  return WaitForLines(log_path(), pattern, 1, timeout);
}

::testing::AssertionResult ServerProcess::WaitForLogCount(std::string_view pattern, int count,
                                                          std::chrono::milliseconds timeout) {
  return WaitForLines(log_path(), pattern, count, timeout);
}

::testing::AssertionResult ServerProcess::WaitForFileLine(const std::string& path,
                                                          std::string_view pattern,
                                                          std::chrono::milliseconds timeout) {
  return WaitForLines(path, pattern, 1, timeout);
}

::testing::AssertionResult ServerProcess::WaitForLines(const std::string& path,
                                                       std::string_view pattern, int count,
                                                       std::chrono::milliseconds timeout) {
  const std::regex re{std::string(pattern)};
  const Clock::time_point deadline = Clock::now() + timeout;
  while (true) {
    std::istringstream log(ReadWholeFile(path));
    std::string line;
    int matches = 0;
    while (std::getline(log, line)) {
      if (std::regex_search(line, re) && ++matches >= count) {
        return ::testing::AssertionSuccess();
      }
    }
    const bool running = Running();
    if (!running || Clock::now() >= deadline) {
      return ::testing::AssertionFailure()
             << matches << " of " << count << " log lines matching /" << pattern << "/ in "
             << path << " " << (running ? "before the deadline" : "before the server exited")
             << "; log:\n"
             << ReadWholeFile(path);
    }
    WaitForActivity(Remaining(deadline));
  }
}

void ServerProcess::Reap(bool block) {
  if (exited_ || pid_ <= 0) {
    return;
  }
  int status = 0;
  pid_t result;
  do {
    result = waitpid(pid_, &status, block ? 0 : WNOHANG);
  } while (result < 0 && errno == EINTR);
  if (result == pid_) {
    exited_ = true;
    wait_status_ = status;
  }
}

bool ServerProcess::Running() {
  Reap(/*block=*/false);
  return !exited_;
}

void ServerProcess::Signal(int sig) {
  if (pid_ > 0 && Running()) {
    kill(pid_, sig);
  }
}

void ServerProcess::AwaitExit(Clock::time_point deadline) {
  while (Running() && Clock::now() < deadline) {
    pollfd fd = {pidfd_, POLLIN, 0};
    poll(&fd, pidfd_ >= 0 ? 1 : 0,
         static_cast<int>(std::min(Remaining(deadline), kMaxWaitSlice).count()));
  }
}

absl::StatusOr<int> ServerProcess::WaitForExit(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) {
    return absl::FailedPreconditionError("server was never started");
  }
  AwaitExit(Clock::now() + timeout);
  if (Running()) {
    return absl::DeadlineExceededError(
        absl::StrFormat("server still running after %d ms", timeout.count()));
  }
  exit_status_claimed_ = true;
  return wait_status_;
}

absl::StatusOr<int> ServerProcess::Stop(std::chrono::milliseconds grace) {
  if (pid_ <= 0) {
    return absl::FailedPreconditionError("server was never started");
  }
  if (Running()) {
    kill(pid_, SIGINT);
    AwaitExit(Clock::now() + grace);
    if (Running()) {
      kill(pid_, SIGKILL);
      Reap(/*block=*/true);
      return absl::DeadlineExceededError(
          absl::StrFormat("server ignored SIGINT for %d ms and was killed", grace.count()));
    }
  }
  return wait_status_;
}

::testing::AssertionResult ServerProcess::StopAndCheck(std::chrono::milliseconds grace) {
  if (pid_ <= 0) {
    return ::testing::AssertionFailure() << "server was never started";
  }
  checked_ = true;
  const bool exited_before_stop = !Running();
  const absl::StatusOr<int> stopped = Stop(grace);

  std::vector<std::string> problems;
  if (!stopped.ok()) {
    problems.push_back(std::string(stopped.status().message()));
  } else if (!exit_status_claimed_ && *stopped != 0) {
    problems.push_back(DescribeWaitStatus(*stopped) +
                       (exited_before_stop ? " before the test stopped it" : " after SIGINT"));
  }
  if (const std::string report = FindSanitizerReport(ReadLog()); !report.empty()) {
    problems.push_back("sanitizer report in its output:\n" + report);
  }
  if (problems.empty()) {
    return ::testing::AssertionSuccess();
  }
  keep_dir_ = true;
  return ::testing::AssertionFailure() << description_ << " (pid " << pid_ << "): "
                                       << absl::StrJoin(problems, "\n")
                                       << "\nfull output: " << log_path();
}

}  // namespace ringnats::harness
