// Differential test: the same raw transcripts, malformed input included, go to nats-server
// (the reference) and to the server under test; the replies must be byte-identical, and both
// must agree on whether each connection was closed.
//
// Only INFO is normalised: its field names (in order) are compared, plus the values that
// must match (proto, headers, max_payload, version, client_ip); ids, names, ports and the Go
// version differ by nature.
//
// Transcript rules: after every step the runner sends PING on that step's connection and
// records everything before the PONG (or up to the close), unless the step is marked
// `.barrier = false` (the next step continues an unfinished command). Cross-connection
// deliveries are collected at the end: connection 0 publishes an end marker that every other
// connection subscribed to first, and messages from one publisher arrive in order, so the
// marker closes each stream. Hence only connection 0 may publish to other connections.

#include <gtest/gtest.h>

#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_format.h"
#include "harness/raw_client.h"
#include "harness/server_process.h"
#include "harness/server_spec.h"

namespace ringnats::harness {
namespace {

struct Step {
  int conn = 0;
  std::string bytes;
  bool barrier = true;
  int pongs = 0;  // PONGs the reference sends for PINGs inside `bytes`
};

struct Transcript {
  const char* name;
  std::vector<Step> steps;
  std::string config;
  // The connections go to the route port (the config has a `cluster` block): a peer's or a
  // stranger's route handshake.
  bool on_route_port = false;
};

void PrintTo(const Transcript& t, std::ostream* os) { *os << t.name; }

constexpr char kMarkerSubject[] = "_differential.end";
constexpr char kMarkerSid[] = "end";
constexpr std::chrono::milliseconds kStepTimeout{3000};

// The INFO values that must match; the field list is compared once, by InfoFieldsMatch,
// so that a difference there does not hide everything else.
std::string NormaliseInfo(const nlohmann::ordered_json& info) {
  auto field = [&](const char* name) {
    return info.contains(name) ? info[name].dump() : std::string("<absent>");
  };
  return absl::StrFormat("INFO proto=%s headers=%s max_payload=%s version=%s client_ip=%s",
                         field("proto"), field("headers"), field("max_payload"), field("version"),
                         field("client_ip"));
}

std::string InfoFieldNames(const ServerSpec& spec, const std::string& config) {
  absl::StatusOr<std::unique_ptr<ServerProcess>> server = ServerProcess::Start({spec, config, {}});
  if (!server.ok()) {
    ADD_FAILURE() << Describe(spec) << ": " << server.status();
    return "<no server>";
  }
  absl::StatusOr<std::unique_ptr<RawClient>> client = RawClient::Connect((*server)->port());
  if (!client.ok()) {
    ADD_FAILURE() << client.status();
    return "<no connection>";
  }
  nlohmann::ordered_json info;
  std::string line;
  if (!(*client)->ReadInfo(&info, &line)) {
    return "bad INFO: " + Escape(line);
  }
  // The documented difference: nats-server's "go" (its runtime) is absent from ringnats'
  // INFO, which adds "ringnats_version" instead. Both are dropped before comparing.
  std::string keys;
  for (const auto& item : info.items()) {
    if (item.key() == "go" || item.key() == "ringnats_version") continue;
    keys += item.key() + "\n";
  }
  return keys;
}

TEST(DifferentialInfoTest, InfoFieldsMatch) {
  for (const std::string config : {"", "max_payload: 2048\n"}) {
    SCOPED_TRACE(config);
    EXPECT_EQ(InfoFieldNames(ReferenceServer(), config), InfoFieldNames(ServerUnderTest(), config));
  }
}

int ConnectionCount(const Transcript& t) {
  int count = 1;
  for (const Step& step : t.steps) {
    count = std::max(count, step.conn + 1);
  }
  return count;
}

// What a server sends a route unasked is left out: nats-server announces its system
// account's subscriptions (`RS+ $SYS ...`; ringnats has no accounts but $G,
// docs/clustering.md), and both send their first keep-alive PING about a second after the
// route connects, which a slow run may reach.
std::string WithoutUnaskedRouteLines(std::string_view reply) {
  std::string kept;
  while (!reply.empty()) {
    const size_t end = reply.find("\r\n");
    const size_t next = end == std::string_view::npos ? reply.size() : end + 2;
    const std::string_view line = reply.substr(0, next);
    if (!line.starts_with("RS+ $SYS ") && line != "PING\r\n") kept.append(line);
    reply.remove_prefix(next);
  }
  return kept;
}

// Runs `t` against one server and returns a printable record of everything observed.
std::string RunTranscript(const ServerSpec& spec, const Transcript& t) {
  absl::StatusOr<std::unique_ptr<ServerProcess>> server =
      ServerProcess::Start({spec, t.config, {}});
  if (!server.ok()) {
    ADD_FAILURE() << Describe(spec) << ": " << server.status();
    return "<no server>";
  }
  const int connections = ConnectionCount(t);
  std::vector<std::unique_ptr<RawClient>> clients;
  std::vector<bool> closed(connections, false);
  std::vector<int> pending_pongs(connections, 0);
  // Connections whose last step left a command unfinished: a PING would become part of it,
  // so the server is expected to close them on its own.
  std::vector<bool> unfinished(connections, false);
  std::string record;
  for (int c = 0; c < connections; ++c) {
    absl::StatusOr<std::unique_ptr<RawClient>> client =
        RawClient::Connect(t.on_route_port ? (*server)->cluster_port() : (*server)->port());
    if (!client.ok()) {
      ADD_FAILURE() << client.status();
      return "<no connection>";
    }
    clients.push_back(std::move(*client));
    nlohmann::ordered_json info;
    std::string line;
    const ::testing::AssertionResult info_ok = clients[c]->ReadInfo(&info, &line);
    record += absl::StrFormat("conn%d %s\n", c,
                              info_ok ? NormaliseInfo(info) : "bad INFO: " + Escape(line));
    if (c > 0) {
      // Hidden set-up for the end marker; its reply (+OK when verbose) is not recorded.
      std::string ignored;
      bool marker_closed = false;
      EXPECT_TRUE(clients[c]->Send(absl::StrFormat("SUB %s %s\r\n", kMarkerSubject, kMarkerSid)));
      EXPECT_TRUE(clients[c]->PingCollect(&ignored, &marker_closed));
    }
  }
  for (size_t i = 0; i < t.steps.size(); ++i) {
    const Step& step = t.steps[i];
    RawClient& client = *clients[step.conn];
    if (closed[step.conn]) {
      record += absl::StrFormat("conn%d step%d skipped: closed\n", step.conn, i);
      continue;
    }
    (void)client.Send(step.bytes);  // the server may have closed already; reading tells
    pending_pongs[step.conn] += step.pongs;
    unfinished[step.conn] = !step.barrier;
    if (!step.barrier) {
      continue;
    }
    std::string reply;
    bool was_closed = false;
    // A server that sends fewer PONGs than the reference runs into the timeout; the record
    // then shows what it did send.
    const bool collected =
        client.PingCollect(&reply, &was_closed, kStepTimeout, pending_pongs[step.conn]);
    pending_pongs[step.conn] = 0;
    if (!collected) {
      reply = client.TakeBuffered();
    }
    if (t.on_route_port) reply = WithoutUnaskedRouteLines(reply);
    closed[step.conn] = was_closed;
    record += absl::StrFormat("conn%d step%d \"%s\"%s\n", step.conn, i, Escape(reply),
                              was_closed ? " CLOSED" : (collected ? "" : " NO-PONG"));
  }
  for (int c = 0; c < connections; ++c) {
    if (unfinished[c] && !closed[c]) {
      std::string rest;
      const bool closed_now = static_cast<bool>(clients[c]->ReadUntil(
          [&](std::string_view) { return clients[c]->eof(); }, &rest, kStepTimeout));
      if (!closed_now) {
        rest = clients[c]->TakeBuffered();
      }
      closed[c] = closed_now;
      record += absl::StrFormat("conn%d unfinished \"%s\"%s\n", c, Escape(rest),
                                closed_now ? " CLOSED" : " OPEN");
    }
  }
  if (connections > 1) {
    if (!closed[0]) {
      std::string ignored;
      bool was_closed = false;
      EXPECT_TRUE(clients[0]->Send(absl::StrFormat("PUB %s 0\r\n\r\n", kMarkerSubject)));
      EXPECT_TRUE(clients[0]->PingCollect(&ignored, &was_closed));
    }
    const std::string marker = absl::StrFormat("MSG %s %s 0\r\n\r\n", kMarkerSubject, kMarkerSid);
    for (int c = 1; c < connections; ++c) {
      if (closed[c]) {
        continue;
      }
      std::string rest;
      if (closed[0]) {
        bool was_closed = false;
        EXPECT_TRUE(clients[c]->PingCollect(&rest, &was_closed));
      } else {
        EXPECT_TRUE(clients[c]->ReadThrough(marker, &rest));
        rest.resize(rest.size() >= marker.size() ? rest.size() - marker.size() : 0);
      }
      record += absl::StrFormat("conn%d end \"%s\"\n", c, Escape(rest));
    }
  }
  return record;
}

class DifferentialTest : public ::testing::TestWithParam<Transcript> {};

TEST_P(DifferentialTest, SameBytesAsReference) {
  const ServerSpec reference = ReferenceServer();
  const ServerSpec under_test = ServerUnderTest();
  const std::string expected = RunTranscript(reference, GetParam());
  const std::string actual = RunTranscript(under_test, GetParam());
  if (std::getenv("RINGNATS_DIFFERENTIAL_VERBOSE") != nullptr) {
    std::cout << "reference:\n" << expected << "under test:\n" << actual;
  }
  EXPECT_EQ(expected, actual) << "reference: " << Describe(reference)
                              << "\nunder test: " << Describe(under_test);
}

std::string TranscriptName(const ::testing::TestParamInfo<Transcript>& info) {
  return info.param.name;
}

const std::string kQuiet = "CONNECT {\"verbose\":false,\"pedantic\":false}\r\n";
const std::string kHeaders = "CONNECT {\"verbose\":false,\"headers\":true}\r\n";
const std::string kNoResponders =
    "CONNECT {\"verbose\":false,\"headers\":true,\"no_responders\":true}\r\n";

constexpr char kRouteConfig[] =
    "cluster {\n  name: dt\n  listen: \"127.0.0.1:-1\"\n"
    "  authorization { user: ruser, password: rpass }\n}\n";

// A peer's route CONNECT (nats-server 2.9's fields), with these credentials ("" leaves them
// out) and cluster name.
std::string RouteConnect(std::string_view user, std::string_view pass,
                         std::string_view cluster = "dt") {
  std::string credentials;
  if (!user.empty()) credentials = absl::StrFormat("\"user\":\"%s\",\"pass\":\"%s\",", user, pass);
  return absl::StrFormat(
      "CONNECT {\"echo\":true,\"verbose\":false,\"pedantic\":false,%s\"tls_required\":false,"
      "\"headers\":true,\"name\":\"NPEERDIFFERENTIAL\",\"cluster\":\"%s\",\"lnoc\":true}\r\n",
      credentials, cluster);
}

// The INFO a peer sends after its CONNECT.
std::string RouteInfo(std::string_view cluster = "dt") {
  return absl::StrFormat(
      "INFO {\"server_id\":\"NPEERDIFFERENTIAL\",\"server_name\":\"peer\",\"version\":"
      "\"2.9.10\",\"host\":\"127.0.0.1\",\"port\":1,\"headers\":true,\"cluster\":\"%s\","
      "\"connect_urls\":[\"127.0.0.1:2\"]}\r\n",
      cluster);
}

std::vector<Transcript> Transcripts() {
  return {
      // CONNECT, PING and verbose mode.
      {"ConnectEmptyIsVerbose", {{0, "CONNECT {}\r\n"}, {0, "SUB a 1\r\nPUB a 1\r\nx\r\n"}}},
      {"ConnectQuiet", {{0, kQuiet}, {0, "SUB a 1\r\nPUB a 1\r\nx\r\nUNSUB 1\r\n"}}},
      {"NoConnectIsVerbose", {{0, "SUB foo 1\r\nPUB foo 2\r\nhi\r\nUNSUB 1\r\n"}}},
      {"ConnectWithoutSpace", {{0, "CONNECT{\"verbose\":true}\r\n"}}},
      {"ConnectTwiceTogglesVerbose",
       {{0, kQuiet},
        {0, "SUB a 1\r\n"},
        {0, "CONNECT {\"verbose\":true}\r\n"},
        {0, "SUB b 2\r\n"}}},
      {"ConnectTypicalClient",
       {{0,
         "CONNECT {\"verbose\":false,\"pedantic\":false,\"tls_required\":false,\"name\":\"n\","
         "\"lang\":\"go\",\"version\":\"1.2.2\",\"protocol\":1,\"extra\":{\"a\":[1]}}\r\n"}}},
      {"PingVariants", {{0, "PING\r\nping\r\nPiNg\r\nPING foo\r\nPINGX\r\nPING\n", true, 6}}},
      {"PingsAroundTraffic",
       {{0, "PING\r\nSUB a 1\r\nPING\r\nPUB a 1\r\nx\r\nPING\r\n", true, 3}, {0, "PONG\r\n"}}},
      {"ClientPongInfoOkIgnored", {{0, "PONG\r\nINFO {}\r\n+OK\r\n+OKAY\r\n"}}},
      {"CaseInsensitiveVerbsAndTabs",
       {{0, "connect {\"verbose\":false}\r\nsub\tfoo\t1\r\nPuB  foo   1  \r\nx\r\nunsub 1\r\n"}}},
      {"BareLfControlLines", {{0, "CONNECT {\"verbose\":false}\nSUB foo 1\nPUB foo 1\nx\r\n"}}},
      // Errors that close with -ERR.
      {"UnknownVerb", {{0, kQuiet}, {0, "FOO bar\r\n"}, {0, "PING\r\n", true, 1}}},
      {"MissingSeparator", {{0, kQuiet}, {0, "PUBfoo 1\r\n"}}},
      {"LeadingBlank", {{0, " PING\r\n"}}},
      {"EmptyLine", {{0, kQuiet}, {0, "\r\n"}}},
      {"TruncatedVerbs", {{0, "PU\r\n"}}},
      {"ClientSentMsg", {{0, kQuiet}, {0, "MSG foo 1 1\r\na\r\n"}}},
      {"ClientSentRouteProtocol", {{0, kQuiet}, {0, "RS+ $G foo\r\n"}}},
      {"PayloadLongerThanDeclared", {{0, kQuiet}, {0, "SUB foo 1\r\nPUB foo 2\r\nhello\r\n"}}},
      {"PayloadBareLfTerminator", {{0, kQuiet}, {0, "PUB foo 2\nhi\n"}}},
      {"BinaryGarbage", {{0, std::string("\x00\x01\x02\xff\xfe\r\n", 7)}}},
      {"GarbageAfterTraffic",
       {{0, "SUB foo 1\r\nPUB foo 1\r\na\r\n"}, {0, std::string("\x7f\x80garbage\r\n")}}},
      {"ErrWithoutSeparator", {{0, kQuiet}, {0, "-ERR\r\n"}}},
      {"InvalidClientProtocol", {{0, "CONNECT {\"protocol\":2}\r\n"}}},
      {"NoRespondersWithoutHeaders", {{0, "CONNECT {\"no_responders\":true}\r\n"}}},
      // Silent closes.
      {"PubMissingSize", {{0, kQuiet}, {0, "PUB foo\r\n"}}},
      {"PubTooManyArgs", {{0, kQuiet}, {0, "PUB a b c 1\r\n"}}},
      {"PubNonNumericSize", {{0, kQuiet}, {0, "PUB foo 1x\r\n"}}},
      {"PubNegativeSize", {{0, "PUB foo -1\r\n"}}},
      {"SubOneArg", {{0, kQuiet}, {0, "SUB foo\r\n"}}},
      {"SubFourArgs", {{0, kQuiet}, {0, "SUB a b c d\r\n"}}},
      {"UnsubThreeArgs", {{0, kQuiet}, {0, "UNSUB 1 2 3\r\n"}}},
      {"ConnectBadJson", {{0, "CONNECT {\"verbose\":\r\n"}}},
      {"ConnectWrongType", {{0, "CONNECT {\"echo\":\"no\"}\r\n"}}},
      // nats-server unmarshals the whole rest of the CONNECT line: anything but blanks after
      // the object (a NUL byte included) closes, with auth on or off.
      {"ConnectTrailingGarbage", {{0, "CONNECT {\"verbose\":false} garbage\r\n"}}},
      {"ConnectTwoObjects", {{0, "CONNECT {} {}\r\n"}}},
      {"ConnectObjectThenLetter", {{0, "CONNECT {}x\r\n"}}},
      {"ConnectTrailingNul", {{0, std::string("CONNECT {}\0garbage\r\n", 20)}}},
      {"ConnectTrailingBlanksAccepted", {{0, "CONNECT {\"verbose\":false} \t \r\n"}}},
      {"ConnectTrailingGarbageWithAuth",
       {{0, "CONNECT {\"verbose\":false,\"user\":\"a\",\"pass\":\"b\"} x\r\n"}},
       "authorization { user: a, password: b }\n"},
      {"ConnectTrailingNulWithAuth",
       {{0, std::string("CONNECT {\"user\":\"a\",\"pass\":\"b\"}\0\r\n", 34)}},
       "authorization { user: a, password: b }\n"},
      {"HpubWithoutHeadersSupport", {{0, kQuiet}, {0, "HPUB foo 12 12\r\nNATS/1.0\r\n\r\n\r\n"}}},
      {"HpubHeaderLargerThanTotal", {{0, kHeaders}, {0, "HPUB foo 5 2\r\n"}}},
      {"ClientSentErr", {{0, kQuiet}, {0, "-ERR 'oops'\r\n"}}},
      // Errors that keep the connection.
      {"InvalidSubjects",
       {{0, "SUB foo..bar 1\r\nSUB foo.>.bar 2\r\nSUB .foo 3\r\nSUB foo. 4\r\n"},
        {0, "SUB foo*.bar 5\r\nSUB f> 6\r\nSUB foo.*.> 7\r\nPUB foo*.bar 1\r\nx\r\n"}}},
      // The queue name nats-server reserves: a permissions violation, before the subject is
      // checked and before max_subscriptions, whatever the user's permissions say.
      {"ReservedSysQueue",
       {{0, "SUB foo _sys_ 1\r\nSUB foo.* _sys_ 2\r\nSUB foo.. _sys_ 3\r\nSUB foo _sys_ 1\r\n"},
        {0, "SUB foo _SYS_ 4\r\nSUB _sys_ 5\r\nPUB foo 1\r\nx\r\nPUB _sys_ 1\r\ny\r\n"},
        {0, "SUB bar _sys_x 6\r\nPUB bar 1\r\nz\r\n"}}},
      {"ReservedSysQueueQuiet", {{0, kQuiet}, {0, "SUB foo\t_sys_\t1\r\nPUB foo 1\r\nx\r\n"}}},
      {"ReservedSysQueueBeforeMaxSubscriptions",
       {{0, "SUB a 1\r\nSUB b _sys_ 2\r\nSUB c 3\r\n"}},
       "max_subscriptions: 1\n"},
      {"ReservedSysQueueDespitePermissions",
       {{0, "CONNECT {\"verbose\":false,\"user\":\"a\",\"pass\":\"b\"}\r\n"},
        {0, "SUB foo _sys_ 1\r\nSUB foo q 2\r\nSUB bar _sys_ 3\r\n"}},
       "authorization { users: [ {user: a, password: b, permissions: {subscribe: [\"foo _sys_\", "
       "\"foo\"]}} ] }\n"},
      {"PedanticPublish",
       {{0, "CONNECT {\"verbose\":false}\r\nSUB > 1\r\n"},
        {0, "PUB foo.* 1\r\na\r\nPUB foo..bar 1\r\nb\r\nPUB foo.> 1\r\nc\r\nPUB .x 1\r\nd\r\n"}}},
      {"PedanticVerbosePublish", {{0, "CONNECT {}\r\nPUB foo.* 1\r\na\r\n"}}},
      {"NonPedanticWildcardPublish", {{0, kQuiet}, {0, "SUB foo.* 1\r\nPUB foo.* 2\r\nhi\r\n"}}},
      {"ReservedReplyPrefixes",
       {{0, "SUB foo 1\r\nPUB foo _R_.a 1\r\na\r\nPUB foo $JS.ACK.b 1\r\nb\r\n"}}},
      // Delivery semantics on one connection.
      {"PubWithReplyAndEmptyPayload",
       {{0, kQuiet}, {0, "SUB foo 1\r\nPUB foo bar.baz 0\r\n\r\nPUB foo 4\r\na\r\nb\r\n"}}},
      {"PubSizeWithLeadingZero", {{0, kQuiet}, {0, "SUB foo 1\r\nPUB foo 02\r\nhi\r\n"}}},
      {"UnsubMax",
       {{0, kQuiet},
        {0, "SUB foo 1\r\nUNSUB 1 2\r\nPUB foo 1\r\na\r\nPUB foo 1\r\nb\r\nPUB foo 1\r\nc\r\n"}}},
      {"UnsubMaxAlreadyReached",
       {{0, "SUB foo 1\r\nPUB foo 1\r\na\r\nPUB foo 1\r\nb\r\nUNSUB 1 2\r\nPUB foo 1\r\nc\r\n"}}},
      {"UnsubMaxInvalidOrZero",
       {{0, "SUB a 1\r\nUNSUB 1 abc\r\nSUB b 2\r\nUNSUB 2 0\r\nPUB a 0\r\n\r\nPUB b 0\r\n\r\n"}}},
      {"UnsubUnknownSid", {{0, "UNSUB 42\r\nUNSUB 43 1\r\n"}}},
      {"ReusedSid",
       {{0, kQuiet}, {0, "SUB foo 1\r\nSUB bar 1\r\nPUB bar 1\r\na\r\nPUB foo 1\r\nb\r\n"}}},
      {"Wildcards",
       {{0, kQuiet},
        {0,
         "SUB a.* 1\r\nSUB b.> 2\r\nPUB a 1\r\n1\r\nPUB a.b 1\r\n2\r\nPUB a.b.c 1\r\n3\r\n"
         "PUB b 1\r\n4\r\nPUB b.c 1\r\n5\r\nPUB b.c.d 1\r\n6\r\n"}}},
      {"SplitCommandAcrossWrites",
       {{0, kQuiet},
        {0, "SUB foo 1\r\nPU", false},
        {0, "B foo 5\r\nhe", false},
        {0, "llo\r", false},
        {0, "\n"}}},
      {"HeadersRoundTrip",
       {{0, kHeaders},
        {0,
         "SUB foo 1\r\nHPUB foo rep 18 20\r\nNATS/1.0\r\nA: b\r\n\r\nhi\r\nHPUB foo 0 2\r\nhi\r\n"
         "HPUB foo 12 12\r\nNATS/1.0\r\n\r\n\r\n"}}},
      {"NoResponders",
       {{0, kNoResponders},
        {0, "SUB _INBOX.x 1\r\nPUB nobody _INBOX.x 0\r\n\r\n"},
        {0, "SUB _INBOX.* 2\r\nPUB nobody _INBOX.y 0\r\n\r\nPUB nobody 0\r\n\r\n"}}},
      {"EchoFalseOwnMessages",
       {{0,
         "CONNECT {\"verbose\":false,\"echo\":false}\r\nSUB foo 1\r\nSUB foo q 2\r\n"
         "PUB foo 1\r\nx\r\n"}}},
      // Limits from the config file.
      {"MaxPayload",
       {{0, kQuiet},
        {0, "PUB foo 1024\r\n" + std::string(1024, 'p') + "\r\n"},
        {0, "PUB foo 1025\r\n"}},
       "max_payload: 1024\n"},
      {"MaxControlLine",
       {{0, kQuiet},
        {0, "SUB " + std::string(98, 'a') + " 1\r\n"},
        {0, "SUB " + std::string(99, 'a') + " 2\r\n"}},
       "max_control_line: 100\n"},
      {"MaxControlLinePartial",
       {{0, kQuiet}, {0, "PUB " + std::string(300, 'a'), false}},
       "max_control_line: 100\n"},
      {"MaxSubscriptions",
       {{0, "SUB a 1\r\nSUB b 2\r\nUNSUB 1\r\nSUB b 2\r\nPUB b 1\r\nx\r\n"}},
       "max_subscriptions: 1\n"},
      // Several connections (only connection 0 publishes across connections).
      {"CrossConnectionDelivery",
       {{1, kQuiet + "SUB foo 9\r\nSUB foo.* 8\r\n"},
        {0, kQuiet + "PUB foo 1\r\na\r\nPUB foo.bar reply 1\r\nb\r\n"}}},
      {"HeadersStrippedForPlainSubscriber",
       {{1, kQuiet + "SUB foo 9\r\n"},
        {0, kHeaders + "HPUB foo 18 20\r\nNATS/1.0\r\nA: b\r\n\r\nhi\r\n"}}},
      {"EchoFalseStillDeliversToOthers",
       {{1, kQuiet + "SUB foo 9\r\n"},
        {0, "CONNECT {\"verbose\":false,\"echo\":false}\r\nSUB foo 1\r\nPUB foo 1\r\nx\r\n"}}},
      {"SingleQueueMemberGetsEverything",
       {{1, kQuiet + "SUB work grp 9\r\n"},
        {0, kQuiet + "PUB work 1\r\n1\r\nPUB work 1\r\n2\r\nPUB work 1\r\n3\r\n"}}},
      {"NoRespondersNotSentWhenDelivered",
       {{1, kQuiet + "SUB svc 9\r\n"},
        {0, kNoResponders + "SUB _INBOX.r 1\r\nPUB svc _INBOX.r 0\r\n\r\n"}}},
      {"ErrorOnOneConnectionOnly",
       {{1, kQuiet + "SUB bar 9\r\n"},
        {1, "BOGUS\r\n"},
        {0, kQuiet + "SUB foo 1\r\nPUB foo 1\r\nb\r\nPUB bar 1\r\nc\r\n"}}},
      // The route handshake, on the route port of a server with route credentials.
      {"RouteWrongPassword", {{0, RouteConnect("ruser", "wrong")}}, kRouteConfig, true},
      {"RouteMissingCredentials", {{0, RouteConnect("", "")}}, kRouteConfig, true},
      {"RouteOtherClusterName",
       {{0, RouteConnect("ruser", "rpass", "elsewhere")}},
       kRouteConfig,
       true},
      // Refused on the INFO path nats-server closes without a word.
      {"RouteOtherClusterNameInInfo",
       {{0, RouteConnect("ruser", "rpass") + RouteInfo("elsewhere")}},
       kRouteConfig,
       true},
      {"ClientOnRoutePort", {{0, kQuiet}}, kRouteConfig, true},
      {"RouteVerbBeforeConnect", {{0, "RS+ $G foo\r\n"}}, kRouteConfig, true},
      {"RouteHandshakeThenInterestAndMessages",
       {{0, RouteConnect("ruser", "rpass") + RouteInfo()},
        {0, "RS+ $G foo\r\nRS+ $G bar q 1\r\nRS- $G foo\r\nRMSG $G foo 2\r\nhi\r\n"},
        {0, "RMSG $G bar + _INBOX.x q 2\r\nhi\r\nRS- $G bar q\r\n"}},
       kRouteConfig,
       true},
      {"RouteGarbageAfterHandshake",
       {{0, RouteConnect("ruser", "rpass") + RouteInfo()}, {0, "BOGUS\r\n"}},
       kRouteConfig,
       true},
  };
}

INSTANTIATE_TEST_SUITE_P(Transcripts, DifferentialTest, ::testing::ValuesIn(Transcripts()),
                         TranscriptName);

}  // namespace
}  // namespace ringnats::harness
