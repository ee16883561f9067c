// Token-level checks of the lexer; most behaviour is tested through the parser.

#include "config_lexer.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace ringnats::config::internal {
namespace {

struct Seen {
  TokenKind kind;
  std::string text;
  size_t offset;
  friend bool operator==(const Seen&, const Seen&) = default;
};

std::vector<Seen> Lex(std::string_view input, size_t max_depth = 128) {
  ConfigLexer lexer(input, max_depth);
  std::vector<Seen> out;
  while (true) {
    Token token = lexer.Next();
    out.push_back({token.kind, token.text, token.offset});
    if (token.kind == TokenKind::kEnd || token.kind == TokenKind::kError) {
      return out;
    }
  }
}

TEST(ConfigLexerTest, TokensAndOffsets) {
  EXPECT_EQ(Lex("a: 1\nm { 'b' = [x, $v] }\ninclude f.conf"),
            (std::vector<Seen>{{TokenKind::kKey, "a", 0},
                               {TokenKind::kInteger, "1", 3},
                               {TokenKind::kKey, "m", 5},
                               {TokenKind::kMapStart, "", 7},
                               {TokenKind::kKey, "b", 10},
                               {TokenKind::kArrayStart, "", 15},
                               {TokenKind::kString, "x", 16},
                               {TokenKind::kVariable, "v", 19},
                               {TokenKind::kArrayEnd, "", 21},
                               {TokenKind::kMapEnd, "", 23},
                               {TokenKind::kInclude, "f.conf", 25},
                               {TokenKind::kEnd, "", 39}}));
}

TEST(ConfigLexerTest, ScalarKinds) {
  EXPECT_EQ(Lex("a: yes")[1], (Seen{TokenKind::kBool, "yes", 3}));
  EXPECT_EQ(Lex("a: 1.5")[1], (Seen{TokenKind::kFloat, "1.5", 3}));
  EXPECT_EQ(Lex("a: -2KB")[1], (Seen{TokenKind::kInteger, "-2KB", 3}));
  EXPECT_EQ(Lex("a: 2006-01-02T15:04:05Z")[1],
            (Seen{TokenKind::kDatetime, "2006-01-02T15:04:05Z", 3}));
  EXPECT_EQ(Lex("a: 1.2.3.4")[1], (Seen{TokenKind::kString, "1.2.3.4", 3}));
}

TEST(ConfigLexerTest, QuotedFlag) {
  ConfigLexer lexer("a: 'x'\nb: x\nc: (\ny\n)\n", 8);
  lexer.Next();
  EXPECT_TRUE(lexer.Next().quoted);
  lexer.Next();
  EXPECT_FALSE(lexer.Next().quoted);
  lexer.Next();
  EXPECT_TRUE(lexer.Next().quoted);
}

TEST(ConfigLexerTest, EndAndErrorRepeat) {
  ConfigLexer ended("", 8);
  EXPECT_EQ(ended.Next().kind, TokenKind::kEnd);
  EXPECT_EQ(ended.Next().kind, TokenKind::kEnd);
  ConfigLexer failed("a: .", 8);
  EXPECT_EQ(failed.Next().kind, TokenKind::kKey);
  EXPECT_EQ(failed.Next().kind, TokenKind::kError);
  EXPECT_EQ(failed.Next().kind, TokenKind::kError);
}

TEST(ConfigLexerTest, LineIndex) {
  LineIndex index("ab\ncd\n\ne");
  EXPECT_EQ(index.LineColumn(0), std::make_pair(1, 1));
  EXPECT_EQ(index.LineColumn(2), std::make_pair(1, 3));
  EXPECT_EQ(index.LineColumn(3), std::make_pair(2, 1));
  EXPECT_EQ(index.LineColumn(6), std::make_pair(3, 1));
  EXPECT_EQ(index.LineColumn(7), std::make_pair(4, 1));
  EXPECT_EQ(index.LineColumn(8), std::make_pair(4, 2));
}

}  // namespace
}  // namespace ringnats::config::internal
