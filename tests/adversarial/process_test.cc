// The broker as a process an operator restarts, starts twice by mistake, or asks for its
// version (issue items 9 and 10).

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_format.h"
#include "adversarial/adversarial_fixture.h"
#include "harness/free_port.h"
#include "harness/server_process.h"

namespace ringnats::adversarial {
namespace {

// The wall clock, because the moment a process reported ready is its ports file's mtime.
using Clock = std::chrono::system_clock;

// When the server in `dir` wrote its ports file; nullopt when there is none.
std::optional<Clock::time_point> PortsFileTime(const std::string& dir) {
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(dir, error)) {
    const std::string path = entry.path().string();
    struct stat info;
    if (path.ends_with(".ports") && stat(path.c_str(), &info) == 0) {
      return Clock::time_point(std::chrono::duration_cast<Clock::duration>(
          std::chrono::seconds(info.st_mtim.tv_sec) +
          std::chrono::nanoseconds(info.st_mtim.tv_nsec)));
    }
  }
  return std::nullopt;
}

// Connects to `port` over and over and reads INFO, recording when each connection was made
// and whether its INFO came. The test pauses it around each stop, so no connection it
// judges can be cut by the shutdown itself.
class ConnectLoop {
 public:
  struct Attempt {
    Clock::time_point connected;
    bool got_info = false;
    std::string error;
  };

  explicit ConnectLoop(int port) : port_(port) {
    thread_ = std::thread([this] { Run(); });
  }
  ~ConnectLoop() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
      pause_ = false;
    }
    changed_.notify_all();
    thread_.join();
  }

  // Returns once no attempt is in progress; none starts until Resume().
  void Pause() {
    std::unique_lock<std::mutex> lock(mu_);
    pause_ = true;
    changed_.wait(lock, [&] { return paused_; });
  }
  void Resume() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      pause_ = false;
    }
    changed_.notify_all();
  }

  // Waits until `count` connections made after `since` got their INFO.
  bool AwaitInfos(Clock::time_point since, int count, Millis timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    return changed_.wait_for(lock, timeout, [&] {
      int infos = 0;
      for (const Attempt& attempt : attempts_) {
        if (attempt.connected > since && attempt.got_info) ++infos;
      }
      return infos >= count;
    });
  }

  std::vector<Attempt> attempts() {
    std::lock_guard<std::mutex> lock(mu_);
    return attempts_;
  }

 private:
  void Run() {
    while (true) {
      {
        std::unique_lock<std::mutex> lock(mu_);
        if (pause_) {
          paused_ = true;
          changed_.notify_all();
          changed_.wait(lock, [&] { return !pause_ || stop_; });
          paused_ = false;
        }
        if (stop_) return;
      }
      absl::StatusOr<std::unique_ptr<harness::RawClient>> client =
          harness::RawClient::Connect(port_, {.answer_pings = false});
      if (!client.ok()) {
        // Nobody listens (between two servers): try again shortly.
        std::this_thread::sleep_for(Millis(2));
        continue;
      }
      Attempt attempt;
      attempt.connected = Clock::now();
      ::testing::AssertionResult info = (*client)->ReadInfo(nullptr, nullptr, Millis(10000));
      attempt.got_info = info;
      if (!info) attempt.error = info.message();
      {
        std::lock_guard<std::mutex> lock(mu_);
        attempts_.push_back(std::move(attempt));
      }
      changed_.notify_all();
    }
  }

  const int port_;
  std::mutex mu_;
  std::condition_variable changed_;
  bool stop_ = false;
  bool pause_ = false;
  bool paused_ = false;
  std::vector<Attempt> attempts_;
  std::thread thread_;
};

class ProcessTest : public AdversarialTest {};

// Item 9: stop and start the broker 15 times on one fixed port while a client keeps
// connecting. A connection made after the new process reported ready (wrote its ports file)
// gets its INFO; it is never reset first. Nor is one the kernel accepted earlier, while the
// process was starting: nats-server serves those too once it accepts.
TEST_F(ProcessTest, RestartLoopOnOnePort) {
  const int fixed_port = harness::FreeLoopbackPort();
  ASSERT_GT(fixed_port, 0);
  ConnectLoop loop(fixed_port);
  constexpr int kRestarts = 15;
  struct Window {
    Clock::time_point ready;
    Clock::time_point stop;
  };
  std::vector<Window> windows;
  for (int i = 0; i < kRestarts; ++i) {
    // The loop hammers the port while the process starts.
    loop.Resume();
    absl::StatusOr<std::unique_ptr<harness::ServerProcess>> process =
        harness::ServerProcess::Start({spec(), "", {"-p", std::to_string(fixed_port)}});
    ASSERT_TRUE(process.ok()) << "start " << i << ": " << process.status();
    ASSERT_EQ((*process)->port(), fixed_port);
    const std::optional<Clock::time_point> ready_time = PortsFileTime((*process)->dir());
    ASSERT_TRUE(ready_time.has_value()) << "start " << i << ": no ports file";
    const Clock::time_point ready = *ready_time;
    EXPECT_TRUE(loop.AwaitInfos(ready, 3, Millis(10000))) << "start " << i;
    loop.Pause();
    windows.push_back({ready, Clock::now()});
    absl::StatusOr<int> status = (*process)->Stop(Millis(10000));
    ASSERT_TRUE(status.ok()) << "stop " << i << ": " << status.status();
    EXPECT_EQ(ExitCode(*status), 0) << "stop " << i << ", wait status " << *status;
  }
  int judged = 0;
  int before_ready = 0;
  int failed_before_ready = 0;
  for (const ConnectLoop::Attempt& attempt : loop.attempts()) {
    bool in_window = false;
    for (size_t i = 0; i < windows.size(); ++i) {
      if (attempt.connected > windows[i].ready && attempt.connected < windows[i].stop) {
        in_window = true;
        EXPECT_TRUE(attempt.got_info) << "a connection made after start " << i
                                      << " was ready lost its INFO: " << attempt.error;
      }
    }
    if (in_window) {
      ++judged;
    } else {
      ++before_ready;
      if (!attempt.got_info) {
        ++failed_before_ready;
        ADD_FAILURE() << "a connection made while a process was starting lost its INFO: "
                      << attempt.error;
      }
    }
  }
  std::cout << "[ adversarial ] " << judged << " connections after ready, " << before_ready
            << " during startup (" << failed_before_ready << " of those without INFO)\n";
  EXPECT_GE(judged, 3 * kRestarts);
}

// Item 9: a second broker on a port the first one holds must refuse to start, as
// nats-server does (exit status 1, `[FTL] Error listening on port: ...`), and the first one
// carries on.
TEST_F(ProcessTest, SecondInstanceOnSamePortFails) {
  const int fixed_port = harness::FreeLoopbackPort();
  ASSERT_GT(fixed_port, 0);
  ASSERT_NO_FATAL_FAILURE(StartServer("", {"-p", std::to_string(fixed_port)}));
  ASSERT_EQ(port(), fixed_port);
  ASSERT_NO_FATAL_FAILURE(OpenNeighbours());
  StartWatch();
  std::vector<std::string> argv = {spec().binary};
  argv.insert(argv.end(), spec().args.begin(), spec().args.end());
  argv.insert(argv.end(), {"-a", "127.0.0.1", "-p", std::to_string(fixed_port)});
  const CommandResult second = RunCommand(argv, Millis(10000));
  EXPECT_FALSE(second.timed_out) << "the second instance kept running; output:\n" << second.output;
  EXPECT_EQ(ExitCode(second.wait_status), 1) << second.output;
  EXPECT_NE(second.output.find("address already in use"), std::string::npos) << second.output;
  const std::string nats_line = absl::StrFormat(
      "[FTL] Error listening on port: 127.0.0.1:%d, \"listen tcp 127.0.0.1:%d: bind: address "
      "already in use\"",
      fixed_port, fixed_port);
  EXPECT_NE(second.output.find(nats_line), std::string::npos)
      << "expected nats-server's line " << nats_line << "; output:\n"
      << second.output;
  FinishWatch();
  EXPECT_TRUE(ServerStillWorks());
  ExpectPeakRssBelow(RssBoundMib(200));
  ExpectCleanStop();
}

// Item 10: tools that parse `-v` take the first version number they find; it must be the
// nats-server version ringnats is compatible with.
TEST_F(ProcessTest, VersionFlagNamesNatsServerVersionFirst) {
  std::vector<std::string> argv = {spec().binary};
  argv.insert(argv.end(), spec().args.begin(), spec().args.end());
  argv.push_back("-v");
  const CommandResult result = RunCommand(argv, Millis(10000));
  ASSERT_FALSE(result.timed_out);
  EXPECT_EQ(ExitCode(result.wait_status), 0) << result.output;
  std::smatch match;
  ASSERT_TRUE(std::regex_search(result.output, match, std::regex(R"(v?(\d+\.\d+\.\d+))")))
      << result.output;
  EXPECT_EQ(match[1].str(), "2.9.10") << "output: " << result.output;
}

// Tools find a broker's ports file by its executable's name: nats-server writes
// <base name of argv[0]>_<pid>.ports, so ringnats installed as nats-server must write
// nats-server_<pid>.ports. Removed at exit.
TEST_F(ProcessTest, PortsFileIsNamedAfterTheExecutable) {
  std::string link_dir = std::filesystem::temp_directory_path() / "ringnats-exe-XXXXXX";
  ASSERT_NE(mkdtemp(link_dir.data()), nullptr);
  const absl::Cleanup remove_link_dir = [&link_dir] { std::filesystem::remove_all(link_dir); };
  const std::string link = link_dir + "/broker-under-test";
  std::filesystem::create_symlink(std::filesystem::absolute(spec().binary), link);
  harness::ServerOptions options{.spec = spec()};
  options.spec.binary = link;
  {
    absl::StatusOr<std::unique_ptr<harness::ServerProcess>> server =
        harness::ServerProcess::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    const std::string ports_file =
        absl::StrFormat("%s/broker-under-test_%d.ports", (*server)->dir(), (*server)->pid());
    EXPECT_TRUE(std::filesystem::exists(ports_file)) << ports_file;
    EXPECT_TRUE((*server)->StopAndCheck());
    EXPECT_FALSE(std::filesystem::exists(ports_file)) << ports_file;
  }
}

}  // namespace
}  // namespace ringnats::adversarial
