#include "adversarial/adversarial_fixture.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <optional>
#include <regex>
#include <sstream>

#include "absl/strings/str_format.h"
#include "harness/server_frames.h"

namespace ringnats::adversarial {
namespace {

using Clock = std::chrono::steady_clock;

// Turns a hung neighbour into a failure instead of a stuck test; far above kLivenessBound.
constexpr Millis kHangGuard{30000};
// Pause between watcher rounds, so the watcher does not take a core from the broker.
constexpr Millis kWatchPace{20};
// How often a waiting ThrottledSubscriber looks at its cancel flag, in ms.
constexpr int kCancelSlice = 100;

int MillisLeft(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<Millis>(deadline - Clock::now()).count();
  return static_cast<int>(std::max<int64_t>(left, 0));
}

int64_t StatusField(const std::string& status, std::string_view key) {
  const size_t at = status.find(key);
  if (at == std::string::npos) return -1;
  size_t pos = at + key.size();
  while (pos < status.size() && (status[pos] == ' ' || status[pos] == '\t')) ++pos;
  int64_t value = -1;
  std::from_chars(status.data() + pos, status.data() + status.size(), value);
  return value;
}

// The end of the log, escaped, for failure messages.
std::string LogTail(harness::ServerProcess& server) {
  const std::string log = server.ReadLog();
  constexpr size_t kTail = 4096;
  return harness::Escape(log.size() > kTail ? log.substr(log.size() - kTail) : log);
}

}  // namespace

absl::StatusOr<MemoryUsage> ReadMemory(pid_t pid) {
  std::ifstream in(absl::StrFormat("/proc/%d/status", pid));
  if (!in) return absl::NotFoundError(absl::StrFormat("no /proc/%d/status", pid));
  std::ostringstream text;
  text << in.rdbuf();
  MemoryUsage usage;
  usage.rss_kib = StatusField(text.str(), "VmRSS:");
  usage.hwm_kib = StatusField(text.str(), "VmHWM:");
  if (usage.rss_kib < 0 || usage.hwm_kib < 0) {
    return absl::InternalError("no VmRSS/VmHWM in /proc status");
  }
  return usage;
}

// --- NeighbourWatch ---

NeighbourWatch::NeighbourWatch(std::vector<harness::RawClient*> neighbours, pid_t server_pid)
    : neighbours_(std::move(neighbours)), server_pid_(server_pid) {
  thread_ = std::thread([this] { Run(); });
}

NeighbourWatch::~NeighbourWatch() {
  Stop();
}

void NeighbourWatch::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void NeighbourWatch::Run() {
  std::vector<Clock::time_point> sent(neighbours_.size());
  // At least one round, however short the attack: a watch that measured nothing proves
  // nothing (and FinishWatch requires a round).
  for (bool first = true; first || !stop_; first = false) {
    for (size_t i = 0; i < neighbours_.size(); ++i) {
      sent[i] = Clock::now();
      if (auto r = neighbours_[i]->Send("PING\r\n", kHangGuard); !r) {
        std::lock_guard<std::mutex> lock(mu_);
        failure_ = absl::StrFormat("neighbour %d: %s", i, r.message());
        return;
      }
    }
    for (size_t i = 0; i < neighbours_.size(); ++i) {
      if (auto r = neighbours_[i]->Expect("PONG\r\n", kHangGuard); !r) {
        std::lock_guard<std::mutex> lock(mu_);
        failure_ = absl::StrFormat("neighbour %d: %s", i, r.message());
        return;
      }
      const Millis rtt = std::chrono::duration_cast<Millis>(Clock::now() - sent[i]);
      std::lock_guard<std::mutex> lock(mu_);
      worst_ = std::max(worst_, rtt);
    }
    absl::StatusOr<MemoryUsage> memory = ReadMemory(server_pid_);
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++rounds_;
      if (memory.ok()) peak_rss_kib_ = std::max(peak_rss_kib_, memory->rss_kib);
    }
    std::this_thread::sleep_for(kWatchPace);
  }
}

Millis NeighbourWatch::worst_rtt() {
  std::lock_guard<std::mutex> lock(mu_);
  return worst_;
}

int NeighbourWatch::rounds() {
  std::lock_guard<std::mutex> lock(mu_);
  return rounds_;
}

std::string NeighbourWatch::failure() {
  std::lock_guard<std::mutex> lock(mu_);
  return failure_;
}

int64_t NeighbourWatch::peak_rss_kib() {
  std::lock_guard<std::mutex> lock(mu_);
  return peak_rss_kib_;
}

// --- MsgStreamParser ---

void MsgStreamParser::Append(const char* data, size_t n) {
  if (offset_ > 0 && offset_ * 2 >= buffer_.size()) {
    buffer_.erase(0, offset_);
    offset_ = 0;
  }
  buffer_.append(data, n);
}

bool MsgStreamParser::Next(Frame* frame) {
  if (broken_) return false;
  const size_t eol = buffer_.find("\r\n", offset_);
  if (eol == std::string::npos) return false;
  const std::string_view line(buffer_.data() + offset_, eol - offset_);
  if (!line.starts_with("MSG ")) {
    *frame = {false, line, {}};
    offset_ = eol + 2;
    return true;
  }
  const size_t space = line.rfind(' ');
  size_t size = 0;
  const auto [end, ec] = std::from_chars(line.data() + space + 1, line.data() + line.size(), size);
  if (ec != std::errc() || end != line.data() + line.size()) {
    broken_ = true;
    return false;
  }
  const size_t payload_at = eol + 2;
  if (buffer_.size() < payload_at + size + 2) return false;
  if (buffer_.compare(payload_at + size, 2, "\r\n") != 0) {
    broken_ = true;
    return false;
  }
  *frame = {true, line, std::string_view(buffer_.data() + payload_at, size)};
  offset_ = payload_at + size + 2;
  return true;
}

::testing::AssertionResult ReadMsgs(harness::RawClient& client, size_t count,
                                    std::vector<harness::Msg>* out, Millis timeout) {
  const Clock::time_point deadline = Clock::now() + timeout;
  MsgStreamParser parser;
  const std::string buffered = client.TakeBuffered();
  parser.Append(buffered.data(), buffered.size());
  char chunk[65536];
  while (out->size() < count) {
    MsgStreamParser::Frame frame;
    if (parser.Next(&frame)) {
      if (frame.is_msg) {
        std::string whole(frame.line);
        whole += "\r\n";
        whole += frame.payload;
        whole += "\r\n";
        std::optional<harness::Msg> msg = harness::ParseMsg(whole);
        if (!msg) {
          return ::testing::AssertionFailure() << "bad MSG frame: " << harness::Escape(whole);
        }
        out->push_back(std::move(*msg));
      } else if (frame.line == "PING") {
        (void)send(client.fd(), "PONG\r\n", 6, MSG_NOSIGNAL);
      } else {
        return ::testing::AssertionFailure()
               << "expected MSG, got \"" << harness::Escape(frame.line) << "\" after "
               << out->size() << " messages";
      }
      continue;
    }
    if (parser.broken()) return ::testing::AssertionFailure() << "unparsable frame";
    pollfd pfd = {client.fd(), POLLIN, 0};
    if (poll(&pfd, 1, MillisLeft(deadline)) <= 0) {
      return ::testing::AssertionFailure()
             << out->size() << " of " << count << " messages within " << timeout.count() << " ms";
    }
    const ssize_t n = recv(client.fd(), chunk, sizeof(chunk), 0);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) continue;
    if (n <= 0) {
      return ::testing::AssertionFailure()
             << "connection closed after " << out->size() << " of " << count << " messages";
    }
    parser.Append(chunk, static_cast<size_t>(n));
  }
  return ::testing::AssertionSuccess();
}

// --- ThrottledSubscriber ---

ThrottledSubscriber::ThrottledSubscriber(std::unique_ptr<harness::RawClient> client,
                                         Options options, OnMsg on_msg)
    : client_(std::move(client)), options_(options), on_msg_(std::move(on_msg)) {
  thread_ = std::thread([this] { Run(); });
}

ThrottledSubscriber::~ThrottledSubscriber() {
  Join();
}

void ThrottledSubscriber::Join() {
  if (thread_.joinable()) thread_.join();
}

void ThrottledSubscriber::Run() {
  const int fd = client_->fd();
  const Clock::time_point deadline = Clock::now() + options_.timeout;
  std::vector<char> chunk(options_.read_size);
  MsgStreamParser parser;
  size_t total = 0;
  uint64_t received = 0;
  while (received < options_.expected) {
    if (cancelled_) {
      error_ = absl::StrFormat("cancelled after %d of %d messages", received, options_.expected);
      break;
    }
    pollfd pfd = {fd, POLLIN, 0};
    const int ready = poll(&pfd, 1, std::min(MillisLeft(deadline), kCancelSlice));
    if (ready == 0) {
      if (MillisLeft(deadline) > 0) continue;
      error_ = absl::StrFormat("hang guard: %d of %d messages after %d ms", received,
                               options_.expected, options_.timeout.count());
      break;
    }
    const ssize_t n = recv(fd, chunk.data(), chunk.size(), 0);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) continue;
    if (n <= 0) {
      closed_by_server_ = true;
      error_ = absl::StrFormat("server closed the connection (%s) after %d of %d messages",
                               n == 0 ? "EOF" : std::strerror(errno), received, options_.expected);
      break;
    }
    total += static_cast<size_t>(n);
    parser.Append(chunk.data(), static_cast<size_t>(n));
    MsgStreamParser::Frame frame;
    while (error_.empty() && parser.Next(&frame)) {
      if (frame.is_msg) {
        if (std::string bad = on_msg_(received, frame.payload); !bad.empty()) {
          error_ = absl::StrFormat("message %d: %s", received, bad);
        }
        received_ = ++received;
      } else if (frame.line == "PING") {
        (void)send(fd, "PONG\r\n", 6, MSG_NOSIGNAL);
      } else if (frame.line != "PONG" && frame.line != "+OK") {
        error_ = absl::StrFormat("unexpected line after %d messages: \"%s\"", received,
                                 harness::Escape(frame.line));
      }
    }
    if (parser.broken()) error_ = absl::StrFormat("unparsable frame after %d messages", received);
    if (!error_.empty()) break;
    if (options_.close_after_bytes > 0 && total >= options_.close_after_bytes) {
      client_.reset();
      return;
    }
    if (options_.pause.count() > 0) std::this_thread::sleep_for(options_.pause);
  }
}

// --- raw floods ---

std::string Describe(const FloodResult& result) {
  const char* end = result.end == FloodEnd::kAllSent          ? "all sent, still open"
                    : result.end == FloodEnd::kClosedByServer ? "closed by the server"
                                                              : "server stopped reading";
  return absl::StrFormat("%s after %d bytes", end, result.bytes_sent);
}

FloodResult FloodWithoutReading(int fd, std::string_view chunk, size_t max_bytes,
                                Millis stall_timeout) {
  FloodResult result;
  size_t offset = 0;
  while (result.bytes_sent < max_bytes) {
    const size_t want = std::min(chunk.size() - offset, max_bytes - result.bytes_sent);
    const ssize_t n = send(fd, chunk.data() + offset, want, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      result.bytes_sent += static_cast<size_t>(n);
      offset = (offset + static_cast<size_t>(n)) % chunk.size();
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
      pollfd pfd = {fd, static_cast<int16_t>(POLLOUT | POLLRDHUP), 0};
      const int ready = poll(&pfd, 1, static_cast<int>(stall_timeout.count()));
      if (ready == 0) {
        result.end = FloodEnd::kStalled;
        return result;
      }
      if ((pfd.revents & (POLLERR | POLLHUP | POLLRDHUP)) != 0) {
        result.end = FloodEnd::kClosedByServer;
        return result;
      }
      continue;
    }
    result.end = FloodEnd::kClosedByServer;
    return result;
  }
  result.end = FloodEnd::kAllSent;
  return result;
}

bool WaitClosedWithoutReading(int fd, Millis timeout) {
  const Clock::time_point deadline = Clock::now() + timeout;
  while (true) {
    pollfd pfd = {fd, POLLRDHUP, 0};
    const int ready = poll(&pfd, 1, MillisLeft(deadline));
    if (ready > 0 && (pfd.revents & (POLLERR | POLLHUP | POLLRDHUP)) != 0) return true;
    if (ready == 0 || Clock::now() >= deadline) return false;
  }
}

absl::StatusOr<std::unique_ptr<harness::RawClient>> ConnectSmallBuffer(int port,
                                                                       int receive_buffer) {
  return harness::RawClient::Connect(port,
                                     {.answer_pings = false, .receive_buffer = receive_buffer});
}

// --- commands ---

CommandResult RunCommand(const std::vector<std::string>& argv, Millis timeout) {
  CommandResult result;
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) {
    result.output = absl::StrFormat("pipe: %s", std::strerror(errno));
    return result;
  }
  std::vector<std::string> args = argv;
  std::vector<char*> cargv;
  for (std::string& arg : args) cargv.push_back(arg.data());
  cargv.push_back(nullptr);
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    const int null_fd = open("/dev/null", O_RDONLY);
    dup2(null_fd, STDIN_FILENO);
    dup2(pipe_fds[1], STDOUT_FILENO);
    dup2(pipe_fds[1], STDERR_FILENO);
    execv(cargv[0], cargv.data());
    _exit(127);
  }
  close(pipe_fds[1]);
  if (pid < 0) {
    close(pipe_fds[0]);
    result.output = absl::StrFormat("fork: %s", std::strerror(errno));
    return result;
  }
  const Clock::time_point deadline = Clock::now() + timeout;
  char buffer[4096];
  while (true) {
    pollfd pfd = {pipe_fds[0], POLLIN, 0};
    const int ready = poll(&pfd, 1, MillisLeft(deadline));
    if (ready == 0) {
      result.timed_out = true;
      kill(pid, SIGKILL);
      break;
    }
    const ssize_t n = read(pipe_fds[0], buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    result.output.append(buffer, static_cast<size_t>(n));
  }
  close(pipe_fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.wait_status = status;
  return result;
}

int ExitCode(int wait_status) {
  return WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : -1;
}

int AvailableDescriptors() {
  constexpr rlim_t kReserve = 256;  // neighbours, pipes, log files, the harness' own
  rlimit limit = {};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 0;
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
    getrlimit(RLIMIT_NOFILE, &limit);
  }
  const rlim_t usable = limit.rlim_cur > kReserve ? limit.rlim_cur - kReserve : 0;
  return static_cast<int>(std::min<rlim_t>(usable, 1'000'000));
}

// --- AdversarialTest ---

void AdversarialTest::TearDown() {
  if (watch_ != nullptr) watch_->Stop();
}

void AdversarialTest::StartServer(const std::string& config,
                                  const std::vector<std::string>& extra_args) {
  absl::StatusOr<std::unique_ptr<harness::ServerProcess>> server =
      harness::ServerProcess::Start({spec_, config, extra_args});
  ASSERT_TRUE(server.ok()) << harness::Describe(spec_) << ": " << server.status();
  server_ = std::move(*server);
}

std::unique_ptr<harness::RawClient> AdversarialTest::Client(std::string_view connect_json,
                                                            harness::ClientOptions options) {
  absl::StatusOr<std::unique_ptr<harness::RawClient>> client =
      harness::ConnectAndHandshake(port(), connect_json, options);
  if (!client.ok()) {
    ADD_FAILURE() << client.status();
    return nullptr;
  }
  return std::move(*client);
}

void AdversarialTest::OpenNeighbours(std::string_view connect_json, int count) {
  for (int i = 0; i < count; ++i) {
    std::unique_ptr<harness::RawClient> client = Client(connect_json);
    ASSERT_NE(client, nullptr) << "neighbour " << i;
    ASSERT_TRUE(client->Ping()) << "neighbour " << i;
    neighbours_.push_back(std::move(client));
  }
}

void AdversarialTest::StartWatch() {
  std::vector<harness::RawClient*> clients;
  for (auto& client : neighbours_) clients.push_back(client.get());
  watch_ = std::make_unique<NeighbourWatch>(std::move(clients), server_->pid());
}

void AdversarialTest::FinishWatch() {
  ASSERT_NE(watch_, nullptr);
  watch_->Stop();
  EXPECT_EQ(watch_->failure(), "") << "a neighbour stopped answering";
  EXPECT_LE(watch_->worst_rtt().count(), kLivenessBound.count())
      << "worst neighbour PING->PONG during the attack (" << watch_->rounds() << " rounds)";
  EXPECT_GE(watch_->rounds(), 1);
  std::cout << "[ adversarial ] " << harness::Describe(spec_) << ": worst neighbour RTT "
            << watch_->worst_rtt().count() << " ms over " << watch_->rounds()
            << " rounds; peak sampled VmRSS " << watch_->peak_rss_kib() / 1024 << " MiB\n";
  for (size_t i = 0; i < neighbours_.size(); ++i) {
    EXPECT_TRUE(neighbours_[i]->Ping(Millis(10000))) << "neighbour " << i << " after the attack";
  }
  watch_.reset();
}

int64_t AdversarialTest::CurrentRssKib() {
  absl::StatusOr<MemoryUsage> memory = ReadMemory(server_->pid());
  return memory.ok() ? memory->rss_kib : -1;
}

void AdversarialTest::ExpectPeakRssBelow(int64_t bound_mib) {
  absl::StatusOr<MemoryUsage> memory = ReadMemory(server_->pid());
  ASSERT_TRUE(memory.ok()) << memory.status() << " (has the broker died?) log:\n"
                           << LogTail(*server_);
  std::cout << "[ adversarial ] " << harness::Describe(spec_) << ": VmHWM "
            << memory->hwm_kib / 1024 << " MiB, VmRSS " << memory->rss_kib / 1024 << " MiB (bound "
            << bound_mib << " MiB)\n";
  EXPECT_LT(memory->hwm_kib, bound_mib * 1024)
      << "peak RSS of the broker " << memory->hwm_kib / 1024 << " MiB";
}

::testing::AssertionResult AdversarialTest::ServerStillWorks(std::string_view connect_json) {
  const std::string subject = absl::StrFormat("adversarial.health.%d", ++health_checks_);
  absl::StatusOr<std::unique_ptr<harness::RawClient>> sub =
      harness::ConnectAndHandshake(port(), connect_json);
  if (!sub.ok()) return ::testing::AssertionFailure() << "subscriber: " << sub.status();
  absl::StatusOr<std::unique_ptr<harness::RawClient>> pub =
      harness::ConnectAndHandshake(port(), connect_json);
  if (!pub.ok()) return ::testing::AssertionFailure() << "publisher: " << pub.status();
  if (auto r = (*sub)->Send(absl::StrFormat("SUB %s 1\r\n", subject)); !r) return r;
  if (auto r = (*sub)->Ping(); !r) return r << " (after SUB)";
  if (auto r = (*pub)->Send(absl::StrFormat("PUB %s 2\r\nok\r\n", subject)); !r) return r;
  if (auto r = (*pub)->Ping(); !r) return r << " (after PUB)";
  return (*sub)->Expect(absl::StrFormat("MSG %s 1 2\r\nok\r\n", subject));
}

void AdversarialTest::ExpectCleanStop() {
  ASSERT_NE(server_, nullptr);
  ASSERT_TRUE(server_->Running()) << "the broker died; log:\n" << LogTail(*server_);
  // A hang guard: nats-server has taken over 10 s to exit with a million subscriptions
  // just torn down.
  absl::StatusOr<int> status = server_->Stop(Millis(kSanitized ? 60000 : 30000));
  ASSERT_TRUE(status.ok()) << status.status() << "; log:\n" << LogTail(*server_);
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0)
      << "wait status " << *status << " (signal " << (WIFSIGNALED(*status) ? WTERMSIG(*status) : 0)
      << "); log:\n"
      << LogTail(*server_);
}

int AdversarialTest::CountLogLines(std::string_view regex) {
  const std::regex re{std::string(regex)};
  std::istringstream log(server_->ReadLog());
  std::string line;
  int count = 0;
  while (std::getline(log, line)) {
    if (std::regex_search(line, re)) ++count;
  }
  return count;
}

}  // namespace ringnats::adversarial
