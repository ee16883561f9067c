// The status page: self-contained, carries nats-server's index links under the base path,
// and its script (run under Node with a stub DOM, when Node is installed) polls /varz and
// renders without errors, also when polls fail or fields are missing.

#include "ringnats/monitor/status_page.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <regex>
#include <string>

namespace ringnats::monitor {
namespace {

TEST(StatusPageTest, IsSelfContainedAndPhoneReadable) {
  const std::string page = StatusPageHtml("/");
  EXPECT_NE(page.find("<meta name=\"viewport\""), std::string::npos);
  EXPECT_EQ(page.find(" src="), std::string::npos);  // no external scripts or images
  EXPECT_EQ(page.find("@import"), std::string::npos);
  // The only absolute URL is the documentation link.
  const std::regex kUrl(R"(https?://[^"' )]+)");
  for (auto it = std::sregex_iterator(page.begin(), page.end(), kUrl); it != std::sregex_iterator();
       ++it) {
    EXPECT_EQ(it->str(), "https://docs.nats.io/running-a-nats-service/nats_admin/monitoring");
  }
  EXPECT_EQ(page.find("@LINK@"), std::string::npos);
  EXPECT_EQ(page.find("@VARZ_URL@"), std::string::npos);
}

TEST(StatusPageTest, LinksFollowTheBasePath) {
  EXPECT_NE(StatusPageHtml("/").find("<a href=\"./connz\">Connections</a>"), std::string::npos);
  EXPECT_NE(StatusPageHtml("/").find("var varzUrl = \"/varz\";"), std::string::npos);
  const std::string based = StatusPageHtml("/nats");
  EXPECT_NE(based.find("<a href=\"./nats/connz\">Connections</a>"), std::string::npos);
  EXPECT_NE(based.find("var varzUrl = \"/nats/varz\";"), std::string::npos);
  // A base path cannot break out of the attribute or the script.
  const std::string odd = StatusPageHtml("/a\"<b>");
  EXPECT_NE(odd.find("href=\"./a&quot;&lt;b&gt;/varz\""), std::string::npos);
  EXPECT_NE(odd.find(R"(var varzUrl = "/a\"\u003cb\u003e/varz";)"), std::string::npos);
}

void RunSmoke(const std::string& base_path, const std::string& varz_url) {
  const std::string node = RINGNATS_NODE;
  if (node.empty()) GTEST_SKIP() << "node not found";
  const std::string path =
      ::testing::TempDir() + "/ringnats_status_page_" + std::to_string(getpid()) + ".html";
  {
    std::ofstream file(path);
    file << StatusPageHtml(base_path);
  }
  const std::string command = node + " " + RINGNATS_MONITOR_SOURCE "/status_page_smoke.js " + path +
                              " " + varz_url + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  char buffer[512];
  while (size_t n = fread(buffer, 1, sizeof buffer, pipe)) output.append(buffer, n);
  const int status = pclose(pipe);
  std::remove(path.c_str());
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << output;
  EXPECT_EQ(output, "ok\n");
}

TEST(StatusPageTest, ScriptPollsAndRendersWithoutErrors) {
  RunSmoke("/", "/varz");
}
TEST(StatusPageTest, ScriptPollsUnderABasePath) {
  RunSmoke("/nats", "/nats/varz");
}

}  // namespace
}  // namespace ringnats::monitor
