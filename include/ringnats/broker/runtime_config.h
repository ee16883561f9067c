#pragma once
// The configuration the workers run with, as one immutable snapshot, and the channel that
// hands a reloaded snapshot to every worker.

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "ringnats/auth/auth_config.h"
#include "ringnats/config/options.h"
#include "ringnats/config/tls_options.h"
#include "ringnats/route/route_info.h"

namespace ringnats::broker {

struct RuntimeConfig {
  config::ServerOptions options;
  auth::AuthConfigPtr auth;  // resolved from options (flags over the file)
  std::string info_prefix;   // INFO up to the per-client fields
  // Routes: the cluster authorization as a single-user rule (mode kNone without one), and
  // what our route INFO says (the cluster name is the registry's, which may change).
  auth::AuthConfigPtr route_auth;
  // cluster { permissions }, each as a subscribe check (unset: everything allowed): the
  // imports bound the interest we announce to a peer, the exports what a peer may announce.
  std::optional<auth::Permissions> route_imports;
  std::optional<auth::Permissions> route_exports;
  route::LocalRouteFacts route_facts;
  // The TLS contexts (null where TLS is off), built from the options with this snapshot:
  // sessions made from one keep it alive, a reload swaps in new certificates for new ones.
  config::TlsContexts tls;
};

using RuntimeConfigPtr = std::shared_ptr<const RuntimeConfig>;

// Shared between the control thread (Publish) and every worker (generation, Load). A worker
// checks the generation once per loop iteration (one acquire load) and loads the snapshot,
// under the mutex, only when it changed.
class ConfigChannel {
 public:
  void Publish(RuntimeConfigPtr config) {
    absl::MutexLock lock(&mu_);
    current_ = std::move(config);
    generation_.fetch_add(1, std::memory_order_release);
  }
  RuntimeConfigPtr Load() const {
    absl::MutexLock lock(&mu_);
    return current_;
  }
  uint64_t generation() const { return generation_.load(std::memory_order_acquire); }

 private:
  mutable absl::Mutex mu_;
  RuntimeConfigPtr current_ ABSL_GUARDED_BY(mu_);
  std::atomic<uint64_t> generation_{0};
};

}  // namespace ringnats::broker
