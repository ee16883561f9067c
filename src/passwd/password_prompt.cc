#include "password_prompt.h"

#include <openssl/crypto.h>
#include <signal.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <string_view>

#include "absl/strings/str_format.h"

namespace ringnats::passwd {
namespace {

// What a signal handler needs to give the terminal its echo back before the process dies.
int g_tty_fd = -1;
struct termios g_saved_termios;
constexpr int kRestoreSignals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};

void RestoreAndReraise(int sig) {
  if (g_tty_fd >= 0) tcsetattr(g_tty_fd, TCSAFLUSH, &g_saved_termios);
  signal(sig, SIG_DFL);
  raise(sig);
}

// Echo off for as long as it lives.
class EchoOff {
 public:
  explicit EchoOff(int fd) : fd_(fd) {
    if (tcgetattr(fd_, &saved_) != 0) return;
    g_saved_termios = saved_;
    g_tty_fd = fd_;
    struct sigaction action;
    std::memset(&action, 0, sizeof action);
    action.sa_handler = RestoreAndReraise;
    sigemptyset(&action.sa_mask);
    for (size_t i = 0; i < std::size(kRestoreSignals); ++i) {
      sigaction(kRestoreSignals[i], &action, &previous_[i]);
    }
    struct termios quiet = saved_;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    active_ = tcsetattr(fd_, TCSAFLUSH, &quiet) == 0;
  }
  ~EchoOff() {
    if (g_tty_fd != fd_) return;
    tcsetattr(fd_, TCSAFLUSH, &saved_);
    g_tty_fd = -1;
    for (size_t i = 0; i < std::size(kRestoreSignals); ++i) {
      sigaction(kRestoreSignals[i], &previous_[i], nullptr);
    }
  }
  EchoOff(const EchoOff&) = delete;
  EchoOff& operator=(const EchoOff&) = delete;

  bool active() const { return active_; }

 private:
  int fd_;
  struct termios saved_;
  struct sigaction previous_[std::size(kRestoreSignals)];
  bool active_ = false;
};

// Line reading straight from the fd: a stdio buffer could swallow the second line of a pipe
// and would keep a copy of the password we cannot wipe.
class LineReader {
 public:
  explicit LineReader(int fd) : fd_(fd) {}
  ~LineReader() { OPENSSL_cleanse(buffer_.data(), buffer_.size()); }

  // nullopt at end of input before any byte of a line.
  absl::StatusOr<std::optional<std::string>> ReadLine() {
    std::string line;
    line.reserve(256);  // growth would leave copies of the password in freed memory
    while (true) {
      const size_t newline = buffer_.find('\n', pos_);
      if (newline != std::string::npos) {
        line.append(buffer_, pos_, newline - pos_);
        pos_ = newline + 1;
        break;
      }
      line.append(buffer_, pos_, std::string::npos);
      OPENSSL_cleanse(buffer_.data(), buffer_.size());
      buffer_.clear();
      pos_ = 0;
      char chunk[256];
      const ssize_t n = read(fd_, chunk, sizeof chunk);
      if (n < 0) {
        if (errno == EINTR) continue;
        OPENSSL_cleanse(line.data(), line.size());
        return absl::InternalError(absl::StrFormat("reading the password: %s", strerror(errno)));
      }
      if (n == 0) {
        if (line.empty()) return std::nullopt;
        break;
      }
      buffer_.assign(chunk, static_cast<size_t>(n));
      OPENSSL_cleanse(chunk, sizeof chunk);
    }
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return line;
  }

 private:
  int fd_;
  std::string buffer_;
  size_t pos_ = 0;
};

void WriteAll(int fd, std::string_view text) {
  while (!text.empty()) {
    const ssize_t n = write(fd, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    text.remove_prefix(static_cast<size_t>(n));
  }
}

}  // namespace

absl::StatusOr<std::string> ReadPasswordTwice(int fd) {
  const bool terminal = isatty(fd) == 1;
  LineReader reader(fd);
  std::optional<EchoOff> echo_off;
  if (terminal) echo_off.emplace(fd);

  std::string first;
  std::string second;
  for (std::string* out : {&first, &second}) {
    if (terminal) WriteAll(fd, out == &first ? "Enter Password: " : "Reenter Password: ");
    absl::StatusOr<std::optional<std::string>> line = reader.ReadLine();
    // The newline the user typed was not echoed.
    if (terminal) WriteAll(fd, "\n");
    if (!line.ok()) return line.status();
    if (!line->has_value()) {
      OPENSSL_cleanse(first.data(), first.size());
      return absl::InvalidArgumentError("reading the password: end of input");
    }
    *out = std::move(**line);
  }
  const bool same = first == second;
  OPENSSL_cleanse(second.data(), second.size());
  if (!same) {
    OPENSSL_cleanse(first.data(), first.size());
    return absl::InvalidArgumentError("passwords do not match");
  }
  return first;
}

}  // namespace ringnats::passwd
