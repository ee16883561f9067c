// libFuzzer target for the route protocol parser.
//
// Input: 3 header bytes, then the byte stream.
//   byte 0-1  where to split the stream into two inputs (big endian, modulo its length + 1)
//   byte 2    bit 0: small limits (max_control_line 64, max_payload 64) instead of none
//             bit 1: CONNECT required first
// Invariants: no crash; the whole stream, the two-way split and (for short streams) byte by
// byte give the same ops and the same final state; kNeedMore always uses up the input; every
// op is well formed (queue names walk to queue_count, header size within the payload).

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "ringnats/proto/connect_options.h"
#include "ringnats/proto/route_parser.h"

namespace {

using ringnats::proto::NextQueueName;
using ringnats::proto::RouteOp;
using ringnats::proto::RouteOpType;
using ringnats::proto::RouteParser;
using ringnats::proto::RouteParserLimits;
using ringnats::proto::RouteParseStatus;
using ringnats::proto::RouteParseStep;

void Require(bool condition) {
  if (!condition) {
    std::abort();
  }
}

void CheckOp(const RouteOp& op) {
  switch (op.type) {
    case RouteOpType::kRmsg:
    case RouteOpType::kHmsg: {
      Require(!op.account.empty() && !op.subject.empty());
      Require(op.header_len <= op.payload.size());
      Require(op.type == RouteOpType::kHmsg || op.header_len == 0);
      std::string_view rest = op.queues;
      std::string_view name;
      uint32_t n = 0;
      while (NextQueueName(rest, name)) {
        Require(!name.empty());
        ++n;
      }
      Require(n == op.queue_count);
      break;
    }
    case RouteOpType::kSubPlus:
    case RouteOpType::kSubMinus:
      Require(!op.account.empty() && !op.subject.empty());
      Require(op.weight >= -1);
      break;
    case RouteOpType::kInfo: (void)ringnats::proto::CheckInfoJson(op.json); break;
    default: break;
  }
}

std::string Flatten(const RouteParseStep& step) {
  if (step.status == RouteParseStatus::kError) {
    return "E" + std::to_string(static_cast<int>(step.error));
  }
  const RouteOp& op = step.op;
  std::string s = std::to_string(static_cast<int>(op.type));
  for (std::string_view part :
       {op.account, op.subject, op.reply, op.queue, op.queues, op.json, op.payload}) {
    s += '|';
    s += std::to_string(part.size());
    s += ':';
    s.append(part);
  }
  s += '|' + std::to_string(op.header_len) + '|' + std::to_string(op.weight) + '|' +
       std::to_string(op.queue_count);
  return s;
}

std::vector<std::string> Feed(const std::vector<std::string_view>& chunks,
                              const RouteParserLimits& limits, bool connect_required) {
  RouteParser parser(limits);
  parser.set_connect_required(connect_required);
  std::vector<std::string> out;
  for (std::string_view chunk : chunks) {
    std::string buffer(chunk);  // wiped when the parser asks for more
    std::string_view in = buffer;
    while (true) {
      const size_t before = in.size();
      const RouteParseStep& step = parser.Next(in);
      Require(in.size() <= before);
      if (step.status == RouteParseStatus::kNeedMore) {
        Require(in.empty());
        break;
      }
      out.push_back(Flatten(step));
      if (step.status == RouteParseStatus::kError) {
        return out;
      }
      Require(in.size() < before);
      CheckOp(step.op);
    }
    buffer.assign(buffer.size(), '#');
  }
  out.push_back("M" + std::to_string(parser.buffered_bytes()));
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
  RouteParserLimits limits;
  if (flags & 1) {
    limits.max_control_line = 64;
    limits.max_payload = 64;
  }
  const bool connect_required = (flags & 2) != 0;

  const std::vector<std::string> whole = Feed({stream}, limits, connect_required);
  const size_t at = split_hint % (stream.size() + 1);
  Require(Feed({stream.substr(0, at), stream.substr(at)}, limits, connect_required) == whole);
  if (stream.size() <= 512) {
    std::vector<std::string_view> bytes;
    for (size_t i = 0; i < stream.size(); ++i) {
      bytes.push_back(stream.substr(i, 1));
    }
    Require(Feed(bytes, limits, connect_required) == whole);
  }
  return 0;
}
