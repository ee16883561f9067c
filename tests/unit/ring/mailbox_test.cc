// The general mailbox between threads: tasks posted from many threads all run, once, on the
// owner's thread, each poster's tasks in the order it posted them; and an EventLoop's Post
// wakes a sleeping loop.

#include "ringnats/ring/mailbox.h"

#include <atomic>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "ringnats/ring/event_loop.h"

namespace ringnats::ring {
namespace {

TEST(MailboxTest, TasksFromManyThreadsRunOnceInOrderPerPoster) {
  constexpr int kPosters = 4;
  constexpr int kTasksEach = 20'000;
  Mailbox mailbox;
  // Written only by the owner thread (this one), inside the tasks.
  std::vector<int> last_seen(kPosters, -1);
  int ran = 0;
  bool in_order = true;
  std::atomic<int> posters_done{0};
  std::vector<std::thread> posters;
  for (int p = 0; p < kPosters; ++p) {
    posters.emplace_back([&, p] {
      for (int i = 0; i < kTasksEach; ++i) {
        mailbox.Post([&, p, i] {
          if (last_seen[p] != i - 1) in_order = false;
          last_seen[p] = i;
          ++ran;
        });
      }
      posters_done.fetch_add(1);
    });
  }
  while (posters_done.load() < kPosters || mailbox.HasTasks()) mailbox.RunAll();
  for (std::thread& t : posters) t.join();
  mailbox.RunAll();
  EXPECT_EQ(ran, kPosters * kTasksEach);
  EXPECT_TRUE(in_order);
  EXPECT_FALSE(mailbox.HasTasks());
}

TEST(MailboxTest, TaskPostedWhileRunningWaitsForTheNextRound) {
  Mailbox mailbox;
  int ran = 0;
  mailbox.Post([&] {
    ++ran;
    mailbox.Post([&] { ++ran; });
  });
  EXPECT_EQ(mailbox.RunAll(), 1u);
  EXPECT_EQ(ran, 1);
  EXPECT_TRUE(mailbox.HasTasks());
  EXPECT_EQ(mailbox.RunAll(), 1u);
  EXPECT_EQ(ran, 2);
}

// A loop with nothing to do sleeps until its tick; a task posted from another thread must
// wake it and run on the loop's own thread.
class IdleHandler final : public LoopHandler {
 public:
  void OnAccepted(ConnId, const sockaddr_storage&) override {}
  void OnReceived(ConnId, std::string_view) override {}
  void OnPeerGone(ConnId, PeerGone) override {}
  void OnPeerHangup(ConnId) override {}
  void OnConnClosed(ConnId) override {}
  void OnWake() override {}
  void OnIterationEnd() override {}
  void OnTick(int64_t) override {}
  bool HasPendingWork() override { return false; }
};

TEST(MailboxTest, PostWakesASleepingLoopAndRunsOnItsThread) {
  LoopSettings settings;
  settings.tick_ns = 60'000'000'000;  // a task must not wait for a tick
  std::unique_ptr<EventLoop> loop;
  std::atomic<bool> created{false};
  std::thread::id loop_thread;
  IdleHandler handler;
  std::thread runner([&] {
    absl::StatusOr<std::unique_ptr<EventLoop>> made = EventLoop::Create(settings);
    ASSERT_TRUE(made.ok()) << made.status();
    loop = *std::move(made);
    loop_thread = std::this_thread::get_id();
    created.store(true);
    loop->Run(handler);
  });
  while (!created.load()) std::this_thread::yield();
  std::atomic<int> ran{0};
  std::atomic<bool> on_loop_thread{true};
  for (int i = 0; i < 100; ++i) {
    loop->Post(
        [&] {
          if (std::this_thread::get_id() != loop_thread) on_loop_thread.store(false);
          ran.fetch_add(1);
        },
        nullptr);
    // Each task is awaited before the next, so the loop is asleep again in between.
    while (ran.load() < i + 1) std::this_thread::yield();
  }
  EXPECT_TRUE(on_loop_thread.load());
  loop->RequestStop();
  runner.join();
}

}  // namespace
}  // namespace ringnats::ring
