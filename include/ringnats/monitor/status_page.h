#pragma once
// The page at the monitoring base path: nats-server's index links (same targets and names,
// in its order) and ringnats' live status (connections, messages and bytes per second in
// and out, authentication rate, auth pool queue and hash-time percentiles), refreshed every
// second from /varz by a small script. Self-contained: no external assets. Pure function;
// any thread.

#include <string>
#include <string_view>

namespace ringnats::monitor {

// `base_path` as NormalizeBasePath returns it.
std::string StatusPageHtml(std::string_view base_path);

}  // namespace ringnats::monitor
