#pragma once
// Helpers for the config parser tests: parse text without touching the real environment or
// file system unless a test asks for it.

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "ringnats/config/config_parser.h"

namespace ringnats::config::testing {

// A fake file system and environment.
struct FakeWorld {
  std::map<std::string, std::string> files;
  std::map<std::string, std::string> env;
  std::vector<std::string> reads;  // paths asked for, in order

  ParseOptions Options() {
    ParseOptions options;
    options.read_file = [this](const std::string& path) -> absl::StatusOr<std::string> {
      reads.push_back(path);
      auto it = files.find(path);
      if (it == files.end()) {
        return absl::NotFoundError("open " + path + ": no such file or directory");
      }
      return it->second;
    };
    options.lookup_env = [this](const std::string& name) -> std::optional<std::string> {
      auto it = env.find(name);
      if (it == env.end()) {
        return std::nullopt;
      }
      return it->second;
    };
    return options;
  }
};

inline absl::StatusOr<ConfigValue> ParseText(std::string_view text) {
  FakeWorld world;
  return ParseConfigString(text, "t.conf", "", world.Options());
}

// The tree as DebugString, or "ERROR <message>".
inline std::string Dump(std::string_view text) {
  absl::StatusOr<ConfigValue> result = ParseText(text);
  if (!result.ok()) {
    return "ERROR " + std::string(result.status().message());
  }
  return result->DebugString();
}

// The error message, or "OK".
inline std::string ErrorOf(std::string_view text) {
  absl::StatusOr<ConfigValue> result = ParseText(text);
  if (result.ok()) {
    return "OK";
  }
  return std::string(result.status().message());
}

}  // namespace ringnats::config::testing
