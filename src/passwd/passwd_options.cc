#include "passwd_options.h"

#include <charconv>
#include <cmath>

#include "absl/strings/str_format.h"

namespace ringnats::passwd {
namespace {

// Splits `--name=value` into name and value; `value` stays empty when there is no `=`.
struct Flag {
  std::string_view name;
  std::string_view value;
  bool has_value = false;
};

Flag SplitFlag(std::string_view arg) {
  const size_t eq = arg.find('=');
  if (eq == std::string_view::npos) return Flag{arg, {}, false};
  return Flag{arg.substr(0, eq), arg.substr(eq + 1), true};
}

absl::StatusOr<int> ParseInt(std::string_view flag, std::string_view text) {
  int value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || text.empty()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("invalid value \"%s\" for %s: not an integer", text, flag));
  }
  return value;
}

absl::StatusOr<double> ParseSeconds(std::string_view flag, std::string_view text) {
  // std::from_chars for double is not in every libstdc++ we build with; strtod needs a C
  // string.
  const std::string copy(text);
  char* end = nullptr;
  const double value = std::strtod(copy.c_str(), &end);
  if (copy.empty() || end != copy.c_str() + copy.size() || !std::isfinite(value) || value <= 0) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "invalid value \"%s\" for %s: want a positive number of seconds", text, flag));
  }
  return value;
}

}  // namespace

absl::StatusOr<Options> ParseOptions(const std::vector<std::string_view>& args) {
  Options options;
  for (size_t i = 0; i < args.size(); ++i) {
    const Flag flag = SplitFlag(args[i]);
    auto value = [&]() -> absl::StatusOr<std::string_view> {
      if (flag.has_value) return flag.value;
      if (i + 1 >= args.size()) {
        return absl::InvalidArgumentError(absl::StrFormat("flag needs an argument: %s", flag.name));
      }
      return args[++i];
    };
    auto no_value = [&]() -> absl::Status {
      if (flag.has_value) {
        return absl::InvalidArgumentError(absl::StrFormat("flag takes no argument: %s", flag.name));
      }
      return absl::OkStatus();
    };
    if (flag.name == "-h" || flag.name == "--help" || flag.name == "-help") {
      if (absl::Status s = no_value(); !s.ok()) return s;
      options.help = true;
    } else if (flag.name == "-p" || flag.name == "--p") {
      if (absl::Status s = no_value(); !s.ok()) return s;
      options.prompt = true;
    } else if (flag.name == "-c" || flag.name == "--c" || flag.name == "--cost") {
      absl::StatusOr<std::string_view> text = value();
      if (!text.ok()) return text.status();
      absl::StatusOr<int> cost = ParseInt(flag.name, *text);
      if (!cost.ok()) return cost.status();
      if (*cost < kMinCost || *cost > kMaxCost) {
        return absl::InvalidArgumentError(absl::StrFormat(
            "bcrypt cost %d is outside the valid range %d-%d", *cost, kMinCost, kMaxCost));
      }
      options.cost = *cost;
    } else if (flag.name == "--bench") {
      if (absl::Status s = no_value(); !s.ok()) return s;
      options.bench = true;
    } else if (flag.name == "--threads") {
      absl::StatusOr<std::string_view> text = value();
      if (!text.ok()) return text.status();
      absl::StatusOr<int> threads = ParseInt(flag.name, *text);
      if (!threads.ok()) return threads.status();
      if (*threads < 1) {
        return absl::InvalidArgumentError("--threads must be at least 1");
      }
      options.threads = *threads;
    } else if (flag.name == "--seconds") {
      absl::StatusOr<std::string_view> text = value();
      if (!text.ok()) return text.status();
      absl::StatusOr<double> seconds = ParseSeconds(flag.name, *text);
      if (!seconds.ok()) return seconds.status();
      options.budget = absl::Seconds(*seconds);
    } else {
      return absl::InvalidArgumentError(absl::StrFormat("unknown argument: %s", args[i]));
    }
  }
  if (!options.bench && (options.threads != 0 || options.budget != Options().budget)) {
    return absl::InvalidArgumentError("--threads and --seconds go with --bench");
  }
  return options;
}

std::string Usage(std::string_view program) {
  return absl::StrFormat(
      "Usage: %s [-p] [-c COST]\n"
      "       %s --bench [--threads N] [--seconds S]\n"
      "\n"
      "Makes a bcrypt hash to put in the config as a password or token.\n"
      "\n"
      "  -p                 read the password (twice, without echo) instead of generating\n"
      "                     a random one; when standard input is not a terminal, read two\n"
      "                     lines from it\n"
      "  -c, --cost COST    bcrypt cost, %d-%d (default %d); each step doubles the time\n"
      "  --bench            measure every cost on this machine and show what it means for\n"
      "                     the auth pool\n"
      "  --threads N        --bench: auth pool threads to project for (default: online CPUs,\n"
      "                     as auth_threads)\n"
      "  --seconds S        --bench: time budget for measuring (default 30); costs that\n"
      "                     would not fit are skipped\n"
      "  -h, --help         this text\n",
      program, program, kMinCost, kMaxCost, kDefaultCost);
}

}  // namespace ringnats::passwd
