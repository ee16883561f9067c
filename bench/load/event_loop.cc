#include "event_loop.h"

#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>

#include "ringnats/util/check.h"

namespace ringnats::load {
namespace {

constexpr int kMaxEvents = 256;

}  // namespace

EventLoop::EventLoop()
    : epoll_fd_(epoll_create1(EPOLL_CLOEXEC)), wake_fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
  RN_CHECK(epoll_fd_ >= 0);
  RN_CHECK(wake_fd_ >= 0);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = nullptr;  // null marks the wake-up eventfd
  RN_CHECK(epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev) == 0);
}

EventLoop::~EventLoop() {
  ::close(wake_fd_);
  ::close(epoll_fd_);
}

void EventLoop::Add(int fd, uint32_t events, IoHandler* handler) {
  epoll_event ev{};
  ev.events = events;
  ev.data.ptr = handler;
  RN_CHECK(epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) == 0);
}

void EventLoop::Modify(int fd, uint32_t events, IoHandler* handler) {
  epoll_event ev{};
  ev.events = events;
  ev.data.ptr = handler;
  RN_CHECK(epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &ev) == 0);
}

void EventLoop::Remove(int fd) {
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
}

void EventLoop::Wake() {
  uint64_t one = 1;
  // A full counter (EAGAIN) still leaves the fd readable, which is all a wake-up needs.
  [[maybe_unused]] ssize_t n = ::write(wake_fd_, &one, sizeof(one));
}

int EventLoop::Poll(int64_t timeout_ns) {
  epoll_event events[kMaxEvents];
  timespec ts;
  timespec* tsp = nullptr;
  if (timeout_ns >= 0) {
    ts.tv_sec = timeout_ns / 1'000'000'000;
    ts.tv_nsec = timeout_ns % 1'000'000'000;
    tsp = &ts;
  }
  int n = epoll_pwait2(epoll_fd_, events, kMaxEvents, tsp, nullptr);
  if (n < 0) {
    RN_CHECK(errno == EINTR);
    return 0;
  }
  int dispatched = 0;
  for (int i = 0; i < n; ++i) {
    auto* handler = static_cast<IoHandler*>(events[i].data.ptr);
    if (handler == nullptr) {
      uint64_t value;
      [[maybe_unused]] ssize_t r = ::read(wake_fd_, &value, sizeof(value));
      continue;
    }
    handler->OnIo(events[i].events);
    ++dispatched;
  }
  return dispatched;
}

}  // namespace ringnats::load
