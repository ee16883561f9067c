#include "monitoring/endpoints/json_diff.h"

#include <algorithm>
#include <regex>
#include <set>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

namespace ringnats::monitoring {
namespace {

enum class Shape {
  kTime,      // RFC3339, as Go marshals time.Time
  kDuration,  // a Go duration string
  kUptime,    // nats-server's "1d2h3m4s"
  kServerId,  // an nkey-style server id: 'N' and 55 base32 characters
  kInteger,   // any integer
  kNumber,    // integer or float (a Go float64 that may print as 1)
  kString,    // any string
};

// Values that differ between two runs of nats-server itself, checked by shape only.
const std::map<std::string, Shape>& VolatileKeys() {
  static const auto* keys = new std::map<std::string, Shape>{
      {"server_id", Shape::kServerId},
      {"now", Shape::kTime},
      {"start", Shape::kTime},
      {"last_activity", Shape::kTime},
      {"stop", Shape::kTime},
      {"config_load_time", Shape::kTime},
      {"update_time", Shape::kTime},
      {"rtt", Shape::kDuration},
      {"uptime", Shape::kUptime},
      {"idle", Shape::kUptime},
      {"port", Shape::kInteger},  // a server's or a client's port: kernel-chosen
      {"mem", Shape::kInteger},
      {"cpu", Shape::kNumber},
      // By design, not measurements: ringnats is not a Go program. "go" names the Go
      // release nats-server was built with; gomaxprocs is Go's scheduler setting.
      {"go", Shape::kString},
      {"gomaxprocs", Shape::kInteger},
      // By design: the sublist statistics describe each server's own match caches.
      // nats-server counts matches that missed its per-connection result cache and shows
      // its shared sublist cache; ringnats has one match cache per worker and counts every
      // publish's match (docs/monitoring.md). Same names and types, different machinery.
      {"num_cache", Shape::kInteger},
      {"num_matches", Shape::kInteger},
      {"cache_hit_rate", Shape::kNumber},
      {"max_fanout", Shape::kInteger},
      {"avg_fanout", Shape::kNumber},
  };
  return *keys;
}

// Go float64 fields: Go prints 0.0 as 0, so an integer from nats-server does not make an
// integer mandatory here.
const std::set<std::string>& FloatKeys() {
  static const auto* keys = new std::set<std::string>{"cpu", "cache_hit_rate", "avg_fanout"};
  return *keys;
}

// Arrays nats-server fills by walking a Go map: no defined order.
const std::set<std::string>& UnorderedArrays() {
  static const auto* keys =
      new std::set<std::string>{"subscriptions_list", "subscriptions_list_detail"};
  return *keys;
}

std::string Brief(const Json& value) {
  std::string text = value.dump();
  if (text.size() > 200) text = text.substr(0, 200) + "...";
  return text;
}

bool ShapeMatches(Shape shape, const Json& value, std::string* why) {
  switch (shape) {
    case Shape::kInteger: return value.is_number_integer();
    case Shape::kNumber: return value.is_number();
    case Shape::kString: return value.is_string();
    default: break;
  }
  if (!value.is_string()) return false;
  const std::string text = value.get<std::string>();
  static const std::regex kServerIdRe("N[A-Z2-7]{55}");
  bool ok = false;
  switch (shape) {
    case Shape::kTime:
      ok = IsGoTime(text);
      *why = "not an RFC3339 time";
      break;
    case Shape::kDuration:
      ok = IsGoDuration(text);
      *why = "not a Go duration";
      break;
    case Shape::kUptime:
      ok = IsGoUptime(text);
      *why = "not an uptime like 1d2h3m4s";
      break;
    case Shape::kServerId:
      ok = std::regex_match(text, kServerIdRe);
      *why = "not a server id (N + 55 base32 characters)";
      break;
    default: break;
  }
  return ok;
}

class Differ {
 public:
  explicit Differ(const DiffOptions& options) : options_(options) {}

  void Compare(const Json& reference, const Json& actual, const std::string& path,
               const std::string& key) {
    if (auto volatile_key = VolatileKeys().find(key); volatile_key != VolatileKeys().end()) {
      CompareShape(volatile_key->second, reference, actual, path);
      return;
    }
    if (key == "cid" && options_.cids != nullptr) {
      CompareCid(reference, actual, path);
      return;
    }
    if (!SameKind(reference, actual, key)) {
      Add(path, absl::StrCat("type: nats-server ", JsonKind(reference), " ", Brief(reference),
                             ", ringnats ", JsonKind(actual), " ", Brief(actual)));
      return;
    }
    if (reference.is_object()) {
      CompareObject(reference, actual, path);
    } else if (reference.is_array()) {
      if (UnorderedArrays().count(key) != 0 ||
          (key == "connections" && options_.unordered_connections)) {
        CompareUnordered(reference, actual, path);
      } else {
        CompareOrdered(reference, actual, path);
      }
    } else if (reference.is_number() && actual.is_number()) {
      if (reference.get<double>() != actual.get<double>()) {
        Add(path, absl::StrCat("nats-server ", Brief(reference), ", ringnats ", Brief(actual)));
      }
    } else if (reference != actual) {
      Add(path, absl::StrCat("nats-server ", Brief(reference), ", ringnats ", Brief(actual)));
    }
  }

  std::vector<std::string> TakeResult() { return std::move(diffs_); }

 private:
  void Add(const std::string& path, const std::string& what) {
    diffs_.push_back(absl::StrCat(path, ": ", what));
  }

  static bool SameKind(const Json& reference, const Json& actual, const std::string& key) {
    if (reference.is_number() && actual.is_number()) {
      // An integer where Go has an int field; a float field may print either way.
      return !reference.is_number_integer() || actual.is_number_integer() ||
             FloatKeys().count(key) != 0;
    }
    return JsonKind(reference) == JsonKind(actual);
  }

  void CompareShape(Shape shape, const Json& reference, const Json& actual,
                    const std::string& path) {
    // An empty string is no measurement (nats-server's /connz?acc=unknown has an empty
    // server_id): it must be empty on both.
    if (reference.is_string() && reference.get<std::string>().empty()) {
      if (actual != reference) {
        Add(path, absl::StrCat("nats-server \"\", ringnats ", Brief(actual)));
      }
      return;
    }
    std::string why = "wrong type";
    if (!ShapeMatches(shape, reference, &why)) {
      Add(path, absl::StrCat("nats-server's own value ", Brief(reference),
                             " has an unexpected shape (", why, "): fix the test"));
      return;
    }
    why = "wrong type";
    if (!ShapeMatches(shape, actual, &why)) {
      Add(path,
          absl::StrCat(why, ": nats-server ", Brief(reference), ", ringnats ", Brief(actual)));
    }
  }

  // The test's client number for `cid` on one server, or -1.
  static int ClientOf(const std::map<int64_t, int>& map, const Json& cid) {
    if (!cid.is_number_integer()) return -1;
    auto it = map.find(cid.get<int64_t>());
    return it == map.end() ? -1 : it->second;
  }

  void CompareCid(const Json& reference, const Json& actual, const std::string& path) {
    if (!actual.is_number_integer()) {
      Add(path, absl::StrCat("type: cid is ", JsonKind(actual), " ", Brief(actual)));
      return;
    }
    const int reference_client = ClientOf(options_.cids->reference, reference);
    const int actual_client = ClientOf(options_.cids->actual, actual);
    if (reference_client < 0 || reference_client != actual_client) {
      Add(path, absl::StrCat("nats-server cid ", Brief(reference), " (client #", reference_client,
                             "), ringnats cid ", Brief(actual), " (client #", actual_client, ")"));
    }
  }

  void CompareObject(const Json& reference, const Json& actual, const std::string& path) {
    std::vector<std::string> reference_keys;
    std::vector<std::string> actual_keys;
    for (auto it = reference.begin(); it != reference.end(); ++it) {
      reference_keys.push_back(it.key());
    }
    for (auto it = actual.begin(); it != actual.end(); ++it) actual_keys.push_back(it.key());
    // Allowed additions only after nats-server's last key.
    while (!actual_keys.empty() && !reference.contains(actual_keys.back()) &&
           std::find(options_.allowed_additions.begin(), options_.allowed_additions.end(),
                     path + "." + actual_keys.back()) != options_.allowed_additions.end()) {
      actual_keys.pop_back();
    }
    if (reference_keys != actual_keys) {
      std::ostringstream what;
      what << "keys differ:";
      std::set<std::string> in_reference(reference_keys.begin(), reference_keys.end());
      std::set<std::string> in_actual(actual_keys.begin(), actual_keys.end());
      for (const std::string& key : reference_keys) {
        if (in_actual.count(key) == 0) what << " missing \"" << key << "\";";
      }
      for (const std::string& key : actual_keys) {
        if (in_reference.count(key) == 0) what << " extra \"" << key << "\";";
      }
      if (in_reference == in_actual) {
        what << " order: nats-server";
        for (const std::string& key : reference_keys) what << " " << key;
        what << "; ringnats";
        for (const std::string& key : actual_keys) what << " " << key;
      }
      Add(path, what.str());
    }
    // A connection nats-server closed after an -ERR (authentication failure, parse error) is
    // recorded while that -ERR may still be queued: its pending_bytes is 0 or the -ERR's
    // length from one run of nats-server to the next.
    const bool closed_connection = reference.contains("stop") && reference.contains("reason");
    for (const std::string& key : reference_keys) {
      if (!actual.contains(key)) continue;
      if (closed_connection && key == "pending_bytes") {
        CompareShape(Shape::kInteger, reference[key], actual[key], path + "." + key);
        continue;
      }
      Compare(reference[key], actual[key], path + "." + key, key);
    }
  }

  void CompareOrdered(const Json& reference, const Json& actual, const std::string& path) {
    if (reference.size() != actual.size()) {
      Add(path, absl::StrCat(reference.size(), " elements from nats-server, ", actual.size(),
                             " from ringnats: nats-server ", Brief(reference), ", ringnats ",
                             Brief(actual)));
    }
    const size_t common = std::min(reference.size(), actual.size());
    for (size_t i = 0; i < common; ++i) {
      Compare(reference[i], actual[i], absl::StrCat(path, "[", i, "]"), "");
    }
  }

  // A stable identity of an element of an unordered array, with the cid translated into
  // the test's client number.
  std::string Identity(const Json& element, bool reference) const {
    if (!element.is_object()) return element.dump();
    std::string id;
    if (element.contains("cid")) {
      if (options_.cids != nullptr) {
        const auto& map = reference ? options_.cids->reference : options_.cids->actual;
        id += absl::StrCat("client#", ClientOf(map, element["cid"]), "/");
      } else {
        id += element["cid"].dump() + "/";
      }
    }
    for (const char* field : {"sid", "subject", "qgroup"}) {
      if (element.contains(field)) id += element[field].dump() + "/";
    }
    return id;
  }

  void CompareUnordered(const Json& reference, const Json& actual, const std::string& path) {
    std::multimap<std::string, const Json*> reference_by_id;
    std::multimap<std::string, const Json*> actual_by_id;
    for (const Json& element : reference)
      reference_by_id.emplace(Identity(element, true), &element);
    for (const Json& element : actual) actual_by_id.emplace(Identity(element, false), &element);
    for (auto it = reference_by_id.begin(); it != reference_by_id.end(); ++it) {
      auto match = actual_by_id.find(it->first);
      if (match == actual_by_id.end()) {
        Add(path, absl::StrCat("ringnats lacks ", Brief(*it->second)));
        continue;
      }
      Compare(*it->second, *match->second, absl::StrCat(path, "[", it->first, "]"), "");
      actual_by_id.erase(match);
    }
    for (const auto& [id, element] : actual_by_id) {
      Add(path, absl::StrCat("ringnats has an extra ", Brief(*element)));
    }
  }

  const DiffOptions& options_;
  std::vector<std::string> diffs_;
};

}  // namespace

std::string JsonKind(const Json& value) {
  if (value.is_null()) return "null";
  if (value.is_boolean()) return "bool";
  if (value.is_number_float()) return "float";
  if (value.is_number()) return "integer";
  if (value.is_string()) return "string";
  if (value.is_array()) return "array";
  return "object";
}

bool IsGoTime(const std::string& text) {
  static const std::regex kTime(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d*[1-9])?(Z|[+-]\d\d:\d\d))");
  return std::regex_match(text, kTime);
}

bool IsGoDuration(const std::string& text) {
  static const std::regex kDuration(R"((\d+h)?(\d+m)?\d+(\.\d*[1-9])?(ns|µs|ms|s)|0s)");
  return std::regex_match(text, kDuration);
}

bool IsGoUptime(const std::string& text) {
  static const std::regex kUptime(R"((\d+y)?(\d+d)?(\d+h)?(\d+m)?\d+s)");
  return std::regex_match(text, kUptime);
}

int64_t ParseGoTimeNanos(const std::string& text) {
  absl::Time time;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, text, &time, &error)) return -1;
  return absl::ToUnixNanos(time);
}

std::vector<std::string> DiffJson(const Json& reference, const Json& actual,
                                  const DiffOptions& options) {
  Differ differ(options);
  differ.Compare(reference, actual, "$", "");
  return differ.TakeResult();
}

namespace {

// "compact" (one line), "indent2" (each line indented two spaces per open bracket before
// it, as Go's json.MarshalIndent(v, "", "  ") writes), or "other".
std::string Layout(const std::string& body) {
  std::istringstream lines(body);
  std::vector<std::string> all;
  for (std::string line; std::getline(lines, line);) all.push_back(line);
  while (!all.empty() && all.back().empty()) all.pop_back();
  if (all.size() <= 1) return "compact";
  int depth = 0;
  bool in_string = false;
  for (const std::string& line : all) {
    const size_t indent = line.find_first_not_of(' ');
    if (indent == std::string::npos) return "other";
    const bool closes = line[indent] == '}' || line[indent] == ']';
    if (static_cast<int>(indent) != 2 * (closes ? depth - 1 : depth)) return "other";
    for (size_t i = indent; i < line.size(); ++i) {
      const char c = line[i];
      if (in_string) {
        if (c == '\\') {
          ++i;
        } else if (c == '"') {
          in_string = false;
        }
      } else if (c == '"') {
        in_string = true;
      } else if (c == '{' || c == '[') {
        ++depth;
      } else if (c == '}' || c == ']') {
        --depth;
      }
    }
  }
  return depth == 0 ? "indent2" : "other";
}

}  // namespace

std::vector<std::string> DiffLayout(const std::string& reference_body,
                                    const std::string& actual_body) {
  const std::string reference = Layout(reference_body);
  const std::string actual = Layout(actual_body);
  if (reference == actual) return {};
  return {absl::StrCat("layout: nats-server ", reference, ", ringnats ", actual)};
}

}  // namespace ringnats::monitoring
