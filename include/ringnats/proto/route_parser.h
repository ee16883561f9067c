#pragma once
// The NATS route protocol parser (what a peer server sends on a route connection), byte-compatible
// with nats-server 2.9.10 for the route verbs: INFO, CONNECT, PING, PONG, +OK, -ERR, RS+, RS-,
// RMSG, HMSG. Same shape as the client parser (parser.h): pull style, views into the input,
// a frame that straddles inputs copied into the parser's own assembly buffer, same results for
// any TCP segmentation. Owned by the one session (route connection) that feeds it.
//
// What nats-server 2.9.10 does and what this parser mirrors:
//  * Verbs are matched case-insensitively byte by byte (`rmsg`, `Rs+`, `hMsG` are accepted);
//    the `+`/`-` of RS+/RS- are exact. RS+/RS-/RMSG/HMSG/-ERR need one space or TAB after the
//    verb, INFO/CONNECT take an optional one, PING/PONG/+OK ignore the rest of their line.
//  * Arguments split on space, TAB, CR and LF. The argument part ends at LF; if a CR was seen in
//    it, the byte before the LF is dropped (the client parser's rule, see parser.cc).
//  * RS+ <account> <subject> [<queue> <weight>]: 2 or 4 arguments, anything else closes the
//    route. A weight that is not 1-9 digits is not an error: nats-server stores -1.
//  * RS- <account> <subject> [<queue>]: 2 or 3 arguments.
//  * RMSG <account> <subject> <size>                       (3 arguments)
//    RMSG <account> <subject> <reply> <size>               (4; the reply may even be `|` or `+`)
//    RMSG <account> <subject> + <reply> [<queue>...] <size> (5 or more: the third argument must
//    RMSG <account> <subject> | <queue>... <size>            be exactly `+` or `|`)
//    HMSG: the same with <header size> <total size> in place of <size> (4, 5, 6+ arguments);
//    header size above total size closes the route.
//    Sizes are nats-server's parseSize: 1 to 9 decimal digits.
//  * The payload must be followed by CRLF, else -ERR 'Unknown Protocol Operation' and close.
//  * Limits: nats-server checks max_control_line only on client connections and routes get no
//    max_payload (a route client has mpay = -1; a 2,000,000-byte RMSG to a default server was
//    accepted, observed). The defaults below are therefore "no limit". Both can be set (the
//    broker may bound a route's memory); exceeding one is a ringnats-only silent close.
//  * Not route verbs here: PUB, HPUB, SUB, UNSUB, MSG, A+/A-, LS+/LS-/LMSG are
//    kUnknownOperation. nats-server's shared state machine accepts some of them on a route
//    (SUB and A+/A- are ignored, UNSUB acts as RS-, PUB is parsed and dropped) but a nats-server
//    peer never sends them; LS+/LS-/LMSG are sent only to a peer whose INFO/CONNECT says
//    "lnoc":true, so ringnats must not announce lnoc until it parses them.

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

namespace ringnats::proto {

struct RouteParserLimits {
  size_t max_control_line = std::numeric_limits<size_t>::max();  // nats-server: none on routes
  int64_t max_payload = -1;  // RMSG size / HMSG total size; negative = no limit (nats-server)
};

enum class RouteOpType : uint8_t {
  kInfo,     // json
  kConnect,  // json
  kPing,
  kPong,
  kOk,        // +OK (ignored by nats-server)
  kSubPlus,   // RS+: account, subject, queue, weight
  kSubMinus,  // RS-: account, subject, queue
  kRmsg,      // account, subject, reply, queues, payload
  kHmsg,      // account, subject, reply, queues, header_len, payload (= headers then body)
};

// One parsed operation. Views point into the caller's input or the parser's assembly buffer and
// stay valid until the next call to Next().
struct RouteOp {
  RouteOpType type = RouteOpType::kPing;
  std::string_view account;
  std::string_view subject;
  std::string_view reply;  // empty when absent
  std::string_view queue;  // RS+/RS-: the queue group, empty when absent
  // RMSG/HMSG: the queue names as they appear on the line (from the first name to the end of
  // the last, separators included); walk them with NextQueueName. Empty when there are none.
  std::string_view queues;
  uint32_t queue_count = 0;
  int64_t weight = 0;        // RS+ with a queue: the weight, -1 if not 1-9 digits; 0 otherwise
  std::string_view json;     // INFO / CONNECT argument (may be empty); -ERR text on kPeerSentError
  std::string_view payload;  // RMSG: the payload; HMSG: headers + payload
  uint32_t header_len = 0;   // HMSG only
  std::string_view size_text;         // as the peer wrote it (RMSG size / HMSG total size)
  std::string_view header_size_text;  // HMSG only
};

// Takes the next queue name off the front of `rest` (a RouteOp::queues view or what is left of
// it); false when none is left.
bool NextQueueName(std::string_view& rest, std::string_view& name);

// What the parser found wrong, named by nats-server's reaction on a route.
enum class RouteParseError : uint8_t {
  kUnknownOperation,  // -ERR 'Unknown Protocol Operation', then close (Protocol Violation)
  kBadArguments,      // silent close (nats-server logs "processRoutedMsgArgs Parse Error" etc.)
  kPeerSentError,     // the peer sent -ERR: nats-server logs "Route Error ..." and closes
                      // (Parse Error); op.json holds the text
  kAuthViolation,     // set_connect_required(true) and the first op byte is not C/c:
                      // -ERR 'Authorization Violation', then close
  kMaxControlLine,    // ringnats-only limit (see RouteParserLimits): silent close
  kMaxPayload,        // ringnats-only limit (see RouteParserLimits): silent close
};

enum class RouteParseStatus : uint8_t { kOp, kNeedMore, kError };

struct RouteParseStep {
  RouteParseStatus status = RouteParseStatus::kNeedMore;
  RouteParseError error = RouteParseError::kUnknownOperation;  // when status == kError
  RouteOp op;  // when status == kOp; for kPeerSentError op.json holds the -ERR text
};

class RouteParser {
 public:
  explicit RouteParser(RouteParserLimits limits = {}) : limits_(limits) {}

  void set_limits(RouteParserLimits limits) { limits_ = limits; }
  const RouteParserLimits& limits() const { return limits_; }

  // An inbound route on a cluster with authorization: until CONNECT, an op whose first byte is
  // not C/c is kAuthViolation (nats-server's awaitingAuth check applies to routes too).
  void set_connect_required(bool required) { connect_required_ = required; }

  // Consumes bytes from the front of `input` (advancing it). Returns kOp with one operation,
  // kNeedMore once `input` is used up (any partial frame kept inside), or kError; after an error
  // the route must close and Next() must not be called again (it would return the same error).
  const RouteParseStep& Next(std::string_view& input);

  // Bytes of a partial frame held in the assembly buffer.
  size_t buffered_bytes() const { return release_pending_ ? 0 : assembly_.size(); }
  size_t assembly_capacity() const { return assembly_.capacity(); }

 private:
  enum class State : uint8_t {
    kStart,      // at the first byte of an op
    kVerb,       // inside the verb (verb_, verb_pos_)
    kVerbSep,    // verb complete, one space/TAB required
    kSkipSpace,  // skipping spaces/TABs before the arguments
    kArgs,       // inside the argument part, up to LF (partial part in assembly_)
    kSkipLine,   // PING/PONG/+OK: ignoring everything up to LF
    kPayload,    // RMSG/HMSG payload + CRLF being copied into assembly_
    kFailed,
  };

  void Fail(RouteParseError error);
  void FinishLine(const char*& p, const char* end, std::string_view arg, bool arg_in_input);
  void ContinuePayload(const char*& p, const char* end);
  void ReleaseAssembly();

  RouteParserLimits limits_;
  bool connect_required_ = false;
  State state_ = State::kStart;
  uint8_t verb_ = 0;      // index into the verb table (route_parser.cc)
  uint8_t verb_pos_ = 0;  // verb bytes matched so far
  bool cr_seen_ = false;
  bool release_pending_ = false;  // assembly_ backs the op returned last; clear on next call
  RouteParseError failure_ = RouteParseError::kUnknownOperation;
  RouteParseStep step_;
  std::string assembly_;
  size_t control_len_ = 0;  // kPayload: argument bytes at the front of assembly_
  size_t frame_len_ = 0;    // kPayload: control_len_ + payload size + 2
};

// The exact -ERR line (with CRLF) nats-server 2.9.10 sends on a route for a parse error, or ""
// for a silent close.
std::string_view RouteErrorLineFor(RouteParseError error);

}  // namespace ringnats::proto
