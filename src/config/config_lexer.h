#pragma once
// Splits nats configuration text into tokens. The grammar is nats-server 2.9's, quirks
// included, because a drop-in replacement must accept and refuse the same files: e.g. `[1]`
// is refused (a digit followed by ']' turns into the word "1]"), `port\n4222` is accepted
// (a top-level key may be separated from its value by newlines) and a quoted value that
// starts right at the end of the input silently ends the file.
//
// The lexer keeps its own stack of open maps and arrays instead of recursing, so hostile
// nesting cannot exhaust the call stack; `max_depth` bounds the stack.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ringnats::config::internal {

enum class TokenKind : uint8_t {
  kEnd,    // input finished (possibly early: see above); no more tokens follow
  kError,  // text is the reason; no more tokens follow
  kKey,
  kString,
  kBool,
  kInteger,   // text is the number as written, sign and size suffix included
  kFloat,
  kDatetime,
  kVariable,  // text is the name without '$'
  kInclude,   // text is the path as written
  kArrayStart,
  kArrayEnd,
  kMapStart,
  kMapEnd,
};

struct Token {
  TokenKind kind = TokenKind::kEnd;
  std::string text;
  // Byte offset of the token's first character (of a key's text inside its quotes; of the
  // keyword for an include); for an error, of the offending character.
  size_t offset = 0;
  bool quoted = false;  // kString: not a bare word
};

class ConfigLexer {
 public:
  ConfigLexer(std::string_view input, size_t max_depth);

  Token Next();

 private:
  enum class Frame : uint8_t { kTop, kMap, kArray };
  enum class Expect : uint8_t { kKey, kAfterKey, kValueEnd, kValue };
  struct State {
    Frame frame;
    Expect expect;
  };

  // Each step either produces a token or moves to another state and returns nullopt.
  std::optional<Token> TopKey();
  std::optional<Token> TopAfterKey();
  std::optional<Token> TopValueEnd();
  std::optional<Token> MapKey();
  std::optional<Token> MapAfterKey();
  std::optional<Token> ArrayValue();
  std::optional<Token> ContainerValueEnd(Frame frame);

  Token QuotedKey(bool top_level);
  Token BareKey(size_t start, bool top_level);
  Token Include(size_t keyword_offset);
  Token Value();
  Token OpenContainer(Frame frame);
  Token CloseContainer(TokenKind kind);
  Token RawString(size_t start);
  Token EscapedString(size_t start);
  Token Word(size_t start, size_t resume);
  Token NumberOrWord(size_t start);
  Token Negative(size_t start);
  Token Fraction(size_t start, size_t after_dot);
  Token SizeSuffix(size_t start, size_t after_letter);
  Token Datetime(size_t start, size_t after_year);
  Token Block(size_t start);

  // Decodes the escape whose backslash is at `at` onto `out`; returns the offset after it,
  // or nullopt with `error` set.
  std::optional<size_t> Escape(size_t at, std::string& out, Token& error);

  // -1 past the end; bytes as 0..255. A NUL byte behaves much like the end of the input
  // (nats-server's lexer uses rune 0 for both), so callers test `c <= 0` for "end-like".
  int At(size_t offset) const;
  // Length of the Unicode white-space character at `offset`, 0 if there is none.
  size_t SpaceLength(size_t offset) const;
  void SkipComment();
  void SkipSpaces();
  Expect& expect() { return stack_.back().expect; }

  Token Make(TokenKind kind, std::string text, size_t offset, bool quoted = false);
  Token Fail(size_t offset, std::string reason);
  std::string Describe(size_t offset) const;

  std::string_view input_;
  size_t max_depth_;
  size_t pos_ = 0;
  std::vector<State> stack_;
  std::optional<Token> final_;
};

// Maps byte offsets of one text to 1-based lines and columns.
class LineIndex {
 public:
  explicit LineIndex(std::string_view text);
  std::pair<int, int> LineColumn(size_t offset) const;

 private:
  std::vector<size_t> line_starts_;
};

}  // namespace ringnats::config::internal
