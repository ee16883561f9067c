// libFuzzer target for the client protocol parser and CONNECT decoding.
//
// Input: 3 header bytes, then the byte stream.
//   byte 0-1  where to split the stream into two inputs (big endian, modulo its length + 1)
//   byte 2    bit 0: small limits (max_control_line 32, max_payload 64) instead of defaults
//             bit 1: HPUB not allowed; bit 2: CONNECT required first
// Invariants: no crash; the whole stream, the two-way split and (for short streams) byte by
// byte give the same ops and the same final state; the assembly buffer stays within
// max_control_line + max_payload + 3 bytes; kNeedMore always uses up the input; every op is
// well formed; ParseConnectOptions never crashes on any CONNECT argument or on the raw bytes.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "ringnats/proto/connect_options.h"
#include "ringnats/proto/parser.h"

namespace {

using ringnats::proto::OpType;
using ringnats::proto::ParseError;
using ringnats::proto::Parser;
using ringnats::proto::ParserLimits;
using ringnats::proto::ParseStatus;
using ringnats::proto::ParseStep;

void Require(bool condition) {
  if (!condition) {
    std::abort();
  }
}

struct Outcome {
  std::vector<std::string> ops;  // one flattened record per op, then the final state
  bool operator==(const Outcome&) const = default;
};

void CheckOp(const ringnats::proto::Op& op) {
  switch (op.type) {
    case OpType::kPub:
    case OpType::kHpub:
      Require(!op.subject.empty());
      Require(op.header_len <= op.payload.size());
      Require(op.type == OpType::kHpub || op.header_len == 0);
      break;
    case OpType::kSub: Require(!op.subject.empty() && !op.sid.empty()); break;
    case OpType::kUnsub: Require(!op.sid.empty() && op.unsub_max >= -1); break;
    case OpType::kConnect: {
      // Only crash-freedom matters here; the result may be either.
      (void)ringnats::proto::ParseConnectOptions(op.json);
      break;
    }
    case OpType::kInfo: (void)ringnats::proto::CheckInfoJson(op.json); break;
    default: break;
  }
}

std::string Flatten(const ParseStep& step) {
  if (step.status == ParseStatus::kError) {
    return "E" + std::to_string(static_cast<int>(step.error));
  }
  const auto& op = step.op;
  std::string s = std::to_string(static_cast<int>(op.type));
  for (std::string_view part : {op.subject, op.reply, op.queue, op.sid, op.json, op.payload}) {
    s += '|';
    s += std::to_string(part.size());
    s += ':';
    s.append(part);
  }
  s += '|' + std::to_string(op.header_len) + '|' + std::to_string(op.unsub_max);
  return s;
}

Outcome Feed(const std::vector<std::string_view>& chunks, const ParserLimits& limits,
             bool headers_allowed, bool connect_required) {
  Parser parser(limits);
  parser.set_headers_allowed(headers_allowed);
  parser.set_connect_required(connect_required);
  const size_t bound = limits.max_control_line + 1 +
                       static_cast<size_t>(limits.max_payload < 0 ? 0 : limits.max_payload) + 2;
  Outcome out;
  for (std::string_view chunk : chunks) {
    // A private copy, wiped when the parser asks for more: views must not outlive it.
    std::string buffer(chunk);
    std::string_view in = buffer;
    while (true) {
      const size_t before = in.size();
      ParseStep step = parser.Next(in);
      Require(in.size() <= before);
      Require(parser.buffered_bytes() <= bound);
      if (step.status == ParseStatus::kNeedMore) {
        Require(in.empty());
        break;
      }
      out.ops.push_back(Flatten(step));
      if (step.status == ParseStatus::kError) {
        return out;
      }
      Require(in.size() < before);  // an op always consumes at least its LF
      CheckOp(step.op);
    }
    buffer.assign(buffer.size(), '#');
  }
  out.ops.push_back("M" + std::to_string(parser.buffered_bytes()));
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 3) {
    return 0;
  }
  const size_t split_hint = (static_cast<size_t>(data[0]) << 8) | data[1];
  const uint8_t flags = data[2];
  const std::string_view stream(reinterpret_cast<const char*>(data + 3), size - 3);

  ParserLimits limits;
  if (flags & 1) {
    limits.max_control_line = 32;
    limits.max_payload = 64;
  }
  const bool headers_allowed = (flags & 2) == 0;
  const bool connect_required = (flags & 4) != 0;

  const Outcome whole = Feed({stream}, limits, headers_allowed, connect_required);
  const size_t at = split_hint % (stream.size() + 1);
  const Outcome split =
      Feed({stream.substr(0, at), stream.substr(at)}, limits, headers_allowed, connect_required);
  Require(split == whole);
  if (stream.size() <= 512) {
    std::vector<std::string_view> bytes;
    for (size_t i = 0; i < stream.size(); ++i) {
      bytes.push_back(stream.substr(i, 1));
    }
    Require(Feed(bytes, limits, headers_allowed, connect_required) == whole);
  }

  (void)ringnats::proto::ParseConnectOptions(stream);
  return 0;
}
