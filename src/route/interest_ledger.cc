#include "ringnats/route/interest_ledger.h"

#include "absl/strings/str_cat.h"

namespace ringnats::route {

std::string InterestKeyOf(std::string_view subject, std::string_view queue) {
  std::string key(subject);
  if (!queue.empty()) {
    key.push_back(' ');
    key.append(queue);
  }
  return key;
}

std::pair<std::string_view, std::string_view> SplitInterestKey(std::string_view key) {
  const size_t space = key.find(' ');
  if (space == std::string_view::npos) return {key, {}};
  return {key.substr(0, space), key.substr(space + 1)};
}

// A queue group's weight is re-announced on every change; plain interest only on 0 <-> 1.
bool InterestLedger::Add(std::string_view key) {
  absl::MutexLock lock(&mu_);
  const auto [it, inserted] = counts_.try_emplace(key, 0);
  return ++it->second == 1 || key.find(' ') != std::string_view::npos;
}

bool InterestLedger::Remove(std::string_view key) {
  absl::MutexLock lock(&mu_);
  auto it = counts_.find(key);
  if (it == counts_.end()) return false;
  if (--it->second > 0) return key.find(' ') != std::string_view::npos;
  counts_.erase(it);
  return true;
}

void InterestLedger::WeightsOf(std::span<const std::string> keys,
                               std::vector<int64_t>* weights) const {
  weights->clear();
  weights->reserve(keys.size());
  absl::MutexLock lock(&mu_);
  for (const std::string& key : keys) {
    auto it = counts_.find(key);
    weights->push_back(it == counts_.end() ? 0 : it->second);
  }
}

std::vector<std::pair<std::string, int64_t>> InterestLedger::Snapshot() const {
  absl::MutexLock lock(&mu_);
  return {counts_.begin(), counts_.end()};
}

}  // namespace ringnats::route
