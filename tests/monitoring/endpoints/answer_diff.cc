#include "monitoring/endpoints/answer_diff.h"

#include <algorithm>
#include <regex>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace ringnats::monitoring {
namespace {

// Headers a client or a browser acts on. Date, Content-Length, Transfer-Encoding and
// connection management belong to the HTTP library, not to the endpoint.
constexpr const char* kComparedHeaders[] = {"Content-Type", "X-Content-Type-Options",
                                            "Access-Control-Allow-Origin", "Location"};

std::string Header(const harness::HttpAnswer& answer, const std::string& name) {
  for (const auto& [key, value] : answer.headers) {
    if (std::equal(key.begin(), key.end(), name.begin(), name.end(),
                   [](char a, char b) { return std::tolower(a) == std::tolower(b); })) {
      return value;
    }
  }
  return "<absent>";
}

bool StartsWith(const std::string& text, const std::string& prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

// By design, links that may be on one page and not the other: nats-server links its own
// source repository (ringnats is not nats-server), and ringnats' index adds its Prometheus
// endpoint (issue 10, item 5) among nats-server's links. Either may be absent on either page.
bool LinkEitherMayLack(const std::pair<std::string, std::string>& link) {
  return link.first == "https://github.com/nats-io/nats-server" ||
         (link.second == "Prometheus" && link.first.ends_with("metrics"));
}

std::vector<std::string> DiffJsonBodies(const std::string& reference_body,
                                        const std::string& actual_body,
                                        const DiffOptions& options) {
  const Json reference = Json::parse(reference_body, nullptr, /*allow_exceptions=*/false);
  if (reference.is_discarded()) {
    return {absl::StrCat("nats-server's body is not JSON: ", reference_body)};
  }
  const Json actual = Json::parse(actual_body, nullptr, /*allow_exceptions=*/false);
  if (actual.is_discarded()) return {absl::StrCat("ringnats' body is not JSON: ", actual_body)};
  std::vector<std::string> diffs = DiffJson(reference, actual, options);
  for (std::string& diff : DiffLayout(reference_body, actual_body)) {
    diffs.push_back(std::move(diff));
  }
  return diffs;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> HtmlLinks(const std::string& html) {
  static const std::regex kLink(R"re(<a href="?([^" >]+)"?[^>]*>([^<]*)</a>)re");
  std::vector<std::pair<std::string, std::string>> links;
  for (auto it = std::sregex_iterator(html.begin(), html.end(), kLink);
       it != std::sregex_iterator(); ++it) {
    links.emplace_back((*it)[1], (*it)[2]);
  }
  return links;
}

std::vector<std::string> DiffAnswers(const harness::HttpAnswer& reference,
                                     const harness::HttpAnswer& actual,
                                     const DiffOptions& options) {
  std::vector<std::string> diffs;
  if (reference.status != actual.status) {
    diffs.push_back(absl::StrCat("HTTP status: nats-server ", reference.status, ", ringnats ",
                                 actual.status, " (ringnats body: ", actual.body, ")"));
    return diffs;
  }
  for (const char* name : kComparedHeaders) {
    const std::string expected = Header(reference, name);
    const std::string got = Header(actual, name);
    if (expected != got) {
      diffs.push_back(absl::StrCat("header ", name, ": nats-server \"", expected, "\", ringnats \"",
                                   got, "\""));
    }
  }
  const std::string type = Header(reference, "Content-Type");
  if (StartsWith(type, "application/json")) {
    for (std::string& diff : DiffJsonBodies(reference.body, actual.body, options)) {
      diffs.push_back(std::move(diff));
    }
  } else if (StartsWith(type, "application/javascript")) {
    // JSONP: callback( + JSON + ), nothing else.
    const size_t open = reference.body.find('(');
    const std::string prefix = reference.body.substr(0, open + 1);
    if (open == std::string::npos || !StartsWith(actual.body, prefix) || actual.body.empty() ||
        actual.body.back() != ')' || reference.body.back() != ')') {
      diffs.push_back(absl::StrCat("JSONP wrapper: nats-server ", reference.body.substr(0, 40),
                                   "..., ringnats ", actual.body.substr(0, 40), "..."));
    } else {
      const auto inner = [&](const std::string& body) {
        return body.substr(prefix.size(), body.size() - prefix.size() - 1);
      };
      for (std::string& diff : DiffJsonBodies(inner(reference.body), inner(actual.body), options)) {
        diffs.push_back(std::move(diff));
      }
    }
  } else if (StartsWith(type, "text/html")) {
    std::vector<std::pair<std::string, std::string>> expected = HtmlLinks(reference.body);
    std::vector<std::pair<std::string, std::string>> got = HtmlLinks(actual.body);
    std::erase_if(expected, LinkEitherMayLack);
    std::erase_if(got, LinkEitherMayLack);
    if (expected != got) {
      const auto show = [](const std::vector<std::pair<std::string, std::string>>& links) {
        return absl::StrJoin(links, ", ", [](std::string* out, const auto& link) {
          absl::StrAppend(out, link.first, " \"", link.second, "\"");
        });
      };
      diffs.push_back(absl::StrCat("index links: nats-server [", show(expected), "], ringnats [",
                                   show(got), "]"));
    }
  } else if (reference.body != actual.body) {
    diffs.push_back(
        absl::StrCat("body: nats-server \"", reference.body, "\", ringnats \"", actual.body, "\""));
  }
  return diffs;
}

}  // namespace ringnats::monitoring
