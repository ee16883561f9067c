#include "harness/server_spec.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <sstream>

namespace ringnats::harness {
namespace {

std::vector<std::string> SplitWords(const char* text) {
  std::vector<std::string> words;
  if (text == nullptr) {
    return words;
  }
  std::istringstream in(text);
  std::string word;
  while (in >> word) {
    words.push_back(word);
  }
  return words;
}

ServerSpec FromEnv(const char* binary_var, const char* args_var) {
  ServerSpec spec;
  const char* binary = std::getenv(binary_var);
  spec.binary = (binary != nullptr && *binary != '\0') ? binary : DefaultNatsServerPath();
  spec.args = SplitWords(std::getenv(args_var));
  return spec;
}

}  // namespace

std::string DefaultNatsServerPath() {
  std::vector<std::string> dirs;
  if (const char* path = std::getenv("PATH"); path != nullptr) {
    std::istringstream in(path);
    std::string dir;
    while (std::getline(in, dir, ':')) {
      if (!dir.empty()) {
        dirs.push_back(dir);
      }
    }
  }
  dirs.push_back("/usr/sbin");
  dirs.push_back("/usr/bin");
  for (const std::string& dir : dirs) {
    const std::string candidate = dir + "/nats-server";
    if (access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
  }
  return "nats-server";
}

ServerSpec ServerUnderTest() { return FromEnv("RINGNATS_SERVER", "RINGNATS_SERVER_ARGS"); }

ServerSpec ReferenceServer() {
  return FromEnv("RINGNATS_REFERENCE_SERVER", "RINGNATS_REFERENCE_SERVER_ARGS");
}

bool IsNatsServer(const ServerSpec& spec) {
  return std::filesystem::path(spec.binary).filename() == "nats-server";
}

std::string Describe(const ServerSpec& spec) {
  std::string text = std::filesystem::path(spec.binary).filename().string();
  for (const std::string& arg : spec.args) {
    text += ' ';
    text += arg;
  }
  return text;
}

}  // namespace ringnats::harness
