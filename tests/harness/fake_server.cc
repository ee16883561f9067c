// A stand-in broker for the harness's own tests (server_process_test.cc). It starts the way
// ringnats does under the harness (listens on a kernel-chosen loopback port and reports it in
// a ports file in --ports_file_dir), waits for SIGINT, and then ends the way --on-stop says:
//   clean           exit 0
//   exit3           exit 3
//   abort           die by SIGABRT
//   ignore          keep running (the harness must kill it)
//   ubsan-overflow  a signed integer overflow; this file is built with UBSan that does not
//                   recover, so the sanitizer prints its report and ends the process
//   report-exit0    write a ThreadSanitizer-style report to stderr, then exit 0
// Single-threaded.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

int Fail(const char* what) {
  std::fprintf(stderr, "fake_server: %s: %s\n", what, std::strerror(errno));
  return 2;
}

// Out of line and fed from a volatile so the compiler cannot fold the overflow away.
[[gnu::noinline]] int AddOne(int value) {
  return value + 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::string ports_dir;
  std::string on_stop = "clean";
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], "--ports_file_dir") == 0) {
      ports_dir = argv[++i];
    } else if (std::strcmp(argv[i], "--on-stop") == 0) {
      on_stop = argv[++i];
    }
  }
  if (ports_dir.empty()) {
    std::fprintf(stderr, "fake_server: --ports_file_dir is required\n");
    return 2;
  }

  // SIGINT is taken with sigwait, so it must be blocked before anyone can send it.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigprocmask(SIG_BLOCK, &stop_signals, nullptr);

  const int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  if (listener < 0 || bind(listener, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
      listen(listener, 1) != 0 ||
      getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    return Fail("listen");
  }

  // Written under another name and renamed, so the harness never reads half a file.
  const std::string ports_file = ports_dir + "/fake_server_" + std::to_string(getpid()) + ".ports";
  const std::string partial = ports_file + ".tmp";
  FILE* out = std::fopen(partial.c_str(), "w");
  if (out == nullptr) {
    return Fail("ports file");
  }
  std::fprintf(out, "{\"nats\":[\"nats://127.0.0.1:%d\"]}", ntohs(address.sin_port));
  std::fclose(out);
  if (std::rename(partial.c_str(), ports_file.c_str()) != 0) {
    return Fail("rename");
  }
  std::fprintf(stderr, "fake_server: ready, --on-stop %s\n", on_stop.c_str());

  int signal_number = 0;
  do {
    sigwait(&stop_signals, &signal_number);
  } while (on_stop == "ignore");

  if (on_stop == "exit3") {
    return 3;
  }
  if (on_stop == "abort") {
    std::abort();
  }
  if (on_stop == "ubsan-overflow") {
    volatile int largest = INT_MAX;
    return AddOne(largest) == 0 ? 4 : 5;
  }
  if (on_stop == "report-exit0") {
    std::fprintf(stderr,
                 "==================\n"
                 "WARNING: ThreadSanitizer: data race (pid=%d)\n"
                 "  Write of size 8 at 0x7b0400000000 by thread T1:\n"
                 "    #0 Example fake_server.cc:1\n"
                 "==================\n",
                 static_cast<int>(getpid()));
    return 0;
  }
  return 0;
}
