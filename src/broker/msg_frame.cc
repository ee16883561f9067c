#include "ringnats/broker/msg_frame.h"

#include <charconv>

namespace ringnats::broker {
namespace {

// The size as the publisher wrote it (nats-server echoes it verbatim, leading zeros and
// all), or formatted when the message did not come from a client's PUB.
void AppendSize(std::string& out, std::string_view as_written, size_t n) {
  if (!as_written.empty()) {
    out.append(as_written);
    return;
  }
  char digits[24];
  const auto result = std::to_chars(digits, digits + sizeof digits, n);
  out.append(digits, static_cast<size_t>(result.ptr - digits));
}

}  // namespace

void MsgFrame::Format(const Message& message) {
  const bool headers = message.header_len > 0;
  // clear() + append rather than assign(literal): GCC 12 warns falsely (-Wrestrict) on the
  // latter after inlining.
  head.clear();
  head.append(headers ? std::string_view("HMSG ") : std::string_view("MSG "));
  head.append(message.subject);
  head.push_back(' ');
  tail.clear();
  tail.push_back(' ');
  if (!message.reply.empty()) {
    tail.append(message.reply);
    tail.push_back(' ');
  }
  if (headers) {
    AppendSize(tail, message.header_size_text, message.header_len);
    tail.push_back(' ');
  }
  AppendSize(tail, message.size_text, message.data.size());
  tail.append(std::string_view("\r\n"));
}

}  // namespace ringnats::broker
