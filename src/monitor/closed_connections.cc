#include "ringnats/monitor/closed_connections.h"

#include "ringnats/util/check.h"

namespace ringnats::monitor {

ClosedConnections::ClosedConnections(size_t capacity) : capacity_(capacity) {
  RN_CHECK(capacity_ > 0);
}

void ClosedConnections::Add(ConnectionInfo info) {
  RN_DCHECK(info.stop.has_value());
  ++total_added_;
  Entry entry;
  entry.subs = std::move(info.subs);
  info.subs.clear();
  entry.info = std::move(info);
  if (entries_.size() < capacity_) {
    entries_.push_back(std::move(entry));
    return;
  }
  entries_[next_] = std::move(entry);
  next_ = (next_ + 1) % capacity_;
}

std::vector<ConnectionInfo> ClosedConnections::Snapshot() const {
  std::vector<ConnectionInfo> out;
  AppendTo(&out, /*with_subs=*/true);
  return out;
}

void ClosedConnections::AppendTo(std::vector<ConnectionInfo>* out, bool with_subs) const {
  out->reserve(out->size() + entries_.size());
  // Until the ring is full next_ is 0 and entries_ is already oldest first.
  for (size_t i = 0; i < entries_.size(); ++i) {
    const Entry& entry = entries_[(next_ + i) % entries_.size()];
    out->push_back(entry.info);
    if (with_subs) out->back().subs = entry.subs;
  }
}

}  // namespace ringnats::monitor
