#include "child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
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
#include <regex>
#include <sstream>
#include <thread>

#include "absl/strings/str_format.h"
#include "harness/server_process.h"

namespace ringnats::scrapers {
namespace {

using Clock = std::chrono::steady_clock;

// Upper bound on one wait for a log line: the log has no event to wait on short of inotify,
// and a helper's start-up line is awaited once per test.
constexpr std::chrono::milliseconds kLogPollSlice{50};

std::chrono::milliseconds Remaining(Clock::time_point deadline) {
  return std::max(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()),
                  std::chrono::milliseconds(0));
}

}  // namespace

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

TempDir::TempDir() {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = absl::StrFormat("%s/ringnats-scraper-XXXXXX",
                                        (tmp != nullptr && *tmp != '\0') ? tmp : "/tmp");
  if (mkdtemp(pattern.data()) != nullptr) path_ = pattern;
}

TempDir::~TempDir() {
  if (path_.empty() || keep_ || std::getenv("RINGNATS_KEEP_SERVER_DIRS") != nullptr) return;
  std::error_code error;
  std::filesystem::remove_all(path_, error);
}

absl::StatusOr<std::unique_ptr<ChildProcess>> ChildProcess::Start(const ChildOptions& options) {
  if (options.argv.empty()) return absl::InvalidArgumentError("no program");
  std::unique_ptr<ChildProcess> child(new ChildProcess());
  child->log_path_ = options.log_path;
  child->name_ = options.argv[0];

  // Everything the child needs is prepared before fork: after it only async-signal-safe calls.
  std::vector<std::string> args = options.argv;
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  const std::vector<int> pass_fds = options.pass_fds;
  const std::string log_file = options.log_path;
  const pid_t parent = getpid();

  const pid_t pid = fork();
  if (pid < 0) return absl::InternalError(absl::StrFormat("fork: %s", std::strerror(errno)));
  if (pid == 0) {
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    const int log_fd = open(log_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int null_fd = open("/dev/null", O_RDONLY);
    if (log_fd < 0 || null_fd < 0) _exit(127);
    // Moved above the target range first, so dup2 onto 3, 4, ... cannot overwrite a source.
    int moved[8];
    const size_t n = std::min<size_t>(pass_fds.size(), 8);
    for (size_t i = 0; i < n; ++i) {
      moved[i] = fcntl(pass_fds[i], F_DUPFD, 100);
      if (moved[i] < 0) _exit(127);
    }
    dup2(null_fd, STDIN_FILENO);
    dup2(log_fd, STDOUT_FILENO);
    dup2(log_fd, STDERR_FILENO);
    for (size_t i = 0; i < n; ++i) {
      if (dup2(moved[i], 3 + static_cast<int>(i)) < 0) _exit(127);
    }
    execv(argv[0], argv.data());
    _exit(127);
  }
  // The parent sets the group too, so a kill to the group right after Start cannot miss.
  setpgid(pid, pid);
  child->pid_ = pid;
  child->pidfd_ = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  if (child->pidfd_ < 0) {
    kill(pid, SIGKILL);
    child->KillGroupAndReap();
    return absl::InternalError(absl::StrFormat("pidfd_open: %s", std::strerror(errno)));
  }
  return child;
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0 && !reaped_) {
    kill(pid_, SIGKILL);
    AwaitExit(Clock::now() + std::chrono::seconds(10));
    KillGroupAndReap();
  }
  if (pidfd_ >= 0) close(pidfd_);
}

std::string ChildProcess::ReadLog() const {
  return ReadFile(log_path_);
}

bool ChildProcess::Running() {
  if (reaped_) return false;
  // waitid with WNOWAIT looks without reaping: the zombie keeps the group id reserved until
  // KillGroupAndReap has signalled the rest of the group.
  siginfo_t info{};
  if (waitid(P_PID, pid_, &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == pid_) {
    return false;
  }
  return true;
}

bool ChildProcess::AwaitExit(Clock::time_point deadline) {
  while (Running()) {
    const std::chrono::milliseconds left = Remaining(deadline);
    if (left.count() == 0) return false;
    pollfd fd = {pidfd_, POLLIN, 0};
    poll(&fd, 1, static_cast<int>(left.count()));
  }
  return true;
}

void ChildProcess::KillGroupAndReap() {
  if (reaped_ || pid_ <= 0) return;
  kill(-pid_, SIGKILL);
  int status = 0;
  pid_t result;
  do {
    result = waitpid(pid_, &status, 0);
  } while (result < 0 && errno == EINTR);
  reaped_ = true;
  wait_status_ = status;
  // The rest of the group dies asynchronously (and is reaped by whoever adopted it); a
  // test that ends now must not leave a renderer behind for the next one. The group id stays
  // reserved while any member exists, so this cannot signal a stranger.
  const auto deadline = Clock::now() + std::chrono::seconds(5);
  while (kill(-pid_, 0) == 0 && Clock::now() < deadline) {
    kill(-pid_, SIGKILL);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

absl::StatusOr<int> ChildProcess::WaitForExit(std::chrono::milliseconds timeout) {
  if (!AwaitExit(Clock::now() + timeout)) {
    return absl::DeadlineExceededError(
        absl::StrFormat("%s still running after %d ms", name_, timeout.count()));
  }
  KillGroupAndReap();
  return wait_status_;
}

absl::StatusOr<int> ChildProcess::Stop(int sig, std::chrono::milliseconds grace) {
  if (stopped_) return stop_result_;
  stopped_ = true;
  if (Running()) kill(pid_, sig);
  if (AwaitExit(Clock::now() + grace)) {
    KillGroupAndReap();
    stop_result_ = wait_status_;
  } else {
    kill(pid_, SIGKILL);
    AwaitExit(Clock::now() + std::chrono::seconds(10));
    KillGroupAndReap();
    stop_result_ = absl::DeadlineExceededError(absl::StrFormat(
        "%s ignored signal %d for %d ms and was killed", name_, sig, grace.count()));
  }
  return stop_result_;
}

::testing::AssertionResult ChildProcess::WaitForLogLine(std::string_view pattern,
                                                        std::chrono::milliseconds timeout,
                                                        std::vector<std::string>* groups) {
  const std::regex re{std::string(pattern)};
  const Clock::time_point deadline = Clock::now() + timeout;
  while (true) {
    std::istringstream log(ReadLog());
    std::string line;
    std::smatch match;
    while (std::getline(log, line)) {
      if (std::regex_search(line, match, re)) {
        if (groups != nullptr) {
          groups->clear();
          for (size_t i = 1; i < match.size(); ++i) groups->push_back(match[i].str());
        }
        return ::testing::AssertionSuccess();
      }
    }
    const bool running = Running();
    if (!running || Clock::now() >= deadline) {
      return ::testing::AssertionFailure()
             << "no line matching /" << pattern << "/ in " << log_path_ << " "
             << (running ? "before the deadline" : "before the process exited") << "; log:\n"
             << ReadLog();
    }
    pollfd fd = {pidfd_, POLLIN, 0};
    poll(&fd, 1, static_cast<int>(std::min(Remaining(deadline), kLogPollSlice).count()));
  }
}

}  // namespace ringnats::scrapers
