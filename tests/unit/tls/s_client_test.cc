// A server Engine against a real `openssl s_client` over loopback: the engine has no socket,
// so this test moves bytes between a blocking socket and the engine itself, as the ring will.

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <string>

#include "pump.h"
#include "ringnats/tls/engine.h"

namespace ringnats::tls {
namespace {

using testing::Certs;
using testing::DefaultServerSettings;
using testing::MustServer;

constexpr auto kDeadline = std::chrono::seconds(10);  // liveness only

class SClientTest : public ::testing::TestWithParam<const char*> {
 protected:
  void TearDown() override {
    if (child_ > 0) {
      kill(child_, SIGKILL);
      waitpid(child_, nullptr, 0);
    }
    for (int fd : {listen_fd_, conn_fd_, stdin_fd_, stdout_fd_}) {
      if (fd >= 0) close(fd);
    }
  }

  // Starts s_client against a fresh loopback listener and accepts its connection.
  void Start(const char* version_flag) {
    listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(listen_fd_, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    ASSERT_EQ(listen(listen_fd_, 1), 0);
    socklen_t len = sizeof(addr);
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    const std::string target = "127.0.0.1:" + std::to_string(ntohs(addr.sin_port));

    int in_pipe[2], out_pipe[2];
    ASSERT_EQ(pipe2(in_pipe, O_CLOEXEC), 0);
    ASSERT_EQ(pipe2(out_pipe, O_CLOEXEC), 0);
    const std::string ca = Certs().ca.cert_file;
    child_ = fork();
    ASSERT_GE(child_, 0);
    if (child_ == 0) {
      dup2(in_pipe[0], 0);
      dup2(out_pipe[1], 1);
      int null_fd = open("/dev/null", O_WRONLY);
      dup2(null_fd, 2);
      execl(RINGNATS_OPENSSL_CLI, "openssl", "s_client", "-connect", target.c_str(), "-servername",
            "localhost", "-verify_hostname", "localhost", "-CAfile", ca.c_str(),
            "-verify_return_error", "-quiet", "-crlf", version_flag, static_cast<char*>(nullptr));
      _exit(127);
    }
    close(in_pipe[0]);
    close(out_pipe[1]);
    stdin_fd_ = in_pipe[1];
    stdout_fd_ = out_pipe[0];
    pollfd pfd{listen_fd_, POLLIN, 0};
    ASSERT_EQ(poll(&pfd, 1, 10000), 1) << "s_client did not connect";
    conn_fd_ = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    ASSERT_GE(conn_fd_, 0);
  }

  // Moves bytes between the socket and `engine`, and collects s_client's stdout, until `done`.
  bool PumpUntil(Engine& engine, const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() + kDeadline;
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      if (engine.handshaking()) engine.Advance();
      if (engine.established()) engine.ReadPlaintext(&server_got_);
      std::string out;
      engine.TakeCiphertext(&out);
      for (size_t at = 0; at < out.size();) {
        ssize_t n = send(conn_fd_, out.data() + at, out.size() - at, MSG_NOSIGNAL);
        if (n <= 0) return false;
        at += static_cast<size_t>(n);
      }
      if (done()) break;
      pollfd fds[2] = {{conn_fd_, POLLIN, 0}, {stdout_fd_, POLLIN, 0}};
      if (poll(fds, 2, 100) < 0) return false;
      char buffer[4096];
      if (fds[0].revents & (POLLIN | POLLHUP)) {
        ssize_t n = recv(conn_fd_, buffer, sizeof(buffer), 0);
        if (n > 0) engine.Feed(std::string_view(buffer, static_cast<size_t>(n)));
        if (n == 0) engine.FeedEof();
      }
      if (fds[1].revents & (POLLIN | POLLHUP)) {
        ssize_t n = read(stdout_fd_, buffer, sizeof(buffer));
        if (n > 0) client_got_.append(buffer, static_cast<size_t>(n));
        if (n <= 0) stdout_closed_ = true;
      }
    }
    return true;
  }

  pid_t child_ = -1;
  int listen_fd_ = -1, conn_fd_ = -1, stdin_fd_ = -1, stdout_fd_ = -1;
  std::string server_got_, client_got_;
  bool stdout_closed_ = false;
};

TEST_P(SClientTest, HandshakeDataAndCloseNotify) {
  if (std::string(RINGNATS_OPENSSL_CLI).empty()) GTEST_SKIP() << "no openssl CLI";
  ASSERT_NO_FATAL_FAILURE(Start(GetParam()));
  auto engine = Engine::NewServer(MustServer(DefaultServerSettings(Certs().server_rsa)));
  ASSERT_TRUE(engine.ok());
  ASSERT_TRUE(PumpUntil(*engine, [&] { return !engine->handshaking(); }));
  ASSERT_TRUE(engine->established()) << engine->error();
  EXPECT_EQ(engine->version_name(), std::string(GetParam()) == "-tls1_2" ? "1.2" : "1.3");

  engine->WritePlaintext("INFO {\"tls_required\":true}\r\n");
  ASSERT_TRUE(PumpUntil(*engine, [&] { return client_got_.find("\r\n") != std::string::npos; }));
  EXPECT_EQ(client_got_, "INFO {\"tls_required\":true}\r\n");

  ASSERT_EQ(write(stdin_fd_, "PING\n", 5), 5);  // -crlf: s_client sends "PING\r\n"
  ASSERT_TRUE(PumpUntil(*engine, [&] { return server_got_.find("\r\n") != std::string::npos; }));
  EXPECT_EQ(server_got_, "PING\r\n");

  // Our close_notify ends s_client, which closes its stdout.
  engine->Shutdown();
  ASSERT_TRUE(PumpUntil(*engine, [&] { return stdout_closed_; }));
  EXPECT_FALSE(engine->failed()) << engine->error();
}

INSTANTIATE_TEST_SUITE_P(Versions, SClientTest, ::testing::Values("-tls1_2", "-tls1_3"),
                         [](const auto& param_info) { return std::string(param_info.param + 1); });

}  // namespace
}  // namespace ringnats::tls
