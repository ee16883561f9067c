// Interest between the node and its peers. Local client subscriptions are counted node-wide
// in the ledger; a change that routes must hear about is posted, once per loop iteration, to
// every worker that owns routes, and each route is told the changed keys' state now (RS+ on a
// first plain subscriber or a new queue weight, RS- on the last). Interest a peer
// announces becomes a subscription the route holds in the shared trie, so a client's publish
// finds local and remote subscribers in one match.

#include <algorithm>
#include <optional>

#include "absl/strings/str_format.h"
#include "ringnats/auth/permissions.h"
#include "ringnats/broker/worker.h"
#include "ringnats/sublist/subject.h"
#include "ringnats/util/log.h"

namespace ringnats::broker {
namespace {

// The only account ringnats has; interest and messages of any other (nats-server's $SYS)
// are not for us.
constexpr std::string_view kGlobalAccount = "$G";

// Whether interest in `subject` may cross a route under one side of route permissions.
bool Permitted(const std::optional<auth::Permissions>& check, std::string_view subject) {
  return !check.has_value() || auth::MaySubscribe(*check, subject, {});
}

// Tells the peer the interest under `key` now has `weight` (0: none left). Plain interest is
// stateless: RS+ while there is some, RS- when there is none. Keys are posted only when they
// change, so this is one line per 0 <-> 1 transition; a key posted twice (by two workers, or
// before and after SendAllInterest) costs a repeated line, which peers ignore as nats-server
// does (an RS+ for a key they hold, an RS- for one they do not), instead of a per-route map
// of every subject the node has. Queue groups keep their last weight, so an unchanged weight
// is not sent again.
void Announce(RouteLink& link, std::string_view key, int64_t weight,
              const std::optional<auth::Permissions>& imports, std::string* out) {
  const auto [subject, queue] = route::SplitInterestKey(key);
  // cluster { permissions { import } }: interest outside it is never announced.
  if (!Permitted(imports, subject)) return;
  if (queue.empty()) {
    out->append(weight > 0 ? "RS+ $G " : "RS- $G ");
    out->append(subject);
    out->append("\r\n");
    return;
  }
  if (weight > 0) {
    const auto [it, inserted] = link.announced.try_emplace(key, weight);
    if (!inserted) {
      if (it->second == weight) return;
      it->second = weight;
    }
    char digits[24];
    out->append("RS+ $G ");
    out->append(subject);
    out->push_back(' ');
    out->append(queue);
    out->push_back(' ');
    out->append(DecimalDigits(static_cast<size_t>(weight), digits));
    out->append("\r\n");
    return;
  }
  auto it = link.announced.find(key);
  if (it == link.announced.end()) return;
  link.announced.erase(it);
  out->append("RS- $G ");
  out->append(key);
  out->append("\r\n");
}

}  // namespace

void RouteProtocol::NoteLocalInterest(const Subscription& sub, bool added) {
  if (worker_.shared_.cluster == nullptr || (sub.generation & kRouteGenerationBit) != 0) return;
  route::InterestLedger& ledger = worker_.shared_.cluster->ledger;
  // A plain subscription's key is its subject: no string is built unless routes must hear.
  std::string queue_key;
  if (!sub.queue.empty()) queue_key = route::InterestKeyOf(sub.subject, sub.queue);
  const std::string_view key = sub.queue.empty() ? std::string_view(sub.subject) : queue_key;
  const bool changed = added ? ledger.Add(key) : ledger.Remove(key);
  if (!changed) return;
  if (sub.queue.empty()) {
    interest_changes_.emplace_back(sub.subject);
  } else {
    interest_changes_.push_back(std::move(queue_key));
  }
}

void RouteProtocol::PostInterestChanges() {
  if (interest_changes_.empty()) return;
  // Not sorted or deduplicated: a key changed twice this iteration is announced twice with
  // its weight now, which Announce makes harmless; a sort of 100,000 keys is not.
  auto keys = std::make_shared<const std::vector<std::string>>(std::move(interest_changes_));
  interest_changes_.clear();
  // A route registered after this reads the ledger itself (SendAllInterest), so only the
  // workers owning routes now need the news.
  for (uint32_t owner : worker_.shared_.cluster->registry.OwningWorkers()) {
    if (owner == worker_.index_) {
      SyncInterest(*keys);
    } else {
      worker_.shared_.PostToWorker(
          owner, [keys](Worker& worker) { worker.routes().SyncInterest(*keys); }, &worker_.loop_);
    }
  }
}

void RouteProtocol::SyncInterest(const std::vector<std::string>& keys) {
  if (registered_.empty()) return;
  worker_.shared_.cluster->ledger.WeightsOf(keys, &weights_scratch_);
  std::string& lines = interest_lines_;
  for (ring::ConnId conn : registered_) {
    Session* route = worker_.Find(conn);
    if (route == nullptr || route->closing) continue;
    lines.clear();
    for (size_t i = 0; i < keys.size(); ++i) {
      Announce(*route->route, keys[i], weights_scratch_[i], worker_.config_->route_imports, &lines);
    }
    if (!lines.empty()) worker_.Write(*route, lines);
  }
}

void RouteProtocol::SendAllInterest(Session& route) {
  std::string lines;
  for (const auto& [key, weight] : worker_.shared_.cluster->ledger.Snapshot()) {
    Announce(*route.route, key, weight, worker_.config_->route_imports, &lines);
  }
  if (!lines.empty()) worker_.Write(route, lines);
}

std::optional<uint32_t> RouteProtocol::AddRemoteMember(Session& route, std::string_view subject,
                                                std::string_view queue, std::string_view key) {
  const uint32_t slot = worker_.subs_.Allocate(/*for_route=*/true);
  Subscription& sub = worker_.subs_.at(slot);
  sub.owner = route.conn;
  sub.subject.assign(subject);
  sub.queue.assign(queue);
  sub.sid.assign("$G ");  // as nats-server names a route's subscription
  sub.sid.append(key);
  if (!worker_.shared_.trie.Insert(sub.subject, sub.queue, sublist::SubRef{worker_.index_, slot, sub.generation})
           .ok()) {
    worker_.subs_.Free(slot);
    return std::nullopt;
  }
  WorkerCounters::Add(worker_.counters_.sub_inserts, 1);
  return slot;
}

void RouteProtocol::HandleRemoteSub(Session& route, const proto::RouteOp& op) {
  if (op.account != kGlobalAccount) return;
  RouteLink& link = *route.route;
  std::string key = route::InterestKeyOf(op.subject, op.queue);
  if (!link.remote_subs.contains(key)) {
    // cluster { permissions { export } }: the peer gets no messages outside it.
    if (!Permitted(worker_.config_->route_exports, op.subject)) return;
    if (!sublist::IsValidSubscribeSubject(op.subject)) {
      log::Debug("%s - invalid remote subject \"%s\"", route.log_prefix, op.subject);
      return;
    }
    const std::optional<uint32_t> slot = AddRemoteMember(route, op.subject, op.queue, key);
    if (!slot.has_value()) return;
    if (op.queue.empty()) {
      link.remote_subs.emplace(std::move(key), *slot);
      return;
    }
    link.remote_subs.emplace(key, *slot);
  }
  if (op.queue.empty()) return;
  // The queue group's weight, bounded so a peer cannot make this node hold without end.
  constexpr int64_t kMaxQueueWeight = 256;
  size_t extras = static_cast<size_t>(std::clamp<int64_t>(op.weight, 1, kMaxQueueWeight) - 1);
  std::vector<uint32_t>& members = link.extra_members[key];
  extras = std::min(extras, members.size() + (kMaxExtraMembersPerRoute - link.extra_member_count));
  while (members.size() < extras) {
    const std::optional<uint32_t> slot = AddRemoteMember(route, op.subject, op.queue, key);
    if (!slot.has_value()) break;
    members.push_back(*slot);
    ++link.extra_member_count;
  }
  while (members.size() > extras) {
    worker_.RemoveSubscription(members.back());
    members.pop_back();
    --link.extra_member_count;
  }
  if (members.empty()) link.extra_members.erase(key);
}

void RouteProtocol::HandleRemoteUnsub(Session& route, const proto::RouteOp& op) {
  if (op.account != kGlobalAccount) return;
  RouteLink& link = *route.route;
  const std::string key = route::InterestKeyOf(op.subject, op.queue);
  if (auto extra = link.extra_members.find(key); extra != link.extra_members.end()) {
    for (uint32_t slot : extra->second) worker_.RemoveSubscription(slot);
    link.extra_member_count -= extra->second.size();
    link.extra_members.erase(extra);
  }
  auto it = link.remote_subs.find(key);
  if (it == link.remote_subs.end()) return;
  const uint32_t slot = it->second;
  link.remote_subs.erase(it);
  worker_.RemoveSubscription(slot);
}

}  // namespace ringnats::broker
