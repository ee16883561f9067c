#include "harness/free_port.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <random>

namespace ringnats::harness {
namespace {

// Binds `port` on loopback (0: the kernel picks) and closes it again; the port bound, or 0.
int BindAndRelease(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  sockaddr_in address = {};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<uint16_t>(port));
  socklen_t length = sizeof(address);
  int bound = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    bound = ntohs(address.sin_port);
  }
  close(fd);
  return bound;
}

// The lowest port the kernel hands out on its own (connect() and bind to port 0).
int LowestEphemeralPort() {
  std::ifstream range("/proc/sys/net/ipv4/ip_local_port_range");
  int low = 0;
  return range >> low ? low : 0;
}

}  // namespace

int FreeLoopbackPort() {
  // Below the ephemeral range, so that no client connection and no server started with
  // port 0 (every other test) can be given the port before its server binds it.
  constexpr int kLowest = 10000;
  const int ephemeral = LowestEphemeralPort();
  if (ephemeral > kLowest + 1000) {
    static thread_local std::mt19937 random{std::random_device{}()};
    std::uniform_int_distribution<int> pick(kLowest, ephemeral - 1);
    for (int attempt = 0; attempt < 64; ++attempt) {
      if (const int port = BindAndRelease(pick(random)); port != 0) return port;
    }
  }
  return BindAndRelease(0);
}

}  // namespace ringnats::harness
