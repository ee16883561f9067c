#include "ringnats/proto/route_parser.h"

#include <algorithm>
#include <array>
#include <cstring>

#include "ringnats/util/check.h"

// The byte-level rules (argument part up to LF, the dropped byte after a CR, partial lines and
// payloads kept in assembly_) are the client parser's; see parser.cc. What differs is the verb
// set, the argument splitting (always on space, TAB, CR and LF, any number of arguments) and the
// absence of limits unless the owner sets them.

namespace ringnats::proto {
namespace {

enum Verb : uint8_t { kConnect, kInfo, kPing, kPong, kOk, kErr, kRsPlus, kRsMinus, kRmsg, kHmsg };

enum class After : uint8_t { kSeparator, kOptionalSpace, kIgnoreRest };

struct VerbInfo {
  std::string_view spelling;  // upper case; letters match either case, other bytes exactly
  After after;
};

constexpr std::array<VerbInfo, 10> kVerbs = {{
    {"CONNECT", After::kOptionalSpace},
    {"INFO", After::kOptionalSpace},
    {"PING", After::kIgnoreRest},
    {"PONG", After::kIgnoreRest},
    {"+OK", After::kIgnoreRest},
    {"-ERR", After::kSeparator},
    {"RS+", After::kSeparator},
    {"RS-", After::kSeparator},
    {"RMSG", After::kSeparator},
    {"HMSG", After::kSeparator},
}};

constexpr size_t kRetainedCapacity = 16 * 1024;
// A payload buffer grows with what has arrived, not with what the size line promises: an
// unlimited route must not make us reserve up to 1 GB for a frame that never comes.
constexpr size_t kReserveAhead = 64 * 1024;

// nats-server's parseSize: 1 to 9 decimal digits, anything else is -1. (The client parser has
// the same ten lines in its own translation unit; both stay private to keep parser.cc as is.)
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
inline bool IsSep(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

inline bool NextToken(std::string_view arg, size_t& i, std::string_view& token) {
  const size_t n = arg.size();
  while (i < n && IsSep(arg[i])) {
    ++i;
  }
  if (i == n) {
    return false;
  }
  const size_t start = i;
  while (i < n && !IsSep(arg[i])) {
    ++i;
  }
  token = std::string_view(arg.data() + start, i - start);
  return true;
}

// Up to five leading tokens; returns the count, 6 meaning "more than five".
size_t SplitFew(std::string_view arg, std::array<std::string_view, 5>& t) {
  size_t i = 0;
  size_t n = 0;
  std::string_view tok;
  while (NextToken(arg, i, tok)) {
    if (n == t.size()) {
      return n + 1;
    }
    t[n++] = tok;
  }
  return n;
}

// RMSG / HMSG arguments in nats-server's forms (see route_parser.h); sets every argument field
// of `op`. One pass, no allocation whatever the number of queue names.
bool ParseMsgArgs(bool hmsg, std::string_view arg, RouteOp& op, int64_t& size) {
  std::array<std::string_view, 5> t;
  std::array<std::string_view, 3> last;  // tokens n-1, n-2, n-3
  size_t n = 0;
  size_t i = 0;
  std::string_view tok;
  while (NextToken(arg, i, tok)) {
    if (n < t.size()) {
      t[n] = tok;
    }
    last[2] = last[1];
    last[1] = last[0];
    last[0] = tok;
    ++n;
  }
  op.queue = {};
  op.weight = 0;
  op.json = {};
  op.reply = {};
  op.queues = {};
  op.queue_count = 0;
  const size_t fixed = hmsg ? 4 : 3;  // account, subject, [header size], size
  if (n < fixed) {
    return false;
  }
  op.account = t[0];
  op.subject = t[1];
  if (n == fixed + 1) {
    op.reply = t[2];  // whatever it is, even a lone `+` or `|`
  } else if (n > fixed + 1) {
    if (t[2].size() != 1) {
      return false;
    }
    size_t first_queue;
    if (t[2][0] == '+') {
      op.reply = t[3];
      first_queue = 4;
    } else if (t[2][0] == '|') {
      first_queue = 3;
    } else {
      return false;
    }
    const size_t queue_end = n - (fixed - 2);  // index after the last queue name
    if (first_queue < queue_end) {
      const std::string_view last_queue = hmsg ? last[2] : last[1];
      const char* from = t[first_queue].data();
      op.queues =
          std::string_view(from, static_cast<size_t>(last_queue.data() + last_queue.size() - from));
      op.queue_count = static_cast<uint32_t>(queue_end - first_queue);
    }
  }
  op.size_text = last[0];
  size = ParseSize(op.size_text);
  if (!hmsg) {
    op.type = RouteOpType::kRmsg;
    op.header_len = 0;
    op.header_size_text = {};
    return size >= 0;
  }
  op.type = RouteOpType::kHmsg;
  op.header_size_text = last[1];
  const int64_t hdr = ParseSize(op.header_size_text);
  if (hdr < 0 || size < 0 || hdr > size) {
    return false;
  }
  op.header_len = static_cast<uint32_t>(hdr);
  return true;
}

}  // namespace

bool NextQueueName(std::string_view& rest, std::string_view& name) {
  size_t i = 0;
  if (!NextToken(rest, i, name)) {
    rest = {};
    return false;
  }
  rest.remove_prefix(i);
  return true;
}

std::string_view RouteErrorLineFor(RouteParseError error) {
  switch (error) {
    case RouteParseError::kUnknownOperation: return "-ERR 'Unknown Protocol Operation'\r\n";
    case RouteParseError::kAuthViolation: return "-ERR 'Authorization Violation'\r\n";
    case RouteParseError::kBadArguments:
    case RouteParseError::kPeerSentError:
    case RouteParseError::kMaxControlLine:
    case RouteParseError::kMaxPayload: return "";
  }
  return "";
}

void RouteParser::Fail(RouteParseError error) {
  state_ = State::kFailed;
  failure_ = error;
  step_.status = RouteParseStatus::kError;
  step_.error = error;
}

void RouteParser::ReleaseAssembly() {
  release_pending_ = false;
  if (assembly_.capacity() > kRetainedCapacity) {
    std::string().swap(assembly_);
  } else {
    assembly_.clear();
  }
}

const RouteParseStep& RouteParser::Next(std::string_view& input) {
  RouteParseStep& step = step_;
  step.status = RouteParseStatus::kNeedMore;
  if (release_pending_) {
    ReleaseAssembly();
  }
  const char* p = input.data();
  const char* const end = p + input.size();
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
        uint8_t verb;
        uint8_t pos;
        if (state_ == State::kStart) {
          if (p == end) {
            return step;
          }
          const char b = *p;
          if (connect_required_ && b != 'C' && b != 'c') {
            Fail(RouteParseError::kAuthViolation);
            return step;
          }
          switch (b) {
            case 'C':
            case 'c': verb = kConnect; break;
            case 'I':
            case 'i': verb = kInfo; break;
            case 'P':
            case 'p': verb = kPing; break;  // PONG decided on the next byte
            case 'R':
            case 'r': verb = kRsPlus; break;  // RS- / RMSG decided on later bytes
            case 'H':
            case 'h': verb = kHmsg; break;
            case '+': verb = kOk; break;
            case '-': verb = kErr; break;
            default: Fail(RouteParseError::kUnknownOperation); return step;
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
          const char b = *p;
          const char up = static_cast<char>(b & 0xDF);
          if (pos == 1 && verb == kPing && up == 'O') {
            verb = kPong;
          } else if (pos == 1 && verb == kRsPlus && up == 'M') {
            verb = kRmsg;
          } else if (pos == 2 && verb == kRsPlus && b == '-') {
            verb = kRsMinus;
          }
          const char want = kVerbs[verb].spelling[pos];
          const bool letter = want >= 'A' && want <= 'Z';
          if ((letter ? up : b) != want) {
            Fail(RouteParseError::kUnknownOperation);
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
          Fail(RouteParseError::kUnknownOperation);
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
            Fail(RouteParseError::kMaxControlLine);
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
          Fail(RouteParseError::kMaxControlLine);
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
        step.status = RouteParseStatus::kOp;
        step.op = RouteOp{};
        step.op.type = verb_ == kPing   ? RouteOpType::kPing
                       : verb_ == kPong ? RouteOpType::kPong
                                        : RouteOpType::kOk;
        return step;
      }
      case State::kPayload: ContinuePayload(p, end); return step;
      case State::kFailed: Fail(failure_); return step;
    }
  }
}

void RouteParser::FinishLine(const char*& p, const char* end, std::string_view arg,
                             bool arg_in_input) {
  RouteParseStep& step = step_;
  if (!arg_in_input) {
    release_pending_ = true;
  }
  step.status = RouteParseStatus::kOp;
  RouteOp& op = step.op;
  if (verb_ != kRmsg && verb_ != kHmsg) {
    op = RouteOp{};  // RMSG/HMSG set every field themselves
  }
  switch (verb_) {
    case kConnect:
    case kInfo:
      op.type = verb_ == kConnect ? RouteOpType::kConnect : RouteOpType::kInfo;
      op.json = arg;
      return;
    case kErr:
      Fail(RouteParseError::kPeerSentError);
      op.json = arg;
      return;
    case kRsPlus:
    case kRsMinus: {
      std::array<std::string_view, 5> t;
      const size_t n = SplitFew(arg, t);
      if (verb_ == kRsPlus && n == 4) {
        op.queue = t[2];
        op.weight = ParseSize(t[3]);
      } else if (verb_ == kRsMinus && n == 3) {
        op.queue = t[2];
      } else if (n != 2) {
        Fail(RouteParseError::kBadArguments);
        return;
      }
      op.account = t[0];
      op.subject = t[1];
      op.type = verb_ == kRsPlus ? RouteOpType::kSubPlus : RouteOpType::kSubMinus;
      return;
    }
    case kRmsg:
    case kHmsg: break;
    default: RN_CHECK(false);
  }

  int64_t size = 0;
  if (!ParseMsgArgs(verb_ == kHmsg, arg, op, size)) {
    Fail(RouteParseError::kBadArguments);
    return;
  }
  if (limits_.max_payload >= 0 && size > limits_.max_payload) {
    Fail(RouteParseError::kMaxPayload);
    return;
  }
  const size_t payload = static_cast<size_t>(size);
  const size_t avail = static_cast<size_t>(end - p);
  if (avail >= payload + 2) {
    if (p[payload] != '\r' || p[payload + 1] != '\n') {
      Fail(RouteParseError::kUnknownOperation);
      return;
    }
    op.payload = std::string_view(p, payload);
    p += payload + 2;
    return;
  }
  if (avail > payload && p[payload] != '\r') {
    Fail(RouteParseError::kUnknownOperation);
    return;
  }
  // The frame straddles inputs: keep its argument part and payload so far.
  release_pending_ = false;
  if (arg_in_input) {
    assembly_.assign(arg);
  }
  control_len_ = arg.size();
  frame_len_ = control_len_ + payload + 2;
  assembly_.reserve(std::min(frame_len_, control_len_ + avail + kReserveAhead));
  assembly_.append(p, avail);
  p = end;
  state_ = State::kPayload;
  step.status = RouteParseStatus::kNeedMore;
}

void RouteParser::ContinuePayload(const char*& p, const char* end) {
  RouteParseStep& step = step_;
  const size_t take = std::min(frame_len_ - assembly_.size(), static_cast<size_t>(end - p));
  assembly_.append(p, take);
  p += take;
  const size_t cr_at = frame_len_ - 2;
  if (assembly_.size() > cr_at && assembly_[cr_at] != '\r') {
    Fail(RouteParseError::kUnknownOperation);
    return;
  }
  if (assembly_.size() < frame_len_) {
    step.status = RouteParseStatus::kNeedMore;
    return;
  }
  if (assembly_[cr_at + 1] != '\n') {
    Fail(RouteParseError::kUnknownOperation);
    return;
  }
  step.status = RouteParseStatus::kOp;
  int64_t size = 0;
  const std::string_view frame(assembly_);
  // These arguments passed every check when the control line ended; the views must now point
  // into assembly_, which may have moved since.
  const bool ok = ParseMsgArgs(verb_ == kHmsg, frame.substr(0, control_len_), step.op, size);
  RN_CHECK(ok && static_cast<size_t>(size) == cr_at - control_len_);
  step.op.payload = frame.substr(control_len_, static_cast<size_t>(size));
  state_ = State::kStart;
  release_pending_ = true;
}

}  // namespace ringnats::proto
