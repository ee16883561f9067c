#pragma once
// Request/reply latency: one requester, one responder. Closed loop (one request outstanding)
// by default; with --rate a fixed send schedule, latency measured from the intended send time
// so a stalled broker cannot hide its stall (no coordinated omission).

#include "absl/status/statusor.h"
#include "options.h"
#include "report.h"

namespace ringnats::load {

absl::StatusOr<Report> RunReqRepScenario(const Options& options);

}  // namespace ringnats::load
