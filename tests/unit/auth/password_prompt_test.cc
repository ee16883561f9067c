#include "password_prompt.h"

#include <poll.h>
#include <pty.h>
#include <termios.h>
#include <unistd.h>

#include <string>
#include <string_view>
#include <thread>

#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace ringnats::passwd {
namespace {

// Runs ReadPasswordTwice on the read end of a pipe that holds `input`.
absl::StatusOr<std::string> ReadFromPipe(std::string_view input) {
  int fds[2];
  if (pipe(fds) != 0) return absl::InternalError("pipe");
  const bool written =
      write(fds[1], input.data(), input.size()) == static_cast<ssize_t>(input.size());
  close(fds[1]);
  absl::StatusOr<std::string> result =
      written ? ReadPasswordTwice(fds[0]) : absl::InternalError("write");
  close(fds[0]);
  return result;
}

TEST(PasswordPromptTest, TwoMatchingLinesFromAPipe) {
  absl::StatusOr<std::string> pw = ReadFromPipe("s3cret pass\ns3cret pass\n");
  ASSERT_TRUE(pw.ok()) << pw.status();
  EXPECT_EQ(*pw, "s3cret pass");
}

TEST(PasswordPromptTest, LineEndings) {
  EXPECT_EQ(*ReadFromPipe("pw\r\npw\r\n"), "pw");
  EXPECT_EQ(*ReadFromPipe("pw\npw"), "pw");  // no newline at the very end
  EXPECT_EQ(*ReadFromPipe("\n\n"), "");      // empty passwords are the operator's call
  EXPECT_EQ(*ReadFromPipe(" pw \n pw \n"), " pw ");
}

TEST(PasswordPromptTest, MismatchFails) {
  absl::StatusOr<std::string> pw = ReadFromPipe("one\ntwo\n");
  ASSERT_FALSE(pw.ok());
  EXPECT_NE(std::string(pw.status().message()).find("do not match"), std::string::npos);
  EXPECT_FALSE(ReadFromPipe("pw\npw \n").ok());
}

TEST(PasswordPromptTest, MissingLinesFail) {
  EXPECT_FALSE(ReadFromPipe("").ok());
  EXPECT_FALSE(ReadFromPipe("pw\n").ok());
}

TEST(PasswordPromptTest, LongLines) {
  const std::string long_pw(5000, 'k');
  absl::StatusOr<std::string> pw = ReadFromPipe(long_pw + "\n" + long_pw + "\n");
  ASSERT_TRUE(pw.ok()) << pw.status();
  EXPECT_EQ(*pw, long_pw);
}

// Reads from the pty master until `text` has appeared in everything read so far.
bool ReadUntil(int master, std::string_view text, std::string* seen) {
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (seen->find(text) == std::string::npos) {
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) return false;
    pollfd p{.fd = master, .events = POLLIN, .revents = 0};
    if (poll(&p, 1, static_cast<int>(absl::ToInt64Milliseconds(left)) + 1) <= 0) return false;
    char buf[256];
    const ssize_t n = read(master, buf, sizeof buf);
    if (n <= 0) return false;
    seen->append(buf, static_cast<size_t>(n));
  }
  return true;
}

TEST(PasswordPromptTest, TerminalInputIsNotEchoedAndEchoComesBack) {
  int master = -1;
  int slave = -1;
  ASSERT_EQ(openpty(&master, &slave, nullptr, nullptr, nullptr), 0);
  struct termios before;
  ASSERT_EQ(tcgetattr(slave, &before), 0);
  ASSERT_TRUE(before.c_lflag & ECHO);

  absl::StatusOr<std::string> result;
  std::thread reader([&] { result = ReadPasswordTwice(slave); });
  // Each prompt is written once echo is off, so typing after it is not echoed.
  std::string seen;
  bool ok = ReadUntil(master, "Enter Password: ", &seen);
  if (ok) ok = write(master, "hunter2\n", 8) == 8;
  if (ok) ok = ReadUntil(master, "Reenter Password: ", &seen);
  if (ok) ok = write(master, "hunter2\n", 8) == 8;
  if (!ok) close(master);  // unblocks the reader
  reader.join();
  ASSERT_TRUE(ok) << "prompts seen: " << seen;
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(*result, "hunter2");

  // Whatever else reached the terminal, the password did not.
  pollfd p{.fd = master, .events = POLLIN, .revents = 0};
  while (poll(&p, 1, 0) > 0 && (p.revents & POLLIN)) {
    char buf[256];
    const ssize_t n = read(master, buf, sizeof buf);
    if (n <= 0) break;
    seen.append(buf, static_cast<size_t>(n));
  }
  EXPECT_EQ(seen.find("hunter2"), std::string::npos) << seen;

  struct termios after;
  ASSERT_EQ(tcgetattr(slave, &after), 0);
  EXPECT_TRUE(after.c_lflag & ECHO);
  close(slave);
  close(master);
}

}  // namespace
}  // namespace ringnats::passwd
