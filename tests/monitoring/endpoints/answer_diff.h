#pragma once
// Compares two HTTP answers to the same monitoring request: status, the headers clients
// look at, and the body by its content type (JSON field by field through json_diff.h,
// JSONP as its wrapper plus JSON, the HTML index by its links, anything else byte for byte).
// Used from one test thread.

#include <string>
#include <utility>
#include <vector>

#include "harness/http_get.h"
#include "monitoring/endpoints/json_diff.h"

namespace ringnats::monitoring {

std::vector<std::string> DiffAnswers(const harness::HttpAnswer& reference,
                                     const harness::HttpAnswer& actual, const DiffOptions& options);

// The (href, text) of every <a> in an HTML page, in order; quoted or bare hrefs.
std::vector<std::pair<std::string, std::string>> HtmlLinks(const std::string& html);

}  // namespace ringnats::monitoring
