#pragma once
// The NATS client protocol parser (client -> server direction), byte-compatible with
// nats-server 2.9.10's parser.go: case-insensitive verbs, space/TAB separators, LF or CRLF
// control lines, strict CRLF after payloads, max_control_line on the argument part (also
// while a partial line is buffered), max_payload checked as soon as the control line is
// parsed, survives any TCP segmentation.
//
// Pull style: the session calls Next() until it returns kNeedMore or kError. A frame that
// straddles two inputs is copied into the parser's own assembly buffer, so the caller may
// release its input buffer after Next() returns kNeedMore. Owned by one session.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace ringnats::proto {

struct ParserLimits {
  size_t max_control_line = 4096;   // bytes of arguments after the verb and its separator
  int64_t max_payload = 1048576;    // PUB size / HPUB total size
};

enum class OpType : uint8_t {
  kConnect,  // json
  kPub,      // subject, reply, payload
  kHpub,     // subject, reply, header_len, payload (= headers followed by body)
  kSub,      // subject, queue, sid
  kUnsub,    // sid, unsub_max
  kPing,
  kPong,
  kInfo,     // json (ignored by servers)
  kOk,       // +OK (ignored)
};

// One parsed operation. Views point into the caller's input or the parser's assembly buffer
// and stay valid until the next call to Next().
struct Op {
  OpType type = OpType::kPing;
  std::string_view subject;
  std::string_view reply;     // empty when absent
  std::string_view queue;     // empty when absent
  std::string_view sid;
  std::string_view json;      // CONNECT / INFO argument (may be empty)
  std::string_view payload;   // PUB: the payload; HPUB: headers + payload
  uint32_t header_len = 0;    // HPUB only
  // UNSUB: -1 when no max was given; 0 when it was given but is 0 or not a number
  // (nats-server then removes the subscription at once).
  int64_t unsub_max = -1;
};

// What the parser found wrong, named by nats-server's reaction to it.
enum class ParseError : uint8_t {
  kUnknownOperation,    // -ERR 'Unknown Protocol Operation', then close
  kMaxControlLine,      // -ERR 'maximum control line exceeded', then close
  kMaxPayload,          // -ERR 'Maximum Payload Violation', then close
  kBadArguments,        // silent close (wrong argument count, bad size, header > total)
  kClientSentError,     // the client sent -ERR: silent close
};

enum class ParseStatus : uint8_t { kOp, kNeedMore, kError };

struct ParseStep {
  ParseStatus status = ParseStatus::kNeedMore;
  ParseError error = ParseError::kUnknownOperation;  // meaningful when status == kError
  Op op;                                             // meaningful when status == kOp
};

class Parser {
 public:
  explicit Parser(ParserLimits limits = {}) : limits_(limits) {}

  void set_limits(ParserLimits limits) { limits_ = limits; }
  const ParserLimits& limits() const { return limits_; }

  // Consumes bytes from the front of `input` (advancing it). Returns kOp with one operation,
  // kNeedMore once `input` is used up (any partial frame kept inside), or kError; after an
  // error the connection must close and Next() must not be called again.
  ParseStep Next(std::string_view& input);

  // Bytes of a partial frame held in the assembly buffer.
  size_t buffered_bytes() const;

 private:
  ParserLimits limits_;
  // Implementation state: see parser.cc.
  std::string assembly_;
  size_t frame_need_ = 0;     // payload frames: bytes still wanted in assembly_
  size_t control_len_ = 0;    // payload frames: length of the control line part
  bool in_payload_ = false;
  Op pending_op_;             // the parsed control line of a payload frame in assembly
};

// The exact -ERR line nats-server 2.9.10 sends for a parse error, or "" for a silent close.
std::string_view ErrorLineFor(ParseError error);

}  // namespace ringnats::proto
