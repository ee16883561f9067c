#include "cost_bench.h"

#include <algorithm>
#include <chrono>
#include <latch>
#include <thread>

#include "absl/strings/str_format.h"
#include "passwd_options.h"
#include "ringnats/auth/bcrypt.h"
#include "ringnats/util/thread_cpu_time.h"

namespace ringnats::passwd {
namespace {

absl::Duration Median(std::vector<absl::Duration> samples) {
  std::sort(samples.begin(), samples.end());
  const size_t mid = samples.size() / 2;
  if (samples.size() % 2 == 1) return samples[mid];
  return (samples[mid - 1] + samples[mid]) / 2;
}

}  // namespace

HashTimer BcryptHashTimer(int threads) {
  threads = std::max(threads, 1);
  return [threads](int cost) -> absl::StatusOr<HashTiming> {
    // One hash on each of `threads` threads started together, as a busy pool hashes: on
    // some machines parallel hashes run slower than one alone, and a one-thread figure
    // multiplied by the pool size promised more than the pool delivers.
    std::vector<HashTiming> timings(static_cast<size_t>(threads));
    std::vector<absl::Status> errors(static_cast<size_t>(threads));
    std::latch start(threads);
    std::vector<std::thread> workers;
    workers.reserve(static_cast<size_t>(threads));
    for (size_t i = 0; i < static_cast<size_t>(threads); ++i) {
      workers.emplace_back([&, i] {
        auth::BcryptHasher hasher;
        start.arrive_and_wait();
        const absl::Duration cpu_start = ThreadCpuTime();
        const auto wall_start = std::chrono::steady_clock::now();
        absl::StatusOr<std::string> hash = hasher.Hash("ringnats-passwd bench", cost);
        timings[i] = HashTiming{absl::FromChrono(std::chrono::steady_clock::now() - wall_start),
                                ThreadCpuTime() - cpu_start};
        if (!hash.ok()) errors[i] = hash.status();
      });
    }
    for (std::thread& worker : workers) worker.join();
    HashTiming mean;
    for (size_t i = 0; i < timings.size(); ++i) {
      if (!errors[i].ok()) return errors[i];
      mean.wall += timings[i].wall / threads;
      mean.cpu += timings[i].cpu / threads;
    }
    return mean;
  };
}

absl::StatusOr<std::vector<CostMeasurement>> MeasureCosts(const BenchPlan& plan,
                                                          const HashTimer& timer) {
  std::vector<CostMeasurement> rows;
  const int costs = plan.max_cost - plan.min_cost + 1;
  if (costs <= 0) return rows;
  // Cheap costs would finish in milliseconds anyway; the share only limits the repeats of
  // the expensive ones.
  const absl::Duration share = plan.budget / costs;
  absl::Duration spent;
  absl::Duration previous;  // median at the cost below, zero before the first
  for (int cost = plan.min_cost; cost <= plan.max_cost; ++cost) {
    CostMeasurement row;
    row.cost = cost;
    // Each step of the cost doubles the work.
    const absl::Duration predicted = previous * 2;
    if (spent + predicted > plan.budget) {
      row.per_hash = predicted;
      rows.push_back(row);
      previous = predicted;
      continue;
    }
    std::vector<absl::Duration> walls;
    std::vector<absl::Duration> cpus;
    absl::Duration spent_here;
    while (static_cast<int>(walls.size()) < std::max(plan.max_samples, 1)) {
      absl::StatusOr<HashTiming> took = timer(cost);
      if (!took.ok()) return took.status();
      walls.push_back(took->wall);
      cpus.push_back(took->cpu);
      spent_here += took->wall;
      spent += took->wall;
      // Another sample would take about as long as this one.
      if (spent_here + took->wall > share || spent + took->wall > plan.budget) break;
    }
    row.samples = static_cast<int>(walls.size());
    row.per_hash = Median(std::move(walls));
    row.cpu_per_hash = Median(std::move(cpus));
    previous = row.per_hash;
    rows.push_back(row);
  }
  return rows;
}

double ConnectsPerSecond(absl::Duration per_hash, int threads) {
  if (per_hash <= absl::ZeroDuration()) return 0;
  return threads / absl::ToDoubleSeconds(per_hash);
}

std::string RenderCostTable(const std::vector<CostMeasurement>& rows, const BenchPlan& plan,
                            int threads, absl::Duration auth_timeout) {
  const double timeout_s = absl::ToDoubleSeconds(auth_timeout);
  std::string out = absl::StrFormat(
      "bcrypt cost on this machine: %d thread%s hashing at once, as an auth pool of that size\n"
      "(auth_threads; --threads); per thread, the median of up to %d hashes per cost. The\n"
      "rates use the wall-clock time; 'cpu ms' is the thread's CPU time, lower when the\n"
      "machine is busy.\n\n",
      threads, threads == 1 ? "" : "s", plan.max_samples);
  absl::StrAppendFormat(&out, "%6s %9s %9s %16s %16s %16s\n", "cost", "ms/hash", "cpu ms",
                        "hashes/s/thread", absl::StrFormat("connects/s (x%d)", threads),
                        "1000 logins take");
  bool skipped_any = false;
  bool over_timeout = false;
  for (const CostMeasurement& row : rows) {
    const std::string cost = absl::StrFormat("%d%s", row.cost, row.cost == kDefaultCost ? "*" : "");
    const double ms = absl::ToDoubleMilliseconds(row.per_hash);
    if (row.samples == 0) {
      skipped_any = true;
      absl::StrAppendFormat(&out, "%6s %9s   skipped: about %.0f ms/hash, over the time budget\n",
                            cost, "-", ms);
      continue;
    }
    const double per_thread = ConnectsPerSecond(row.per_hash, 1);
    const double pool = ConnectsPerSecond(row.per_hash, threads);
    std::string note;
    if (row.per_hash >= auth_timeout) {
      note = "  (one hash takes longer than the auth timeout)";
      over_timeout = true;
    }
    absl::StrAppendFormat(&out, "%6s %9.2f %9.2f %16.1f %16.1f %15.1fs%s\n", cost, ms,
                          absl::ToDoubleMilliseconds(row.cpu_per_hash), per_thread, pool,
                          pool > 0 ? 1000 / pool : 0.0, note);
  }
  absl::StrAppendFormat(
      &out,
      "\n* the default cost (nats-server's mkpasswd used 11 as well).\n"
      "connects/s counts distinct credentials: a reconnect with a user and password that were\n"
      "verified recently is answered from the auth pool's cache without hashing.\n"
      "The auth timeout (%gs by default; authorization { timeout }) covers the wait for\n"
      "CONNECT, not the hashing: a login queued behind others waits its turn, and the last\n"
      "column is how long a burst of 1000 new logins keeps the pool busy. The pool threads\n"
      "run at lower priority and share the CPUs with the workers, so under message load\n"
      "expect less than this projection.\n",
      timeout_s);
  if (over_timeout) {
    absl::StrAppendFormat(&out,
                          "A cost whose single hash takes longer than the auth timeout still logs\n"
                          "clients in, but each waits that long for its answer.\n");
  }
  if (skipped_any) {
    absl::StrAppendFormat(&out,
                          "Skipped costs would not fit the %g s budget (the estimate doubles the\n"
                          "cost below); give --seconds to measure them.\n",
                          absl::ToDoubleSeconds(plan.budget));
  }
  return out;
}

}  // namespace ringnats::passwd
