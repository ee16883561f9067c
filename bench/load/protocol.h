#pragma once
// The client side of the NATS text protocol as the load generator needs it: parsing what a
// server sends (INFO, MSG, HMSG, PING, PONG, +OK, -ERR) and appending what a client sends.
// Pure functions over byte spans; no sockets here.

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace ringnats::load {

// One delivered message; views point into the caller's receive buffer.
struct MsgView {
  std::string_view subject;
  std::string_view sid;
  std::string_view reply;    // empty when the publisher gave none
  std::string_view payload;  // for HMSG: headers followed by the payload
};

struct ParseResult {
  size_t consumed = 0;  // bytes of complete frames handled; the rest needs more input
  bool error = false;   // the bytes are not the NATS server protocol
};

// Longest control line accepted from a server before giving up on the stream.
inline constexpr size_t kMaxServerLine = 64 * 1024;

namespace detail {

inline bool IsBlank(char c) {
  return c == ' ' || c == '\t';
}

// Splits `line` on runs of blanks into at most `max` tokens; returns the count, or max + 1
// when there are more.
inline int Tokenize(std::string_view line, std::string_view* out, int max) {
  int n = 0;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && IsBlank(line[i])) ++i;
    if (i == line.size()) break;
    size_t start = i;
    while (i < line.size() && !IsBlank(line[i])) ++i;
    if (n == max) return max + 1;
    out[n++] = line.substr(start, i - start);
  }
  return n;
}

inline bool ParseSize(std::string_view s, size_t* out) {
  if (s.empty()) return false;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

inline char Upper(char c) {
  return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c;
}

inline bool VerbIs(std::string_view line, std::string_view verb) {
  if (line.size() < verb.size()) return false;
  for (size_t i = 0; i < verb.size(); ++i) {
    if (Upper(line[i]) != verb[i]) return false;
  }
  return true;
}

}  // namespace detail

// Parses complete server frames from `data` and calls the sink for each:
//   OnMsg(const MsgView&), OnPing(), OnPong(), OnOk(), OnErr(std::string_view text),
//   OnInfo(std::string_view json).
// Stops early (returning what was consumed so far) when the sink's `Stopped()` is true, so a
// handshake can hand the rest of the buffer to another reader.
template <typename Sink>
ParseResult ParseServerFrames(std::string_view data, Sink& sink) {
  ParseResult result;
  size_t pos = 0;
  while (pos < data.size() && !sink.Stopped()) {
    std::string_view rest = data.substr(pos);
    const void* nl_ptr = std::memchr(rest.data(), '\n', rest.size());
    if (nl_ptr == nullptr) {
      if (rest.size() > kMaxServerLine) result.error = true;
      break;
    }
    size_t nl = static_cast<size_t>(static_cast<const char*>(nl_ptr) - rest.data());
    std::string_view line = rest.substr(0, nl);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    size_t after_line = nl + 1;
    char first = detail::Upper(line.empty() ? '\0' : line[0]);
    if (first == 'M' || first == 'H') {
      bool hmsg = first == 'H';
      if (!detail::VerbIs(line, hmsg ? "HMSG" : "MSG") || line.size() < (hmsg ? 5u : 4u) ||
          !detail::IsBlank(line[hmsg ? 4 : 3])) {
        result.error = true;
        break;
      }
      std::string_view tokens[5];
      int n = detail::Tokenize(line.substr(hmsg ? 5 : 4), tokens, 5);
      size_t size = 0;
      MsgView msg;
      bool ok = false;
      if (!hmsg && (n == 3 || n == 4)) {
        ok = detail::ParseSize(tokens[n - 1], &size);
        msg.reply = n == 4 ? tokens[2] : std::string_view();
      } else if (hmsg && (n == 4 || n == 5)) {
        size_t header_size = 0;
        ok = detail::ParseSize(tokens[n - 2], &header_size) &&
             detail::ParseSize(tokens[n - 1], &size) && header_size <= size;
        msg.reply = n == 5 ? tokens[2] : std::string_view();
      }
      if (!ok) {
        result.error = true;
        break;
      }
      if (rest.size() < after_line + size + 2) break;  // payload not complete yet
      if (rest[after_line + size] != '\r' || rest[after_line + size + 1] != '\n') {
        result.error = true;
        break;
      }
      msg.subject = tokens[0];
      msg.sid = tokens[1];
      msg.payload = rest.substr(after_line, size);
      pos += after_line + size + 2;
      result.consumed = pos;
      sink.OnMsg(msg);
      continue;
    }
    if (detail::VerbIs(line, "PING")) {
      sink.OnPing();
    } else if (detail::VerbIs(line, "PONG")) {
      sink.OnPong();
    } else if (detail::VerbIs(line, "+OK")) {
      sink.OnOk();
    } else if (detail::VerbIs(line, "-ERR")) {
      std::string_view text = line.substr(4);
      while (!text.empty() && detail::IsBlank(text.front())) text.remove_prefix(1);
      if (text.size() >= 2 && text.front() == '\'' && text.back() == '\'') {
        text = text.substr(1, text.size() - 2);
      }
      sink.OnErr(text);
    } else if (detail::VerbIs(line, "INFO")) {
      std::string_view json = line.substr(4);
      while (!json.empty() && detail::IsBlank(json.front())) json.remove_prefix(1);
      while (!json.empty() && detail::IsBlank(json.back())) json.remove_suffix(1);
      sink.OnInfo(json);
    } else {
      result.error = true;
      break;
    }
    pos += after_line;
    result.consumed = pos;
  }
  return result;
}

// Appends `PUB <subject> [reply] <size>\r\n` (the caller appends payload and CRLF).
void AppendPubHeader(std::string& out, std::string_view subject, std::string_view reply,
                     size_t size);
// Appends a whole PUB frame.
void AppendPub(std::string& out, std::string_view subject, std::string_view reply,
               std::string_view payload);
void AppendSub(std::string& out, std::string_view subject, std::string_view queue,
               std::string_view sid);

struct Credentials {
  std::string user;
  std::string pass;
  std::string token;
};

// `CONNECT {...}\r\n` with verbose and pedantic off (so a client never waits for +OK) and the
// given credentials; empty fields are left out.
std::string ConnectFrame(const Credentials& credentials, std::string_view name);

// Writes `value` in decimal at `out` and returns the end; `out` needs 20 bytes.
inline char* WriteDecimal(char* out, uint64_t value) {
  return std::to_chars(out, out + 20, value).ptr;
}

}  // namespace ringnats::load
