#pragma once
// Text exactly as nats-server's Go runtime writes it: encoding/json (pretty and compact, with
// Go's number formatting and HTML-safe string escaping), time.Time, time.Duration,
// nats-server's uptime strings, strconv's quoting and parse errors. Pure functions; any
// thread.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "ringnats/util/go_duration.h"

namespace ringnats::monitor {

using Json = nlohmann::ordered_json;

// json.MarshalIndent(v, "", "  "): objects keep the order of `value`.
std::string GoJsonIndent(const Json& value);
// json.Marshal(v).
std::string GoJsonCompact(const Json& value);

// Writes what GoJsonIndent would write for the document described by its calls, straight
// into `out` without building a Json first: a /connz over tens of thousands of connections
// is millions of values, and a DOM of them costs more than the text. Keys and strings are
// escaped by AppendGoJsonString, as GoJsonIndent escapes them. Calls must describe one
// well-formed value (Key only inside an object, before each of its values).
class GoJsonIndentWriter {
 public:
  explicit GoJsonIndentWriter(std::string* out) : out_(out) {}

  void BeginObject();
  void EndObject();
  void BeginArray();
  void EndArray();
  void Key(std::string_view key);
  void String(std::string_view value);
  void Int(int64_t value);
  void Uint(uint64_t value);
  void Null();
  // A value built as a Json (for the rare, small parts), indented to fit where it lands.
  void Value(const Json& value);

 private:
  void BeforeValue();
  void Newline(size_t depth);

  std::string* out_;
  // Per open container: whether anything was written in it yet.
  std::vector<bool> nonempty_;
  bool after_key_ = false;
};
// A JSON string literal as encoding/json writes it: <, > and & as \u003c \u003e \u0026,
// U+2028/U+2029 escaped, invalid UTF-8 as \ufffd.
void AppendGoJsonString(std::string* out, std::string_view text);
// A float64 as encoding/json writes it: shortest round-trip digits, exponent form only
// below 1e-6 or from 1e21 ("1e-7", "1e+21"), integral values without a decimal point.
std::string GoJsonFloat(double value);

// time.Time's JSON text without the quotes (RFC 3339, nanoseconds with trailing zeros
// dropped), in `zone`; a zero offset is written "Z".
std::string GoTime(absl::Time time, absl::TimeZone zone);
using util::GoDuration;
// nats-server's uptime/idle text: whole seconds as "5s", "4m12s", "3h0m1s", "2d1h0m0s",
// "1y2d3h4m5s".
std::string GoUptime(absl::Duration duration);
// nats-server's RTT rounding: to microseconds between 1µs and 1ms, else nanoseconds.
absl::Duration GoRttRounding(absl::Duration rtt);

// strconv.Quote (for error texts that quote the offending input).
std::string GoQuote(std::string_view text);

// strconv.ParseBool / strconv.Atoi / strconv.ParseUint(s, 10, 64). On failure `error` gets
// Go's message, e.g. `strconv.ParseBool: parsing "yes": invalid syntax`.
bool GoParseBool(std::string_view text, bool* value, std::string* error);
bool GoAtoi(std::string_view text, int64_t* value, std::string* error);
bool GoParseUint(std::string_view text, uint64_t* value, std::string* error);

}  // namespace ringnats::monitor
