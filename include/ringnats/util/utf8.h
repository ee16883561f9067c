#pragma once
// One UTF-8 character decoded as Go's unicode/utf8 decodes it, for the Go formats ringnats
// reproduces (JSON strings, %q, certificate names): no overlong forms, no surrogates, nothing
// above U+10FFFF.

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace ringnats::util {

// The length of the valid UTF-8 sequence at `text[at]` (at < text.size()), with its code point
// in `*rune`; 0 when the byte there starts none (Go reads it as U+FFFD, one byte long).
inline size_t DecodeUtf8(std::string_view text, size_t at, uint32_t* rune) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char first = byte(at);
  size_t length = 0;
  uint32_t value = 0;
  uint32_t lowest = 0;
  if (first < 0x80) {
    *rune = first;
    return 1;
  } else if ((first & 0xE0) == 0xC0) {
    length = 2, value = first & 0x1F, lowest = 0x80;
  } else if ((first & 0xF0) == 0xE0) {
    length = 3, value = first & 0x0F, lowest = 0x800;
  } else if ((first & 0xF8) == 0xF0) {
    length = 4, value = first & 0x07, lowest = 0x10000;
  } else {
    return 0;
  }
  if (at + length > text.size()) return 0;
  for (size_t k = 1; k < length; ++k) {
    if ((byte(at + k) & 0xC0) != 0x80) return 0;
    value = (value << 6) | (byte(at + k) & 0x3F);
  }
  if (value < lowest || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) return 0;
  *rune = value;
  return length;
}

}  // namespace ringnats::util
