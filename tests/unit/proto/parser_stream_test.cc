// Long pipelined streams of valid ops, cut into random chunks: the ops must come out exactly
// as from the unsplit stream.

#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "gtest/gtest.h"
#include "parser_feed.h"
#include "ringnats/proto/parser.h"

namespace ringnats::proto::testing {
namespace {

std::string RandomToken(std::mt19937& rng, size_t max_len) {
  static constexpr std::string_view kChars = "abcxyz.*>_-0123456789";
  std::uniform_int_distribution<size_t> len(1, max_len);
  std::uniform_int_distribution<size_t> pick(0, kChars.size() - 1);
  std::string out;
  for (size_t n = len(rng); n > 0; --n) {
    out += kChars[pick(rng)];
  }
  return out;
}

std::string RandomBlanks(std::mt19937& rng) {
  std::uniform_int_distribution<int> n(1, 3);
  std::string out;
  for (int i = n(rng); i > 0; --i) {
    out += (rng() % 4 == 0) ? '\t' : ' ';
  }
  return out;
}

std::string RandomPayload(std::mt19937& rng, size_t max_len) {
  std::uniform_int_distribution<size_t> len(0, max_len);
  std::string out;
  for (size_t n = len(rng); n > 0; --n) {
    out += static_cast<char>(rng() % 256);
  }
  return out;
}

std::string RandomStream(std::mt19937& rng, int ops) {
  std::string s;
  for (int i = 0; i < ops; ++i) {
    const std::string eol = (rng() % 3 == 0) ? "\n" : "\r\n";
    switch (rng() % 8) {
      case 0: s += "CONNECT" + RandomBlanks(rng) + "{\"verbose\":false}" + eol; break;
      case 1: {
        std::string p = RandomPayload(rng, 40);
        s += "PUB" + RandomBlanks(rng) + RandomToken(rng, 12) +
             (rng() % 2 ? RandomBlanks(rng) + RandomToken(rng, 8) : "") + RandomBlanks(rng) +
             std::to_string(p.size()) + eol + p + "\r\n";
        break;
      }
      case 2: {
        std::string h = "NATS/1.0\r\nK: " + RandomToken(rng, 6) + "\r\n\r\n";
        std::string p = RandomPayload(rng, 20);
        s += absl::StrFormat("hpub %s %d%s%d%s", RandomToken(rng, 10), h.size(), RandomBlanks(rng),
                             h.size() + p.size(), eol) +
             h + p + "\r\n";
        break;
      }
      case 3:
        s += "SUB" + RandomBlanks(rng) + RandomToken(rng, 12) +
             (rng() % 2 ? RandomBlanks(rng) + RandomToken(rng, 5) : "") + RandomBlanks(rng) +
             std::to_string(rng() % 1000) + eol;
        break;
      case 4:
        s += "unsub " + std::to_string(rng() % 1000) +
             (rng() % 2 ? " " + std::to_string(rng() % 10) : "") + eol;
        break;
      case 5: s += (rng() % 2 ? "PING" : "ping junk") + eol; break;
      case 6: s += "PONG" + eol; break;
      default: s += "+OK" + eol; break;
    }
  }
  return s;
}

TEST(ParserStream, RandomChunkingMatchesWhole) {
  std::mt19937 rng(12345);
  for (int round = 0; round < 40; ++round) {
    const std::string stream = RandomStream(rng, 60);
    const std::vector<std::string> expected = FeedWhole(stream);
    ASSERT_EQ(expected.size(), 61u) << Escape(stream);
    ASSERT_EQ(expected.back(), "MORE 0");
    for (int cut = 0; cut < 20; ++cut) {
      std::vector<std::string_view> chunks;
      size_t pos = 0;
      while (pos < stream.size()) {
        size_t len = 1 + rng() % (cut < 10 ? 8 : 200);
        chunks.push_back(std::string_view(stream).substr(pos, len));
        pos += len;
      }
      Parser parser;
      EXPECT_EQ(FeedChunks(parser, chunks), expected);
    }
  }
}

TEST(ParserStream, EverySplitOfAPipeline) {
  std::mt19937 rng(777);
  const std::string stream = RandomStream(rng, 25);
  const std::vector<std::string> expected = FeedWhole(stream);
  ASSERT_EQ(expected.size(), 26u);
  ExpectParse(stream, expected);
}

}  // namespace
}  // namespace ringnats::proto::testing
