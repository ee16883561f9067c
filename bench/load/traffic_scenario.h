#pragma once
// Publish/subscribe throughput scenarios: pub, pubsub, fanout, queue and many-subjects.
// They share one engine that differs only in who subscribes to what.

#include "absl/status/statusor.h"
#include "options.h"
#include "report.h"

namespace ringnats::load {

absl::StatusOr<Report> RunTrafficScenario(const Options& options);

}  // namespace ringnats::load
