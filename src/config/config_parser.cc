// Turns the lexer's tokens into a ConfigValue tree, resolving variables and includes.
//
// Keys and values are paired the way nats-server pairs them: every key is pushed on one
// stack shared by all nesting levels and every value stored into a map pops the most recent
// key. Normally that is the key just before the value, but when a key never gets a value
// (`cluster { tls: }`, or a number with an unknown size suffix such as `1kbb`) the next map
// value takes the wrong key; nats-server then accepts or refuses the file depending on the
// keys involved, and reproducing the mechanism is the only way to agree with it.

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "config_lexer.h"
#include "config_path.h"
#include "ringnats/config/config_parser.h"
#include "ringnats/util/string_map.h"

namespace ringnats::config {

namespace {

using internal::ConfigLexer;
using internal::Token;
using internal::TokenKind;

struct Failure {
  Position position;
  std::string reason;
};

// Everything one parse shares across included files and environment variables.
struct Session {
  const ParseLimits& limits;
  ConfigFileReader read_file;
  ConfigEnvLookup lookup_env;
  size_t tree_bytes = 0;
  size_t includes = 0;
  size_t env_depth = 0;
  std::vector<std::string> open_files;  // being parsed, outermost first: cycle detection
};

bool StartsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

std::string AsciiLower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return out;
}

// Number of nested containers in `value` (0 for a scalar). Recursion is bounded: every value
// already in a tree respects ParseLimits::max_depth.
size_t Height(const ConfigValue& value) {
  size_t below = 0;
  if (value.is_map()) {
    for (const MapEntry& entry : value.map()) {
      below = std::max(below, Height(entry.value));
    }
    return below + 1;
  }
  if (value.is_array()) {
    for (const ConfigValue& element : value.array()) {
      below = std::max(below, Height(element));
    }
    return below + 1;
  }
  return 0;
}

constexpr size_t kNodeBytes = sizeof(MapEntry);

size_t TreeBytes(const ConfigValue& value) {
  size_t bytes = kNodeBytes + value.string_value().size() + value.position().file.size();
  for (const MapEntry& entry : value.map()) {
    bytes += entry.key.size() + entry.key_position.file.size() + TreeBytes(entry.value);
  }
  for (const ConfigValue& element : value.array()) {
    bytes += TreeBytes(element);
  }
  return bytes;
}

// Multiplier for a size suffix, lower-cased; 0 for a suffix nats does not know.
uint64_t SuffixMultiplier(std::string_view suffix) {
  if (suffix.empty()) {
    return 1;
  }
  static constexpr std::string_view kLetters = "kmgtpe";
  const size_t power = kLetters.find(suffix[0]);
  if (power == std::string_view::npos) {
    return 0;
  }
  const std::string_view rest = suffix.substr(1);
  uint64_t base;
  if (rest.empty()) {
    base = 1000;
  } else if (rest == "b" || rest == "i" || rest == "ib") {
    base = 1024;
  } else {
    return 0;
  }
  uint64_t multiplier = 1;
  for (size_t i = 0; i <= power; ++i) {
    multiplier *= base;
  }
  return multiplier;
}

bool IsValidZuluDatetime(std::string_view text) {
  // The lexer guarantees the shape YYYY-MM-DDTHH:MM:SSZ.
  auto number = [&](size_t at, size_t length) {
    int value = 0;
    for (size_t i = at; i < at + length; ++i) {
      value = value * 10 + (text[i] - '0');
    }
    return value;
  };
  const int year = number(0, 4);
  const int month = number(5, 2);
  const int day = number(8, 2);
  if (month < 1 || month > 12) {
    return false;
  }
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int days = kDays[month - 1];
  if (month == 2 && year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)) {
    days = 29;
  }
  return day >= 1 && day <= days && number(11, 2) <= 23 && number(14, 2) <= 59 &&
         number(17, 2) <= 59;
}

class TreeBuilder {
 public:
  TreeBuilder(Session& session, std::string_view text, std::string file, std::string base_dir,
              size_t include_depth)
      : session_(session),
        text_(text),
        file_(std::move(file)),
        base_dir_(std::move(base_dir)),
        include_depth_(include_depth),
        lines_(text) {}

  // The top-level map, or why there is none.
  std::optional<Failure> Build(ConfigValue& result);

 private:
  struct PendingKey {
    std::string name;
    Position position;
  };
  struct Frame {
    bool is_map = true;
    Position position;
    // Map: entries in definition order; `replaced` marks those a later definition of the same
    // key superseded, `index` finds the live one.
    std::vector<MapEntry> entries;
    std::vector<bool> replaced;
    StringMap<size_t> index;
    ConfigValue::Array elements;
  };

  Position PositionAt(size_t offset) const;
  Failure FailAt(size_t offset, std::string reason) const;
  std::optional<Failure> Charge(size_t bytes, size_t offset);
  std::optional<Failure> Store(ConfigValue value, size_t offset);
  std::optional<Failure> CheckFits(const ConfigValue& value, size_t offset) const;
  static void PutInMap(Frame& frame, std::string key, Position key_position, ConfigValue value);
  static ConfigValue Close(Frame& frame);
  std::optional<Failure> Integer(const Token& token);
  std::optional<Failure> Float(const Token& token);
  std::optional<Failure> Variable(const Token& token);
  std::optional<Failure> Environment(const Token& token, const std::string& text);
  std::optional<Failure> Include(const Token& token);

  Session& session_;
  std::string_view text_;
  std::string file_;
  std::string base_dir_;
  size_t include_depth_;
  internal::LineIndex lines_;
  std::vector<Frame> frames_;
  std::vector<PendingKey> keys_;
};

std::optional<Failure> TreeBuilder::Build(ConfigValue& result) {
  frames_.clear();
  keys_.clear();
  frames_.push_back(Frame{});
  frames_.back().position = PositionAt(0);
  ConfigLexer lexer(text_, session_.limits.max_depth);
  while (true) {
    Token token = lexer.Next();
    std::optional<Failure> failure;
    switch (token.kind) {
      case TokenKind::kEnd:
        // Containers still open (the input ended inside a quoted string) are dropped, as
        // nats does.
        result = Close(frames_.front());
        return std::nullopt;
      case TokenKind::kError:
        return FailAt(token.offset, std::move(token.text));
      case TokenKind::kKey:
        failure = Charge(kNodeBytes + token.text.size() + file_.size(), token.offset);
        if (!failure) {
          keys_.push_back({std::move(token.text), PositionAt(token.offset)});
        }
        break;
      case TokenKind::kMapStart:
      case TokenKind::kArrayStart:
        failure = Charge(kNodeBytes + file_.size(), token.offset);
        if (!failure) {
          frames_.push_back(Frame{});
          frames_.back().is_map = token.kind == TokenKind::kMapStart;
          frames_.back().position = PositionAt(token.offset);
        }
        break;
      case TokenKind::kMapEnd:
      case TokenKind::kArrayEnd: {
        if (frames_.size() < 2) {
          return FailAt(token.offset, "internal error: closing a container that is not open");
        }
        ConfigValue value = Close(frames_.back());
        frames_.pop_back();
        failure = Store(std::move(value), token.offset);
        break;
      }
      case TokenKind::kString:
        failure = Charge(kNodeBytes + token.text.size() + file_.size(), token.offset);
        if (!failure) {
          failure = Store(ConfigValue::MakeString(std::move(token.text), token.quoted,
                                                  PositionAt(token.offset)),
                          token.offset);
        }
        break;
      case TokenKind::kBool: {
        const std::string lower = AsciiLower(token.text);
        const bool value = lower == "true" || lower == "yes" || lower == "on";
        failure = Charge(kNodeBytes + token.text.size() + file_.size(), token.offset);
        if (!failure) {
          failure = Store(
              ConfigValue::MakeBool(value, std::move(token.text), PositionAt(token.offset)),
              token.offset);
        }
        break;
      }
      case TokenKind::kInteger:
        failure = Integer(token);
        break;
      case TokenKind::kFloat:
        failure = Float(token);
        break;
      case TokenKind::kDatetime:
        if (!IsValidZuluDatetime(token.text)) {
          return FailAt(token.offset,
                        absl::StrFormat("'%s' is not a valid date and time", token.text));
        }
        failure = Charge(kNodeBytes + token.text.size() + file_.size(), token.offset);
        if (!failure) {
          failure = Store(
              ConfigValue::MakeDatetime(std::move(token.text), PositionAt(token.offset)),
              token.offset);
        }
        break;
      case TokenKind::kVariable:
        failure = Variable(token);
        break;
      case TokenKind::kInclude:
        failure = Include(token);
        break;
    }
    if (failure) {
      return failure;
    }
  }
}

Position TreeBuilder::PositionAt(size_t offset) const {
  const auto [line, column] = lines_.LineColumn(offset);
  return Position{file_, line, column};
}

Failure TreeBuilder::FailAt(size_t offset, std::string reason) const {
  return Failure{PositionAt(offset), std::move(reason)};
}

std::optional<Failure> TreeBuilder::Charge(size_t bytes, size_t offset) {
  session_.tree_bytes += bytes;
  if (session_.tree_bytes > session_.limits.max_tree_bytes) {
    return FailAt(offset, absl::StrFormat("configuration larger than %d bytes once variables "
                                          "are expanded",
                                          session_.limits.max_tree_bytes));
  }
  return std::nullopt;
}

std::optional<Failure> TreeBuilder::Store(ConfigValue value, size_t offset) {
  Frame& frame = frames_.back();
  if (!frame.is_map) {
    frame.elements.push_back(std::move(value));
    return std::nullopt;
  }
  if (keys_.empty()) {
    return FailAt(offset, "internal error: a map value without a key");
  }
  PendingKey key = std::move(keys_.back());
  keys_.pop_back();
  PutInMap(frame, std::move(key.name), std::move(key.position), std::move(value));
  return std::nullopt;
}

std::optional<Failure> TreeBuilder::CheckFits(const ConfigValue& value, size_t offset) const {
  if (frames_.size() + Height(value) > session_.limits.max_depth) {
    return FailAt(offset, absl::StrFormat("maps and arrays nested deeper than %d levels",
                                          session_.limits.max_depth));
  }
  return std::nullopt;
}

void TreeBuilder::PutInMap(Frame& frame, std::string key, Position key_position,
                           ConfigValue value) {
  const size_t slot = frame.entries.size();
  auto [it, inserted] = frame.index.try_emplace(key, slot);
  if (!inserted) {
    frame.replaced[it->second] = true;  // duplicate key: the last definition wins
    it->second = slot;
  }
  frame.entries.push_back(MapEntry{std::move(key), std::move(key_position), std::move(value)});
  frame.replaced.push_back(false);
}

ConfigValue TreeBuilder::Close(Frame& frame) {
  if (!frame.is_map) {
    return ConfigValue::MakeArray(std::move(frame.elements), std::move(frame.position));
  }
  ConfigValue::Map entries;
  entries.reserve(frame.index.size());
  for (size_t i = 0; i < frame.entries.size(); ++i) {
    if (!frame.replaced[i]) {
      entries.push_back(std::move(frame.entries[i]));
    }
  }
  return ConfigValue::MakeMap(std::move(entries), std::move(frame.position));
}

std::optional<Failure> TreeBuilder::Integer(const Token& token) {
  const std::string_view raw = token.text;
  size_t digits_end = 0;
  while (digits_end < raw.size() &&
         ((raw[digits_end] >= '0' && raw[digits_end] <= '9') || raw[digits_end] == '-')) {
    ++digits_end;
  }
  const std::string_view digits = raw.substr(0, digits_end);
  int64_t number = 0;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), number);
  if (error == std::errc::result_out_of_range) {
    return FailAt(token.offset, absl::StrFormat("integer '%s' is out of range", raw));
  }
  if (error != std::errc() || end != digits.data() + digits.size()) {
    return FailAt(token.offset, absl::StrFormat("expected an integer, found '%s'", raw));
  }
  const uint64_t multiplier = SuffixMultiplier(AsciiLower(raw.substr(digits_end)));
  if (multiplier == 0) {
    // nats-server stores nothing for a suffix it does not know (e.g. 1kbb), leaving the
    // key waiting for a value; see the note at the top.
    return std::nullopt;
  }
  // Wraps on overflow, as nats-server's arithmetic does (10e is not an error there).
  const auto value = static_cast<int64_t>(static_cast<uint64_t>(number) * multiplier);
  if (auto failure = Charge(kNodeBytes + raw.size() + file_.size(), token.offset)) {
    return failure;
  }
  return Store(ConfigValue::MakeInt(value, std::string(raw), PositionAt(token.offset)),
               token.offset);
}

std::optional<Failure> TreeBuilder::Float(const Token& token) {
  const std::string text = token.text;
  const double value = std::strtod(text.c_str(), nullptr);
  if (std::isinf(value)) {
    return FailAt(token.offset, absl::StrFormat("float '%s' is out of range", text));
  }
  if (auto failure = Charge(kNodeBytes + text.size() + file_.size(), token.offset)) {
    return failure;
  }
  return Store(ConfigValue::MakeDouble(value, text, PositionAt(token.offset)), token.offset);
}

std::optional<Failure> TreeBuilder::Variable(const Token& token) {
  const std::string& name = token.text;
  // Go's bcrypt hashes start with $2a$; nats takes them literally when unquoted. Other
  // variants ($2b$, $2y$) are variable references like any other.
  if (StartsWith(name, "2a$")) {
    if (auto failure = Charge(kNodeBytes + name.size() + 1 + file_.size(), token.offset)) {
      return failure;
    }
    return Store(ConfigValue::MakeString("$" + name, /*quoted=*/false, PositionAt(token.offset)),
                 token.offset);
  }
  for (auto frame = frames_.rbegin(); frame != frames_.rend(); ++frame) {
    if (!frame->is_map) {
      continue;  // arrays do not define variables
    }
    auto it = frame->index.find(name);
    if (it == frame->index.end()) {
      continue;
    }
    ConfigValue& defined = frame->entries[it->second].value;
    defined.set_used_as_variable(true);
    if (auto failure = CheckFits(defined, token.offset)) {
      return failure;
    }
    if (auto failure = Charge(TreeBytes(defined), token.offset)) {
      return failure;
    }
    ConfigValue copy = defined;
    copy.set_used_as_variable(false);
    copy.set_position(PositionAt(token.offset));
    return Store(std::move(copy), token.offset);
  }
  if (std::optional<std::string> text = session_.lookup_env(name)) {
    return Environment(token, *text);
  }
  return FailAt(token.offset,
                absl::StrFormat("variable reference for '%s' on line %d can not be found", name,
                                PositionAt(token.offset).line));
}

std::optional<Failure> TreeBuilder::Environment(const Token& token, const std::string& text) {
  const std::string& name = token.text;
  const int line = PositionAt(token.offset).line;
  if (session_.env_depth >= session_.limits.max_env_depth) {
    return FailAt(token.offset,
                  absl::StrFormat("variable reference for '%s' on line %d: environment "
                                  "variables refer to each other more than %d levels deep",
                                  name, line, session_.limits.max_env_depth));
  }
  // The environment's text is parsed as the value of a key, as nats-server does.
  const std::string source = "pk=" + text;
  ConfigValue parsed;
  ++session_.env_depth;
  TreeBuilder inner(session_, source, absl::StrFormat("environment variable %s", name), ".",
                    include_depth_);
  std::optional<Failure> failure = inner.Build(parsed);
  --session_.env_depth;
  if (failure) {
    return FailAt(token.offset,
                  absl::StrFormat("variable reference for '%s' on line %d could not be parsed: %s",
                                  name, line, failure->reason));
  }
  const ConfigValue* value = parsed.FindExact("pk");
  if (value == nullptr) {
    return FailAt(token.offset,
                  absl::StrFormat("variable reference for '%s' on line %d can not be found", name,
                                  line));
  }
  if (auto fits = CheckFits(*value, token.offset)) {
    return fits;
  }
  ConfigValue copy = *value;
  copy.set_position(PositionAt(token.offset));
  return Store(std::move(copy), token.offset);
}

std::optional<Failure> TreeBuilder::Include(const Token& token) {
  const ParseLimits& limits = session_.limits;
  if (include_depth_ >= limits.max_include_depth) {
    return FailAt(token.offset, absl::StrFormat("includes nested deeper than %d files",
                                                limits.max_include_depth));
  }
  if (++session_.includes > limits.max_includes) {
    return FailAt(token.offset, absl::StrFormat("more than %d includes", limits.max_includes));
  }
  if (!frames_.back().is_map) {
    return FailAt(token.offset, "internal error: include outside a map");
  }
  const std::string path = internal::JoinPath(base_dir_, token.text);
  if (std::find(session_.open_files.begin(), session_.open_files.end(), path) !=
      session_.open_files.end()) {
    return FailAt(token.offset,
                  absl::StrFormat("include cycle: '%s' is already being parsed", path));
  }
  absl::StatusOr<std::string> content = session_.read_file(path);
  if (!content.ok()) {
    return FailAt(token.offset, absl::StrFormat("error parsing include file '%s', %s", token.text,
                                                content.status().message()));
  }
  if (content->size() > limits.max_file_bytes) {
    return FailAt(token.offset, absl::StrFormat("include file '%s' is larger than %d bytes",
                                                token.text, limits.max_file_bytes));
  }
  session_.open_files.push_back(path);
  TreeBuilder inner(session_, *content, path, internal::DirName(path), include_depth_ + 1);
  ConfigValue included;
  std::optional<Failure> failure = inner.Build(included);
  session_.open_files.pop_back();
  if (failure) {
    failure->reason += absl::StrFormat(" (in %s, included from %s)", path,
                                       PositionAt(token.offset).ToString());
    return failure;
  }
  for (MapEntry& entry : included.mutable_map()) {
    if (auto fits = CheckFits(entry.value, token.offset)) {
      return fits;
    }
    PutInMap(frames_.back(), std::move(entry.key), std::move(entry.key_position),
             std::move(entry.value));
  }
  return std::nullopt;
}

absl::Status ToStatus(const Failure& failure) {
  return absl::InvalidArgumentError(absl::StrFormat("%s:%d:%d: %s", failure.position.file,
                                                    failure.position.line,
                                                    failure.position.column, failure.reason));
}

Session MakeSession(const ParseOptions& options) {
  Session session{options.limits, options.read_file, options.lookup_env};
  if (!session.read_file) {
    const size_t max_bytes = options.limits.max_file_bytes;
    session.read_file = [max_bytes](const std::string& path) {
      return ReadConfigFileFromDisk(path, max_bytes);
    };
  }
  if (!session.lookup_env) {
    session.lookup_env = [](const std::string& name) -> std::optional<std::string> {
      if (name.find('=') != std::string::npos) {
        return std::nullopt;  // getenv would match a prefix of another variable's entry
      }
      const char* value = std::getenv(name.c_str());
      if (value == nullptr) {
        return std::nullopt;
      }
      return std::string(value);
    };
  }
  return session;
}

}  // namespace

absl::StatusOr<ConfigValue> ParseConfigFile(std::string path, const ParseOptions& options) {
  Session session = MakeSession(options);
  absl::StatusOr<std::string> text = session.read_file(path);
  if (!text.ok()) {
    return absl::Status(text.status().code(), absl::StrFormat("error opening config file: %s",
                                                              text.status().message()));
  }
  if (text->size() > options.limits.max_file_bytes) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "error opening config file: %s is larger than %d bytes", path,
        options.limits.max_file_bytes));
  }
  session.open_files.push_back(internal::CleanPath(path));
  std::string base_dir = internal::DirName(path);
  TreeBuilder builder(session, *text, std::move(path), std::move(base_dir), 0);
  ConfigValue result;
  if (std::optional<Failure> failure = builder.Build(result)) {
    return ToStatus(*failure);
  }
  return result;
}

absl::StatusOr<ConfigValue> ParseConfigString(std::string_view text,
                                              std::string file_name_for_messages,
                                              std::string base_dir_for_includes,
                                              const ParseOptions& options) {
  Session session = MakeSession(options);
  TreeBuilder builder(session, text, std::move(file_name_for_messages),
                      std::move(base_dir_for_includes), 0);
  ConfigValue result;
  if (std::optional<Failure> failure = builder.Build(result)) {
    return ToStatus(*failure);
  }
  return result;
}

}  // namespace ringnats::config
