#pragma once
// Lexical path arithmetic for include directives, with the results nats-server gets from
// Go's path/filepath (Join cleans; an absolute include path ends up below the including
// file's directory). No file system access.

#include <string>
#include <string_view>

namespace ringnats::config::internal {

// Shortest equivalent path: no "//", no "." elements, ".." resolved where possible. "" → ".".
std::string CleanPath(std::string_view path);

// `dir` and `name` joined with '/' and cleaned; empty parts are left out ("" if both are).
std::string JoinPath(std::string_view dir, std::string_view name);

// Everything before the last '/', cleaned; "." when there is no '/'.
std::string DirName(std::string_view path);

}  // namespace ringnats::config::internal
