// EventLoop::Create that fails part way: it releases what it had set up (the ring's own file
// descriptor, the provided buffers) and closes the listener it was given, as it documents.

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "absl/status/statusor.h"
#include "gtest/gtest.h"
#include "ringnats/ring/event_loop.h"
#include "ringnats/ring/listener.h"

namespace ringnats::ring {
namespace {

int OpenFileDescriptors() {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return -1;
  int count = 0;
  while (const dirent* entry = readdir(dir)) {
    if (entry->d_name[0] != '.') ++count;
  }
  closedir(dir);
  return count - 1;  // the directory's own
}

TEST(EventLoopCreateTest, AFailedCreateClosesItsListenerAndLeavesNothingOpen) {
  absl::StatusOr<BoundListener> listener = ListenReusePort("127.0.0.1", 0, 16);
  ASSERT_TRUE(listener.ok()) << listener.status();
  const int before = OpenFileDescriptors();
  ASSERT_GT(before, 0);

  LoopSettings settings;
  settings.listen_fd = listener->fd;
  // The kernel takes only a power of two of provided buffers: the ring is set up, and
  // registering its buffers fails.
  settings.buffer_count = 3;
  absl::StatusOr<std::unique_ptr<EventLoop>> loop = EventLoop::Create(settings);
  ASSERT_FALSE(loop.ok());

  EXPECT_EQ(fcntl(listener->fd, F_GETFD), -1) << "the listener was left open";
  EXPECT_EQ(errno, EBADF);
  EXPECT_EQ(OpenFileDescriptors(), before - 1) << "a descriptor other than the listener changed";
}

}  // namespace
}  // namespace ringnats::ring
