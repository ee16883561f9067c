// What a worker tells the monitoring endpoints about its sessions and subscriptions, on its
// own thread (see Worker::SnapshotConnections), and the closed connections it keeps.

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

#include "ringnats/broker/worker.h"

namespace ringnats::broker {
namespace {

// Work units per mailbox turn: a session is one, a subscription listed is one more. A few
// hundred microseconds of copying, so the ring keeps answering while /connz of 50,000
// connections or /subsz?subs=1 of a million subscriptions is built.
constexpr size_t kSnapshotUnitsPerTurn = 1024;
// A session passed over (not in the page, see PagePrefix) costs a pointer and a compare: it
// counts as this fraction of a unit.
constexpr size_t kSkippedPerUnit = 32;
// Subscriptions listed per connection in /connz?subs=1 (its count stays exact): one client
// with a million subscriptions would otherwise make one answer of hundreds of MB.
constexpr size_t kMaxSubsListedPerConnection = 4096;
// A closed connection keeps the subscriptions it had (nats-server shows them with
// state=closed&subs=1) up to this many bytes of subjects, queues and sids: the ring of
// closed connections is attacker-fillable, so each entry is bounded.
constexpr size_t kClosedSubsBytes = 4096;

// The CONNECT's identity as nats-server's /connz?auth=1 shows it, except that a token (which
// nats-server prints there) is redacted: a secret never leaves the broker.
// A client let in as no_auth_user shows that user.
std::string AuthorizedUser(const Session& session) {
  const proto::ConnectOptions& connect = session.connect;
  if (!connect.nkey.empty()) return connect.nkey;
  if (!connect.user.empty()) return connect.user;
  if (!connect.auth_token.empty()) return "[REDACTED]";
  if (session.user != nullptr) return session.user->name;
  return "";
}

monitor::SubscriptionInfo SubscriptionInfoOf(const Subscription& sub, uint64_t cid) {
  monitor::SubscriptionInfo info;
  info.subject = sub.subject;
  info.queue = sub.queue;
  info.sid = sub.sid;
  info.msgs = sub.delivered;
  info.max = sub.max_msgs;
  info.cid = cid;
  return info;
}

// How many of a worker's open connections, lowest cids first, can make up the asked page:
// with nats-server's default cid order and no filter applied after the gather, the page
// (offset, limit) is among each worker's offset+limit lowest cids, so the default /connz
// copies about 1,024 connections per worker instead of all of them. SIZE_MAX: every one.
size_t PagePrefix(const monitor::ConnzQuery& query) {
  const bool cid_order =
      query.sort == monitor::ConnzSort::kCid || query.sort == monitor::ConnzSort::kStart;
  if (!cid_order || query.cid != 0 || !query.user.empty() || !query.account.empty() ||
      !query.mqtt_client.empty() || query.offset < 0 || query.limit < 0) {
    return SIZE_MAX;
  }
  const uint64_t prefix = static_cast<uint64_t>(query.offset) + static_cast<uint64_t>(query.limit);
  return prefix >= SIZE_MAX ? SIZE_MAX : static_cast<size_t>(prefix);
}

// Keeps the `keep` (> 0) lowest cids of `out` and answers the highest of them.
uint64_t KeepLowestCids(std::vector<monitor::ConnectionInfo>* out, size_t keep) {
  std::vector<uint64_t> cids;
  cids.reserve(out->size());
  for (const monitor::ConnectionInfo& info : *out) cids.push_back(info.cid);
  std::nth_element(cids.begin(), cids.begin() + static_cast<ptrdiff_t>(keep - 1), cids.end());
  const uint64_t cutoff = cids[keep - 1];
  std::erase_if(*out, [cutoff](const monitor::ConnectionInfo& info) { return info.cid > cutoff; });
  return cutoff;
}

}  // namespace

size_t ClosedConnectionsPerWorker(size_t workers) {
  const size_t total = monitor::kDefaultClosedConnections;
  return (total + workers - 1) / std::max<size_t>(workers, 1);
}

monitor::ConnectionInfo Worker::ConnectionInfoOf(const Session& session, SubsListed listed,
                                                 int64_t now_ns, absl::Time now) {
  monitor::ConnectionInfo info;
  info.cid = session.client_id;
  info.ip = session.peer_ip;
  info.port = session.peer_port;
  info.start = session.start;
  info.last_activity = now - absl::Nanoseconds(now_ns - session.last_activity_ns);
  if (info.last_activity < info.start) info.last_activity = info.start;
  info.rtt = absl::Nanoseconds(session.rtt_ns);
  info.pending_bytes = static_cast<int64_t>(loop_.outbound(session.conn).pending_bytes());
  info.in_msgs = static_cast<int64_t>(session.in_msgs);
  info.out_msgs = static_cast<int64_t>(session.out_msgs);
  info.in_bytes = static_cast<int64_t>(session.in_bytes);
  info.out_bytes = static_cast<int64_t>(session.out_bytes);
  info.num_subs = static_cast<uint32_t>(session.subs_by_sid.size());
  info.name = session.connect.name;
  info.lang = session.connect.lang;
  info.version = session.connect.version;
  info.tls_version = session.tls_version;
  info.tls_cipher_suite = session.tls_cipher_suite;
  if (session.tls_peer.has_value()) {
    info.tls_peer_certs.push_back(
        monitor::TlsPeerCert{.subject = session.tls_peer->name_string,
                             .spki_sha256 = session.tls_peer_spki_sha256,
                             .cert_sha256 = session.tls_peer_cert_sha256});
  }
  info.authorized_user = AuthorizedUser(session);
  size_t bytes = 0;
  for (const auto& [sid, slot] : session.subs_by_sid) {
    if (info.subs.size() >= listed.max_count) break;
    const Subscription& sub = subs_.at(slot);
    bytes += sub.subject.size() + sub.queue.size() + sub.sid.size();
    if (bytes > listed.max_bytes) break;
    info.subs.push_back(SubscriptionInfoOf(sub, session.client_id));
  }
  return info;
}

void Worker::RecordClosed(const Session& session, CloseReason reason) {
  const absl::Time now = absl::Now();
  monitor::ConnectionInfo info = ConnectionInfoOf(
      session, SubsListed{kMaxSubsListedPerConnection, kClosedSubsBytes}, ring::MonotonicNowNs(),
      now);
  info.stop = now;
  info.reason = std::string(CloseReasonText(reason));
  closed_.Add(std::move(info));
}

void Worker::SnapshotConnections(std::shared_ptr<ConnectionsRequest> request, size_t next_slot) {
  RN_DCHECK_ON_OWNER(loop_);
  WorkerGather<monitor::ConnectionInfo>& gather = request->gather;
  if (gather.abandoned()) {
    gather.Finish();
    return;
  }
  const monitor::ConnzQuery& query = request->query;
  const SubsListed listed{
      query.subs == monitor::SubsOption::kNone ? 0 : kMaxSubsListedPerConnection};
  std::vector<monitor::ConnectionInfo>& out = gather.part(index_);
  size_t slot = next_slot;
  if (query.state != monitor::ConnState::kClosed) {
    const int64_t now_ns = ring::MonotonicNowNs();
    const absl::Time now = absl::Now();
    // Only open connections are in `out` until every slot was looked at.
    const size_t keep = PagePrefix(query);
    if (next_slot == 0) out.reserve(std::min(keep, sessions_.size()));
    // Sessions with a higher cid than this cannot be in the page.
    uint64_t cutoff = UINT64_MAX;
    const auto tighten = [&] {
      if (keep == 0) {
        out.clear();
        cutoff = 0;
      } else {
        cutoff = KeepLowestCids(&out, keep);
      }
    };
    if (keep != SIZE_MAX && out.size() >= keep) tighten();
    size_t units = 0;
    size_t skipped = 0;
    int64_t open = 0;
    for (; slot < sessions_.size() && units + skipped / kSkippedPerUnit < kSnapshotUnitsPerTurn;
         ++slot) {
      const Session* session = sessions_[slot].get();
      if (session == nullptr || session->closing || session->kind != SessionKind::kClient) {
        continue;
      }
      ++open;
      if (query.cid != 0 && session->client_id != query.cid) continue;
      if (session->client_id > cutoff) {
        ++skipped;
        continue;
      }
      out.push_back(ConnectionInfoOf(*session, listed, now_ns, now));
      units += 1 + out.back().subs.size();
      // The first time the page is full, and whenever twice that was collected.
      if (keep != SIZE_MAX && out.size() >= keep &&
          (cutoff == UINT64_MAX || out.size() >= 2 * keep)) {
        tighten();
      }
    }
    request->open_total.fetch_add(open, std::memory_order_relaxed);
    if (slot < sessions_.size()) {
      shared_.PostToWorker(
          index_,
          [request = std::move(request), slot](Worker& worker) mutable {
            worker.SnapshotConnections(std::move(request), slot);
          },
          &loop_);
      return;
    }
  }
  if (query.state != monitor::ConnState::kOpen) {
    const size_t first_closed = out.size();
    closed_.AppendTo(&out, listed.max_count > 0);
    request->closed_total.fetch_add(static_cast<int64_t>(closed_.size()),
                                    std::memory_order_relaxed);
    if (query.cid != 0) {
      out.erase(std::remove_if(out.begin() + static_cast<ptrdiff_t>(first_closed), out.end(),
                               [&](const monitor::ConnectionInfo& info) {
                                 return info.cid != query.cid;
                               }),
                out.end());
    }
  }
  gather.Finish();
}

void Worker::SnapshotSubscriptions(std::shared_ptr<SubscriptionsRequest> request,
                                   size_t next_slot) {
  RN_DCHECK_ON_OWNER(loop_);
  WorkerGather<monitor::SubscriptionInfo>& gather = request->gather;
  if (gather.abandoned()) {
    gather.Finish();
    return;
  }
  std::vector<monitor::SubscriptionInfo>& out = gather.part(index_);
  size_t slot = next_slot;
  const size_t end = std::min(subs_.slot_count(), next_slot + kSnapshotUnitsPerTurn);
  for (; slot < end; ++slot) {
    const Subscription& sub = subs_.at(static_cast<uint32_t>(slot));
    if (!sub.in_use) continue;
    const Session* owner = Find(sub.owner);
    // A closed session's subscriptions are on their way out of the trie.
    if (owner == nullptr || owner->closing || owner->kind != SessionKind::kClient) continue;
    out.push_back(SubscriptionInfoOf(sub, owner->client_id));
  }
  if (slot < subs_.slot_count()) {
    shared_.PostToWorker(
        index_,
        [request = std::move(request), slot](Worker& worker) mutable {
          worker.SnapshotSubscriptions(std::move(request), slot);
        },
        &loop_);
    return;
  }
  gather.Finish();
}

void Worker::PublishMatchStats() {
  counters_.matches.store(match_cache_.hits() + match_cache_.misses(), std::memory_order_relaxed);
  counters_.cache_hits.store(match_cache_.hits(), std::memory_order_relaxed);
  counters_.cache_entries.store(match_cache_.size(), std::memory_order_relaxed);
  counters_.fanout_sum.store(fanout_sum_, std::memory_order_relaxed);
  counters_.fanout_max.store(fanout_max_, std::memory_order_relaxed);
}

void Worker::SnapshotRoutes(std::shared_ptr<RoutesRequest> request) {
  RN_DCHECK_ON_OWNER(loop_);
  WorkerGather<monitor::RouteInfo>& gather = request->gather;
  if (!gather.abandoned()) route_protocol_.Snapshot(request->subs, &gather.part(index_));
  gather.Finish();
}

void RouteProtocol::Snapshot(monitor::SubsOption subs, std::vector<monitor::RouteInfo>* out) {
  const int64_t now_ns = ring::MonotonicNowNs();
  const absl::Time now = absl::Now();
  for (ring::ConnId conn : registered_) {
    const Session* session = worker_.Find(conn);
    if (session == nullptr || session->closing) continue;
    const RouteLink& link = *session->route;
    monitor::RouteInfo& info = out->emplace_back();
    info.rid = session->client_id;
    info.remote_id = link.peer.server_id;
    info.did_solicit = link.solicited >= 0;
    info.is_configured =
        link.solicited >= 0 && solicited_[static_cast<size_t>(link.solicited)].configured;
    info.ip = session->peer_ip;
    info.port = session->peer_port;
    info.start = session->start;
    info.last_activity = now - absl::Nanoseconds(now_ns - session->last_activity_ns);
    info.rtt = absl::Nanoseconds(session->rtt_ns);
    info.pending_size = static_cast<int64_t>(worker_.loop_.outbound(conn).pending_bytes());
    info.in_msgs = static_cast<int64_t>(session->in_msgs);
    info.out_msgs = static_cast<int64_t>(session->out_msgs);
    info.in_bytes = static_cast<int64_t>(session->in_bytes);
    info.out_bytes = static_cast<int64_t>(session->out_bytes);
    info.subscriptions = static_cast<int64_t>(link.remote_subs.size());
    if (subs != monitor::SubsOption::kNone) {
      for (const auto& [key, slot] : link.remote_subs) {
        info.subs.push_back(SubscriptionInfoOf(worker_.subs_.at(slot), session->client_id));
      }
    }
  }
}

}  // namespace ringnats::broker
