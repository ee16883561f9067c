#pragma once
// Request/reply traffic that proves a server keeps serving: a responder subscribed to a
// subject and a requester that waits for each answer. One thread drives both sockets, so a
// round trip is a chain of four events (request published, request delivered, reply
// published, reply delivered) and needs no clock.

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "harness/raw_client.h"

namespace ringnats::authtest {

class RoundTripper {
 public:
  // Logs both clients in with `connect_json` (quiet mode) and subscribes the responder to
  // `subject`; the requester's inbox is `subject` + ".reply".
  static absl::StatusOr<std::unique_ptr<RoundTripper>> Create(int port,
                                                              std::string_view connect_json,
                                                              std::string_view subject);

  // One request and its reply; `n` makes each payload distinct so a stale reply is noticed.
  ::testing::AssertionResult RoundTrip(int n);

 private:
  RoundTripper() = default;

  std::unique_ptr<harness::RawClient> requester_;
  std::unique_ptr<harness::RawClient> responder_;
  std::string subject_;
  std::string inbox_;
};

}  // namespace ringnats::authtest
