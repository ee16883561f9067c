// Reading configuration files from disk, with Go-style error texts ("open x.conf: no such
// file or directory") because they end up in the messages nats-server users know.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "ringnats/config/config_parser.h"

namespace ringnats::config {

namespace {

absl::Status ErrnoError(int error, std::string_view operation, const std::string& path) {
  std::string reason = std::strerror(error);
  if (!reason.empty() && reason[0] >= 'A' && reason[0] <= 'Z') {
    reason[0] = static_cast<char>(reason[0] - 'A' + 'a');
  }
  return absl::Status(absl::ErrnoToStatusCode(error),
                      absl::StrFormat("%s %s: %s", operation, path, reason));
}

}  // namespace

absl::StatusOr<std::string> ReadConfigFileFromDisk(const std::string& path, size_t max_bytes) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return ErrnoError(errno, "open", path);
  }
  std::string text;
  absl::Status status;
  struct stat info;
  if (::fstat(fd, &info) == 0 && S_ISDIR(info.st_mode)) {
    status = ErrnoError(EISDIR, "read", path);
  } else {
    char buffer[64 * 1024];
    while (true) {
      const ssize_t n = ::read(fd, buffer, sizeof(buffer));
      if (n < 0) {
        if (errno == EINTR) {
          continue;
        }
        status = ErrnoError(errno, "read", path);
        break;
      }
      if (n == 0) {
        break;
      }
      text.append(buffer, static_cast<size_t>(n));
      if (text.size() > max_bytes) {
        status = absl::InvalidArgumentError(
            absl::StrFormat("read %s: file is larger than %d bytes", path, max_bytes));
        break;
      }
    }
  }
  ::close(fd);
  if (!status.ok()) {
    return status;
  }
  return text;
}

}  // namespace ringnats::config
