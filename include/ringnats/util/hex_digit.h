#pragma once
// One hexadecimal digit's value, for the escapes of the config language, RFC 4514 names and
// URL queries.

namespace ringnats::util {

// 0-15, or -1 when `c` is not a hex digit.
constexpr int HexDigitValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace ringnats::util
