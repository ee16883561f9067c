#pragma once
// Splits the server→client byte stream into protocol frames: one control line, plus the
// payload for MSG/HMSG. RawClient uses it to recognise whole PING and PONG frames, so a
// payload that happens to contain "PONG\r\n" is never mistaken for a reply.
//
// The splitter never rejects input: anything that is not MSG/HMSG (or whose size does not
// parse) is taken to be a single line, which is what an unexpected reply should look like in
// a failure message.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace ringnats::harness {

class FrameSplitter {
 public:
  void Append(std::string_view bytes) { pending_.append(bytes); }

  // The next complete frame, or nullopt until more bytes arrive.
  std::optional<std::string> Next();

  // Whatever incomplete frame is left (used at EOF).
  std::string TakeRest();

 private:
  std::string pending_;
};

// A MSG or HMSG frame from the server, split into its parts.
struct Msg {
  std::string subject;
  std::string sid;
  std::string reply;         // empty when absent
  bool has_headers = false;  // HMSG
  std::string headers;       // header block (HMSG only)
  std::string payload;       // the bytes after the headers
};

// Parses a whole MSG/HMSG frame (control line + payload + CRLF); nullopt for anything else.
std::optional<Msg> ParseMsg(std::string_view frame);

// Escapes CR, LF, TAB, backslash and non-printable bytes so failure messages show exact
// bytes on one line.
std::string Escape(std::string_view bytes);

}  // namespace ringnats::harness
