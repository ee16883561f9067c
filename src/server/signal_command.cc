#include "signal_command.h"

#include <dirent.h>
#include <signal.h>
#include <unistd.h>

#include <fstream>
#include <string_view>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"

namespace ringnats::server {
namespace {

int SignalFor(std::string_view command) {
  if (command == "stop") return SIGKILL;
  if (command == "quit") return SIGINT;
  if (command == "term") return SIGTERM;
  if (command == "reopen") return SIGUSR1;
  if (command == "reload") return SIGHUP;
  if (command == "ldm") return SIGUSR2;
  return 0;
}

// Other processes named ringnats, as nats-server finds its own with pgrep.
std::vector<pid_t> FindRingnatsProcesses() {
  std::vector<pid_t> found;
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return found;
  while (dirent* entry = readdir(proc)) {
    pid_t pid = 0;
    if (!absl::SimpleAtoi(entry->d_name, &pid) || pid == getpid()) continue;
    std::ifstream comm(absl::StrFormat("/proc/%d/comm", pid));
    std::string name;
    if (std::getline(comm, name) && name == "ringnats") found.push_back(pid);
  }
  closedir(proc);
  return found;
}

absl::StatusOr<pid_t> ResolvePid(std::string_view target) {
  pid_t pid = 0;
  if (absl::SimpleAtoi(absl::string_view(target.data(), target.size()), &pid) && pid > 0) {
    return pid;
  }
  // Otherwise a pid file.
  std::ifstream file{std::string(target)};
  std::string text;
  if (!std::getline(file, text) ||
      !absl::SimpleAtoi(absl::string_view(text.data(), text.size()), &pid) || pid <= 0) {
    return absl::InvalidArgumentError(
        absl::StrFormat("invalid pid or pid file: %s", std::string(target)));
  }
  return pid;
}

}  // namespace

absl::Status SendSignalCommand(const std::string& command) {
  const size_t eq = command.find('=');
  const std::string_view name = std::string_view(command).substr(0, eq);
  const int sig = SignalFor(name);
  if (sig == 0) {
    return absl::InvalidArgumentError(absl::StrFormat("unknown signal \"%s\"", std::string(name)));
  }
  pid_t pid = 0;
  if (eq != std::string::npos) {
    absl::StatusOr<pid_t> resolved = ResolvePid(std::string_view(command).substr(eq + 1));
    if (!resolved.ok()) return resolved.status();
    pid = *resolved;
  } else {
    const std::vector<pid_t> running = FindRingnatsProcesses();
    if (running.empty()) return absl::NotFoundError("no ringnats processes running");
    if (running.size() > 1) {
      std::string list;
      for (pid_t p : running) absl::StrAppendFormat(&list, "\n  %d", p);
      return absl::FailedPreconditionError(
          absl::StrFormat("multiple ringnats processes running:%s", list));
    }
    pid = running.front();
  }
  if (kill(pid, sig) != 0) {
    return absl::UnavailableError(absl::StrFormat("could not signal process %d", pid));
  }
  return absl::OkStatus();
}

}  // namespace ringnats::server
