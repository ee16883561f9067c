#pragma once
// Two servers in the same situation, for comparing their monitoring answers: nats-server
// (RINGNATS_REFERENCE_SERVER, the specification) and the server under test
// (RINGNATS_SERVER, ringnats), both started with `-m -1` and the same configuration.
//
// Every request goes to both, nats-server first, in the same order, so counters that count
// requests (/varz http_req_stats) agree whatever a test asks for. Used from one test thread.

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "harness/http_get.h"
#include "harness/raw_client.h"
#include "harness/server_process.h"
#include "monitoring/endpoints/json_diff.h"

namespace ringnats::monitoring {

// The configuration both servers get. Users alice and bob with passwords, guest for clients
// that send none (no_auth_user), and a server name (it is in /varz).
inline constexpr char kUsersConfig[] = R"(server_name: "conformance"
authorization {
  users = [
    {user: alice, password: secret}
    {user: bob, password: hunter2}
    {user: guest, password: guest}
  ]
}
no_auth_user: guest
)";

struct AnswerPair {
  harness::HttpAnswer reference;
  harness::HttpAnswer actual;
};

class ServerPair {
 public:
  // `config` goes to both. nats-server additionally gets `no_system_account: true`: by
  // design ringnats has no system account (docs/protocol-compatibility.md) and refuses the
  // option, while nats-server's system account adds internal clients (cids), subscriptions
  // (/subsz) and an account (/accountz) that would make the situations differ.
  static absl::StatusOr<std::unique_ptr<ServerPair>> Start(const std::string& config);

  harness::ServerProcess& reference() { return *reference_; }
  harness::ServerProcess& actual() { return *actual_; }

  // GET `path_and_query` on nats-server, then on the server under test.
  absl::StatusOr<AnswerPair> Get(std::string_view path_and_query);

  // GETs `path_and_query` on both until `done(body)` holds for each (bounded by a deadline),
  // then once more on whichever was asked fewer times, so both counted the same requests.
  absl::Status PollBoth(std::string_view path_and_query, bool (*done)(const std::string& body));

 private:
  ServerPair() = default;
  std::unique_ptr<harness::ServerProcess> reference_;
  std::unique_ptr<harness::ServerProcess> actual_;
};

// The situation the comparison tests build on each server, client by client in a fixed
// order (each waits for the previous one's handshake), so "the k-th client" is the same
// connection on both servers:
//   #0 alice, name/lang/version: SUB foo, SUB bar.*, SUB work q1 then UNSUB it
//   #1 bob, lang/version, no name: SUB foo, SUB baz.>, SUB work q1, SUB work q2
//   #2 no credentials (no_auth_user guest), name "pub", headers: the publisher
//   #3 bob, name/lang/version: SUB foo, SUB gone.*; closes itself at the end (Client Closed)
//   #4 alice with a wrong password (Authentication Failure)
//   #5 alice: SUB lim with UNSUB max 2 (reached), SUB lim2 q3 with UNSUB max 5 (not reached)
//   #6 bob: an unknown protocol operation (Parse Error)
// #2 publishes to foo (3 MSG, 1 with headers), bar.x, work (2), lim (3), lim2 (2), nobody.
inline constexpr int kClients = 7;
inline constexpr int kClosedClients = 3;

struct Situation {
  std::vector<std::unique_ptr<harness::RawClient>> open;  // #0, #1, #2, #5
  std::vector<int> client_ports;                          // the k-th client's local port
};

absl::Status BuildSituation(int port, Situation* situation);

// Maps each server's cids to client numbers through the client ports that
// /connz?state=all reports.
absl::StatusOr<CidMap> MapCids(ServerPair& servers, const Situation& reference,
                               const Situation& actual);

}  // namespace ringnats::monitoring
