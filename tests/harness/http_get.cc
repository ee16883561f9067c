#include "harness/http_get.h"

#include <httplib.h>

#include <string>

#include "absl/strings/str_format.h"

namespace ringnats::harness {

absl::StatusOr<HttpAnswer> HttpGet(int port, std::string_view path_and_query,
                                   std::chrono::milliseconds timeout) {
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(timeout);
  client.set_read_timeout(timeout);
  client.set_write_timeout(timeout);
  httplib::Result result = client.Get(std::string(path_and_query));
  if (!result) {
    return absl::UnavailableError(absl::StrFormat("GET 127.0.0.1:%d%s: %s", port, path_and_query,
                                                  httplib::to_string(result.error())));
  }
  HttpAnswer answer;
  answer.status = result->status;
  answer.content_type = result->get_header_value("Content-Type");
  answer.body = result->body;
  for (const auto& [name, value] : result->headers) answer.headers.emplace(name, value);
  return answer;
}

}  // namespace ringnats::harness
