#pragma once
// The MSG / HMSG line of one message, formatted once for all of its local deliveries: the
// line a subscriber gets is head + its sid + tail, then the body and CRLF. Only the sid
// differs between subscribers, so fan-out copies three short pieces per delivery instead of
// assembling the line from a dozen.

#include <cstddef>
#include <string>
#include <string_view>

#include "ringnats/broker/delivery_batch.h"

namespace ringnats::broker {

struct MsgFrame {
  std::string head;  // "MSG <subject> " or, for a message with headers, "HMSG <subject> "
  std::string tail;  // " [<reply> ]<size>\r\n" or " [<reply> ]<header size> <total size>\r\n"

  // Reuses the strings' memory, so steady traffic formats without allocating.
  void Format(const Message& message);
};

// `n` in decimal, written into `buffer`; returns the digits.
std::string_view DecimalDigits(size_t n, char (&buffer)[24]);

}  // namespace ringnats::broker
