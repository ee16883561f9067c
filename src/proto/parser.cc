#include "ringnats/proto/parser.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <optional>

#include "ringnats/util/check.h"

// How the argument part is delimited, matching nats-server's byte state machine:
//  * After the verb (and its separator, if one is required) spaces/TABs are skipped; the first
//    other byte starts the argument part, whatever it is (even CR or LF), and is never taken
//    as a terminator. The part ends at the next LF.
//  * nats-server remembers whether a CR was seen after that first byte and, if so, drops the
//    byte right before the LF (normally the CR of CRLF; in `SUB foo\r 1\n` it drops the `1`).
//    We apply that rule to the whole line whatever the segmentation, which is what the real
//    server does when the line arrives in one read.
//  * max_control_line bounds the argument part after that drop. A partial line is rejected as
//    soon as no continuation could bring it back under the limit.

namespace ringnats::proto {
namespace {

enum Verb : uint8_t { kConnect, kPub, kHpub, kSub, kUnsub, kPing, kPong, kInfo, kOk, kErr };

enum class After : uint8_t { kSeparator, kOptionalSpace, kIgnoreRest };

struct VerbInfo {
  std::string_view spelling;  // upper case
  After after;
};

constexpr std::array<VerbInfo, 10> kVerbs = {{
    {"CONNECT", After::kOptionalSpace},
    {"PUB", After::kSeparator},
    {"HPUB", After::kSeparator},
    {"SUB", After::kSeparator},
    {"UNSUB", After::kSeparator},
    {"PING", After::kIgnoreRest},
    {"PONG", After::kIgnoreRest},
    {"INFO", After::kOptionalSpace},
    {"+OK", After::kIgnoreRest},
    {"-ERR", After::kSeparator},
}};

// Assembly buffers bigger than this are given back once their frame is done, so a session
// that once received a large message does not keep the memory.
constexpr size_t kRetainedCapacity = 16 * 1024;

// nats-server's parseSize: 1 to 9 decimal digits, anything else is -1.
int64_t ParseSize(std::string_view s) {
  if (s.empty() || s.size() > 9) {
    return -1;
  }
  int64_t n = 0;
  for (char c : s) {
    if (c < '0' || c > '9') {
      return -1;
    }
    n = n * 10 + (c - '0');
  }
  return n;
}

inline bool IsBlank(char c) {
  return c == ' ' || c == '\t';
}
inline bool IsBlankOrEol(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static_assert(std::endian::native == std::endian::little, "EndOfToken reads words LSB first");

// A byte in each lane of a word that equals `c`: the lowest flagged lane is always a real
// match (a borrow can only flag lanes above one), which is all EndOfToken needs.
inline uint64_t LanesEqual(uint64_t word, char c) {
  constexpr uint64_t kOnes = 0x0101010101010101;
  constexpr uint64_t kHighBits = 0x8080808080808080;
  const uint64_t x = word ^ (kOnes * static_cast<uint8_t>(c));
  return (x - kOnes) & ~x & kHighBits;
}

// The index of the first separator in `arg` at or after `i` (or its size). Subjects are
// scanned eight bytes at a time: this loop was the largest single cost of a small PUB.
template <bool (*IsSep)(char)>
inline size_t EndOfToken(std::string_view arg, size_t i) {
  const size_t n = arg.size();
  while (i + 8 <= n) {
    uint64_t word;
    std::memcpy(&word, arg.data() + i, 8);
    uint64_t found = LanesEqual(word, ' ') | LanesEqual(word, '\t');
    if constexpr (IsSep == IsBlankOrEol) {
      found |= LanesEqual(word, '\r') | LanesEqual(word, '\n');
    }
    if (found != 0) {
      return i + static_cast<size_t>(std::countr_zero(found) / 8);
    }
    i += 8;
  }
  while (i < n && !IsSep(arg[i])) {
    ++i;
  }
  return i;
}

// The next token of `arg` at or after `i`, separated by bytes for which IsSep holds; false
// when only separators are left. PUB/HPUB separate on space/TAB only, SUB/UNSUB also on CR/LF
// (nats-server uses two different splitters).
template <bool (*IsSep)(char)>
inline bool NextToken(std::string_view arg, size_t& i, std::string_view& token) {
  const size_t n = arg.size();
  while (i < n && IsSep(arg[i])) {
    ++i;
  }
  if (i == n) {
    return false;
  }
  const size_t start = i;
  i = EndOfToken<IsSep>(arg, i);
  token = std::string_view(arg.data() + start, i - start);
  return true;
}

// Splits `arg` into up to four tokens, kept in locals rather than an array (an array here
// cost a store-forwarding stall per op); returns how many there are, 5 meaning "more".
template <bool (*IsSep)(char)>
size_t Split(std::string_view arg, std::string_view& t0, std::string_view& t1,
             std::string_view& t2, std::string_view& t3) {
  size_t i = 0;
  std::string_view more;
  if (!NextToken<IsSep>(arg, i, t0)) return 0;
  if (!NextToken<IsSep>(arg, i, t1)) return 1;
  if (!NextToken<IsSep>(arg, i, t2)) return 2;
  if (!NextToken<IsSep>(arg, i, t3)) return 3;
  return NextToken<IsSep>(arg, i, more) ? 5 : 4;
}

// PUB / HPUB arguments (no limit checks); sets every argument field of `op`. False on a
// wrong count, a bad size, or a header size above the total.
bool ParsePubArgs(bool hpub, std::string_view arg, Op& op, int64_t& size) {
  std::string_view t0, t1, t2, t3;
  const size_t n = Split<IsBlank>(arg, t0, t1, t2, t3);
  op.queue = {};
  op.sid = {};
  op.json = {};
  op.unsub_max = -1;
  op.subject = t0;
  if (!hpub) {
    op.header_len = 0;
    op.header_size_text = {};
    if (n == 2) {
      op.reply = {};
      op.size_text = t1;
    } else if (n == 3) {
      op.reply = t1;
      op.size_text = t2;
    } else {
      return false;
    }
    op.type = OpType::kPub;
    size = ParseSize(op.size_text);
    return size >= 0;
  }
  if (n == 3) {
    op.reply = {};
    op.header_size_text = t1;
    op.size_text = t2;
  } else if (n == 4) {
    op.reply = t1;
    op.header_size_text = t2;
    op.size_text = t3;
  } else {
    return false;
  }
  const int64_t hdr = ParseSize(op.header_size_text);
  size = ParseSize(op.size_text);
  if (hdr < 0 || size < 0 || hdr > size) {
    return false;
  }
  op.type = OpType::kHpub;
  op.header_len = static_cast<uint32_t>(hdr);
  return true;
}

}  // namespace

std::string_view ErrorLineFor(ParseError error) {
  switch (error) {
    case ParseError::kUnknownOperation: return "-ERR 'Unknown Protocol Operation'\r\n";
    case ParseError::kMaxControlLine: return "-ERR 'maximum control line exceeded'\r\n";
    case ParseError::kMaxPayload: return "-ERR 'Maximum Payload Violation'\r\n";
    case ParseError::kAuthViolation: return "-ERR 'Authorization Violation'\r\n";
    case ParseError::kBadArguments:
    case ParseError::kClientSentError: return "";
  }
  return "";
}

void Parser::Fail(ParseError error) {
  state_ = State::kFailed;
  failure_ = error;
  step_.status = ParseStatus::kError;
  step_.error = error;
}

void Parser::ReleaseAssembly() {
  release_pending_ = false;
  if (assembly_.capacity() > kRetainedCapacity) {
    std::string().swap(assembly_);
  } else {
    assembly_.clear();
  }
}

const ParseStep& Parser::Next(std::string_view& input) {
  ParseStep& step = step_;
  step.status = ParseStatus::kNeedMore;
  if (release_pending_) {
    ReleaseAssembly();
  }
  const char* p = input.data();
  const char* const end = p + input.size();
  // Every return hands back what is left of the input.
  struct Advance {
    std::string_view& input;
    const char*& p;
    const char* end;
    ~Advance() { input = std::string_view(p, static_cast<size_t>(end - p)); }
  } advance{input, p, end};

  while (true) {
    switch (state_) {
      case State::kStart:
      case State::kVerb: {
        // Locals, written back once: narrow stores to the members followed by the compiler's
        // wider reloads of them stalled store forwarding on every op.
        uint8_t verb;
        uint8_t pos;
        if (state_ == State::kStart) {
          if (p == end) {
            return step;
          }
          const char b = *p;
          if (connect_required_ && b != 'C' && b != 'c') {
            Fail(ParseError::kAuthViolation);
            return step;
          }
          switch (b) {
            case 'C':
            case 'c': verb = kConnect; break;
            case 'P':
            case 'p': verb = kPub; break;  // PING/PONG decided on the next byte
            case 'H':
            case 'h': verb = kHpub; break;
            case 'S':
            case 's': verb = kSub; break;
            case 'U':
            case 'u': verb = kUnsub; break;
            case 'I':
            case 'i': verb = kInfo; break;
            case '+': verb = kOk; break;
            case '-': verb = kErr; break;
            default: Fail(ParseError::kUnknownOperation); return step;
          }
          ++p;
          pos = 1;
        } else {
          verb = verb_;
          pos = verb_pos_;
        }
        while (pos < kVerbs[verb].spelling.size()) {
          if (p == end) {
            verb_ = verb;
            verb_pos_ = pos;
            state_ = State::kVerb;
            return step;
          }
          // Verb letters past the first byte are all A-Z, so clearing bit 5 is an exact
          // case-insensitive compare.
          const char up = static_cast<char>(*p & 0xDF);
          if (pos == 1 && verb == kPub) {
            if (up == 'I') {
              verb = kPing;
            } else if (up == 'O') {
              verb = kPong;
            }
          }
          if (up != kVerbs[verb].spelling[pos]) {
            Fail(ParseError::kUnknownOperation);
            return step;
          }
          ++p;
          ++pos;
        }
        verb_ = verb;
        switch (kVerbs[verb].after) {
          case After::kSeparator: state_ = State::kVerbSep; break;
          case After::kOptionalSpace: state_ = State::kSkipSpace; break;
          case After::kIgnoreRest: state_ = State::kSkipLine; break;
        }
        continue;
      }
      case State::kVerbSep:
        if (p == end) {
          return step;
        }
        if (!IsBlank(*p)) {
          Fail(ParseError::kUnknownOperation);
          return step;
        }
        ++p;
        state_ = State::kSkipSpace;
        [[fallthrough]];
      case State::kSkipSpace:
        while (p != end && IsBlank(*p)) {
          ++p;
        }
        if (p == end) {
          return step;
        }
        state_ = State::kArgs;
        cr_seen_ = false;
        [[fallthrough]];
      case State::kArgs: {
        // With nothing buffered, *p is the first argument byte, which never terminates.
        const bool fresh = assembly_.empty();
        const char* from = fresh ? p + 1 : p;
        const char* lf = nullptr;
        if (from < end) {
          lf = static_cast<const char*>(std::memchr(from, '\n', static_cast<size_t>(end - from)));
        }
        if (lf == nullptr) {
          const size_t n = static_cast<size_t>(end - p);
          const bool cr =
              cr_seen_ || (from < end && std::memchr(from, '\r', static_cast<size_t>(end - from)));
          if (assembly_.size() + n - (cr ? 1 : 0) > limits_.max_control_line) {
            Fail(ParseError::kMaxControlLine);
            return step;
          }
          assembly_.append(p, n);
          cr_seen_ = cr;
          p = end;
          return step;
        }
        const size_t n = static_cast<size_t>(lf - p);
        bool drop = cr_seen_;
        if (!drop && from < lf) {
          drop = lf[-1] == '\r' || std::memchr(from, '\r', static_cast<size_t>(lf - from));
        }
        const size_t arg_len = assembly_.size() + n - (drop ? 1 : 0);
        if (arg_len > limits_.max_control_line) {
          Fail(ParseError::kMaxControlLine);
          return step;
        }
        std::string_view arg;
        if (fresh) {
          arg = std::string_view(p, arg_len);
        } else {
          assembly_.append(p, n);
          assembly_.resize(arg_len);
          arg = assembly_;
        }
        p = lf + 1;
        state_ = State::kStart;
        FinishLine(p, end, arg, fresh);
        return step;
      }
      case State::kSkipLine: {
        const char* lf =
            static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(end - p)));
        if (lf == nullptr) {
          p = end;
          return step;
        }
        p = lf + 1;
        state_ = State::kStart;
        step.status = ParseStatus::kOp;
        step.op = Op{};
        step.op.type = verb_ == kPing   ? OpType::kPing
                       : verb_ == kPong ? OpType::kPong
                                        : OpType::kOk;
        return step;
      }
      case State::kPayload: ContinuePayload(p, end); return step;
      case State::kFailed: Fail(failure_); return step;
    }
  }
}

// A complete argument part for verb_. `arg` points into the input (arg_in_input) or is
// assembly_. For PUB/HPUB, `p` is at the first payload byte.
void Parser::FinishLine(const char*& p, const char* end, std::string_view arg,
                        bool arg_in_input) {
  ParseStep& step = step_;
  if (!arg_in_input) {
    release_pending_ = true;
  }
  step.status = ParseStatus::kOp;
  Op& op = step.op;
  if (verb_ != kPub && verb_ != kHpub) {
    op = Op{};  // PUB/HPUB set every field themselves: the hot path skips clearing
  }
  switch (verb_) {
    case kConnect:
    case kInfo:
      op.type = verb_ == kConnect ? OpType::kConnect : OpType::kInfo;
      op.json = arg;
      return;
    case kErr:
      Fail(ParseError::kClientSentError);
      op.json = arg;
      return;
    case kSub: {
      std::string_view t0, t1, t2, t3;
      const size_t n = Split<IsBlankOrEol>(arg, t0, t1, t2, t3);
      if (n == 2) {
        op.subject = t0;
        op.sid = t1;
      } else if (n == 3) {
        op.subject = t0;
        op.queue = t1;
        op.sid = t2;
      } else {
        Fail(ParseError::kBadArguments);
        return;
      }
      op.type = OpType::kSub;
      return;
    }
    case kUnsub: {
      std::string_view t0, t1, t2, t3;
      const size_t n = Split<IsBlankOrEol>(arg, t0, t1, t2, t3);
      if (n == 1) {
        op.unsub_max = -1;
      } else if (n == 2) {
        op.unsub_max = std::max<int64_t>(ParseSize(t1), 0);
      } else {
        Fail(ParseError::kBadArguments);
        return;
      }
      op.sid = t0;
      op.type = OpType::kUnsub;
      return;
    }
    case kPub:
    case kHpub: break;
    default: RN_CHECK(false);
  }

  // PUB / HPUB: nats-server's checks in its order.
  if (verb_ == kHpub && !headers_allowed_) {
    Fail(ParseError::kBadArguments);
    return;
  }
  int64_t size = 0;
  if (!ParsePubArgs(verb_ == kHpub, arg, op, size)) {
    Fail(ParseError::kBadArguments);
    return;
  }
  if (limits_.max_payload >= 0 && size > limits_.max_payload) {
    Fail(ParseError::kMaxPayload);
    return;
  }
  const size_t payload = static_cast<size_t>(size);
  const size_t avail = static_cast<size_t>(end - p);
  if (avail >= payload + 2) {
    if (p[payload] != '\r' || p[payload + 1] != '\n') {
      Fail(ParseError::kUnknownOperation);
      return;
    }
    op.payload = std::string_view(p, payload);
    p += payload + 2;
    return;
  }
  if (avail > payload && p[payload] != '\r') {
    Fail(ParseError::kUnknownOperation);
    return;
  }
  // The frame straddles inputs: keep its argument part and payload so far.
  release_pending_ = false;
  if (arg_in_input) {
    assembly_.assign(arg);
  }
  control_len_ = arg.size();
  frame_len_ = control_len_ + payload + 2;
  assembly_.reserve(frame_len_);
  assembly_.append(p, avail);
  p = end;
  state_ = State::kPayload;
  step.status = ParseStatus::kNeedMore;
  return;
}

void Parser::ContinuePayload(const char*& p, const char* end) {
  ParseStep& step = step_;
  const size_t take = std::min(frame_len_ - assembly_.size(), static_cast<size_t>(end - p));
  assembly_.append(p, take);
  p += take;
  const size_t cr_at = frame_len_ - 2;
  if (assembly_.size() > cr_at && assembly_[cr_at] != '\r') {
    Fail(ParseError::kUnknownOperation);
    return;
  }
  if (assembly_.size() < frame_len_) {
    step.status = ParseStatus::kNeedMore;
    return;
  }
  if (assembly_[cr_at + 1] != '\n') {
    Fail(ParseError::kUnknownOperation);
    return;
  }
  step.status = ParseStatus::kOp;
  int64_t size = 0;
  const std::string_view frame(assembly_);
  // These arguments passed every check when the control line ended.
  const bool ok = ParsePubArgs(verb_ == kHpub, frame.substr(0, control_len_), step.op, size);
  RN_CHECK(ok && static_cast<size_t>(size) == cr_at - control_len_);
  step.op.payload = frame.substr(control_len_, static_cast<size_t>(size));
  state_ = State::kStart;
  release_pending_ = true;
  return;
}

}  // namespace ringnats::proto
