// libFuzzer target for the configuration parser (ParseConfigString).
//
// Input: the configuration text itself. Includes and environment variables resolve in a
// small in-memory world so they are exercised without touching the machine:
//   fuzz/self.conf   the input again (includes recurse until the cycle check stops them)
//   fuzz/a.conf      a fixed file with a map, an array and a variable
//   $FUZZ_INT=42, $FUZZ_MAP={ a: $FUZZ_INT }, $FUZZ_SELF=$FUZZ_SELF (endless expansion)
// Limits are lowered so doubling variables hit the size bound quickly.
// Invariants: no crash, hang or unbounded memory; a failure is InvalidArgument and its message
// starts with "<file>:<line>:<column>: " naming one of the fuzz files; every position in a
// parsed tree has line and column >= 1.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "ringnats/config/config_parser.h"

namespace {

using ringnats::config::ConfigValue;
using ringnats::config::MapEntry;
using ringnats::config::ParseOptions;
using ringnats::config::Position;

void Require(bool condition, const char* what, std::string_view detail) {
  if (!condition) {
    std::fprintf(stderr, "config_fuzz: %s: %.*s\n", what, static_cast<int>(detail.size()),
                 detail.data());
    std::abort();
  }
}

void CheckPosition(const Position& position) {
  Require(position.line >= 1 && position.column >= 1, "position below 1:1", position.ToString());
}

// Iterative, so a tree as deep as the limit allows does not matter here either.
void CheckTree(const ConfigValue& root) {
  std::vector<const ConfigValue*> pending = {&root};
  while (!pending.empty()) {
    const ConfigValue* value = pending.back();
    pending.pop_back();
    CheckPosition(value->position());
    for (const MapEntry& entry : value->map()) {
      CheckPosition(entry.key_position);
      pending.push_back(&entry.value);
    }
    for (const ConfigValue& element : value->array()) {
      pending.push_back(&element);
    }
  }
}

bool HasPositionPrefix(std::string_view message) {
  if (message.substr(0, 5) != "fuzz/") {
    return false;
  }
  // "<file>:<line>:<column>: " where file has no ':'.
  size_t at = message.find(':');
  for (int field = 0; field < 2; ++field) {
    if (at == std::string_view::npos) {
      return false;
    }
    size_t digits = at + 1;
    while (digits < message.size() && message[digits] >= '0' && message[digits] <= '9') {
      ++digits;
    }
    if (digits == at + 1 || digits >= message.size() || message[digits] != ':') {
      return false;
    }
    at = digits;
  }
  return at + 1 < message.size() && message[at + 1] == ' ';
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  ParseOptions options;
  options.limits.max_tree_bytes = 8 * 1024 * 1024;
  options.limits.max_includes = 64;
  options.read_file = [text](const std::string& path) -> absl::StatusOr<std::string> {
    if (path == "fuzz/self.conf") {
      return std::string(text);
    }
    if (path == "fuzz/a.conf") {
      return std::string("a: 1\nm { b: [x, y ], c: $a }\nV: 2KB\n");
    }
    return absl::NotFoundError("open " + path + ": no such file or directory");
  };
  options.lookup_env = [](const std::string& name) -> std::optional<std::string> {
    if (name == "FUZZ_INT") {
      return "42";
    }
    if (name == "FUZZ_MAP") {
      return "{ a: $FUZZ_INT }";
    }
    if (name == "FUZZ_SELF") {
      return "$FUZZ_SELF";
    }
    return std::nullopt;
  };
  absl::StatusOr<ConfigValue> result =
      ringnats::config::ParseConfigString(text, "fuzz/input.conf", "fuzz", options);
  if (result.ok()) {
    Require(result->is_map(), "top level is not a map", result->DebugString());
    CheckTree(*result);
    (void)result->DebugString();
  } else {
    const std::string message(result.status().message());
    Require(result.status().code() == absl::StatusCode::kInvalidArgument, "unexpected code",
            message);
    Require(HasPositionPrefix(message), "message without position", message);
  }
  return 0;
}
