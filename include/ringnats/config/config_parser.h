#pragma once
// Parses nats-server's configuration language into a ConfigValue tree (the top level is a
// map). Syntax only: which keys exist and what types they take is the options layer's job.
//
// What it accepts and refuses follows nats-server 2.9.10, including its oddities; see
// src/config/config_lexer.h. Variables (`$NAME`) are resolved while parsing: in the map being
// built, then the enclosing maps, then the environment (whose text is parsed as a value);
// a reference marks the referenced value `used_as_variable()`. `include` pulls another file
// into the current map.
//
// Errors are InvalidArgument with a message "<file>:<line>:<column>: <reason>" (1-based line
// and byte column). Hostile input is bounded by ParseLimits.

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "ringnats/config/config_value.h"

namespace ringnats::config {

struct ParseLimits {
  // Maps and arrays nested in each other, the top-level map counting as 1.
  size_t max_depth = 128;
  // Files including files (a cycle is refused on its own).
  size_t max_include_depth = 10;
  // Include directives processed in one parse, all files together.
  size_t max_includes = 1000;
  // Size of one file.
  size_t max_file_bytes = 16 * 1024 * 1024;
  // Approximate memory of everything built, counting each copy a variable reference makes:
  // `a: [$b, $b]` doubling per line would otherwise grow exponentially.
  size_t max_tree_bytes = 256 * 1024 * 1024;
  // Environment variables whose text refers to further environment variables.
  size_t max_env_depth = 8;
};

// Returns the file's text, or an error whose message explains why not (e.g. "open x.conf:
// no such file or directory"). Paths are as joined by the parser, relative to the process'
// working directory unless absolute.
using ConfigFileReader = std::function<absl::StatusOr<std::string>(const std::string& path)>;
using ConfigEnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

struct ParseOptions {
  ParseLimits limits;
  // Empty: read the file system.
  ConfigFileReader read_file;
  // Empty: getenv.
  ConfigEnvLookup lookup_env;
};

// Reads and parses `path`; includes are relative to its directory. A file that cannot be
// read gives the reader's error code with "error opening config file: ..." as the message.
absl::StatusOr<ConfigValue> ParseConfigFile(std::string path, const ParseOptions& options = {});

// Parses `text` as if it were the file `file_name_for_messages`; includes are relative to
// `base_dir_for_includes`.
absl::StatusOr<ConfigValue> ParseConfigString(std::string_view text,
                                              std::string file_name_for_messages,
                                              std::string base_dir_for_includes,
                                              const ParseOptions& options = {});

// The file system reader used when ParseOptions::read_file is empty.
absl::StatusOr<std::string> ReadConfigFileFromDisk(const std::string& path, size_t max_bytes);

}  // namespace ringnats::config
