// Runs the ringnats-passwd executable as an operator would, and checks its hashes with the
// broker's own BcryptHasher.

#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "gtest/gtest.h"
#include "random_password.h"
#include "ringnats/auth/bcrypt.h"

extern char** environ;

namespace ringnats::passwd {
namespace {

struct ToolRun {
  int exit_code = -1;
  std::string out;
  std::string err;
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string ToolPath() {
  const char* from_env = std::getenv("RINGNATS_PASSWD");
  return from_env != nullptr ? from_env : RINGNATS_PASSWD_PATH;
}

// Runs the tool with `args`, `input` on its stdin (a file, so not a terminal) and its output
// in files.
ToolRun RunTool(const std::vector<std::string>& args, std::string_view input = "") {
  ToolRun run;
  char dir_template[] = "/tmp/ringnats-passwd-test-XXXXXX";
  const char* dir = mkdtemp(dir_template);
  if (dir == nullptr) return run;
  const std::string in_path = std::string(dir) + "/in";
  const std::string out_path = std::string(dir) + "/out";
  const std::string err_path = std::string(dir) + "/err";
  std::ofstream(in_path, std::ios::binary) << input;

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, in_path.c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0600);
  posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0600);
  const std::string path = ToolPath();
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(path.c_str()));
  for (const std::string& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  pid_t pid = 0;
  const int spawned = posix_spawn(&pid, path.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned == 0) {
    int status = 0;
    if (waitpid(pid, &status, 0) == pid && WIFEXITED(status)) run.exit_code = WEXITSTATUS(status);
    run.out = ReadFile(out_path);
    run.err = ReadFile(err_path);
  }
  std::remove(in_path.c_str());
  std::remove(out_path.c_str());
  std::remove(err_path.c_str());
  rmdir(dir);
  return run;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// The value after `prefix` on the line that starts with it, or empty.
std::string Field(const std::string& text, std::string_view prefix) {
  for (const std::string& line : Lines(text)) {
    if (line.rfind(prefix, 0) == 0) return line.substr(prefix.size());
  }
  return "";
}

class PasswdToolTest : public testing::Test {
 protected:
  void SetUp() override {
    struct stat st;
    ASSERT_EQ(stat(ToolPath().c_str(), &st), 0)
        << ToolPath() << " is missing: build it (meson test does) or set RINGNATS_PASSWD";
  }
  auth::BcryptHasher hasher_;
};

TEST_F(PasswdToolTest, HashesAPipedPassword) {
  const ToolRun run = RunTool({"-p", "-c", "4"}, "correct horse\ncorrect horse\n");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  // Only the hash on stdout: no prompts when stdin is not a terminal.
  const std::vector<std::string> lines = Lines(run.out);
  ASSERT_EQ(lines.size(), 1u) << run.out;
  const std::string hash = Field(run.out, "bcrypt hash: ");
  EXPECT_EQ(hash.substr(0, 7), "$2a$04$");
  EXPECT_EQ(hash.size(), 60u);
  EXPECT_TRUE(hasher_.Verify(hash, "correct horse"));
  EXPECT_FALSE(hasher_.Verify(hash, "correct horse\n"));
  EXPECT_FALSE(hasher_.Verify(hash, "correct hors"));
}

TEST_F(PasswdToolTest, DefaultCostIsEleven) {
  const ToolRun run = RunTool({"-p"}, "x\nx\n");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const std::string hash = Field(run.out, "bcrypt hash: ");
  EXPECT_EQ(hash.substr(0, 7), "$2a$11$");
  EXPECT_TRUE(hasher_.Verify(hash, "x"));
}

TEST_F(PasswdToolTest, GeneratesAPasswordWhenNotAskedToPrompt) {
  const ToolRun run = RunTool({"--cost", "4"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const std::vector<std::string> lines = Lines(run.out);
  ASSERT_EQ(lines.size(), 2u) << run.out;
  EXPECT_EQ(lines[0].rfind("pass: ", 0), 0u);
  EXPECT_EQ(lines[1].rfind("bcrypt hash: ", 0), 0u);
  const std::string password = Field(run.out, "pass: ");
  EXPECT_EQ(password.size(), kRandomPasswordLength);
  EXPECT_EQ(password.find_first_not_of(kPasswordAlphabet), std::string::npos) << password;
  const std::string hash = Field(run.out, "bcrypt hash: ");
  EXPECT_TRUE(hasher_.Verify(hash, password));
}

TEST_F(PasswdToolTest, MismatchedPasswordsFail) {
  const ToolRun run = RunTool({"-p", "-c", "4"}, "one\ntwo\n");
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("do not match"), std::string::npos) << run.err;
  EXPECT_EQ(run.out.find("bcrypt hash"), std::string::npos) << run.out;
}

TEST_F(PasswdToolTest, MissingSecondLineFails) {
  const ToolRun run = RunTool({"-p", "-c", "4"}, "one\n");
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(run.out.find("bcrypt hash"), std::string::npos) << run.out;
}

TEST_F(PasswdToolTest, BadArgumentsFailWithUsage) {
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"-c", "3"}, {"-c", "32"}, {"--bogus"}}) {
    const ToolRun run = RunTool(args);
    EXPECT_EQ(run.exit_code, 2) << args[0];
    EXPECT_NE(run.err.find("Usage:"), std::string::npos) << run.err;
    EXPECT_TRUE(run.out.empty()) << run.out;
  }
}

TEST_F(PasswdToolTest, Help) {
  const ToolRun run = RunTool({"-h"});
  EXPECT_EQ(run.exit_code, 0);
  EXPECT_NE(run.out.find("Usage:"), std::string::npos);
  EXPECT_NE(run.out.find("--bench"), std::string::npos);
}

TEST_F(PasswdToolTest, BenchPrintsATable) {
  const ToolRun run = RunTool({"--bench", "--threads", "3", "--seconds", "0.3"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("connects/s (x3)"), std::string::npos) << run.out;
  // Cost 4 is always measured; with this budget the top costs are skipped and it says so.
  bool cost4 = false;
  for (const std::string& line : Lines(run.out)) {
    if (line.rfind("     4 ", 0) == 0 && line.find("skipped") == std::string::npos) cost4 = true;
  }
  EXPECT_TRUE(cost4) << run.out;
  EXPECT_NE(run.out.find("skipped"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("--seconds"), std::string::npos) << run.out;
}

}  // namespace
}  // namespace ringnats::passwd
