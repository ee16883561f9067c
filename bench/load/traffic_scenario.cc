#include "traffic_scenario.h"

#include <sys/epoll.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <condition_variable>
#include <cstring>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "clock.h"
#include "event_loop.h"
#include "nats_conn.h"
#include "proc_stats.h"
#include "protocol.h"
#include "scenario_common.h"
#include "socket.h"

namespace ringnats::load {
namespace {

// Publishers write batches of about this many bytes per send().
constexpr size_t kPublishBatchBytes = 64 * 1024;
// Delivered-but-unread bytes allowed in flight, summed over subscribers. It bounds every
// subscriber's backlog in the broker well below nats-server's slow-consumer limit (64 MiB)
// and its fast-producer stall (half of that), so a run measures capacity, not disconnects.
constexpr size_t kWindowBytes = 16 << 20;
// Rough per-message protocol overhead (MSG line) used to turn the byte window into messages.
constexpr size_t kFrameOverhead = 40;
constexpr size_t kSubReadCapacity = 256 * 1024;
// Past a thousand subscriber connections, a smaller first read buffer (it grows for a larger
// frame): ten thousand 256 KiB buffers would be 2.5 GiB of the load generator's memory.
constexpr size_t kManySubReadCapacity = 32 * 1024;
constexpr int kManySubConns = 1000;
constexpr size_t kPubReadCapacity = 16 * 1024;
constexpr double kSetupTimeoutS = 30;
// Payloads of at least this size carry (publisher << kSeqBits | sequence) in their first
// bytes, which lets subscribers check order and queue members check exactly-once delivery.
constexpr size_t kIdBytes = 8;
constexpr int kSeqBits = 48;
constexpr int64_t kProgressPollNs = 100 * kNsPerMs;

// Who connects and subscribes to what.
struct Plan {
  int pubs = 1;
  int sub_conns = 0;        // connections with the scenario's main subscriptions
  int wildcard_conns = 0;   // many-subjects: connections each holding one `bench.>`
  std::string pub_subject;  // empty: many-subjects spreads over `bench.<i>.x`
  int subjects = 0;
  bool literal_subjects = false;
  bool queue = false;
  uint64_t deliveries_per_msg = 0;
  bool check_ids = false;
};

Plan MakePlan(const Options& o) {
  Plan p;
  p.check_ids = o.size >= kIdBytes;
  switch (o.scenario) {
    case Scenario::kPub:
      p.pubs = o.pubs > 0 ? o.pubs : 1;
      p.pub_subject = "bench.pub";
      break;
    case Scenario::kPubSub:
      p.pubs = o.pubs > 0 ? o.pubs : 1;
      p.sub_conns = o.subs > 0 ? o.subs : 1;
      p.pub_subject = "bench.pubsub";
      p.deliveries_per_msg = static_cast<uint64_t>(p.sub_conns);
      break;
    case Scenario::kFanout:
      p.pubs = o.pubs > 0 ? o.pubs : 1;
      p.sub_conns = o.subs > 0 ? o.subs : 8;
      p.pub_subject = "bench.fanout";
      p.deliveries_per_msg = static_cast<uint64_t>(p.sub_conns);
      break;
    case Scenario::kQueue:
      p.pubs = o.pubs > 0 ? o.pubs : 1;
      p.sub_conns = o.subs > 0 ? o.subs : 4;
      p.pub_subject = "bench.queue";
      p.queue = true;
      p.deliveries_per_msg = 1;
      break;
    case Scenario::kManySubjects:
      p.pubs = o.pubs > 0 ? o.pubs : 1;
      p.sub_conns = o.subs > 0 ? o.subs : 4;
      p.wildcard_conns = o.wildcard_subs;
      p.subjects = o.subjects;
      p.literal_subjects = o.literal_subjects;
      p.deliveries_per_msg = 1 + static_cast<uint64_t>(p.wildcard_conns);
      break;
    default: break;
  }
  return p;
}

// State shared by all threads of one run.
struct Shared {
  Plan plan;
  size_t size = 0;
  uint64_t window = 0;  // outstanding deliveries allowed
  int64_t deadline_ns = std::numeric_limits<int64_t>::max();

  std::atomic<uint64_t> sent{0};
  std::atomic<uint64_t> received{0};
  std::atomic<int> pubs_done{0};
  std::atomic<bool> start{false};
  std::atomic<bool> stop{false};
  std::atomic<bool> waiters{false};  // a publisher sleeps until the window half-drains
  std::atomic<int64_t> last_pub_done_ns{0};
  std::atomic<int64_t> last_delivery_ns{0};
  std::vector<EventLoop*> loops;

  std::mutex mu;
  std::condition_variable cv;
  bool complete = false;            // guarded by mu
  int64_t complete_ns = 0;          // guarded by mu
  std::vector<std::string> errors;  // guarded by mu

  uint64_t Outstanding() const {
    uint64_t expected = sent.load() * plan.deliveries_per_msg;
    uint64_t got = received.load();
    return expected > got ? expected - got : 0;
  }

  void AddError(std::string error) {
    std::lock_guard<std::mutex> lock(mu);
    if (errors.size() < 20) errors.push_back(std::move(error));
    cv.notify_all();
  }

  void MaybeComplete(int64_t now) {
    if (pubs_done.load() != plan.pubs) return;
    if (received.load() < sent.load() * plan.deliveries_per_msg) return;
    std::lock_guard<std::mutex> lock(mu);
    if (!complete) {
      complete = true;
      complete_ns = plan.deliveries_per_msg == 0 ? last_pub_done_ns.load() : now;
      cv.notify_all();
    }
  }

  void OnDelivered(uint64_t n, int64_t now) {
    received.fetch_add(n);
    int64_t prev = last_delivery_ns.load(std::memory_order_relaxed);
    while (prev < now && !last_delivery_ns.compare_exchange_weak(prev, now)) {
    }
    if (waiters.load() && Outstanding() <= window / 2 && waiters.exchange(false)) {
      for (EventLoop* loop : loops) loop->Wake();
    }
    MaybeComplete(now);
  }
};

class Publisher final : public IoHandler {
 public:
  Publisher(Link link, std::string_view leftover, uint16_t id, uint64_t quota, Shared* shared)
      : conn_(link.fd, link.ssl, kPubReadCapacity, leftover),
        id_(id),
        quota_(quota),
        shared_(shared),
        payload_(shared->size, 'x') {
    if (!shared->plan.pub_subject.empty()) {
      AppendPubHeader(fixed_header_, shared->plan.pub_subject, "", shared->size);
    }
    size_t frame = fixed_header_.size() + shared->size + 2;
    if (fixed_header_.empty()) frame += 32;
    batch_msgs_ = std::max<uint64_t>(1, kPublishBatchBytes / frame);
  }

  void Attach(EventLoop* loop) {
    loop_ = loop;
    loop_->Add(conn_.fd(), EPOLLIN, this);
  }

  bool done() const { return done_; }
  uint64_t seq() const { return seq_; }
  uint16_t id() const { return id_; }

  // Publishes one batch if allowed. Returns true when it could publish more right away;
  // false when it waits for the socket, for subscribers to catch up, or is finished.
  bool Pump(int64_t now) {
    if (done_ || finishing_ || write_blocked_ || conn_.closed()) return false;
    if (now >= shared_->deadline_ns || seq_ >= quota_) {
      Finish();
      return false;
    }
    uint64_t allowed = batch_msgs_;
    uint64_t per_msg = shared_->plan.deliveries_per_msg;
    if (per_msg > 0) {
      uint64_t outstanding = shared_->Outstanding();
      if (outstanding >= shared_->window) {
        shared_->waiters.store(true);
        outstanding = shared_->Outstanding();
        if (outstanding > shared_->window / 2) return false;
      }
      allowed = std::min(allowed, std::max<uint64_t>(1, (shared_->window - outstanding) / per_msg));
    }
    allowed = std::min(allowed, quota_ - seq_);
    std::string& out = conn_.out();
    for (uint64_t i = 0; i < allowed; ++i) AppendFrame(out, ++seq_);
    shared_->sent.fetch_add(allowed);
    return FlushAndWatch();
  }

  void OnIo(uint32_t events) override {
    if ((events & EPOLLOUT) && write_blocked_) {
      write_blocked_ = false;
      FlushAndWatch();
    }
    if (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
      IoResult r = conn_.Receive(*this);
      if (r == IoResult::kClosed) {
        Fail(conn_.error());
        return;
      }
      if (conn_.pending() > 0 && !write_blocked_) FlushAndWatch();
    }
  }

  // Frame sink.
  bool Stopped() const { return false; }
  void OnMsg(const MsgView&) {}
  void OnPong() {
    if (!finishing_ || done_) return;
    done_ = true;
    int64_t now = NowNs();
    int64_t prev = shared_->last_pub_done_ns.load();
    while (prev < now && !shared_->last_pub_done_ns.compare_exchange_weak(prev, now)) {
    }
    shared_->pubs_done.fetch_add(1);
    shared_->MaybeComplete(now);
  }
  void OnErr(std::string_view text) {
    shared_->AddError(absl::StrFormat("publisher %d: -ERR '%s'", id_, text));
  }

 private:
  void AppendFrame(std::string& out, uint64_t seq) {
    if (!fixed_header_.empty()) {
      out.append(fixed_header_);
    } else {
      // many-subjects: consecutive messages go to consecutive subjects.
      char digits[20];
      char* end = WriteDecimal(digits, (seq - 1) % static_cast<uint64_t>(shared_->plan.subjects));
      out.append("PUB bench.");
      out.append(digits, end);
      out.append(".x ");
      end = WriteDecimal(digits, shared_->size);
      out.append(digits, end);
      out.append("\r\n");
    }
    size_t at = out.size();
    out.append(payload_);
    if (payload_.size() >= kIdBytes) {
      uint64_t tag = (static_cast<uint64_t>(id_) << kSeqBits) | seq;
      std::memcpy(out.data() + at, &tag, sizeof(tag));
    }
    out.append("\r\n");
  }

  void Finish() {
    finishing_ = true;
    conn_.out().append("PING\r\n");
    FlushAndWatch();
  }

  bool FlushAndWatch() {
    IoResult r = conn_.Flush();
    if (r == IoResult::kClosed) {
      Fail(conn_.error());
      return false;
    }
    if (r == IoResult::kBlocked) {
      write_blocked_ = true;
      loop_->Modify(conn_.fd(), EPOLLIN | EPOLLOUT, this);
      watching_out_ = true;
      return false;
    }
    if (watching_out_) {
      loop_->Modify(conn_.fd(), EPOLLIN, this);
      watching_out_ = false;
    }
    return true;
  }

  // A dead publisher counts as finished so the run ends (and reports the error).
  void Fail(const std::string& error) {
    if (failed_) return;
    failed_ = true;
    shared_->AddError(absl::StrFormat("publisher %d: %s", id_, error));
    if (!done_) {
      finishing_ = true;
      OnPong();
    }
  }

  NatsConn conn_;
  EventLoop* loop_ = nullptr;
  uint16_t id_;
  uint64_t quota_;
  Shared* shared_;
  std::string payload_;
  std::string fixed_header_;
  uint64_t batch_msgs_ = 1;
  uint64_t seq_ = 0;
  bool write_blocked_ = false;
  bool watching_out_ = false;
  bool finishing_ = false;
  bool done_ = false;
  bool failed_ = false;
};

class Subscriber final : public IoHandler {
 public:
  Subscriber(Link link, std::string_view leftover, int index, Shared* shared, size_t read_capacity)
      : conn_(link.fd, link.ssl, read_capacity, leftover),
        index_(index),
        shared_(shared),
        last_seq_(static_cast<size_t>(shared->plan.pubs), 0) {
    if (shared->plan.queue && shared->plan.check_ids) {
      seen_.resize(static_cast<size_t>(shared->plan.pubs));
    }
  }

  void Attach(EventLoop* loop) {
    loop_ = loop;
    loop_->Add(conn_.fd(), EPOLLIN, this);
  }

  uint64_t received() const { return received_; }
  uint64_t out_of_order() const { return out_of_order_; }
  uint64_t duplicates() const { return duplicates_; }
  // Queue members: bit s of seen()[p] is set when sequence s of publisher p arrived here.
  const std::vector<std::vector<uint64_t>>& seen() const { return seen_; }

  void OnIo(uint32_t events) override {
    if (!(events & (EPOLLIN | EPOLLERR | EPOLLHUP)) || conn_.closed()) return;
    uint64_t before = received_;
    IoResult r = conn_.Receive(*this);
    if (received_ > before) shared_->OnDelivered(received_ - before, NowNs());
    if (r == IoResult::kClosed) {
      // The fd is closed already, which also took it out of the epoll set.
      shared_->AddError(absl::StrFormat("subscriber %d: %s", index_, conn_.error()));
      return;
    }
    if (conn_.pending() > 0) conn_.Flush();  // PONGs to server PINGs; tiny, never blocks long
  }

  // Frame sink.
  bool Stopped() const { return false; }
  void OnMsg(const MsgView& m) {
    ++received_;
    if (!shared_->plan.check_ids || m.payload.size() < kIdBytes) return;
    uint64_t tag;
    std::memcpy(&tag, m.payload.data(), sizeof(tag));
    uint64_t pub = tag >> kSeqBits;
    uint64_t seq = tag & ((uint64_t{1} << kSeqBits) - 1);
    if (pub >= last_seq_.size()) {
      ++out_of_order_;  // not a tag we wrote: count it as an ordering fault
      return;
    }
    uint64_t& last = last_seq_[pub];
    if (!seen_.empty()) {
      // Queue member: a bitmap catches repeats; the order check only looks for going back.
      std::vector<uint64_t>& bits = seen_[pub];
      size_t word = static_cast<size_t>(seq / 64);
      if (word >= bits.size()) bits.resize(std::max(word + 1, bits.size() * 2), 0);
      uint64_t mask = uint64_t{1} << (seq % 64);
      if ((bits[word] & mask) != 0) {
        ++duplicates_;
      } else if (seq < last) {
        ++out_of_order_;
      }
      bits[word] |= mask;
      last = std::max(last, seq);
      return;
    }
    if (seq > last) {
      last = seq;
    } else if (seq == last) {
      ++duplicates_;
    } else {
      ++out_of_order_;
    }
  }
  void OnPong() {}
  void OnErr(std::string_view text) {
    shared_->AddError(absl::StrFormat("subscriber %d: -ERR '%s'", index_, text));
  }

 private:
  NatsConn conn_;
  EventLoop* loop_ = nullptr;
  int index_;
  Shared* shared_;
  std::vector<uint64_t> last_seq_;
  std::vector<std::vector<uint64_t>> seen_;
  uint64_t received_ = 0;
  uint64_t out_of_order_ = 0;
  uint64_t duplicates_ = 0;
};

struct Worker {
  EventLoop loop;
  std::vector<Publisher*> pubs;

  void Run(Shared& shared) {
    shared.start.wait(false);
    while (!shared.stop.load()) {
      int64_t now = NowNs();
      bool more = false;
      bool active = false;
      for (Publisher* p : pubs) {
        more |= p->Pump(now);
        active |= !p->done();
      }
      int64_t timeout = kProgressPollNs;
      if (more) {
        timeout = 0;
      } else if (active && shared.deadline_ns > now) {
        timeout = std::min(timeout, shared.deadline_ns - now);
      }
      loop.Poll(timeout);
    }
  }
};

// Subscription lines for subscriber connection `index`.
std::string SubscriptionsFor(const Plan& plan, int index, uint64_t* count) {
  std::string setup;
  *count = 0;
  if (index >= plan.sub_conns) {
    AppendSub(setup, "bench.>", "", "1");
    *count = 1;
    return setup;
  }
  if (plan.subjects == 0) {
    AppendSub(setup, plan.pub_subject, plan.queue ? "bench_q" : "", "1");
    *count = 1;
    return setup;
  }
  char digits[20];
  for (int i = index; i < plan.subjects; i += plan.sub_conns) {
    char* end = WriteDecimal(digits, static_cast<uint64_t>(i));
    std::string subject = "bench.";
    subject.append(digits, end);
    subject.append(plan.literal_subjects ? ".x" : ".*");
    AppendSub(setup, subject, "", std::string_view(digits, static_cast<size_t>(end - digits)));
    ++*count;
  }
  return setup;
}

}  // namespace

absl::StatusOr<Report> RunTrafficScenario(const Options& options) {
  Shared shared;
  shared.plan = MakePlan(options);
  shared.size = options.size;
  const Plan& plan = shared.plan;
  if (plan.pubs >= (1 << (64 - kSeqBits))) return absl::InvalidArgumentError("too many --pubs");
  shared.window =
      plan.deliveries_per_msg == 0
          ? 0
          : std::clamp<uint64_t>(kWindowBytes / (options.size + kFrameOverhead), 64, 1 << 20);
  // Every delivery of a message counts against the window; never let one message exceed it.
  shared.window = std::max(shared.window, plan.deliveries_per_msg);

  int threads = options.threads;
  std::vector<std::unique_ptr<Worker>> workers;
  for (int i = 0; i < threads; ++i) workers.push_back(std::make_unique<Worker>());
  for (auto& w : workers) shared.loops.push_back(&w->loop);

  // Subscribers first, so that their interest is in place before anyone publishes.
  std::vector<std::unique_ptr<Subscriber>> subs;
  int total_sub_conns = plan.sub_conns + plan.wildcard_conns;
  uint64_t subscriptions = 0;
  int64_t setup_start = NowNs();
  for (int i = 0; i < total_sub_conns; ++i) {
    uint64_t count = 0;
    std::string setup = SubscriptionsFor(plan, i, &count);
    subscriptions += count;
    std::string leftover;
    absl::StatusOr<Link> link = ConnectForRun(options, absl::StrFormat("bench-sub-%d", i), setup,
                                              kSetupTimeoutS, &leftover);
    if (!link.ok()) return link.status();
    subs.push_back(std::make_unique<Subscriber>(
        *link, leftover, i, &shared,
        total_sub_conns > kManySubConns ? kManySubReadCapacity : kSubReadCapacity));
  }
  int64_t setup_ns = NowNs() - setup_start;
  // The broker's memory with every subscription in place, before traffic adds its buffers.
  std::optional<int64_t> rss_after_setup_kb;
  if (options.server_pid > 0) rss_after_setup_kb = ReadRssKb(options.server_pid);

  std::vector<std::unique_ptr<Publisher>> pubs;
  for (int i = 0; i < plan.pubs; ++i) {
    uint64_t quota = std::numeric_limits<uint64_t>::max();
    if (options.msgs > 0) {
      quota = options.msgs / static_cast<uint64_t>(plan.pubs) +
              (static_cast<uint64_t>(i) < options.msgs % static_cast<uint64_t>(plan.pubs) ? 1 : 0);
    }
    std::string leftover;
    absl::StatusOr<Link> link =
        ConnectForRun(options, absl::StrFormat("bench-pub-%d", i), "", kSetupTimeoutS, &leftover);
    if (!link.ok()) return link.status();
    pubs.push_back(
        std::make_unique<Publisher>(*link, leftover, static_cast<uint16_t>(i), quota, &shared));
  }

  // Spread connections so that a publisher and its subscribers tend to sit on different
  // threads.
  for (int i = 0; i < plan.pubs; ++i) {
    Worker& w = *workers[static_cast<size_t>(i % threads)];
    pubs[static_cast<size_t>(i)]->Attach(&w.loop);
    w.pubs.push_back(pubs[static_cast<size_t>(i)].get());
  }
  for (int i = 0; i < total_sub_conns; ++i) {
    subs[static_cast<size_t>(i)]->Attach(
        &workers[static_cast<size_t>((plan.pubs + i) % threads)]->loop);
  }

  std::vector<std::thread> thread_handles;
  for (auto& w : workers) {
    thread_handles.emplace_back([&shared, worker = w.get()] { worker->Run(shared); });
  }

  CpuSample cpu_start = SampleCpu(options.server_pid);
  if (options.msgs == 0) {
    shared.deadline_ns = cpu_start.wall_ns + static_cast<int64_t>(options.duration_s * kNsPerSec);
  }
  shared.start.store(true);
  shared.start.notify_all();

  // Wait for completion; give up when nothing moved for --drain-timeout.
  bool stalled = false;
  {
    uint64_t last_progress_value = 0;
    int64_t last_progress_ns = NowNs();
    int64_t drain_ns = static_cast<int64_t>(options.drain_timeout_s * kNsPerSec);
    std::unique_lock<std::mutex> lock(shared.mu);
    while (!shared.complete) {
      shared.cv.wait_for(lock, std::chrono::nanoseconds(kProgressPollNs));
      if (shared.complete) break;
      uint64_t progress = shared.sent.load() + shared.received.load() +
                          static_cast<uint64_t>(shared.pubs_done.load());
      int64_t now = NowNs();
      if (progress != last_progress_value) {
        last_progress_value = progress;
        last_progress_ns = now;
      } else if (now - last_progress_ns > drain_ns &&
                 (options.msgs > 0 || now > shared.deadline_ns)) {
        stalled = true;
        break;
      }
    }
  }
  CpuSample cpu_end = SampleCpu(options.server_pid);
  shared.stop.store(true);
  for (auto& w : workers) w->loop.Wake();
  for (auto& t : thread_handles) t.join();

  // Collect.
  int64_t end_ns;
  {
    std::lock_guard<std::mutex> lock(shared.mu);
    if (shared.complete) {
      end_ns = shared.complete_ns;
    } else {
      end_ns = std::max(shared.last_pub_done_ns.load(), shared.last_delivery_ns.load());
      if (end_ns == 0) end_ns = cpu_end.wall_ns;
    }
  }
  double elapsed_s = static_cast<double>(end_ns - cpu_start.wall_ns) / kNsPerSec;
  uint64_t published = shared.sent.load();
  uint64_t delivered = shared.received.load();
  uint64_t expected = published * plan.deliveries_per_msg;
  uint64_t out_of_order = 0;
  uint64_t duplicates = 0;
  for (auto& s : subs) {
    out_of_order += s->out_of_order();
    duplicates += s->duplicates();
  }
  uint64_t missing = expected > delivered ? expected - delivered : 0;
  uint64_t extra = delivered > expected ? delivered - expected : 0;
  bool exactly_once_checked = plan.queue && plan.check_ids;
  if (exactly_once_checked) {
    // Merge the members' bitmaps: a sequence seen by two members was delivered twice.
    missing = 0;
    for (int p = 0; p < plan.pubs; ++p) {
      std::vector<uint64_t> all;
      uint64_t sum = 0;
      for (auto& s : subs) {
        const std::vector<uint64_t>& bits = s->seen()[static_cast<size_t>(p)];
        if (bits.size() > all.size()) all.resize(bits.size(), 0);
        for (size_t w = 0; w < bits.size(); ++w) {
          sum += static_cast<uint64_t>(std::popcount(bits[w]));
          all[w] |= bits[w];
        }
      }
      uint64_t distinct = 0;
      for (uint64_t w : all) distinct += static_cast<uint64_t>(std::popcount(w));
      duplicates += sum - distinct;
      uint64_t sent_p = pubs[static_cast<size_t>(p)]->seq();
      missing += sent_p > distinct ? sent_p - distinct : 0;
    }
  }

  Report report;
  AddHeader(options, report);
  report.Set("size", static_cast<int64_t>(options.size), "bytes");
  report.Set("pubs", static_cast<int64_t>(plan.pubs));
  report.Set("sub_conns", static_cast<int64_t>(total_sub_conns));
  report.Set("subscriptions", static_cast<int64_t>(subscriptions));
  if (total_sub_conns > 0) {
    report.Set("sub_setup_ms", static_cast<double>(setup_ns) / kNsPerMs, "ms");
    // Only meaningful when subscribing dominates the connection handshakes.
    if (setup_ns > 0 && subscriptions >= 1000) {
      report.Set("subs_per_sec",
                 static_cast<double>(subscriptions) * kNsPerSec / static_cast<double>(setup_ns));
    }
  }
  if (rss_after_setup_kb) report.Set("server_rss_kb", *rss_after_setup_kb, "KiB after setup");
  report.Set("elapsed_s", elapsed_s, "s");
  report.Set("published", static_cast<int64_t>(published), "msgs");
  if (elapsed_s > 0) {
    report.Set("pub_msgs_per_sec", static_cast<double>(published) / elapsed_s, "msgs/s");
  }
  uint64_t ops = plan.deliveries_per_msg == 0 ? published : delivered;
  if (plan.deliveries_per_msg > 0) {
    report.Set("delivered", static_cast<int64_t>(delivered), "msgs");
    report.Set("expected", static_cast<int64_t>(expected), "msgs");
  }
  if (elapsed_s > 0) {
    double rate = static_cast<double>(ops) / elapsed_s;
    report.Set("msgs_per_sec", rate, plan.deliveries_per_msg == 0 ? "published/s" : "delivered/s");
    report.Set("mb_per_sec", rate * static_cast<double>(options.size) / 1e6, "MB/s payload");
  }
  report.Set("missing", static_cast<int64_t>(missing), "msgs");
  report.Set("extra", static_cast<int64_t>(extra), "msgs");
  report.Set("duplicates", static_cast<int64_t>(duplicates), "msgs");
  report.Set("out_of_order", static_cast<int64_t>(out_of_order), "msgs");
  std::vector<std::string> errors;
  {
    std::lock_guard<std::mutex> lock(shared.mu);
    errors = shared.errors;
  }
  bool ok = !stalled && missing == 0 && extra == 0 && duplicates == 0 && out_of_order == 0 &&
            errors.empty();
  report.Set("errors", static_cast<int64_t>(errors.size()));
  report.Set("ok", ok);
  AddCpu(cpu_start, cpu_end, ops, plan.deliveries_per_msg == 0 ? "published msg" : "delivered msg",
         report);
  if (!plan.check_ids && plan.deliveries_per_msg > 0) {
    report.AddNote("payload < 8 bytes: only counts are verified (no order/exactly-once check)");
  }
  if (stalled) report.AddNote("stalled: no progress for --drain-timeout, gave up");
  for (const std::string& e : errors) report.AddNote(e);
  return report;
}

}  // namespace ringnats::load
