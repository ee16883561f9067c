#include "harness/server_frames.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <vector>

#include "absl/strings/str_format.h"

namespace ringnats::harness {
namespace {

bool StartsWithNoCase(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) {
    return false;
  }
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::toupper(static_cast<unsigned char>(text[i])) != prefix[i]) {
      return false;
    }
  }
  return true;
}

// Payload length (plus its CRLF) announced by a MSG/HMSG line; nullopt for other lines.
std::optional<size_t> PayloadBytes(std::string_view line) {
  if (!StartsWithNoCase(line, "MSG ") && !StartsWithNoCase(line, "HMSG ")) {
    return std::nullopt;
  }
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n' || line.back() == ' ')) {
    line.remove_suffix(1);
  }
  const size_t space = line.find_last_of(" \t");
  if (space == std::string_view::npos) {
    return std::nullopt;
  }
  const std::string_view size_text = line.substr(space + 1);
  size_t size = 0;
  const auto [end, error] =
      std::from_chars(size_text.data(), size_text.data() + size_text.size(), size);
  if (error != std::errc() || end != size_text.data() + size_text.size()) {
    return std::nullopt;
  }
  return size + 2;
}

}  // namespace

std::optional<std::string> FrameSplitter::Next() {
  const size_t newline = pending_.find('\n');
  if (newline == std::string::npos) {
    return std::nullopt;
  }
  size_t frame_size = newline + 1;
  if (std::optional<size_t> payload =
          PayloadBytes(std::string_view(pending_).substr(0, frame_size))) {
    frame_size += *payload;
    if (pending_.size() < frame_size) {
      return std::nullopt;
    }
  }
  std::string frame = pending_.substr(0, frame_size);
  pending_.erase(0, frame_size);
  return frame;
}

std::string FrameSplitter::TakeRest() {
  std::string rest;
  rest.swap(pending_);
  return rest;
}

std::optional<Msg> ParseMsg(std::string_view frame) {
  const size_t newline = frame.find('\n');
  if (newline == std::string_view::npos || !frame.ends_with("\r\n")) {
    return std::nullopt;
  }
  std::string_view line = frame.substr(0, newline);
  if (line.ends_with('\r')) {
    line.remove_suffix(1);
  }
  std::vector<std::string_view> words;
  size_t pos = 0;
  while (pos < line.size()) {
    const size_t end = std::min(line.find(' ', pos), line.size());
    if (end > pos) {
      words.push_back(line.substr(pos, end - pos));
    }
    pos = end + 1;
  }
  const std::string_view body = frame.substr(newline + 1, frame.size() - newline - 3);
  auto to_size = [](std::string_view text, size_t* value) {
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), *value);
    return error == std::errc() && end == text.data() + text.size();
  };
  Msg msg;
  size_t total = 0;
  size_t header_size = 0;
  if (!words.empty() && words[0] == "MSG" && (words.size() == 4 || words.size() == 5)) {
    if (!to_size(words.back(), &total)) {
      return std::nullopt;
    }
  } else if (!words.empty() && words[0] == "HMSG" && (words.size() == 5 || words.size() == 6)) {
    if (!to_size(words.back(), &total) || !to_size(words[words.size() - 2], &header_size) ||
        header_size > total) {
      return std::nullopt;
    }
    msg.has_headers = true;
  } else {
    return std::nullopt;
  }
  if (body.size() != total) {
    return std::nullopt;
  }
  msg.subject = words[1];
  msg.sid = words[2];
  const size_t reply_index = msg.has_headers ? 5 : 4;
  if (words.size() == reply_index + 1) {
    msg.reply = words[3];
  }
  msg.headers = body.substr(0, header_size);
  msg.payload = body.substr(header_size);
  return msg;
}

std::string Escape(std::string_view bytes) {
  std::string out;
  for (const char c : bytes) {
    switch (c) {
      case '\r':
        out += "\\r";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\\':
        out += "\\\\";
        break;
      default:
        if (std::isprint(static_cast<unsigned char>(c))) {
          out += c;
        } else {
          out += absl::StrFormat("\\x%02x", static_cast<unsigned char>(c));
        }
    }
  }
  return out;
}

}  // namespace ringnats::harness
