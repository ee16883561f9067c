// Route URLs: Go's url.Parse acceptance rules and reasons (nats-server parses route URLs
// with it and accepts whatever it accepts), Go's net.SplitHostPort for the advertised
// address, and redaction of passwords.

#include <climits>
#include <initializer_list>
#include <string>
#include <string_view>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "ringnats/config/cluster_options.h"
#include "ringnats/util/hex_digit.h"
#include "route_url_internal.h"

namespace ringnats::config {
namespace {

std::string Cat(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (std::string_view part : parts) out.append(part);
  return out;
}

enum class EscapeMode { kHost, kZone, kUserPassword, kPath, kFragment };

// Go's shouldEscape, for the host and zone modes (the only ones Parse rejects characters in).
bool HostCharNeedsEscape(char c) {
  if (absl::ascii_isalnum(static_cast<unsigned char>(c))) return false;
  switch (c) {
    case '!':
    case '$':
    case '&':
    case '\'':
    case '(':
    case ')':
    case '*':
    case '+':
    case ',':
    case ';':
    case '=':
    case ':':
    case '[':
    case ']':
    case '<':
    case '>':
    case '"':
    case '-':
    case '_':
    case '.':
    case '~': return false;
    default: return true;
  }
}

// Go's unescape: %XX sequences decoded; a bad one, or (in a host) a character that must be
// escaped, is an error with Go's reason.
absl::StatusOr<std::string> Unescape(std::string_view s, EscapeMode mode) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    const char c = s[i];
    if (c == '%') {
      if (i + 2 >= s.size() || util::HexDigitValue(s[i + 1]) < 0 ||
          util::HexDigitValue(s[i + 2]) < 0) {
        std::string_view bad = s.substr(i, 3);
        return absl::InvalidArgumentError(absl::StrFormat("invalid URL escape \"%s\"", bad));
      }
      const std::string_view seq = s.substr(i, 3);
      const int value = util::HexDigitValue(s[i + 1]) << 4 | util::HexDigitValue(s[i + 2]);
      if (mode == EscapeMode::kHost && util::HexDigitValue(s[i + 1]) < 8 && seq != "%25") {
        return absl::InvalidArgumentError(absl::StrFormat("invalid URL escape \"%s\"", seq));
      }
      if (mode == EscapeMode::kZone && seq != "%25" && value != ' ' && value < 0x80 &&
          HostCharNeedsEscape(static_cast<char>(value))) {
        return absl::InvalidArgumentError(absl::StrFormat("invalid URL escape \"%s\"", seq));
      }
      out.push_back(static_cast<char>(value));
      i += 3;
      continue;
    }
    if ((mode == EscapeMode::kHost || mode == EscapeMode::kZone) &&
        static_cast<unsigned char>(c) < 0x80 && HostCharNeedsEscape(c)) {
      return absl::InvalidArgumentError(
          absl::StrFormat("invalid character \"%s\" in host name", s.substr(i, 1)));
    }
    out.push_back(c);
    ++i;
  }
  return out;
}

// ":digits" or empty.
bool ValidOptionalPort(std::string_view port) {
  if (port.empty()) return true;
  if (port[0] != ':') return false;
  for (char c : port.substr(1)) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// Go's parseHost: returns the unescaped host, brackets kept, port kept.
absl::StatusOr<std::string> ParseHost(std::string_view host) {
  if (host.starts_with('[')) {
    const size_t close = host.rfind(']');
    if (close == std::string_view::npos) {
      return absl::InvalidArgumentError("missing ']' in host");
    }
    const std::string_view colon_port = host.substr(close + 1);
    if (!ValidOptionalPort(colon_port)) {
      return absl::InvalidArgumentError(
          absl::StrFormat("invalid port \"%s\" after host", colon_port));
    }
    const size_t zone = host.substr(0, close).find("%25");
    if (zone != std::string_view::npos) {
      absl::StatusOr<std::string> h1 = Unescape(host.substr(0, zone), EscapeMode::kHost);
      if (!h1.ok()) return h1.status();
      absl::StatusOr<std::string> h2 = Unescape(host.substr(zone, close - zone), EscapeMode::kZone);
      if (!h2.ok()) return h2.status();
      absl::StatusOr<std::string> h3 = Unescape(host.substr(close), EscapeMode::kHost);
      if (!h3.ok()) return h3.status();
      return Cat({*h1, *h2, *h3});
    }
  } else if (const size_t colon = host.rfind(':'); colon != std::string_view::npos) {
    const std::string_view colon_port = host.substr(colon);
    if (!ValidOptionalPort(colon_port)) {
      return absl::InvalidArgumentError(
          absl::StrFormat("invalid port \"%s\" after host", colon_port));
    }
  }
  return Unescape(host, EscapeMode::kHost);
}

bool ValidUserinfo(std::string_view userinfo) {
  for (char c : userinfo) {
    if (absl::ascii_isalnum(static_cast<unsigned char>(c))) continue;
    switch (c) {
      case '-':
      case '.':
      case '_':
      case ':':
      case '~':
      case '!':
      case '$':
      case '&':
      case '\'':
      case '(':
      case ')':
      case '*':
      case '+':
      case ',':
      case ';':
      case '=':
      case '%':
      case '@': continue;
      default: return false;
    }
  }
  return true;
}

// Go's parseAuthority into `url` (user, password, host, port).
absl::Status ParseAuthority(std::string_view authority, RouteUrl* url) {
  const size_t at = authority.rfind('@');
  const std::string_view host_part =
      at == std::string_view::npos ? authority : authority.substr(at + 1);
  absl::StatusOr<std::string> host = ParseHost(host_part);
  if (!host.ok()) return host.status();
  if (at != std::string_view::npos) {
    const std::string_view userinfo = authority.substr(0, at);
    if (!ValidUserinfo(userinfo)) return absl::InvalidArgumentError("net/url: invalid userinfo");
    const size_t colon = userinfo.find(':');
    absl::StatusOr<std::string> user =
        Unescape(userinfo.substr(0, colon), EscapeMode::kUserPassword);
    if (!user.ok()) return user.status();
    url->has_user = true;
    url->user = *std::move(user);
    if (colon != std::string_view::npos) {
      absl::StatusOr<std::string> password =
          Unescape(userinfo.substr(colon + 1), EscapeMode::kUserPassword);
      if (!password.ok()) return password.status();
      url->has_password = true;
      url->password = *std::move(password);
    }
  }
  url->host_port = *host;
  // URL.Hostname() and URL.Port(): the port is what follows the last ':' after any ']'.
  std::string_view hostport = *host;
  std::string_view port;
  const size_t close = hostport.rfind(']');
  const size_t colon = hostport.rfind(':');
  if (colon != std::string_view::npos && (close == std::string_view::npos || colon > close)) {
    port = hostport.substr(colon + 1);
    hostport = hostport.substr(0, colon);
  }
  if (hostport.starts_with('[') && hostport.ends_with(']')) {
    hostport = hostport.substr(1, hostport.size() - 2);
  }
  url->host = std::string(hostport);
  url->port = -1;
  if (!port.empty()) {
    int64_t value = 0;
    // Digits only (checked above); an overflow saturates, it can never be dialled anyway.
    url->port =
        absl::SimpleAtoi(absl::string_view(port.data(), port.size()), &value) && value <= INT_MAX
            ? static_cast<int>(value)
            : INT_MAX;
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<RouteUrl> ParseRouteUrl(std::string_view text) {
  RouteUrl url;
  for (char c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return absl::InvalidArgumentError("net/url: invalid control character in URL");
    }
  }
  // The fragment first (Go splits it off before parsing the rest).
  std::string_view rest = text;
  std::string_view fragment;
  bool has_fragment = false;
  if (const size_t hash = rest.find('#'); hash != std::string_view::npos) {
    fragment = rest.substr(hash + 1);
    rest = rest.substr(0, hash);
    has_fragment = true;
  }
  std::string tail;  // what follows the authority, kept raw for comparisons
  if (rest == "*") {
    url.rest = "*";
  } else {
    // getScheme
    for (size_t i = 0; i < rest.size(); ++i) {
      const char c = rest[i];
      if (absl::ascii_isalpha(static_cast<unsigned char>(c))) continue;
      if (absl::ascii_isdigit(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.') {
        if (i == 0) break;
        continue;
      }
      if (c == ':') {
        if (i == 0) return absl::InvalidArgumentError("missing protocol scheme");
        url.scheme = absl::AsciiStrToLower(absl::string_view(rest.data(), i));
        rest = rest.substr(i + 1);
      }
      break;
    }
    std::string_view query;
    bool has_query = false;
    if (const size_t q = rest.find('?'); q != std::string_view::npos) {
      query = rest.substr(q);
      rest = rest.substr(0, q);
      has_query = true;
    }
    if (!rest.starts_with('/')) {
      if (url.scheme.empty()) {
        const std::string_view segment = rest.substr(0, rest.find('/'));
        if (segment.find(':') != std::string_view::npos) {
          return absl::InvalidArgumentError("first path segment in URL cannot contain colon");
        }
      }
    } else if (rest.starts_with("//") && (!url.scheme.empty() || !rest.starts_with("///"))) {
      std::string_view authority = rest.substr(2);
      rest = {};
      if (const size_t slash = authority.find('/'); slash != std::string_view::npos) {
        rest = authority.substr(slash);
        authority = authority.substr(0, slash);
      }
      if (absl::Status st = ParseAuthority(authority, &url); !st.ok()) return st;
      url.has_authority = true;
    }
    if (url.scheme.empty() || rest.starts_with('/') || url.has_authority) {
      absl::StatusOr<std::string> path = Unescape(rest, EscapeMode::kPath);
      if (!path.ok()) return path.status();
    }
    url.rest = std::string(rest);
    if (has_query) url.rest += std::string(query);
  }
  if (has_fragment) {
    absl::StatusOr<std::string> unescaped = Unescape(fragment, EscapeMode::kFragment);
    if (!unescaped.ok()) return unescaped.status();
    url.rest += "#";
    url.rest += std::string(fragment);
  }
  return url;
}

std::string RouteUrl::Redacted() const {
  std::string out;
  if (!scheme.empty()) absl::StrAppend(&out, scheme, ":");
  if (has_authority) {
    out += "//";
    if (has_user) {
      out += user;
      if (has_password) out += ":xxxxx";
      out += "@";
    }
    out += host_port;
  }
  out += rest;
  return out;
}

std::string RedactUrlText(std::string_view text) {
  const size_t authority = text.find("://");
  if (authority == std::string_view::npos) return std::string(text);
  const size_t start = authority + 3;
  const size_t end = text.find_first_of("/?#", start);
  const std::string_view auth =
      text.substr(start, end == std::string_view::npos ? end : end - start);
  const size_t at = auth.rfind('@');
  if (at == std::string_view::npos) return std::string(text);
  const size_t colon = auth.substr(0, at).find(':');
  if (colon == std::string_view::npos) return std::string(text);
  return Cat({text.substr(0, start + colon + 1), "xxxxx", text.substr(start + at)});
}

std::string_view TrimBlanks(std::string_view text) {
  auto blank = [](char c) { return absl::ascii_isspace(static_cast<unsigned char>(c)); };
  while (!text.empty() && blank(text.front())) text.remove_prefix(1);
  while (!text.empty() && blank(text.back())) text.remove_suffix(1);
  return text;
}

absl::Status GoSplitHostPort(std::string_view hostport, std::string* host, std::string* port) {
  auto error = [&](std::string_view why) {
    return absl::InvalidArgumentError(hostport.empty() ? std::string(why)
                                                       : Cat({"address ", hostport, ": ", why}));
  };
  const size_t last_colon = hostport.rfind(':');
  if (last_colon == std::string_view::npos) return error("missing port in address");
  size_t no_open_from = 0;
  size_t no_close_from = 0;
  std::string_view h;
  if (hostport.front() == '[') {
    const size_t close = hostport.find(']');
    if (close == std::string_view::npos) return error("missing ']' in address");
    if (close + 1 == hostport.size()) return error("missing port in address");
    if (close + 1 != last_colon) {
      return hostport[close + 1] == ':' ? error("too many colons in address")
                                        : error("missing port in address");
    }
    h = hostport.substr(1, close - 1);
    no_open_from = 1;
    no_close_from = close + 1;
  } else {
    h = hostport.substr(0, last_colon);
    if (h.find(':') != std::string_view::npos) return error("too many colons in address");
  }
  if (hostport.find('[', no_open_from) != std::string_view::npos) {
    return error("unexpected '[' in address");
  }
  if (hostport.find(']', no_close_from) != std::string_view::npos) {
    return error("unexpected ']' in address");
  }
  *host = std::string(h);
  *port = std::string(hostport.substr(last_colon + 1));
  return absl::OkStatus();
}

absl::Status CheckClusterAdvertise(std::string_view advertise) {
  if (advertise.empty()) return absl::OkStatus();
  std::string host;
  std::string port;
  absl::Status split = GoSplitHostPort(advertise, &host, &port);
  if (!split.ok() && split.message().find("missing port") != std::string_view::npos) {
    split = GoSplitHostPort(Cat({advertise, ":0"}), &host, &port);
  }
  if (!split.ok()) return split;
  const std::string_view trimmed = TrimBlanks(port);
  // strconv.Atoi: an optional sign and decimal digits, within int64.
  std::string_view digits = trimmed;
  if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) digits.remove_prefix(1);
  bool syntax_ok = !digits.empty();
  for (char c : digits) syntax_ok = syntax_ok && c >= '0' && c <= '9';
  int64_t value = 0;
  if (syntax_ok && absl::SimpleAtoi(absl::string_view(trimmed.data(), trimmed.size()), &value))
    return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrFormat("strconv.Atoi: parsing \"%s\": %s", trimmed,
                      syntax_ok ? "value out of range" : "invalid syntax"));
}

}  // namespace ringnats::config
