#pragma once
// A minimal epoll loop. Owned by one thread: only Wake() may be called from other threads.

#include <sys/epoll.h>

#include <cstdint>

namespace ringnats::load {

class IoHandler {
 public:
  virtual void OnIo(uint32_t events) = 0;

 protected:
  ~IoHandler() = default;
};

class EventLoop {
 public:
  EventLoop();
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  void Add(int fd, uint32_t events, IoHandler* handler);
  void Modify(int fd, uint32_t events, IoHandler* handler);
  void Remove(int fd);

  // Interrupts a Poll() in progress (or the next one). Any thread.
  void Wake();

  // Waits up to `timeout_ns` (0 = do not block, negative = no limit) and dispatches events.
  // Returns the number of I/O events dispatched (wake-ups not counted).
  int Poll(int64_t timeout_ns);

 private:
  int epoll_fd_;
  int wake_fd_;
};

}  // namespace ringnats::load
