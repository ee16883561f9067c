// ringnats-passwd: bcrypt hashes for the config, and what each cost means on this machine.

#include <fcntl.h>
#include <openssl/crypto.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_format.h"
#include "cost_bench.h"
#include "passwd_options.h"
#include "password_prompt.h"
#include "random_password.h"
#include "ringnats/auth/bcrypt.h"

namespace ringnats::passwd {
namespace {

// The broker's default auth timeout (reference §2.4).
constexpr absl::Duration kDefaultAuthTimeout = absl::Seconds(2);

int Fail(const absl::Status& status) {
  // absl::string_view is not std::string_view in this abseil; print through data/size.
  std::fprintf(stderr, "Error: %.*s\n", static_cast<int>(status.message().size()),
               status.message().data());
  return 1;
}

// Reads from the controlling terminal when standard input is one, so the prompt shows even
// if stdout is redirected; a pipe on stdin is read as it is.
absl::StatusOr<std::string> PromptForPassword() {
  if (isatty(STDIN_FILENO) != 1) return ReadPasswordTwice(STDIN_FILENO);
  const int tty = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
  if (tty < 0) return ReadPasswordTwice(STDIN_FILENO);
  absl::StatusOr<std::string> password = ReadPasswordTwice(tty);
  close(tty);
  return password;
}

int RunBench(const Options& options) {
  const long online_cpus = sysconf(_SC_NPROCESSORS_ONLN);
  const int online = online_cpus > 0 ? static_cast<int>(online_cpus) : 1;
  const int threads = options.threads > 0 ? options.threads : online;
  BenchPlan plan;
  plan.budget = options.budget;
  std::printf("Measuring bcrypt costs %d-%d for at most about %g s...\n", plan.min_cost,
              plan.max_cost, absl::ToDoubleSeconds(plan.budget));
  std::fflush(stdout);
  absl::StatusOr<std::vector<CostMeasurement>> rows = MeasureCosts(plan, BcryptHashTimer(threads));
  if (!rows.ok()) return Fail(rows.status());
  const std::string table = RenderCostTable(*rows, plan, threads, kDefaultAuthTimeout);
  std::fwrite(table.data(), 1, table.size(), stdout);
  if (threads > online) {
    std::printf(
        "Note: %d threads on %d online CPUs; hashing is CPU-bound, so the pool cannot\n"
        "go faster than %d threads would.\n",
        threads, online, online);
  }
  return 0;
}

int Run(int argc, char** argv) {
  const std::vector<std::string_view> args(argv + 1, argv + argc);
  const std::string_view program = argc > 0 ? argv[0] : "ringnats-passwd";
  absl::StatusOr<Options> options = ParseOptions(args);
  if (!options.ok()) {
    Fail(options.status());
    std::fputs(Usage(program).c_str(), stderr);
    return 2;
  }
  if (options->help) {
    std::fputs(Usage(program).c_str(), stdout);
    return 0;
  }
  if (options->bench) return RunBench(*options);

  absl::StatusOr<std::string> password;
  if (options->prompt) {
    password = PromptForPassword();
  } else {
    password = RandomPassword();
    if (password.ok()) std::printf("pass: %s\n", password->c_str());
  }
  if (!password.ok()) return Fail(password.status());

  auth::BcryptHasher hasher;
  absl::StatusOr<std::string> hash = hasher.Hash(*password, options->cost);
  OPENSSL_cleanse(password->data(), password->size());
  if (!hash.ok()) return Fail(hash.status());
  std::printf("bcrypt hash: %s\n", hash->c_str());
  return std::fflush(stdout) == 0 ? 0 : 1;
}

}  // namespace
}  // namespace ringnats::passwd

int main(int argc, char** argv) {
  return ringnats::passwd::Run(argc, argv);
}
