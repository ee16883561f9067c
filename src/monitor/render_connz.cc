// /connz: nats-server's selection, sorting and paging of connections, and ConnInfo's fields.

#include <algorithm>
#include <functional>

#include "render_internal.h"
#include "ringnats/monitor/render.h"

namespace ringnats::monitor {
namespace {

constexpr std::string_view kGlobalAccount = "$G";

bool IsClosed(const ConnectionInfo& info) {
  return info.stop.has_value();
}

// nats-server keeps a closed connection's account only when it is not the global one, and
// its account filter compares against that.
std::string_view ClosedAccount(const ConnectionInfo& info) {
  return info.account == kGlobalAccount ? std::string_view() : std::string_view(info.account);
}

absl::Time EndOf(const ConnectionInfo& info, absl::Time now) {
  return info.stop.has_value() ? *info.stop : now;
}

Json ConnectionJson(const ConnectionInfo& info, const ConnzQuery& query, absl::Time now,
                    absl::TimeZone local) {
  const bool closed = IsClosed(info);
  const absl::Time end = EndOf(info, now);
  Json json;
  json["cid"] = info.cid;
  if (!info.kind.empty()) json["kind"] = info.kind;
  if (!info.type.empty()) json["type"] = info.type;
  json["ip"] = info.ip;
  json["port"] = info.port;
  json["start"] = GoTime(info.start, local);
  json["last_activity"] = GoTime(info.last_activity, local);
  if (closed) json["stop"] = GoTime(*info.stop, absl::UTCTimeZone());
  if (!info.reason.empty()) json["reason"] = info.reason;
  json["rtt"] = GoDuration(GoRttRounding(info.rtt));
  json["uptime"] = GoUptime(end - info.start);
  json["idle"] = GoUptime(end - info.last_activity);
  json["pending_bytes"] = info.pending_bytes;
  json["in_msgs"] = info.in_msgs;
  json["out_msgs"] = info.out_msgs;
  json["in_bytes"] = info.in_bytes;
  json["out_bytes"] = info.out_bytes;
  json["subscriptions"] = info.num_subs;
  if (!info.name.empty()) json["name"] = info.name;
  if (!info.lang.empty()) json["lang"] = info.lang;
  if (!info.version.empty()) json["version"] = info.version;
  if (!info.tls_version.empty()) json["tls_version"] = info.tls_version;
  if (!info.tls_cipher_suite.empty()) json["tls_cipher_suite"] = info.tls_cipher_suite;
  // Peer certificates are only gathered for open connections asked with auth.
  if (query.auth && !closed && !info.tls_peer_certs.empty()) {
    Json certs = Json::array();
    for (const TlsPeerCert& cert : info.tls_peer_certs) {
      Json entry = Json::object();
      if (!cert.subject.empty()) entry["subject"] = cert.subject;
      if (!cert.spki_sha256.empty()) entry["spki_sha256"] = cert.spki_sha256;
      if (!cert.cert_sha256.empty()) entry["cert_sha256"] = cert.cert_sha256;
      certs.push_back(std::move(entry));
    }
    json["tls_peer_certs"] = std::move(certs);
  }
  if (query.auth) {
    if (!info.authorized_user.empty()) json["authorized_user"] = info.authorized_user;
    if (!info.account.empty() && info.account != kGlobalAccount) json["account"] = info.account;
  }
  if (!info.subs.empty()) {
    if (query.subs == SubsOption::kDetail) {
      Json details = Json::array();
      // A closed connection's subscriptions were recorded with their account.
      for (const SubscriptionInfo& sub : info.subs) {
        details.push_back(SubscriptionJson(sub, /*with_account=*/closed));
      }
      json["subscriptions_list_detail"] = std::move(details);
    } else if (query.subs == SubsOption::kList) {
      Json subjects = Json::array();
      for (const SubscriptionInfo& sub : info.subs) subjects.push_back(sub.subject);
      json["subscriptions_list"] = std::move(subjects);
    }
  }
  // A closed connection keeps these whatever the query; an open one shows them with auth.
  if (query.auth || closed) {
    if (!info.jwt.empty()) json["jwt"] = info.jwt;
    if (!info.issuer_key.empty()) json["issuer_key"] = info.issuer_key;
    if (!info.name_tag.empty()) json["name_tag"] = info.name_tag;
    if (!info.tags.empty()) {
      Json tags = Json::array();
      for (const std::string& tag : info.tags) tags.push_back(tag);
      json["tags"] = std::move(tags);
    }
  }
  if (!info.mqtt_client.empty()) json["mqtt_client"] = info.mqtt_client;
  return json;
}

// Orders `list` as nats-server's sort option does: cid and start ascending, reason and
// uptime ascending, everything else descending. Ties keep cid order.
void Sort(std::vector<const ConnectionInfo*>* list, ConnzSort sort, absl::Time now) {
  using Ptr = const ConnectionInfo*;
  std::stable_sort(list->begin(), list->end(), [](Ptr a, Ptr b) { return a->cid < b->cid; });
  const auto descending = [&](auto key) {
    std::stable_sort(list->begin(), list->end(), [&](Ptr a, Ptr b) { return key(a) > key(b); });
  };
  switch (sort) {
    case ConnzSort::kCid:
    case ConnzSort::kStart: return;
    case ConnzSort::kSubs: return descending([](Ptr c) { return c->num_subs; });
    case ConnzSort::kPending: return descending([](Ptr c) { return c->pending_bytes; });
    case ConnzSort::kMsgsTo: return descending([](Ptr c) { return c->out_msgs; });
    case ConnzSort::kMsgsFrom: return descending([](Ptr c) { return c->in_msgs; });
    case ConnzSort::kBytesTo: return descending([](Ptr c) { return c->out_bytes; });
    case ConnzSort::kBytesFrom: return descending([](Ptr c) { return c->in_bytes; });
    case ConnzSort::kLast: return descending([](Ptr c) { return c->last_activity; });
    // nats-server's "idle" orders by last activity minus start (time active), descending.
    case ConnzSort::kIdle: return descending([](Ptr c) { return c->last_activity - c->start; });
    case ConnzSort::kStop:
      return descending([](Ptr c) { return c->stop.value_or(absl::InfinitePast()); });
    case ConnzSort::kUptime:
      std::stable_sort(list->begin(), list->end(), [now](Ptr a, Ptr b) {
        return EndOf(*a, now) - a->start < EndOf(*b, now) - b->start;
      });
      return;
    case ConnzSort::kReason:
      std::stable_sort(list->begin(), list->end(),
                       [](Ptr a, Ptr b) { return a->reason < b->reason; });
      return;
  }
}

}  // namespace

Json SubscriptionJson(const SubscriptionInfo& sub, bool with_account) {
  Json json;
  if (with_account && !sub.account.empty()) json["account"] = sub.account;
  json["subject"] = sub.subject;
  if (!sub.queue.empty()) json["qgroup"] = sub.queue;
  json["sid"] = sub.sid;
  json["msgs"] = sub.msgs;
  if (sub.max != 0) json["max"] = sub.max;
  json["cid"] = sub.cid;
  return json;
}

Json ConnzJson(std::string_view server_id, const ConnzData& data, const ConnzQuery& query,
               absl::Time now, absl::TimeZone local) {
  Json json;
  json["server_id"] = server_id;
  json["now"] = GoTime(now, absl::UTCTimeZone());
  const auto finish = [&](int64_t total, Json connections) {
    json["num_connections"] = connections.is_array() ? connections.size() : 0;
    json["total"] = total;
    json["offset"] = query.offset;
    json["limit"] = query.limit;
    json["connections"] = std::move(connections);
    return json;
  };

  std::vector<const ConnectionInfo*> open;
  std::vector<const ConnectionInfo*> closed;
  for (const ConnectionInfo& info : data.connections) {
    (IsClosed(info) ? closed : open).push_back(&info);
  }
  const bool want_open = query.state != ConnState::kClosed;
  const bool want_closed = query.state != ConnState::kOpen;
  if (!want_open) open.clear();
  if (!want_closed) closed.clear();

  int64_t total = data.total >= 0 ? data.total : static_cast<int64_t>(open.size() + closed.size());
  if (!query.account.empty()) {
    // An account nobody uses is, to this renderer, one that does not exist: nats-server
    // then answers with an empty id and a null list.
    const bool known = query.account == kGlobalAccount ||
                       std::any_of(open.begin(), open.end(), [&](const ConnectionInfo* c) {
                         return c->account == query.account;
                       });
    if (!known) {
      json["server_id"] = "";
      json["num_connections"] = 0;
      json["total"] = 0;
      json["offset"] = query.offset;
      json["limit"] = query.limit;
      json["connections"] = nullptr;
      return json;
    }
    std::erase_if(open, [&](const ConnectionInfo* c) { return c->account != query.account; });
    const size_t closed_before = closed.size();
    std::erase_if(closed,
                  [&](const ConnectionInfo* c) { return ClosedAccount(*c) != query.account; });
    total = static_cast<int64_t>(open.size() + closed_before) -
            static_cast<int64_t>(closed_before - closed.size());
  }

  const auto rejected = [&](const ConnectionInfo* c) {
    return (!query.user.empty() && c->authorized_user != query.user) ||
           (!query.mqtt_client.empty() && c->mqtt_client != query.mqtt_client);
  };
  if (query.cid > 0) {
    // nats-server looks among closed connections only when closed ones are asked for.
    const auto other = [&](const ConnectionInfo* c) { return c->cid != query.cid; };
    if (want_closed) {
      std::erase_if(closed, other);
      if (closed.size() > 1) closed.resize(1);
      open.clear();
    } else {
      std::erase_if(open, other);
      if (open.size() > 1) open.resize(1);
    }
  } else {
    std::erase_if(open, rejected);
  }
  std::erase_if(closed, rejected);

  if (open.empty() && closed.empty()) return finish(total, Json::array());

  std::vector<const ConnectionInfo*> list = std::move(open);
  list.insert(list.end(), closed.begin(), closed.end());
  Sort(&list, query.sort, now);
  const size_t count = list.size();
  const size_t first = std::min<size_t>(static_cast<size_t>(query.offset), count);
  const size_t last = std::min<uint64_t>(
      static_cast<uint64_t>(query.offset) + static_cast<uint64_t>(query.limit), count);
  Json connections = Json::array();
  for (size_t i = first; i < last; ++i) {
    connections.push_back(ConnectionJson(*list[i], query, now, local));
  }
  return finish(total, std::move(connections));
}

}  // namespace ringnats::monitor
