#include "connect_scenario.h"

#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "clock.h"
#include "event_loop.h"
#include "histogram.h"
#include "nats_conn.h"
#include "proc_stats.h"
#include "protocol.h"
#include "scenario_common.h"
#include "socket.h"
#include "tls_client.h"
#include "users_file.h"

namespace ringnats::load {
namespace {

constexpr size_t kIdleReadCapacity = 512;
constexpr int64_t kTimeoutScanNs = 20 * kNsPerMs;
constexpr int64_t kIdlePollNs = 100 * kNsPerMs;
// The handshake reply we wait for is a few hundred bytes (INFO, PONG or -ERR).
constexpr size_t kMaxHandshakeBytes = 16 * 1024;

enum class Outcome {
  kOk,             // PONG with the intended credentials
  kRejected,       // -ERR for a deliberately wrong password: expected
  kBadAccepted,    // PONG although the password was wrong
  kGoodRejected,   // -ERR for correct credentials
  kConnectFailed,  // TCP connect failed
  kClosed,         // connection closed before PONG/-ERR
  kTimeout,        // no PONG/-ERR within --timeout
  kProtocolError,
  kTlsError,  // the TLS handshake or a TLS record failed
};
constexpr int kOutcomeCount = 9;

constexpr std::string_view kOutcomeNames[kOutcomeCount] = {
    "accepted",       "rejected_expected", "bad_pass_accepted", "rejected_unexpected",
    "connect_failed", "closed_early",      "timeouts",          "protocol_errors",
    "tls_errors",
};

struct Shared {
  const Options* options = nullptr;
  uint64_t total = 0;
  std::vector<std::string> good_frames;  // CONNECT per credential
  std::vector<std::string> bad_frames;   // same user, wrong password/token
  std::atomic<uint64_t> next{0};
  std::atomic<uint64_t> finished{0};
  std::atomic<bool> start{false};
  std::atomic<bool> stop{false};
  // No attempt starts at or after this instant (a --duration bound, or a storm being stopped).
  std::atomic<int64_t> start_deadline_ns{std::numeric_limits<int64_t>::max()};
  // Worker threads that saw the deadline pass; once all have, no attempt will start again.
  std::atomic<int> threads_past_deadline{0};
  std::atomic<int64_t> last_finish_ns{0};
  std::mutex mu;
  std::condition_variable cv;

  // Whether attempt `index` is one that uses a wrong password: spread evenly so that any
  // prefix of the run has the requested fraction.
  bool IsBad(uint64_t index) const {
    double rate = options->bad_pass_rate;
    if (rate <= 0) return false;
    return std::floor(static_cast<double>(index + 1) * rate) >
           std::floor(static_cast<double>(index) * rate);
  }

  void Finished(int64_t now) {
    int64_t prev = last_finish_ns.load();
    while (prev < now && !last_finish_ns.compare_exchange_weak(prev, now)) {
    }
    if (finished.fetch_add(1) + 1 == total) {
      std::lock_guard<std::mutex> lock(mu);
      cv.notify_all();
    }
  }
};

struct Stats {
  uint64_t outcomes[kOutcomeCount] = {};
  LatencyHistogram ok_latency;
  LatencyHistogram rejected_latency;
  std::map<std::string, uint64_t> error_texts;

  void Merge(const Stats& other) {
    for (int i = 0; i < kOutcomeCount; ++i) outcomes[i] += other.outcomes[i];
    ok_latency.Merge(other.ok_latency);
    rejected_latency.Merge(other.rejected_latency);
    for (const auto& [text, n] : other.error_texts) error_texts[text] += n;
  }
};

// A connection that stays open (--keep-open / idle): answers the broker's PINGs.
class OpenConn final : public IoHandler {
 public:
  OpenConn(int fd, SSL* ssl, std::string_view leftover)
      : conn_(fd, ssl, kIdleReadCapacity, leftover) {}

  bool closed() const { return conn_.closed(); }

  void OnIo(uint32_t events) override {
    if (!(events & (EPOLLIN | EPOLLERR | EPOLLHUP)) || conn_.closed()) return;
    conn_.Receive(*this, 2);
    if (conn_.pending() > 0) conn_.Flush();
  }

  bool Stopped() const { return false; }
  void OnMsg(const MsgView&) {}
  void OnPong() {}
  void OnErr(std::string_view) {}

 private:
  NatsConn conn_;
};

// One connector: runs handshakes one after another (with --tls: TCP connect, plaintext INFO,
// TLS handshake, then CONNECT + PING and the PONG inside TLS). Owned by one worker thread.
class Slot final : public IoHandler {
 public:
  Slot(Shared* shared, Stats* stats, EventLoop* loop, std::vector<std::unique_ptr<OpenConn>>* kept)
      : shared_(shared), stats_(stats), loop_(loop), kept_(kept) {}

  ~Slot() {
    SSL_free(ssl_);
    if (fd_ >= 0) ::close(fd_);
  }
  Slot(const Slot&) = delete;
  Slot& operator=(const Slot&) = delete;

  bool idle() const { return state_ == State::kIdle; }

  void Start(uint64_t index) {
    index_ = index;
    bad_ = shared_->IsBad(index);
    in_.clear();
    start_ns_ = NowNs();
    deadline_ns_ =
        start_ns_ + static_cast<int64_t>(shared_->options->connect_timeout_s * kNsPerSec);
    absl::StatusOr<int> fd = ConnectTcp(shared_->options->host, shared_->options->port, true,
                                        shared_->options->source_ip);
    if (!fd.ok()) {
      Finish(Outcome::kConnectFailed, std::string(fd.status().message()));
      return;
    }
    fd_ = *fd;
    state_ = State::kConnecting;
    loop_->Add(fd_, EPOLLOUT | EPOLLIN, this);
  }

  void CheckTimeout(int64_t now) {
    if (state_ != State::kIdle && now >= deadline_ns_) Finish(Outcome::kTimeout, "");
  }

  void OnIo(uint32_t events) override {
    if (state_ == State::kIdle) return;
    if (state_ == State::kConnecting) {
      absl::Status s = CheckConnected(fd_);
      if (!s.ok()) {
        Finish(Outcome::kConnectFailed, std::string(s.message()));
        return;
      }
      state_ = State::kWaitInfo;
      loop_->Modify(fd_, EPOLLIN, this);
      watching_out_ = false;
      if (!(events & EPOLLIN)) return;
    }
    if (state_ == State::kTlsHandshake) ContinueTls();
    char buf[4096];
    while (state_ == State::kWaitInfo || state_ == State::kWaitPong) {
      ssize_t n = ReadSome(fd_, ssl_, buf, sizeof(buf));
      if (n == 0) {
        Finish(Outcome::kClosed, "");
        return;
      }
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return;
        if (errno == EPROTO) {
          Finish(Outcome::kTlsError, TlsError());
        } else {
          Finish(Outcome::kClosed, std::strerror(errno));
        }
        return;
      }
      in_.append(buf, static_cast<size_t>(n));
      if (in_.size() > kMaxHandshakeBytes) {
        Finish(Outcome::kProtocolError, "handshake reply too long");
        return;
      }
      ParseResult r = ParseServerFrames(in_, *this);
      in_.erase(0, r.consumed);
      if (r.error) {
        Finish(Outcome::kProtocolError, "protocol error from server");
        return;
      }
      if (state_ == State::kTlsHandshake) ContinueTls();  // INFO came: upgrade
    }
  }

  // Frame sink for the handshake; stops at the first decisive frame.
  bool Stopped() const { return state_ != State::kWaitInfo && state_ != State::kWaitPong; }
  void OnMsg(const MsgView&) {}
  void OnOk() {}
  void OnPing() { Send("PONG\r\n"); }
  void OnInfo(std::string_view) {
    if (state_ != State::kWaitInfo) return;
    if (const TlsContext* tls = TlsFor(*shared_->options)) {
      ssl_ = tls->NewSession(fd_);
      if (ssl_ == nullptr) {
        Finish(Outcome::kTlsError, "SSL_new: " + TlsError());
        return;
      }
      state_ = State::kTlsHandshake;  // OnIo continues it once the parser stops
      return;
    }
    state_ = State::kWaitPong;
    SendConnect();
  }
  void OnPong() {
    if (state_ == State::kWaitPong) Finish(bad_ ? Outcome::kBadAccepted : Outcome::kOk, "");
  }
  void OnErr(std::string_view text) {
    Finish(bad_ ? Outcome::kRejected : Outcome::kGoodRejected, absl::StrFormat("-ERR '%s'", text));
  }

 private:
  enum class State { kIdle, kConnecting, kWaitInfo, kTlsHandshake, kWaitPong };

  void ContinueTls() {
    bool want_write = false;
    int r = ContinueHandshake(ssl_, &want_write);
    if (r < 0) {
      Finish(Outcome::kTlsError, absl::StrFormat("handshake: %s", TlsError()));
      return;
    }
    if (want_write != watching_out_) {
      loop_->Modify(fd_, want_write ? EPOLLOUT : EPOLLIN, this);
      watching_out_ = want_write;
    }
    if (r == 0) return;
    in_.clear();
    state_ = State::kWaitPong;
    SendConnect();
  }

  void SendConnect() {
    const std::vector<std::string>& frames = bad_ ? shared_->bad_frames : shared_->good_frames;
    const std::string& connect = frames[index_ % frames.size()];
    std::string out;
    out.reserve(connect.size() + 6);
    out.append(connect);
    out.append("PING\r\n");
    Send(out);
  }

  void Send(std::string_view data) {
    // A fresh socket's send buffer (and a fresh TLS session) always takes a handshake's few
    // hundred bytes at once.
    ssize_t n = WriteSome(fd_, ssl_, data.data(), data.size());
    if (n != static_cast<ssize_t>(data.size())) {
      Finish(Outcome::kClosed, n < 0 ? std::strerror(errno) : "short write");
    }
  }

  void Finish(Outcome outcome, std::string detail) {
    if (state_ == State::kIdle && fd_ < 0 && outcome != Outcome::kConnectFailed) return;
    int64_t now = NowNs();
    stats_->outcomes[static_cast<int>(outcome)]++;
    if (outcome == Outcome::kOk) stats_->ok_latency.Record(now - start_ns_);
    if (outcome == Outcome::kRejected) stats_->rejected_latency.Record(now - start_ns_);
    if (outcome != Outcome::kOk && outcome != Outcome::kRejected &&
        stats_->error_texts.size() < 16) {
      stats_->error_texts[absl::StrFormat("%s %s", kOutcomeNames[static_cast<int>(outcome)],
                                          detail)]++;
    }
    if (fd_ >= 0) {
      if (outcome == Outcome::kOk && shared_->options->keep_open) {
        auto conn = std::make_unique<OpenConn>(fd_, ssl_, in_);
        ssl_ = nullptr;
        loop_->Modify(fd_, EPOLLIN, conn.get());
        kept_->push_back(std::move(conn));
      } else {
        SSL_free(ssl_);
        ssl_ = nullptr;
        ::close(fd_);  // also leaves the epoll set
      }
      fd_ = -1;
    }
    in_.clear();
    state_ = State::kIdle;
    shared_->Finished(now);
  }

  Shared* shared_;
  Stats* stats_;
  EventLoop* loop_;
  std::vector<std::unique_ptr<OpenConn>>* kept_;
  State state_ = State::kIdle;
  int fd_ = -1;
  SSL* ssl_ = nullptr;
  bool watching_out_ = false;  // epoll waits for writability (TLS handshake)
  uint64_t index_ = 0;
  bool bad_ = false;
  int64_t start_ns_ = 0;
  int64_t deadline_ns_ = 0;
  std::string in_;
};

struct Worker {
  EventLoop loop;
  Stats stats;
  std::vector<std::unique_ptr<Slot>> slots;
  std::vector<std::unique_ptr<OpenConn>> kept;

  void Run(Shared& shared) {
    if (shared.options->connector_nice != 0 &&
        setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), shared.options->connector_nice) !=
            0) {
      std::fprintf(stderr, "connect: could not set niceness %d: %s\n",
                   shared.options->connector_nice, std::strerror(errno));
    }
    shared.start.wait(false);
    int64_t next_scan = NowNs() + kTimeoutScanNs;
    bool past_deadline = false;
    while (!shared.stop.load()) {
      // New handshakes start only here, between polls, so no event from a slot's previous
      // socket can reach it after it moved on to a new one.
      bool busy = false;
      const bool may_start = NowNs() < shared.start_deadline_ns.load();
      if (!may_start && !past_deadline) {
        past_deadline = true;
        shared.threads_past_deadline.fetch_add(1);
      }
      for (auto& slot : slots) {
        if (slot->idle() && may_start) {
          uint64_t index = shared.next.load();
          while (index < shared.total && !shared.next.compare_exchange_weak(index, index + 1)) {
          }
          if (index < shared.total) slot->Start(index);
        }
        busy |= !slot->idle();
      }
      int64_t now = NowNs();
      if (now >= next_scan) {
        for (auto& slot : slots) slot->CheckTimeout(now);
        next_scan = now + kTimeoutScanNs;
      }
      loop.Poll(busy ? kTimeoutScanNs : kIdlePollNs);
    }
  }
};

// The CONNECT frames for each credential, and the same with a wrong password or token.
void BuildFrames(const std::vector<Credentials>& users, Shared& shared) {
  for (size_t i = 0; i < users.size(); ++i) {
    std::string name = absl::StrFormat("bench-conn-%d", i);
    shared.good_frames.push_back(ConnectFrame(users[i], name));
    Credentials wrong = users[i];
    if (!wrong.token.empty()) wrong.token += "-wrong";
    if (!wrong.user.empty() || !wrong.pass.empty()) wrong.pass += "-wrong";
    shared.bad_frames.push_back(ConnectFrame(wrong, name));
  }
}

// The connectors of one run and their threads.
class ConnectorPool {
 public:
  ConnectorPool(const Options& options, uint64_t total, const std::vector<Credentials>& users)
      : options_(options) {
    shared_.options = &options_;
    shared_.total = total;
    BuildFrames(users, shared_);
    int threads = std::min(options_.threads, options_.concurrency);
    for (int i = 0; i < threads; ++i) workers_.push_back(std::make_unique<Worker>());
    for (int i = 0; i < options_.concurrency; ++i) {
      Worker& w = *workers_[static_cast<size_t>(i % threads)];
      w.slots.push_back(std::make_unique<Slot>(&shared_, &w.stats, &w.loop, &w.kept));
    }
  }
  ~ConnectorPool() { JoinThreads(); }
  ConnectorPool(const ConnectorPool&) = delete;
  ConnectorPool& operator=(const ConnectorPool&) = delete;

  Shared& shared() { return shared_; }

  void Start(int64_t start_deadline_ns) {
    shared_.start_deadline_ns.store(start_deadline_ns);
    for (auto& w : workers_) {
      handles_.emplace_back([this, worker = w.get()] { worker->Run(shared_); });
    }
    shared_.start.store(true);
    shared_.start.notify_all();
  }

  // Waits until every attempt that may start has finished, at most `bound_s`; false on
  // giving up. Attempts stop starting at the deadline given to Start().
  bool WaitFinished(double bound_s) {
    const int64_t give_up = NowNs() + static_cast<int64_t>(bound_s * kNsPerSec);
    std::unique_lock<std::mutex> lock(shared_.mu);
    while (true) {
      const uint64_t finished = shared_.finished.load();
      if (finished >= shared_.total) return true;
      const int64_t now = NowNs();
      // Every thread is past the start deadline (so claims no more attempts) and every
      // claimed attempt finished: nothing more will come.
      if (shared_.threads_past_deadline.load() == static_cast<int>(handles_.size()) &&
          finished >= std::min(shared_.next.load(), shared_.total)) {
        return true;
      }
      if (now >= give_up) return false;
      shared_.cv.wait_for(lock, std::chrono::nanoseconds(kTimeoutScanNs));
    }
  }

  void JoinThreads() {
    shared_.stop.store(true);
    for (auto& w : workers_) w->loop.Wake();
    for (auto& t : handles_) t.join();
    handles_.clear();
  }

  // After JoinThreads(): every outcome, and how many kept connections are still open.
  Stats MergedStats(uint64_t* still_open) const {
    Stats stats;
    *still_open = 0;
    for (const auto& w : workers_) {
      stats.Merge(w->stats);
      for (const auto& c : w->kept) *still_open += c->closed() ? 0 : 1;
    }
    return stats;
  }

  // Closes every kept connection.
  void CloseAll() { workers_.clear(); }

 private:
  Options options_;
  Shared shared_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<std::thread> handles_;
};

absl::StatusOr<std::vector<Credentials>> UsersFor(const Options& o) {
  if (o.users_file.empty()) return std::vector<Credentials>{o.credentials};
  return ReadUsersFile(o.users_file);
}

struct OutcomeTotals {
  uint64_t attempts = 0;
  uint64_t ok = 0;
  uint64_t rejected = 0;
  uint64_t failures = 0;
};

OutcomeTotals Totals(const Stats& stats) {
  OutcomeTotals t;
  for (uint64_t n : stats.outcomes) t.attempts += n;
  t.ok = stats.outcomes[static_cast<int>(Outcome::kOk)];
  t.rejected = stats.outcomes[static_cast<int>(Outcome::kRejected)];
  t.failures = t.attempts - t.ok - t.rejected;
  return t;
}

double Us(int64_t ns) {
  return static_cast<double>(ns) / 1000.0;
}

}  // namespace

absl::StatusOr<Report> RunConnectScenario(const Options& options) {
  bool idle = options.scenario == Scenario::kIdle;
  Options o = options;
  if (idle) o.keep_open = true;
  // --duration bounds a connect run by time (attempts stop starting when it ends); without
  // it the run makes --conns attempts (default 1,000, idle 10,000).
  const bool timed = o.duration_given && !idle;
  uint64_t total = o.conns > 0 ? o.conns : (idle ? 10000 : 1000);
  if (timed && o.conns == 0) total = std::numeric_limits<uint64_t>::max();

  absl::StatusOr<std::vector<Credentials>> users = UsersFor(o);
  if (!users.ok()) return users.status();

  uint64_t fd_limit = RaiseFdLimit();
  if (o.keep_open && total + 64 > fd_limit) {
    return absl::ResourceExhaustedError(absl::StrFormat(
        "%d open connections need more file descriptors than the limit (%d)", total, fd_limit));
  }

  uint64_t primed = 0;
  if (o.prime) {
    // One accepted handshake per credential before the clock starts: the measured run is
    // then a reconnect storm of clients the broker has verified before.
    Options prime = o;
    prime.keep_open = false;
    prime.bad_pass_rate = 0;
    ConnectorPool prime_pool(prime, users->size(), *users);
    prime_pool.Start(std::numeric_limits<int64_t>::max());
    const bool done = prime_pool.WaitFinished(
        std::min(3600.0, o.connect_timeout_s * static_cast<double>(users->size()) + 10));
    prime_pool.JoinThreads();
    uint64_t unused = 0;
    const OutcomeTotals t = Totals(prime_pool.MergedStats(&unused));
    if (!done || t.ok != users->size()) {
      return absl::UnavailableError(absl::StrFormat(
          "--prime: %d of %d credentials were accepted", t.ok, users->size()));
    }
    primed = t.ok;
  }

  ConnectorPool pool(o, total, *users);
  std::optional<int64_t> rss_before;
  if (o.server_pid > 0) rss_before = ReadRssKb(o.server_pid);
  CpuSample cpu_start = SampleCpu(o.server_pid);
  const int64_t deadline = timed ? cpu_start.wall_ns + static_cast<int64_t>(o.duration_s * kNsPerSec)
                                 : std::numeric_limits<int64_t>::max();
  pool.Start(deadline);

  // Every attempt ends within --timeout of its start, so this bound is generous.
  double bound_s = timed ? o.duration_s + o.connect_timeout_s + 10
                         : o.connect_timeout_s * (1.0 + static_cast<double>(total) /
                                                            static_cast<double>(o.concurrency)) +
                               10;
  bound_s = std::min(bound_s, 3600.0);
  const bool finished = pool.WaitFinished(bound_s);
  CpuSample cpu_end = SampleCpu(o.server_pid);
  const int64_t last_finish = pool.shared().last_finish_ns.load();
  const int64_t end_ns = last_finish > 0 ? last_finish : cpu_end.wall_ns;

  std::optional<int64_t> rss_after;
  std::optional<CpuSample> settle_start;
  std::optional<CpuSample> settle_end;
  if (o.keep_open) {
    // Let the broker finish per-connection work (e.g. its first PING ~2 s after CONNECT)
    // before looking at its memory; the worker threads keep answering PINGs meanwhile.
    settle_start = SampleCpu(o.server_pid);
    std::this_thread::sleep_for(std::chrono::duration<double>(o.settle_s));
    settle_end = SampleCpu(o.server_pid);
    if (o.server_pid > 0) rss_after = ReadRssKb(o.server_pid);
    if (o.hold_s > 0) std::this_thread::sleep_for(std::chrono::duration<double>(o.hold_s));
  }
  pool.JoinThreads();
  uint64_t still_open = 0;
  const Stats stats = pool.MergedStats(&still_open);
  pool.CloseAll();
  const OutcomeTotals t = Totals(stats);

  double elapsed_s = static_cast<double>(end_ns - cpu_start.wall_ns) / kNsPerSec;
  Report report;
  AddHeader(options, report);
  if (timed) {
    report.Set("duration_s", o.duration_s, "s");
  } else {
    report.Set("conns", static_cast<int64_t>(total));
  }
  report.Set("concurrency", static_cast<int64_t>(o.concurrency));
  if (!o.users_file.empty()) report.Set("distinct_users", static_cast<int64_t>(users->size()));
  if (o.prime) report.Set("primed", static_cast<int64_t>(primed));
  if (o.bad_pass_rate > 0) report.Set("bad_pass_rate", o.bad_pass_rate);
  report.Set("elapsed_s", elapsed_s, "s");
  report.Set("attempts", static_cast<int64_t>(t.attempts));
  if (elapsed_s > 0) {
    report.Set("connects_per_sec", static_cast<double>(t.attempts) / elapsed_s, "handshakes/s");
  }
  report.Set("connect_p50_us", Us(stats.ok_latency.Quantile(0.50)), "us");
  report.Set("connect_p90_us", Us(stats.ok_latency.Quantile(0.90)), "us");
  report.Set("connect_p99_us", Us(stats.ok_latency.Quantile(0.99)), "us");
  report.Set("connect_max_us", Us(stats.ok_latency.max()), "us");
  if (stats.rejected_latency.count() > 0) {
    report.Set("reject_p50_us", Us(stats.rejected_latency.Quantile(0.50)), "us");
    report.Set("reject_p99_us", Us(stats.rejected_latency.Quantile(0.99)), "us");
  }
  for (int i = 0; i < kOutcomeCount; ++i) {
    report.Set(kOutcomeNames[i], static_cast<int64_t>(stats.outcomes[i]));
  }
  // A credential used twice in one run may be answered from the broker's cache: say so, as
  // it changes what a bcrypt run measures.
  if (!o.users_file.empty()) {
    report.Set("credentials_reused", o.prime || t.attempts > users->size());
  }
  bool all_ok = finished && t.failures == 0 && (timed || t.attempts == total) && t.attempts > 0;
  if (o.keep_open) {
    report.Set("open_at_end", static_cast<int64_t>(still_open));
    all_ok = all_ok && still_open == t.ok;
  }
  report.Set("ok", all_ok);
  AddCpu(cpu_start, cpu_end, t.attempts, "connection", report);
  if (rss_before && rss_after && t.ok > 0) {
    report.Set("rss_before_kb", *rss_before, "KiB");
    report.Set("rss_after_kb", *rss_after, "KiB");
    report.Set("rss_kb_per_10k_conns",
               static_cast<double>(*rss_after - *rss_before) * 10000.0 / static_cast<double>(t.ok),
               "KiB (growth per 10,000 open connections)");
  }
  if (settle_start && settle_end && settle_start->server_ns && settle_end->server_ns) {
    double wall = static_cast<double>(settle_end->wall_ns - settle_start->wall_ns);
    if (wall > 0) {
      report.Set(
          "idle_server_cpu_pct",
          100.0 * static_cast<double>(*settle_end->server_ns - *settle_start->server_ns) / wall,
          "% of one core while the connections sat idle");
    }
  }
  if (!finished) report.AddNote("gave up waiting for all handshakes to finish");
  for (const auto& [text, n] : stats.error_texts) {
    report.AddNote(absl::StrFormat("%d x %s", n, text));
  }
  return report;
}

struct ConnectStorm::State {
  explicit State(const Options& options, const std::vector<Credentials>& users)
      : pool(options, std::numeric_limits<uint64_t>::max(), users) {}
  ConnectorPool pool;
  int64_t start_ns = 0;
};

absl::StatusOr<std::unique_ptr<ConnectStorm>> ConnectStorm::Start(
    const Options& options, const std::vector<Credentials>& users) {
  auto storm = std::unique_ptr<ConnectStorm>(new ConnectStorm);
  storm->state_ = std::make_unique<State>(options, users);
  storm->state_->start_ns = NowNs();
  storm->state_->pool.Start(std::numeric_limits<int64_t>::max());
  return storm;
}

ConnectStorm::ConnectStorm() = default;

ConnectStorm::~ConnectStorm() {
  if (state_ != nullptr) state_->pool.JoinThreads();
}

uint64_t ConnectStorm::finished() const {
  return state_->pool.shared().finished.load();
}

ConnectStorm::Summary ConnectStorm::Stop() {
  Shared& shared = state_->pool.shared();
  const int64_t stop_ns = NowNs();
  // Handshakes still in flight are abandoned: the storm only has to last as long as the
  // measurement beside it.
  state_->pool.JoinThreads();
  uint64_t still_open = 0;
  const Stats stats = state_->pool.MergedStats(&still_open);
  const OutcomeTotals t = Totals(stats);
  Summary summary;
  summary.attempts = t.attempts;
  summary.ok = t.ok;
  summary.failures = t.failures;
  const int64_t last = shared.last_finish_ns.load();
  summary.elapsed_s = static_cast<double>((last > 0 ? last : stop_ns) - state_->start_ns) /
                      static_cast<double>(kNsPerSec);
  summary.connect_p50_us = Us(stats.ok_latency.Quantile(0.50));
  summary.connect_p99_us = Us(stats.ok_latency.Quantile(0.99));
  for (const auto& [text, n] : stats.error_texts) {
    summary.notes.push_back(absl::StrFormat("storm: %d x %s", n, text));
  }
  return summary;
}

}  // namespace ringnats::load
