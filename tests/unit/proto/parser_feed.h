#pragma once
// Test helpers: feed bytes to a Parser in different segmentations and record what came out as
// readable strings, so that every segmentation can be compared with the expected outcome.

#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_format.h"
#include "gtest/gtest.h"
#include "ringnats/proto/parser.h"

namespace ringnats::proto::testing {

inline std::string Escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '\r': out += "\\r"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\\': out += "\\\\"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) {
          out += absl::StrFormat("\\x%02x", static_cast<unsigned char>(c));
        } else {
          out += c;
        }
    }
  }
  return out;
}

inline std::string_view ErrorName(ParseError e) {
  switch (e) {
    case ParseError::kUnknownOperation: return "UnknownOperation";
    case ParseError::kMaxControlLine: return "MaxControlLine";
    case ParseError::kMaxPayload: return "MaxPayload";
    case ParseError::kBadArguments: return "BadArguments";
    case ParseError::kClientSentError: return "ClientSentError";
    case ParseError::kAuthViolation: return "AuthViolation";
  }
  return "?";
}

// One line per op, e.g. `PUB foo reply=r [hello]`, `SUB foo q=g sid=1`, `ERROR BadArguments`.
inline std::string Render(const Op& op) {
  switch (op.type) {
    case OpType::kConnect: return absl::StrFormat("CONNECT [%s]", Escape(op.json));
    case OpType::kInfo: return absl::StrFormat("INFO [%s]", Escape(op.json));
    case OpType::kPing: return "PING";
    case OpType::kPong: return "PONG";
    case OpType::kOk: return "+OK";
    case OpType::kPub:
      return absl::StrFormat("PUB %s%s [%s]", Escape(op.subject),
                             op.reply.empty() ? "" : " reply=" + Escape(op.reply),
                             Escape(op.payload));
    case OpType::kHpub:
      return absl::StrFormat("HPUB %s%s hdr=%d [%s]", Escape(op.subject),
                             op.reply.empty() ? "" : " reply=" + Escape(op.reply), op.header_len,
                             Escape(op.payload));
    case OpType::kSub:
      return absl::StrFormat("SUB %s%s sid=%s", Escape(op.subject),
                             op.queue.empty() ? "" : " q=" + Escape(op.queue), Escape(op.sid));
    case OpType::kUnsub: return absl::StrFormat("UNSUB %s max=%d", Escape(op.sid), op.unsub_max);
  }
  return "?";
}

inline std::string Render(const ParseStep& step) {
  if (step.status == ParseStatus::kError) {
    return absl::StrFormat("ERROR %s", ErrorName(step.error));
  }
  return Render(step.op);
}

struct FeedOptions {
  ParserLimits limits;
  bool headers_allowed = true;
  bool connect_required = false;
};

inline Parser MakeParser(const FeedOptions& setup) {
  Parser parser(setup.limits);
  parser.set_headers_allowed(setup.headers_allowed);
  parser.set_connect_required(setup.connect_required);
  return parser;
}

// Feeds `chunks` in order. Each chunk lives in its own buffer that is scribbled over and freed
// as soon as the parser asks for more, which catches views kept into released input.
// The result is the rendered ops, then `ERROR <kind>` or `MORE <buffered bytes>`.
inline std::vector<std::string> FeedChunks(Parser& parser,
                                           const std::vector<std::string_view>& chunks) {
  std::vector<std::string> out;
  for (std::string_view chunk : chunks) {
    std::string buffer(chunk);
    std::string_view input = buffer;
    while (true) {
      ParseStep step = parser.Next(input);
      if (step.status == ParseStatus::kNeedMore) {
        EXPECT_TRUE(input.empty());
        break;
      }
      out.push_back(Render(step));
      if (step.status == ParseStatus::kError) {
        return out;
      }
    }
    buffer.assign(buffer.size(), '#');
  }
  out.push_back(absl::StrFormat("MORE %d", parser.buffered_bytes()));
  return out;
}

inline std::vector<std::string> FeedWhole(std::string_view bytes, const FeedOptions& setup = {}) {
  Parser parser = MakeParser(setup);
  return FeedChunks(parser, {bytes});
}

inline std::vector<std::string> FeedSplitAt(std::string_view bytes, size_t at,
                                            const FeedOptions& setup = {}) {
  Parser parser = MakeParser(setup);
  return FeedChunks(parser, {bytes.substr(0, at), bytes.substr(at)});
}

inline std::vector<std::string> FeedByteByByte(std::string_view bytes,
                                               const FeedOptions& setup = {}) {
  Parser parser = MakeParser(setup);
  std::vector<std::string_view> chunks;
  for (size_t i = 0; i < bytes.size(); ++i) {
    chunks.push_back(bytes.substr(i, 1));
  }
  return FeedChunks(parser, chunks);
}

// Checks that the whole buffer, every two-way split and byte-by-byte feeding all give
// `expected`.
inline void ExpectParse(std::string_view bytes, const std::vector<std::string>& expected,
                        const FeedOptions& setup = {}) {
  SCOPED_TRACE("input: " + Escape(bytes.substr(0, 200)));
  EXPECT_EQ(FeedWhole(bytes, setup), expected) << "whole buffer";
  for (size_t at = 0; at <= bytes.size(); ++at) {
    std::vector<std::string> got = FeedSplitAt(bytes, at, setup);
    EXPECT_EQ(got, expected) << "split at " << at;
    if (got != expected) {
      break;  // one report per input is enough
    }
  }
  EXPECT_EQ(FeedByteByByte(bytes, setup), expected) << "byte by byte";
}

}  // namespace ringnats::proto::testing
