#include "ringnats/monitor/query.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl_view.h"
#include "ringnats/monitor/go_format.h"
#include "ringnats/util/hex_digit.h"

namespace ringnats::monitor {
namespace {

constexpr int64_t kDefaultListSize = 1024;

struct SortName {
  std::string_view name;
  ConnzSort sort;
};
constexpr SortName kSorts[] = {
    {"cid", ConnzSort::kCid},          {"start", ConnzSort::kStart},
    {"subs", ConnzSort::kSubs},        {"pending", ConnzSort::kPending},
    {"msgs_to", ConnzSort::kMsgsTo},   {"msgs_from", ConnzSort::kMsgsFrom},
    {"bytes_to", ConnzSort::kBytesTo}, {"bytes_from", ConnzSort::kBytesFrom},
    {"last", ConnzSort::kLast},        {"idle", ConnzSort::kIdle},
    {"uptime", ConnzSort::kUptime},    {"stop", ConnzSort::kStop},
    {"reason", ConnzSort::kReason},
};

// nats-server's IsValidLiteralSubject: non-empty tokens, none of them a lone wildcard
// (whitespace is not checked).
bool IsValidLiteralSubject(std::string_view subject) {
  size_t start = 0;
  while (true) {
    const size_t dot = subject.find('.', start);
    const std::string_view token = subject.substr(start, dot - start);
    if (token.empty() || token == "*" || token == ">") return false;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

}  // namespace

namespace {

// Go's url.QueryUnescape; false where it returns an error.
bool GoQueryUnescape(std::string_view text, std::string* out) {
  out->clear();
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out->push_back(' ');
    } else if (text[i] == '%') {
      if (i + 2 >= text.size()) return false;  // Go: a truncated escape is an error
      const int high = util::HexDigitValue(text[i + 1]);
      const int low = util::HexDigitValue(text[i + 2]);
      if (high < 0 || low < 0) return false;
      out->push_back(static_cast<char>(high * 16 + low));
      i += 2;
    } else {
      out->push_back(text[i]);
    }
  }
  return true;
}

}  // namespace

QueryParams ParseGoQuery(std::string_view raw_query) {
  QueryParams params;
  std::string name;
  std::string value;
  while (!raw_query.empty()) {
    const size_t amp = raw_query.find('&');
    std::string_view pair = raw_query.substr(0, amp);
    raw_query = amp == std::string_view::npos ? std::string_view() : raw_query.substr(amp + 1);
    if (pair.empty() || pair.find(';') != std::string_view::npos) continue;
    const size_t equals = pair.find('=');
    const std::string_view raw_name = pair.substr(0, equals);
    const std::string_view raw_value =
        equals == std::string_view::npos ? std::string_view() : pair.substr(equals + 1);
    if (!GoQueryUnescape(raw_name, &name) || !GoQueryUnescape(raw_value, &value)) continue;
    params.emplace_back(name, value);
  }
  return params;
}

std::string_view QueryValue(const QueryParams& params, std::string_view name) {
  for (const auto& [key, value] : params) {
    if (key == name) return value;
  }
  return {};
}

absl::StatusOr<bool> DecodeBool(const QueryParams& params, std::string_view name) {
  const std::string_view text = QueryValue(params, name);
  if (text.empty()) return false;
  bool value = false;
  std::string error;
  if (!GoParseBool(text, &value, &error)) {
    return absl::InvalidArgumentError(
        absl::StrCat("Error decoding boolean for '", AbslView(name), "': ", error));
  }
  return value;
}

absl::StatusOr<int64_t> DecodeInt(const QueryParams& params, std::string_view name) {
  const std::string_view text = QueryValue(params, name);
  if (text.empty()) return 0;
  int64_t value = 0;
  std::string error;
  if (!GoAtoi(text, &value, &error)) {
    return absl::InvalidArgumentError(
        absl::StrCat("Error decoding int for '", AbslView(name), "': ", error));
  }
  return value;
}

absl::StatusOr<uint64_t> DecodeUint64(const QueryParams& params, std::string_view name) {
  const std::string_view text = QueryValue(params, name);
  if (text.empty()) return 0;
  uint64_t value = 0;
  std::string error;
  if (!GoParseUint(text, &value, &error)) {
    return absl::InvalidArgumentError(
        absl::StrCat("Error decoding uint64 for '", AbslView(name), "': ", error));
  }
  return value;
}

absl::StatusOr<SubsOption> DecodeSubs(const QueryParams& params) {
  if (absl::AsciiStrToLower(AbslView(QueryValue(params, "subs"))) == "detail")
    return SubsOption::kDetail;
  absl::StatusOr<bool> subs = DecodeBool(params, "subs");
  if (!subs.ok()) return subs.status();
  return *subs ? SubsOption::kList : SubsOption::kNone;
}

absl::StatusOr<ConnzQuery> ParseConnzQuery(const QueryParams& params) {
  ConnzQuery query;
  absl::StatusOr<bool> auth = DecodeBool(params, "auth");
  if (!auth.ok()) return auth.status();
  query.auth = *auth;
  absl::StatusOr<SubsOption> subs = DecodeSubs(params);
  if (!subs.ok()) return subs.status();
  query.subs = *subs;
  absl::StatusOr<int64_t> offset = DecodeInt(params, "offset");
  if (!offset.ok()) return offset.status();
  absl::StatusOr<int64_t> limit = DecodeInt(params, "limit");
  if (!limit.ok()) return limit.status();
  absl::StatusOr<uint64_t> cid = DecodeUint64(params, "cid");
  if (!cid.ok()) return cid.status();
  const std::string state = absl::AsciiStrToLower(AbslView(QueryValue(params, "state")));
  if (state.empty() || state == "open") {
    query.state = ConnState::kOpen;
  } else if (state == "closed") {
    query.state = ConnState::kClosed;
  } else if (state == "any" || state == "all") {
    query.state = ConnState::kAll;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("Error decoding state for ", AbslView(QueryValue(params, "state"))));
  }
  query.user = std::string(QueryValue(params, "user"));
  query.account = std::string(QueryValue(params, "acc"));
  query.mqtt_client = std::string(QueryValue(params, "mqtt_client"));
  query.offset = *offset < 0 ? 0 : *offset;
  query.limit = *limit <= 0 ? kDefaultListSize : *limit;
  query.cid = *cid;
  if (query.cid > 0) query.limit = 1;
  return query;
}

absl::Status ApplyConnzSort(std::string_view sort, ConnzQuery* query) {
  query->sort = ConnzSort::kCid;
  if (!sort.empty()) {
    bool found = false;
    for (const SortName& entry : kSorts) {
      if (entry.name == sort) {
        query->sort = entry.sort;
        found = true;
        break;
      }
    }
    if (!found)
      return absl::InvalidArgumentError(absl::StrCat("invalid sorting option: ", AbslView(sort)));
  }
  if (query->sort == ConnzSort::kStop && query->state != ConnState::kClosed) {
    return absl::InvalidArgumentError("sort by stop only valid on closed connections");
  }
  if (query->sort == ConnzSort::kReason && query->state != ConnState::kClosed) {
    return absl::InvalidArgumentError("sort by reason only valid on closed connections");
  }
  return absl::OkStatus();
}

absl::StatusOr<SubszQuery> ParseSubszQuery(const QueryParams& params) {
  SubszQuery query;
  absl::StatusOr<bool> subs = DecodeBool(params, "subs");
  if (!subs.ok()) return subs.status();
  absl::StatusOr<int64_t> offset = DecodeInt(params, "offset");
  if (!offset.ok()) return offset.status();
  absl::StatusOr<int64_t> limit = DecodeInt(params, "limit");
  if (!limit.ok()) return limit.status();
  query.subs = *subs;
  query.offset = *offset < 0 ? 0 : *offset;
  query.limit = *limit <= 0 ? kDefaultListSize : *limit;
  query.test = std::string(QueryValue(params, "test"));
  query.account = std::string(QueryValue(params, "acc"));
  if (!query.test.empty() && !IsValidLiteralSubject(query.test)) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid test subject, must be valid publish subject: ", query.test));
  }
  return query;
}

}  // namespace ringnats::monitor
