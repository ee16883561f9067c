#pragma once
// One HTTP GET against a server's monitoring port on loopback, for tests. Blocking, on the
// calling thread (cpp-httplib's client); each call opens its own connection.

#include <chrono>
#include <map>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace ringnats::harness {

struct HttpAnswer {
  int status = 0;
  std::string content_type;
  std::string body;
  std::multimap<std::string, std::string> headers;
};

// `path_and_query` as sent, e.g. "/connz?subs=1". An error only when no answer came (refused,
// reset, timed out); any HTTP status is an answer.
absl::StatusOr<HttpAnswer> HttpGet(int port, std::string_view path_and_query,
                                   std::chrono::milliseconds timeout = std::chrono::seconds(10));

}  // namespace ringnats::harness
