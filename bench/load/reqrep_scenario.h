#pragma once
// Request/reply latency: --requesters N requesters (one by default), one responder. Closed
// loop (each requester keeps one request outstanding) by default; with --rate a fixed send
// schedule, latency measured from the intended send time so a stalled broker cannot hide its
// stall (no coordinated omission).

#include <functional>

#include "absl/status/statusor.h"
#include "options.h"
#include "report.h"

namespace ringnats::load {

// `before_clock`, when given, runs once both connections are ready and just before the measured
// window opens (the storm scenario starts its background load there); an error aborts the run.
absl::StatusOr<Report> RunReqRepScenario(
    const Options& options, const std::function<absl::Status()>& before_clock = nullptr);

}  // namespace ringnats::load
