#include "ringnats/route/route_registry.h"

#include <algorithm>
#include <string_view>

#include "absl/container/flat_hash_set.h"

namespace ringnats::route {

bool RouteRegistry::Register(RouteEntry entry, std::string_view our_server_id) {
  absl::MutexLock lock(&mu_);
  const bool we_decide = our_server_id < entry.server_id;
  const bool routed = std::any_of(routes_.begin(), routes_.end(), [&](const RouteEntry& route) {
    return route.server_id == entry.server_id;
  });
  if (routed && we_decide) return false;
  routes_.push_back(std::move(entry));
  version_.fetch_add(1, std::memory_order_release);
  return true;
}

void RouteRegistry::Unregister(std::string_view server_id, uint32_t worker, ring::ConnId conn) {
  absl::MutexLock lock(&mu_);
  auto it = std::find_if(routes_.begin(), routes_.end(), [&](const RouteEntry& route) {
    return route.server_id == server_id && route.worker == worker && route.conn == conn;
  });
  if (it == routes_.end()) return;
  routes_.erase(it);
  version_.fetch_add(1, std::memory_order_release);
}

bool RouteRegistry::Has(std::string_view server_id) const {
  absl::MutexLock lock(&mu_);
  return std::any_of(routes_.begin(), routes_.end(),
                     [&](const RouteEntry& route) { return route.server_id == server_id; });
}

std::vector<RouteEntry> RouteRegistry::All() const {
  absl::MutexLock lock(&mu_);
  return routes_;
}

std::vector<uint32_t> RouteRegistry::OwningWorkers() const {
  std::vector<uint32_t> workers;
  {
    absl::MutexLock lock(&mu_);
    workers.reserve(routes_.size());
    for (const RouteEntry& route : routes_) workers.push_back(route.worker);
  }
  std::sort(workers.begin(), workers.end());
  workers.erase(std::unique(workers.begin(), workers.end()), workers.end());
  return workers;
}

size_t RouteRegistry::size() const {
  absl::MutexLock lock(&mu_);
  return routes_.size();
}

void RouteRegistry::ForgetConnectUrls(std::string_view server_id) {
  absl::MutexLock lock(&mu_);
  for (RouteEntry& route : routes_) {
    if (route.server_id != server_id || route.connect_urls.empty()) continue;
    route.connect_urls.clear();
    version_.fetch_add(1, std::memory_order_release);
  }
}

std::vector<std::string> RouteRegistry::PeerConnectUrls() const {
  absl::MutexLock lock(&mu_);
  std::vector<std::string> urls;
  absl::flat_hash_set<std::string_view> listed;
  for (const RouteEntry& route : routes_) {
    for (const std::string& url : route.connect_urls) {
      if (listed.insert(url).second) urls.push_back(url);
    }
  }
  return urls;
}

std::string RouteRegistry::cluster_name() const {
  absl::MutexLock lock(&mu_);
  return cluster_name_;
}

bool RouteRegistry::cluster_name_dynamic() const {
  absl::MutexLock lock(&mu_);
  return name_dynamic_;
}

bool RouteRegistry::AgreeOnName(std::string_view name, bool theirs_dynamic) {
  absl::MutexLock lock(&mu_);
  if (name == cluster_name_) return true;
  if (name_dynamic_ && (!theirs_dynamic || cluster_name_ < name)) {
    cluster_name_ = std::string(name);
    name_dynamic_ = theirs_dynamic;
    return true;
  }
  return false;
}

bool RouteRegistry::Rename(std::string_view name) {
  absl::MutexLock lock(&mu_);
  if (name == cluster_name_ && !name_dynamic_) return false;
  const bool changed = name != cluster_name_;
  cluster_name_ = std::string(name);
  name_dynamic_ = false;
  if (changed) version_.fetch_add(1, std::memory_order_release);
  return changed;
}

}  // namespace ringnats::route
