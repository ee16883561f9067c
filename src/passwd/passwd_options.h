#pragma once
// The command line of ringnats-passwd.

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace ringnats::passwd {

// nats-server's mkpasswd used 11; so do we, so hashes from either tool cost the same.
constexpr int kDefaultCost = 11;
constexpr int kMinCost = 4;
constexpr int kMaxCost = 31;

struct Options {
  bool help = false;
  bool prompt = false;  // -p: read the password instead of generating one
  int cost = kDefaultCost;
  bool bench = false;
  int threads = 0;  // --bench: auth pool size to project for; 0 = online CPUs
  absl::Duration budget = absl::Seconds(30);  // --bench: time to spend measuring
};

// `args` excludes the program name. Accepts `-c N`, `-c=N`, `--cost N`, `--cost=N` (and the
// same forms for --threads and --seconds).
absl::StatusOr<Options> ParseOptions(const std::vector<std::string_view>& args);

std::string Usage(std::string_view program);

}  // namespace ringnats::passwd
