#include "reqrep_scenario.h"

#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <condition_variable>
#include <limits>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "clock.h"
#include "event_loop.h"
#include "histogram.h"
#include "nats_conn.h"
#include "protocol.h"
#include "scenario_common.h"
#include "socket.h"

namespace ringnats::load {
namespace {

constexpr std::string_view kRequestSubject = "bench.rr";
// Requester r's replies come to `_INBOX.rb.<r>.<request index>`.
constexpr std::string_view kInboxRoot = "_INBOX.rb.";
constexpr size_t kReadCapacity = 256 * 1024;
constexpr double kSetupTimeoutS = 30;
constexpr int64_t kIdlePollNs = 100 * kNsPerMs;

struct Shared {
  // Progress, for the stall check.
  std::atomic<uint64_t> requests{0};
  std::atomic<uint64_t> replies{0};
  std::atomic<int> requesters_sending{0};  // requesters not done yet
  std::atomic<bool> start{false};
  std::atomic<bool> stop{false};
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;                // guarded by mu
  std::vector<std::string> errors;  // guarded by mu

  void AddError(std::string error) {
    std::lock_guard<std::mutex> lock(mu);
    if (errors.size() < 20) errors.push_back(std::move(error));
    cv.notify_all();
  }
  void SetDone() {
    std::lock_guard<std::mutex> lock(mu);
    done = true;
    cv.notify_all();
  }
};

// Flushes `conn` and keeps the epoll interest in EPOLLOUT in step with a blocked socket.
class Endpoint : public IoHandler {
 public:
  Endpoint(Link link, std::string_view leftover, Shared* shared, std::string name)
      : conn_(link.fd, link.ssl, kReadCapacity, leftover),
        shared_(shared),
        name_(std::move(name)) {}

  void Attach(EventLoop* loop) {
    loop_ = loop;
    loop_->Add(conn_.fd(), EPOLLIN, this);
  }

 protected:
  ~Endpoint() = default;

  void FlushAndWatch() {
    IoResult r = conn_.Flush();
    if (r == IoResult::kClosed) {
      Fail(conn_.error());
      return;
    }
    bool want_out = r == IoResult::kBlocked;
    if (want_out != watching_out_) {
      loop_->Modify(conn_.fd(), want_out ? (EPOLLIN | EPOLLOUT) : EPOLLIN, this);
      watching_out_ = want_out;
    }
  }

  void Fail(const std::string& error) {
    if (failed_) return;
    failed_ = true;
    shared_->AddError(absl::StrFormat("%s: %s", name_, error));
  }

  NatsConn conn_;
  Shared* shared_;
  EventLoop* loop_ = nullptr;
  std::string name_;
  bool watching_out_ = false;
  bool failed_ = false;
};

class Responder final : public Endpoint {
 public:
  Responder(Link link, std::string_view leftover, Shared* shared, size_t size)
      : Endpoint(link, leftover, shared, "responder"), payload_(size, 'r') {}

  void OnIo(uint32_t events) override {
    if (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
      if (conn_.Receive(*this, 8) == IoResult::kClosed) {
        Fail(conn_.error());
        return;
      }
    }
    if (conn_.pending() > 0 || watching_out_) FlushAndWatch();
  }

  bool Stopped() const { return false; }
  void OnMsg(const MsgView& m) {
    if (!m.reply.empty()) AppendPub(conn_.out(), m.reply, "", payload_);
  }
  void OnPong() {}
  void OnErr(std::string_view text) { Fail(absl::StrFormat("-ERR '%s'", text)); }

 private:
  std::string payload_;
};

class Requester final : public Endpoint {
 public:
  Requester(Link link, std::string_view leftover, Shared* shared, int index, size_t size,
            double rate, uint64_t quota)
      : Endpoint(link, leftover, shared, absl::StrFormat("requester %d", index)),
        inbox_prefix_(InboxPrefix(index)),
        payload_(size, 'q'),
        quota_(quota),
        period_ns_(rate > 0 ? static_cast<int64_t>(kNsPerSec / rate) : 0) {}

  static std::string InboxPrefix(int index) { return absl::StrFormat("%s%d.", kInboxRoot, index); }

  void Begin(int64_t start_ns, int64_t deadline_ns) {
    start_ns_ = start_ns;
    deadline_ns_ = deadline_ns;
  }

  bool fixed_rate() const { return period_ns_ > 0; }
  uint64_t sent() const { return next_; }
  uint64_t received() const { return received_; }
  uint64_t unexpected() const { return unexpected_; }
  int64_t last_reply_ns() const { return last_reply_ns_; }
  const LatencyHistogram& histogram() const { return histogram_; }

  // Sends what is due; returns the time until the next send is due (negative: none planned).
  int64_t Pump(int64_t now) {
    if (failed_ || sending_done_) return -1;
    if (!fixed_rate()) {
      if (received_ < next_) return -1;  // the one request is still out
      if (now >= deadline_ns_ || next_ >= quota_) return FinishSending();
      in_flight_sent_ns_ = now;
      AppendRequest(next_++);
      FlushAndWatch();
      return -1;
    }
    while (true) {
      int64_t due = start_ns_ + static_cast<int64_t>(next_) * period_ns_;
      if (due >= deadline_ns_ || next_ >= quota_) {
        FlushAndWatch();
        return FinishSending();
      }
      if (due > now) {
        FlushAndWatch();
        return due - now;
      }
      AppendRequest(next_++);
    }
  }

  void OnIo(uint32_t events) override {
    if (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
      if (conn_.Receive(*this, 8) == IoResult::kClosed) {
        Fail(conn_.error());
        shared_->SetDone();
        return;
      }
      if (!fixed_rate()) Pump(NowNs());
      MaybeDone();
    }
    if (conn_.pending() > 0 || watching_out_) FlushAndWatch();
  }

  bool Stopped() const { return false; }
  void OnMsg(const MsgView& m) {
    int64_t now = NowNs();
    uint64_t index = 0;
    std::string_view tail = m.subject.substr(std::min(m.subject.size(), inbox_prefix_.size()));
    auto [ptr, ec] = std::from_chars(tail.data(), tail.data() + tail.size(), index);
    if (m.subject.substr(0, inbox_prefix_.size()) != inbox_prefix_ || ec != std::errc() ||
        ptr != tail.data() + tail.size() || index >= next_) {
      ++unexpected_;
      return;
    }
    int64_t from =
        fixed_rate() ? start_ns_ + static_cast<int64_t>(index) * period_ns_ : in_flight_sent_ns_;
    histogram_.Record(now - from);
    ++received_;
    shared_->replies.fetch_add(1, std::memory_order_relaxed);
    last_reply_ns_ = now;
  }
  void OnPong() {}
  void OnErr(std::string_view text) { Fail(absl::StrFormat("-ERR '%s'", text)); }

 private:
  void AppendRequest(uint64_t index) {
    shared_->requests.fetch_add(1, std::memory_order_relaxed);
    char digits[20];
    char* end = WriteDecimal(digits, index);
    std::string reply(inbox_prefix_);
    reply.append(digits, end);
    AppendPubHeader(conn_.out(), kRequestSubject, reply, payload_.size());
    conn_.out().append(payload_);
    conn_.out().append("\r\n");
  }

  int64_t FinishSending() {
    sending_done_ = true;
    MaybeDone();
    return -1;
  }

  void MaybeDone() {
    if (sending_done_ && received_ >= next_ && !reported_done_) {
      reported_done_ = true;
      if (shared_->requesters_sending.fetch_sub(1) == 1) shared_->SetDone();
    }
  }

  const std::string inbox_prefix_;
  std::string payload_;
  uint64_t quota_;
  int64_t period_ns_;
  int64_t start_ns_ = 0;
  int64_t deadline_ns_ = 0;
  uint64_t next_ = 0;
  uint64_t received_ = 0;
  uint64_t unexpected_ = 0;
  int64_t in_flight_sent_ns_ = 0;
  int64_t last_reply_ns_ = 0;
  bool sending_done_ = false;
  bool reported_done_ = false;
  LatencyHistogram histogram_;
};

void RunLoop(EventLoop& loop, Shared& shared, const std::vector<Requester*>& requesters) {
  shared.start.wait(false);
  while (!shared.stop.load()) {
    int64_t timeout = kIdlePollNs;
    const int64_t now = NowNs();
    for (Requester* requester : requesters) {
      int64_t wait = requester->Pump(now);
      if (wait >= 0) timeout = std::min(timeout, wait);
    }
    loop.Poll(timeout);
  }
}

}  // namespace

absl::StatusOr<Report> RunReqRepScenario(const Options& options,
                                         const std::function<absl::Status()>& before_clock) {
  Shared shared;
  std::string setup;
  AppendSub(setup, kRequestSubject, "", "1");
  std::string leftover;
  absl::StatusOr<Link> responder_link =
      ConnectForRun(options, "bench-responder", setup, kSetupTimeoutS, &leftover);
  if (!responder_link.ok()) return responder_link.status();
  Responder responder(*responder_link, leftover, &shared, options.size);

  // Each requester has its own connection; with one, --rate is its own rate, with N each
  // sends rate/N (staggered by the fixed schedule's own start, not synchronised).
  const int requester_count = std::max(1, options.requesters);
  uint64_t quota = options.msgs > 0 ? options.msgs : std::numeric_limits<uint64_t>::max();
  const double rate_each = options.rate / requester_count;
  std::vector<std::unique_ptr<Requester>> requesters;
  for (int r = 0; r < requester_count; ++r) {
    setup.clear();
    leftover.clear();
    AppendSub(setup, Requester::InboxPrefix(r) + "*", "", "1");
    absl::StatusOr<Link> requester_link = ConnectForRun(
        options, absl::StrFormat("bench-requester-%d", r), setup, kSetupTimeoutS, &leftover);
    if (!requester_link.ok()) return requester_link.status();
    const uint64_t share =
        quota == std::numeric_limits<uint64_t>::max()
            ? quota
            : quota / requester_count + (r < static_cast<int>(quota % requester_count));
    requesters.push_back(std::make_unique<Requester>(*requester_link, leftover, &shared, r,
                                                     options.size, rate_each, share));
  }
  shared.requesters_sending.store(requester_count);

  // The responder on a thread of its own when there are two or more; the requesters spread
  // over the rest.
  const int requester_threads = std::max(1, options.threads - 1);
  std::vector<std::unique_ptr<EventLoop>> requester_loops;
  std::vector<std::vector<Requester*>> requesters_of_loop(requester_threads);
  for (int t = 0; t < requester_threads; ++t)
    requester_loops.push_back(std::make_unique<EventLoop>());
  for (int r = 0; r < requester_count; ++r) {
    const int t = r % requester_threads;
    requesters[r]->Attach(requester_loops[t].get());
    requesters_of_loop[t].push_back(requesters[r].get());
  }
  std::unique_ptr<EventLoop> responder_loop_owned;
  EventLoop* responder_loop = requester_loops[0].get();
  if (options.threads > 1) {
    responder_loop_owned = std::make_unique<EventLoop>();
    responder_loop = responder_loop_owned.get();
  }
  responder.Attach(responder_loop);

  if (before_clock) {
    if (absl::Status s = before_clock(); !s.ok()) return s;
  }
  std::vector<std::thread> threads;
  for (int t = 0; t < requester_threads; ++t) {
    threads.emplace_back([&, t] { RunLoop(*requester_loops[t], shared, requesters_of_loop[t]); });
  }
  if (responder_loop_owned) {
    threads.emplace_back([&] { RunLoop(*responder_loop, shared, {}); });
  }

  CpuSample cpu_start = SampleCpu(options.server_pid);
  int64_t deadline = options.msgs > 0
                         ? std::numeric_limits<int64_t>::max()
                         : cpu_start.wall_ns + static_cast<int64_t>(options.duration_s * kNsPerSec);
  for (auto& requester : requesters) requester->Begin(cpu_start.wall_ns, deadline);
  shared.start.store(true);
  shared.start.notify_all();

  // Wait until every reply is in; give up when an owed reply is --drain-timeout late.
  bool timed_out = false;
  {
    std::unique_lock<std::mutex> lock(shared.mu);
    int64_t drain_ns = static_cast<int64_t>(options.drain_timeout_s * kNsPerSec);
    uint64_t last_replies = 0;
    int64_t last_progress_ns = NowNs();
    while (!shared.done && shared.errors.empty()) {
      shared.cv.wait_for(lock, std::chrono::nanoseconds(kIdlePollNs));
      int64_t now = NowNs();
      uint64_t replies = shared.replies.load(std::memory_order_relaxed);
      // Only a reply that is owed and late counts as a stall (a slow --rate is not one).
      if (replies != last_replies || replies == shared.requests.load(std::memory_order_relaxed)) {
        last_replies = replies;
        last_progress_ns = now;
      } else if (now - last_progress_ns > drain_ns) {
        timed_out = true;
        break;
      }
    }
  }
  CpuSample cpu_end = SampleCpu(options.server_pid);
  shared.stop.store(true);
  for (auto& loop : requester_loops) loop->Wake();
  responder_loop->Wake();
  for (auto& t : threads) t.join();

  LatencyHistogram h;
  int64_t last_reply_ns = 0;
  uint64_t sent = 0;
  uint64_t received = 0;
  uint64_t unexpected = 0;
  for (const auto& requester : requesters) {
    h.Merge(requester->histogram());
    last_reply_ns = std::max(last_reply_ns, requester->last_reply_ns());
    sent += requester->sent();
    received += requester->received();
    unexpected += requester->unexpected();
  }
  const bool fixed_rate = requesters.front()->fixed_rate();
  int64_t end_ns = last_reply_ns > 0 ? last_reply_ns : cpu_end.wall_ns;
  double elapsed_s = static_cast<double>(end_ns - cpu_start.wall_ns) / kNsPerSec;
  uint64_t missing = sent - std::min(sent, received);

  Report report;
  AddHeader(options, report);
  report.Set("mode", std::string(fixed_rate ? "fixed-rate" : "closed-loop"));
  if (fixed_rate) report.Set("target_rate", options.rate, "req/s");
  report.Set("requesters", static_cast<int64_t>(requester_count));
  report.Set("size", static_cast<int64_t>(options.size), "bytes");
  report.Set("elapsed_s", elapsed_s, "s");
  report.Set("requests", static_cast<int64_t>(sent));
  report.Set("replies", static_cast<int64_t>(received));
  if (elapsed_s > 0) {
    report.Set("reqs_per_sec", static_cast<double>(received) / elapsed_s, "req/s");
  }
  auto us = [](int64_t ns) { return static_cast<double>(ns) / 1000.0; };
  report.Set("lat_p50_us", us(h.Quantile(0.50)), "us");
  report.Set("lat_p90_us", us(h.Quantile(0.90)), "us");
  report.Set("lat_p99_us", us(h.Quantile(0.99)), "us");
  report.Set("lat_p999_us", us(h.Quantile(0.999)), "us");
  report.Set("lat_max_us", us(h.max()), "us");
  report.Set("lat_mean_us", h.Mean() / 1000.0, "us");
  report.Set("missing", static_cast<int64_t>(missing));
  report.Set("unexpected", static_cast<int64_t>(unexpected));
  std::vector<std::string> errors;
  {
    std::lock_guard<std::mutex> lock(shared.mu);
    errors = shared.errors;
  }
  report.Set("errors", static_cast<int64_t>(errors.size()));
  report.Set("ok", !timed_out && missing == 0 && unexpected == 0 && errors.empty());
  AddCpu(cpu_start, cpu_end, received, "request", report);
  if (timed_out) report.AddNote("no reply for --drain-timeout, gave up");
  for (const std::string& e : errors) report.AddNote(e);
  return report;
}

}  // namespace ringnats::load
