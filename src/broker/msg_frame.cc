#include "ringnats/broker/msg_frame.h"

#include <charconv>

namespace ringnats::broker {
namespace {

// The size as the publisher wrote it (nats-server echoes it verbatim, leading zeros and
// all), or formatted when the message did not come from a client's PUB.
void AppendSize(std::string& out, std::string_view as_written, size_t n) {
  char digits[24];
  out.append(as_written.empty() ? DecimalDigits(n, digits) : as_written);
}

}  // namespace

std::string_view DecimalDigits(size_t n, char (&buffer)[24]) {
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, n);
  return std::string_view(buffer, static_cast<size_t>(result.ptr - buffer));
}

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
