#include "config_lexer.h"

#include <algorithm>

#include "absl/strings/str_format.h"
#include "ringnats/util/hex_digit.h"

namespace ringnats::config::internal {

namespace {

bool IsDigit(int c) { return c >= '0' && c <= '9'; }

bool IsBlank(int c) { return c == ' ' || c == '\t'; }

bool IsSeparator(int c) { return c == ':' || c == '='; }

// k, m, g, t, p, e in either case: kilo .. exa.
bool IsSizeSuffix(int c) {
  switch (c) {
    case 'k': case 'K': case 'm': case 'M': case 'g': case 'G':
    case 't': case 'T': case 'p': case 'P': case 'e': case 'E':
      return true;
    default:
      return false;
  }
}

// What may follow an integer (nats-server's set; note that ']' is not in it).
bool EndsNumber(int c) {
  return c <= 0 || c == '\n' || c == '\r' || c == '}' || c == ';' || c == ',' || IsBlank(c);
}

// What ends a bare word.
bool EndsWord(int c) {
  return c <= 0 || c == '\n' || c == '\r' || c == ';' || c == ',' || c == ']' || c == '}' ||
         IsBlank(c);
}

bool EqualsLowercase(std::string_view text, std::string_view lower) {
  if (text.size() != lower.size()) {
    return false;
  }
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
    if (c != lower[i]) {
      return false;
    }
  }
  return true;
}

bool IsBoolWord(std::string_view word) {
  for (std::string_view candidate : {"true", "false", "yes", "no", "on", "off"}) {
    if (EqualsLowercase(word, candidate)) {
      return true;
    }
  }
  return false;
}

}  // namespace

ConfigLexer::ConfigLexer(std::string_view input, size_t max_depth)
    : input_(input), max_depth_(std::max<size_t>(max_depth, 1)) {
  stack_.push_back({Frame::kTop, Expect::kKey});
}

Token ConfigLexer::Next() {
  if (final_) {
    return *final_;
  }
  while (true) {
    std::optional<Token> token;
    const State state = stack_.back();
    switch (state.frame) {
      case Frame::kTop:
        switch (state.expect) {
          case Expect::kKey:
            token = TopKey();
            break;
          case Expect::kAfterKey:
            token = TopAfterKey();
            break;
          default:
            token = TopValueEnd();
            break;
        }
        break;
      case Frame::kMap:
        switch (state.expect) {
          case Expect::kKey:
            token = MapKey();
            break;
          case Expect::kAfterKey:
            token = MapAfterKey();
            break;
          default:
            token = ContainerValueEnd(Frame::kMap);
            break;
        }
        break;
      case Frame::kArray:
        token = state.expect == Expect::kValue ? ArrayValue() : ContainerValueEnd(Frame::kArray);
        break;
    }
    if (token) {
      if (token->kind == TokenKind::kEnd || token->kind == TokenKind::kError) {
        final_ = *token;
      }
      return *std::move(token);
    }
  }
}

std::optional<Token> ConfigLexer::TopKey() {
  while (true) {
    const int c = At(pos_);
    if (c < 0) {
      return Make(TokenKind::kEnd, "", pos_);
    }
    if (size_t n = SpaceLength(pos_); n > 0) {
      pos_ += n;
      continue;
    }
    // The whole file may be wrapped in braces; nats simply skips an opening brace here.
    if (c == '{') {
      ++pos_;
      continue;
    }
    if (c == '#' || (c == '/' && At(pos_ + 1) == '/')) {
      SkipComment();
      continue;
    }
    if (c == '/' || c == 0) {
      return Fail(pos_, absl::StrFormat("found %s where a key was expected", Describe(pos_)));
    }
    break;
  }
  const int c = At(pos_);
  if (IsSeparator(c)) {
    return Fail(pos_, absl::StrFormat("found '%c' where a key was expected", c));
  }
  if (c == '"' || c == '\'') {
    return QuotedKey(/*top_level=*/true);
  }
  return BareKey(pos_, /*top_level=*/true);
}

std::optional<Token> ConfigLexer::TopAfterKey() {
  SkipSpaces();
  const int c = At(pos_);
  if (c <= 0) {
    // A key without a value at the end is dropped; a NUL byte ends the file here.
    return Make(TokenKind::kEnd, "", pos_);
  }
  if (IsSeparator(c)) {
    ++pos_;
  }
  expect() = Expect::kValueEnd;
  return Value();
}

std::optional<Token> ConfigLexer::TopValueEnd() {
  while (true) {
    const int c = At(pos_);
    if (c == '#' || (c == '/' && At(pos_ + 1) == '/')) {
      SkipComment();
      expect() = Expect::kKey;
      return std::nullopt;
    }
    if (c == '/' || IsBlank(c)) {  // a lone slash is ignored here
      ++pos_;
      continue;
    }
    if (c < 0) {
      expect() = Expect::kKey;
      return std::nullopt;
    }
    if (c == 0 || c == '\n' || c == '\r' || c == ';' || c == ',' || c == '}') {
      ++pos_;
      expect() = Expect::kKey;
      return std::nullopt;
    }
    return Fail(pos_, absl::StrFormat(
                          "expected a newline, ';', ',' or a comment after a value, found %s",
                          Describe(pos_)));
  }
}

std::optional<Token> ConfigLexer::MapKey() {
  while (true) {
    const int c = At(pos_);
    if (IsSeparator(c)) {
      return Fail(pos_, absl::StrFormat("found '%c' where a key was expected", c));
    }
    if (c == ']') {
      return Fail(pos_, "found ']' where a map key was expected");
    }
    if (size_t n = SpaceLength(pos_); n > 0) {
      pos_ += n;
      continue;
    }
    if (c == '}') {
      return CloseContainer(TokenKind::kMapEnd);
    }
    if (c == '#' || (c == '/' && At(pos_ + 1) == '/')) {
      SkipComment();
      continue;
    }
    if (c == '/') {
      // nats drops a lone slash here and starts the key with whatever follows it.
      ++pos_;
      return BareKey(pos_, /*top_level=*/false);
    }
    if (c == '"' || c == '\'') {
      return QuotedKey(/*top_level=*/false);
    }
    if (c <= 0) {
      return Fail(pos_, absl::StrFormat("map not closed: found %s", Describe(pos_)));
    }
    return BareKey(pos_, /*top_level=*/false);
  }
}

std::optional<Token> ConfigLexer::MapAfterKey() {
  SkipSpaces();
  if (IsSeparator(At(pos_))) {
    ++pos_;
  }
  SkipSpaces();
  const int c = At(pos_);
  if (c == ',') {
    return Fail(pos_, "found ',' where a value was expected");
  }
  if (c == '}') {
    // The key stays without a value; the parser reproduces what nats makes of that.
    return CloseContainer(TokenKind::kMapEnd);
  }
  expect() = Expect::kValueEnd;
  return Value();
}

std::optional<Token> ConfigLexer::ArrayValue() {
  while (true) {
    const int c = At(pos_);
    if (size_t n = SpaceLength(pos_); n > 0) {
      pos_ += n;
      continue;
    }
    if (c == '#' || (c == '/' && At(pos_ + 1) == '/')) {
      SkipComment();
      continue;
    }
    if (c == '/' || c == ',') {
      return Fail(pos_, absl::StrFormat("found '%c' where an array element was expected", c));
    }
    if (c == ']') {
      return CloseContainer(TokenKind::kArrayEnd);
    }
    expect() = Expect::kValueEnd;
    return Value();
  }
}

// After a value inside a map or an array: blanks and comments, then a separator (the next
// key or element follows) or the closing bracket. Only maps also take ';'.
std::optional<Token> ConfigLexer::ContainerValueEnd(Frame frame) {
  const bool map = frame == Frame::kMap;
  while (true) {
    const int c = At(pos_);
    if (c == '#' || (c == '/' && At(pos_ + 1) == '/')) {
      SkipComment();
      continue;
    }
    if (IsBlank(c)) {
      ++pos_;
      continue;
    }
    // A lone '/' separates too.
    if (c == '/' || c == ',' || c == '\n' || c == '\r' || (map && c == ';')) {
      ++pos_;
      expect() = map ? Expect::kKey : Expect::kValue;
      return std::nullopt;
    }
    if (c == (map ? '}' : ']')) {
      return CloseContainer(map ? TokenKind::kMapEnd : TokenKind::kArrayEnd);
    }
    return Fail(pos_, map ? absl::StrFormat(
                                "expected ',', ';', a newline or '}' after a map value, found %s",
                                Describe(pos_))
                          : absl::StrFormat(
                                "expected ',', a newline or ']' after an array element, found %s",
                                Describe(pos_)));
  }
}

Token ConfigLexer::QuotedKey(bool top_level) {
  const int quote = At(pos_);
  const size_t text_start = pos_ + 1;
  size_t i = text_start;
  while (At(i) > 0 && At(i) != quote) {
    ++i;
  }
  if (At(i) == quote) {
    pos_ = i + 1;
    expect() = Expect::kAfterKey;
    return Make(TokenKind::kKey, std::string(input_.substr(text_start, i - text_start)),
                text_start);
  }
  if (top_level && i == text_start) {
    // A lone quote at the very end: nats ends the file quietly.
    pos_ = i;
    return Make(TokenKind::kEnd, "", i);
  }
  return Fail(i, absl::StrFormat("quoted key not closed: found %s", Describe(i)));
}

Token ConfigLexer::BareKey(size_t start, bool top_level) {
  pos_ = start;
  if (At(pos_) >= 0) {
    ++pos_;  // the first character belongs to the key, whatever it is
  }
  while (true) {
    const int c = At(pos_);
    if (SpaceLength(pos_) > 0) {
      if (EqualsLowercase(input_.substr(start, pos_ - start), "include")) {
        return Include(start);
      }
      break;
    }
    if (IsSeparator(c)) {
      break;
    }
    if (c <= 0) {
      if (top_level) {
        break;
      }
      return Fail(pos_, absl::StrFormat("map not closed: found %s in a key", Describe(pos_)));
    }
    ++pos_;
  }
  expect() = Expect::kAfterKey;
  return Make(TokenKind::kKey, std::string(input_.substr(start, pos_ - start)), start);
}

Token ConfigLexer::Include(size_t keyword_offset) {
  while (IsBlank(At(pos_))) {
    ++pos_;
  }
  const int c = At(pos_);
  std::string path;
  if (c == '"' || c == '\'') {
    size_t i = pos_ + 1;
    while (At(i) > 0 && At(i) != c) {
      ++i;
    }
    if (At(i) != c) {
      return Fail(i, absl::StrFormat("include path not closed: found %s", Describe(i)));
    }
    path.assign(input_.substr(pos_ + 1, i - pos_ - 1));
    pos_ = i + 1;
  } else if (c == '[' || c == '{' || c == '(' || c == '\\' || c == '-' || IsDigit(c) ||
             c == '\n' || c == '\r') {
    return Fail(pos_, absl::StrFormat("expected an include path, found %s", Describe(pos_)));
  } else {
    size_t i = pos_;
    while (true) {
      const int d = At(i);
      if (d <= 0 || d == '\n' || d == '\r' || d == ';' || d == '}' || IsBlank(d)) {
        path.assign(input_.substr(pos_, i - pos_));
        pos_ = i;
        break;
      }
      if (d == '\'') {  // a stray quote ends the path and is dropped
        path.assign(input_.substr(pos_, i - pos_));
        pos_ = i + 1;
        break;
      }
      ++i;
    }
  }
  expect() = Expect::kValueEnd;
  return Make(TokenKind::kInclude, std::move(path), keyword_offset);
}

Token ConfigLexer::Value() {
  while (IsBlank(At(pos_))) {
    ++pos_;
  }
  const size_t start = pos_;
  const int c = At(pos_);
  switch (c) {
    case '[':
      return OpenContainer(Frame::kArray);
    case '{':
      return OpenContainer(Frame::kMap);
    case '\'':
      return RawString(start);
    case '"':
      return EscapedString(start);
    case '-':
      return Negative(start);
    case '(':
      return Block(start);
    case '.':
      return Fail(pos_, "a number must start with a digit, not '.'");
    case '\n':
    case '\r':
      return Fail(pos_, "expected a value, found end of line");
    default:
      break;
  }
  if (IsDigit(c)) {
    return NumberOrWord(start);
  }
  return Word(start, start);
}

Token ConfigLexer::OpenContainer(Frame frame) {
  if (stack_.size() >= max_depth_) {
    return Fail(pos_, absl::StrFormat("maps and arrays nested deeper than %d levels", max_depth_));
  }
  const size_t at = pos_++;
  stack_.push_back({frame, frame == Frame::kArray ? Expect::kValue : Expect::kKey});
  return Make(frame == Frame::kArray ? TokenKind::kArrayStart : TokenKind::kMapStart, "", at);
}

Token ConfigLexer::CloseContainer(TokenKind kind) {
  const size_t at = pos_++;
  stack_.pop_back();
  return Make(kind, "", at);
}

Token ConfigLexer::RawString(size_t start) {
  size_t i = start + 1;
  while (At(i) > 0 && At(i) != '\'') {
    ++i;
  }
  if (At(i) == '\'') {
    pos_ = i + 1;
    return Make(TokenKind::kString, std::string(input_.substr(start + 1, i - start - 1)), start,
                /*quoted=*/true);
  }
  if (At(i) < 0 && i == start + 1) {
    pos_ = i;  // an opening quote as the last byte: nats ends the file quietly
    return Make(TokenKind::kEnd, "", i);
  }
  return Fail(i, absl::StrFormat("string not closed: found %s", Describe(i)));
}

Token ConfigLexer::EscapedString(size_t start) {
  std::string text;
  size_t segment = start + 1;
  size_t i = segment;
  while (true) {
    const int c = At(i);
    if (c == '"') {
      text.append(input_.substr(segment, i - segment));
      pos_ = i + 1;
      return Make(TokenKind::kString, std::move(text), start, /*quoted=*/true);
    }
    if (c == '\\') {
      text.append(input_.substr(segment, i - segment));
      Token error;
      std::optional<size_t> after = Escape(i, text, error);
      if (!after) {
        return error;
      }
      i = segment = *after;
      continue;
    }
    if (c < 0 && i == segment) {
      // nats ends the file quietly when the input stops right after the opening quote or
      // right after an escape.
      pos_ = i;
      return Make(TokenKind::kEnd, "", i);
    }
    if (c <= 0) {
      return Fail(i, absl::StrFormat("string not closed: found %s", Describe(i)));
    }
    ++i;
  }
}

std::optional<size_t> ConfigLexer::Escape(size_t at, std::string& out, Token& error) {
  const int c = At(at + 1);
  switch (c) {
    case 't':
      out += '\t';
      return at + 2;
    case 'n':
      out += '\n';
      return at + 2;
    case 'r':
      out += '\r';
      return at + 2;
    case '"':
      out += '"';
      return at + 2;
    case '\\':
      out += '\\';
      return at + 2;
    case 'x': {
      size_t i = at + 2;
      for (int k = 0; k < 2; ++k) {
        const int d = At(i);
        if (d == '\n' || d == '\r') {
          error = Fail(i, "'\\x' must be followed by two hexadecimal digits, found end of line");
          return std::nullopt;
        }
        if (d >= 0) {
          ++i;
        }
      }
      const std::string_view digits = input_.substr(i - 2, 2);
      const int high = util::HexDigitValue(digits[0]);
      const int low = util::HexDigitValue(digits[1]);
      if (high < 0 || low < 0) {
        error = Fail(at, absl::StrFormat(
                             "'\\x' must be followed by two hexadecimal digits, found '%s'",
                             digits));
        return std::nullopt;
      }
      out += static_cast<char>(high * 16 + low);
      return i;
    }
    default:
      error = Fail(at + 1, absl::StrFormat("invalid escape: found %s after '\\' (allowed: \\t "
                                           "\\n \\r \\\" \\\\ \\xHH)",
                                           Describe(at + 1)));
      return std::nullopt;
  }
}

Token ConfigLexer::Word(size_t start, size_t resume) {
  std::string text;
  bool escaped = false;
  size_t segment = start;
  size_t i = resume;
  while (true) {
    const int c = At(i);
    if (c == '\\') {
      text.append(input_.substr(segment, i - segment));
      Token error;
      std::optional<size_t> after = Escape(i, text, error);
      if (!after) {
        return error;
      }
      i = segment = *after;
      escaped = true;
      continue;
    }
    if (EndsWord(c)) {
      break;
    }
    if (c == '\'') {
      // A stray quote ends the word and is dropped; the word is then always a string.
      text.append(input_.substr(segment, i - segment));
      pos_ = i + 1;
      return Make(TokenKind::kString, std::move(text), start);
    }
    ++i;
  }
  pos_ = i;
  if (escaped) {
    text.append(input_.substr(segment, i - segment));
    return Make(TokenKind::kString, std::move(text), start);
  }
  const std::string_view word = input_.substr(start, i - start);
  if (IsBoolWord(word)) {
    return Make(TokenKind::kBool, std::string(word), start);
  }
  if (!word.empty() && word[0] == '$') {
    return Make(TokenKind::kVariable, std::string(word.substr(1)), start);
  }
  return Make(TokenKind::kString, std::string(word), start);
}

Token ConfigLexer::NumberOrWord(size_t start) {
  size_t i = start + 1;
  while (true) {
    const int c = At(i);
    if (IsDigit(c)) {
      ++i;
      continue;
    }
    if (c == '-') {
      if (i - start != 4) {
        return Fail(i, "a date must be written in full as YYYY-MM-DDTHH:MM:SSZ");
      }
      return Datetime(start, i + 1);
    }
    if (c == '.') {
      return Fraction(start, i + 1);
    }
    if (IsSizeSuffix(c)) {
      return SizeSuffix(start, i + 1);
    }
    if (EndsNumber(c)) {
      pos_ = i;
      return Make(TokenKind::kInteger, std::string(input_.substr(start, i - start)), start);
    }
    // Digits followed by anything else (10s, 3secret, even "1]") are a word; the character
    // is taken as it is, without escape processing.
    return Word(start, i + 1);
  }
}

Token ConfigLexer::Negative(size_t start) {
  size_t i = start + 1;
  const int first = At(i);
  if (first == '.') {
    return Fail(i, "a number must start with a digit, not '.'");
  }
  if (!IsDigit(first)) {
    return Fail(i, absl::StrFormat("expected a digit after '-', found %s", Describe(i)));
  }
  while (IsDigit(At(i))) {
    ++i;
  }
  const int c = At(i);
  if (c == '.') {
    return Fraction(start, i + 1);
  }
  if (IsSizeSuffix(c)) {
    return SizeSuffix(start, i + 1);
  }
  pos_ = i;
  return Make(TokenKind::kInteger, std::string(input_.substr(start, i - start)), start);
}

Token ConfigLexer::Fraction(size_t start, size_t after_dot) {
  size_t i = after_dot;
  if (!IsDigit(At(i))) {
    return Fail(i, absl::StrFormat("expected a digit after '.', found %s", Describe(i)));
  }
  while (IsDigit(At(i))) {
    ++i;
  }
  if (At(i) == '.') {
    // A second dot: an address such as 127.0.0.1:4222, kept as a string.
    ++i;
    while (IsDigit(At(i)) || At(i) == '.' || At(i) == ':' || At(i) == '-') {
      ++i;
    }
    pos_ = i;
    return Make(TokenKind::kString, std::string(input_.substr(start, i - start)), start);
  }
  pos_ = i;
  return Make(TokenKind::kFloat, std::string(input_.substr(start, i - start)), start);
}

Token ConfigLexer::SizeSuffix(size_t start, size_t after_letter) {
  size_t i = after_letter;
  while (At(i) == 'b' || At(i) == 'B' || At(i) == 'i' || At(i) == 'I') {
    ++i;
  }
  const int c = At(i);
  if (EndsNumber(c) || IsDigit(c)) {
    pos_ = i;
    return Make(TokenKind::kInteger, std::string(input_.substr(start, i - start)), start);
  }
  return Word(start, i);  // 500ms, 10min: a word after all
}

Token ConfigLexer::Datetime(size_t start, size_t after_year) {
  static constexpr std::string_view kShape = "00-00T00:00:00Z";
  size_t i = after_year;
  for (char expected : kShape) {
    const int c = At(i);
    if (expected == '0') {
      if (!IsDigit(c)) {
        return Fail(i, absl::StrFormat("expected a digit in a datetime, found %s", Describe(i)));
      }
    } else if (c != expected) {
      return Fail(i, absl::StrFormat("expected '%c' in a datetime, found %s", expected,
                                     Describe(i)));
    }
    ++i;
  }
  pos_ = i;
  return Make(TokenKind::kDatetime, std::string(input_.substr(start, i - start)), start);
}

Token ConfigLexer::Block(size_t start) {
  size_t i = start + 1;
  while (true) {
    const int c = At(i);
    if (c <= 0) {
      return Fail(i, absl::StrFormat("block not closed by a ')' alone on a line: found %s",
                                     Describe(i)));
    }
    if (c == ')' && input_[i - 1] == '\n') {
      const int next = At(i + 1);
      if (next == '\n' || next == 0) {
        pos_ = i + 1;
        return Make(TokenKind::kString, std::string(input_.substr(start + 1, i - start - 1)),
                    start, /*quoted=*/true);
      }
      if (next < 0) {
        // At the very end of the input nats keeps the ')' in the text.
        pos_ = i + 1;
        return Make(TokenKind::kString, std::string(input_.substr(start + 1, i - start)), start,
                    /*quoted=*/true);
      }
    }
    ++i;
  }
}

int ConfigLexer::At(size_t offset) const {
  return offset < input_.size() ? static_cast<unsigned char>(input_[offset]) : -1;
}

size_t ConfigLexer::SpaceLength(size_t offset) const {
  const int c = At(offset);
  if (c == ' ' || (c >= '\t' && c <= '\r')) {
    return 1;
  }
  const int b1 = At(offset + 1);
  if (c == 0xC2 && (b1 == 0x85 || b1 == 0xA0)) {  // NEL, NO-BREAK SPACE
    return 2;
  }
  const int b2 = At(offset + 2);
  if (c == 0xE1 && b1 == 0x9A && b2 == 0x80) {  // OGHAM SPACE MARK
    return 3;
  }
  if (c == 0xE2 && b1 == 0x80 &&
      ((b2 >= 0x80 && b2 <= 0x8A) || b2 == 0xA8 || b2 == 0xA9 || b2 == 0xAF)) {
    return 3;  // EN QUAD .. HAIR SPACE, LINE/PARAGRAPH SEPARATOR, NARROW NO-BREAK SPACE
  }
  if (c == 0xE2 && b1 == 0x81 && b2 == 0x9F) {  // MEDIUM MATHEMATICAL SPACE
    return 3;
  }
  if (c == 0xE3 && b1 == 0x80 && b2 == 0x80) {  // IDEOGRAPHIC SPACE
    return 3;
  }
  return 0;
}

void ConfigLexer::SkipComment() {
  while (At(pos_) > 0 && At(pos_) != '\n' && At(pos_) != '\r') {
    ++pos_;
  }
}

void ConfigLexer::SkipSpaces() {
  while (size_t n = SpaceLength(pos_)) {
    pos_ += n;
  }
}

Token ConfigLexer::Make(TokenKind kind, std::string text, size_t offset, bool quoted) {
  Token token;
  token.kind = kind;
  token.text = std::move(text);
  token.offset = offset;
  token.quoted = quoted;
  return token;
}

Token ConfigLexer::Fail(size_t offset, std::string reason) {
  return Make(TokenKind::kError, std::move(reason), std::min(offset, input_.size()));
}

std::string ConfigLexer::Describe(size_t offset) const {
  const int c = At(offset);
  switch (c) {
    case -1:
      return "end of input";
    case 0:
      return "a NUL byte";
    case '\n':
      return "end of line";
    case '\r':
      return "a carriage return";
    case ' ':
      return "a space";
    case '\t':
      return "a tab";
    default:
      break;
  }
  if (c > 0x20 && c < 0x7f) {
    return absl::StrFormat("'%c'", c);
  }
  return absl::StrFormat("byte 0x%02x", c);
}

LineIndex::LineIndex(std::string_view text) {
  line_starts_.push_back(0);
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n') {
      line_starts_.push_back(i + 1);
    }
  }
}

std::pair<int, int> LineIndex::LineColumn(size_t offset) const {
  auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), offset);
  const size_t line = static_cast<size_t>(it - line_starts_.begin());  // >= 1
  return {static_cast<int>(line), static_cast<int>(offset - line_starts_[line - 1] + 1)};
}

}  // namespace ringnats::config::internal
