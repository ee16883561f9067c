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
  size_t max_control_line = 4096;  // bytes of arguments after the verb and its separator
  int64_t max_payload = 1048576;   // PUB size / HPUB total size; negative = no limit
};

enum class OpType : uint8_t {
  kConnect,  // json
  kPub,      // subject, reply, payload
  kHpub,     // subject, reply, header_len, payload (= headers followed by body)
  kSub,      // subject, queue, sid
  kUnsub,    // sid, unsub_max
  kPing,
  kPong,
  kInfo,  // json (ignored by servers)
  kOk,    // +OK (ignored)
};

// One parsed operation. Views point into the caller's input or the parser's assembly buffer
// and stay valid until the next call to Next().
struct Op {
  OpType type = OpType::kPing;
  std::string_view subject;
  std::string_view reply;  // empty when absent
  std::string_view queue;  // empty when absent
  std::string_view sid;
  std::string_view json;     // CONNECT / INFO argument (may be empty)
  std::string_view payload;  // PUB: the payload; HPUB: headers + payload
  uint32_t header_len = 0;   // HPUB only
  // The sizes as the client wrote them (PUB: payload size; HPUB: total and header sizes).
  // nats-server echoes them verbatim in MSG/HMSG, leading zeros included.
  std::string_view size_text;
  std::string_view header_size_text;
  // UNSUB: -1 when no max was given; 0 when it was given but is 0 or not a number
  // (nats-server then removes the subscription at once).
  int64_t unsub_max = -1;
};

// What the parser found wrong, named by nats-server's reaction to it.
enum class ParseError : uint8_t {
  kUnknownOperation,  // -ERR 'Unknown Protocol Operation', then close
  kMaxControlLine,    // -ERR 'maximum control line exceeded', then close
  kMaxPayload,        // -ERR 'Maximum Payload Violation', then close
  kBadArguments,      // silent close (wrong argument count, bad size, header > total)
  kClientSentError,   // the client sent -ERR: silent close
  kAuthViolation,     // set_connect_required(true) and the op does not start with C/c:
                      // -ERR 'Authorization Violation', then close
};

enum class ParseStatus : uint8_t { kOp, kNeedMore, kError };

struct ParseStep {
  ParseStatus status = ParseStatus::kNeedMore;
  ParseError error = ParseError::kUnknownOperation;  // meaningful when status == kError
  Op op;  // meaningful when status == kOp; for kClientSentError op.json holds the -ERR text
};

class Parser {
 public:
  explicit Parser(ParserLimits limits = {}) : limits_(limits) {}

  void set_limits(ParserLimits limits) { limits_ = limits; }
  const ParserLimits& limits() const { return limits_; }

  // nats-server accepts HPUB only after a CONNECT with "headers":true; otherwise HPUB fails
  // with kBadArguments before its arguments are even looked at (so an oversized HPUB is a
  // silent close, not a payload violation). Defaults to allowed; the session turns it off
  // until CONNECT says otherwise.
  void set_headers_allowed(bool allowed) { headers_allowed_ = allowed; }

  // While auth is pending, an op whose first byte is not C/c is kAuthViolation (checked on
  // that first byte, before any other parse error, like nats-server).
  void set_connect_required(bool required) { connect_required_ = required; }

  // Consumes bytes from the front of `input` (advancing it). Returns kOp with one operation,
  // kNeedMore once `input` is used up (any partial frame kept inside), or kError; after an
  // error the connection must close and Next() must not be called again (it would return the
  // same error). The step lives in the parser and is overwritten by the next call: filling
  // one in place is cheaper than building and zeroing a fresh one per operation.
  const ParseStep& Next(std::string_view& input);

  // Bytes of a partial frame held in the assembly buffer.
  size_t buffered_bytes() const { return release_pending_ ? 0 : assembly_.size(); }

  // Capacity of the assembly buffer (for tests and memory accounting). Stays at or below
  // max_control_line + max_payload + a few bytes, and shrinks back after large frames.
  size_t assembly_capacity() const { return assembly_.capacity(); }

 private:
  enum class State : uint8_t {
    kStart,      // at the first byte of an op
    kVerb,       // inside the verb (verb_, verb_pos_)
    kVerbSep,    // verb complete, one space/TAB required
    kSkipSpace,  // skipping spaces/TABs before the arguments
    kArgs,       // inside the argument part, up to LF (partial part in assembly_)
    kSkipLine,   // PING/PONG/+OK: ignoring everything up to LF
    kPayload,    // PUB/HPUB payload + CRLF being copied into assembly_
    kFailed,
  };

  void Fail(ParseError error);
  void FinishLine(const char*& p, const char* end, std::string_view arg, bool arg_in_input);
  void ContinuePayload(const char*& p, const char* end);
  void ReleaseAssembly();

  ParserLimits limits_;
  bool headers_allowed_ = true;
  bool connect_required_ = false;
  State state_ = State::kStart;
  uint8_t verb_ = 0;              // index into the verb table (parser.cc)
  uint8_t verb_pos_ = 0;          // verb bytes matched so far
  bool cr_seen_ = false;          // a CR after the first argument byte (see parser.cc)
  bool release_pending_ = false;  // assembly_ backs the op returned last; clear on next call
  ParseError failure_ = ParseError::kUnknownOperation;
  ParseStep step_;  // what Next() returns
  // Partial argument bytes (kArgs), or argument bytes followed by payload bytes (kPayload).
  std::string assembly_;
  size_t control_len_ = 0;  // kPayload: argument bytes at the front of assembly_
  size_t frame_len_ = 0;    // kPayload: control_len_ + payload size + 2
};

// The exact -ERR line (with its CRLF) nats-server 2.9.10 sends for a parse error, or "" for
// a silent close.
std::string_view ErrorLineFor(ParseError error);

}  // namespace ringnats::proto
