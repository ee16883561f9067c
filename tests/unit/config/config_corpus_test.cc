// Files checked against nats-server 2.9.10 (`nats-server -t -c`; see
// corpus/check_with_nats_server.sh): accept_*.conf pass there, refuse_*.conf fail there for a
// syntactic reason (or an include/variable one). The parser must agree.

#include <dirent.h>

#include <algorithm>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "ringnats/config/config_parser.h"

namespace ringnats::config {
namespace {

std::vector<std::string> CorpusFiles() {
  std::vector<std::string> names;
  DIR* dir = opendir(RINGNATS_CONFIG_CORPUS_DIR);
  if (dir == nullptr) {
    return names;
  }
  while (dirent* entry = readdir(dir)) {
    const std::string name = entry->d_name;
    if (name.size() > 5 && name.compare(name.size() - 5, 5, ".conf") == 0) {
      names.push_back(name);
    }
  }
  closedir(dir);
  std::sort(names.begin(), names.end());
  return names;
}

TEST(ConfigCorpusTest, AgreesWithNatsServerOnAcceptAndRefuse) {
  const std::vector<std::string> names = CorpusFiles();
  ASSERT_GE(names.size(), 20u) << "corpus missing: " << RINGNATS_CONFIG_CORPUS_DIR;
  ParseOptions options;
  options.lookup_env = [](const std::string&) -> std::optional<std::string> {
    return std::nullopt;  // refuse_variable_undefined.conf must not depend on the environment
  };
  int accepted = 0;
  for (const std::string& name : names) {
    const bool expect_accept = name.rfind("accept_", 0) == 0;
    ASSERT_TRUE(expect_accept || name.rfind("refuse_", 0) == 0) << name;
    absl::StatusOr<ConfigValue> root =
        ParseConfigFile(std::string(RINGNATS_CONFIG_CORPUS_DIR) + "/" + name, options);
    if (expect_accept) {
      EXPECT_TRUE(root.ok()) << name << ": " << root.status();
      ++accepted;
    } else {
      EXPECT_FALSE(root.ok()) << name << " parsed as " << root->DebugString();
      if (!root.ok()) {
        EXPECT_EQ(root.status().code(), absl::StatusCode::kInvalidArgument) << name;
      }
    }
  }
  EXPECT_GE(accepted, 10);
}

}  // namespace
}  // namespace ringnats::config
