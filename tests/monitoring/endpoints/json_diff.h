#pragma once
// Field-by-field comparison of a monitoring answer from ringnats with nats-server's answer to
// the same request in the same situation. Every difference is collected (not just the first)
// so one run lists all of them, each as "path: nats-server <x>, ringnats <y>".
//
// What is compared how is decided here, in one place, by key name:
//  - every object: the same keys in the same order, except kAllowedAdditions;
//  - every value: the same JSON type; an integer where nats-server writes an integer (a Go
//    int field; a float would break clients decoding into integers);
//  - values that vary between two runs of nats-server itself (times, ids, ports,
//    measurements) are checked for type and format only (kVolatileKeys);
//  - connection ids through CidMap: a cid is right when it names the same client (the k-th
//    client the test connected) on both servers, whatever the numbering;
//  - arrays in no defined order on nats-server (it walks Go maps) as multisets.
// Used from one test thread.

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace ringnats::monitoring {

using Json = nlohmann::ordered_json;

// Connection id -> the test's own client number, per server.
struct CidMap {
  std::map<int64_t, int> reference;
  std::map<int64_t, int> actual;
};

struct DiffOptions {
  const CidMap* cids = nullptr;  // null: cids compared by type only
  // The order of "connections" depends on volatile values (sort=start, last, idle, ...): the
  // elements are paired by client, and the order is checked separately.
  bool unordered_connections = false;
  // Paths (as in the messages, "$.ringnats") where ringnats may add a key after nats-server's
  // last key. Each use is an explicit, commented allowance at the call site.
  std::vector<std::string> allowed_additions;
};

// The differences; empty when the documents conform.
std::vector<std::string> DiffJson(const Json& reference, const Json& actual,
                                  const DiffOptions& options);

// The text layout: Go's pretty printer (json.MarshalIndent with two spaces) for most
// endpoints, one line for /healthz. Both bodies must have the same one.
std::vector<std::string> DiffLayout(const std::string& reference_body,
                                    const std::string& actual_body);

// "string", "integer", "float", ... for messages.
std::string JsonKind(const Json& value);

// RFC3339 with optional fraction and zone, as Go's time.Time marshals.
bool IsGoTime(const std::string& text);
// A Go time.Duration string ("1.5ms", "280µs", "0s").
bool IsGoDuration(const std::string& text);
// nats-server's uptime/idle format ("1d2h3m4s", "0s").
bool IsGoUptime(const std::string& text);
// A time as nanoseconds since the epoch, for checking sort orders; -1 if unparsable.
int64_t ParseGoTimeNanos(const std::string& text);

}  // namespace ringnats::monitoring
