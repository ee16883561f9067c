// /connz: nats-server's selection, sorting and paging of connections, and ConnInfo's fields.

#include <algorithm>
#include <functional>
#include <string>
#include <vector>

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

// Time texts are written per connection, tens of thousands of times per answer.
void WriteTime(GoJsonIndentWriter& w, absl::Time time, absl::TimeZone zone) {
  w.String(GoTime(time, zone));
}

void WriteConnection(GoJsonIndentWriter& w, const ConnectionInfo& info, const ConnzQuery& query,
                     absl::Time now, absl::TimeZone local) {
  const bool closed = IsClosed(info);
  const absl::Time end = EndOf(info, now);
  const auto optional_string = [&w](std::string_view key, std::string_view value) {
    if (value.empty()) return;
    w.Key(key);
    w.String(value);
  };
  w.BeginObject();
  w.Key("cid");
  w.Uint(info.cid);
  optional_string("kind", info.kind);
  optional_string("type", info.type);
  w.Key("ip");
  w.String(info.ip);
  w.Key("port");
  w.Int(info.port);
  w.Key("start");
  WriteTime(w, info.start, local);
  w.Key("last_activity");
  WriteTime(w, info.last_activity, local);
  if (closed) {
    w.Key("stop");
    WriteTime(w, *info.stop, absl::UTCTimeZone());
  }
  optional_string("reason", info.reason);
  w.Key("rtt");
  w.String(GoDuration(GoRttRounding(info.rtt)));
  w.Key("uptime");
  w.String(GoUptime(end - info.start));
  w.Key("idle");
  w.String(GoUptime(end - info.last_activity));
  w.Key("pending_bytes");
  w.Int(info.pending_bytes);
  w.Key("in_msgs");
  w.Int(info.in_msgs);
  w.Key("out_msgs");
  w.Int(info.out_msgs);
  w.Key("in_bytes");
  w.Int(info.in_bytes);
  w.Key("out_bytes");
  w.Int(info.out_bytes);
  w.Key("subscriptions");
  w.Uint(info.num_subs);
  optional_string("name", info.name);
  optional_string("lang", info.lang);
  optional_string("version", info.version);
  optional_string("tls_version", info.tls_version);
  optional_string("tls_cipher_suite", info.tls_cipher_suite);
  // Peer certificates are only gathered for open connections asked with auth.
  if (query.auth && !closed && !info.tls_peer_certs.empty()) {
    w.Key("tls_peer_certs");
    w.BeginArray();
    for (const TlsPeerCert& cert : info.tls_peer_certs) {
      w.BeginObject();
      optional_string("subject", cert.subject);
      optional_string("spki_sha256", cert.spki_sha256);
      optional_string("cert_sha256", cert.cert_sha256);
      w.EndObject();
    }
    w.EndArray();
  }
  if (query.auth) {
    optional_string("authorized_user", info.authorized_user);
    if (info.account != kGlobalAccount) optional_string("account", info.account);
  }
  if (!info.subs.empty()) {
    if (query.subs == SubsOption::kDetail) {
      w.Key("subscriptions_list_detail");
      w.BeginArray();
      // A closed connection's subscriptions were recorded with their account.
      for (const SubscriptionInfo& sub : info.subs) {
        w.Value(SubscriptionJson(sub, /*with_account=*/closed));
      }
      w.EndArray();
    } else if (query.subs == SubsOption::kList) {
      w.Key("subscriptions_list");
      w.BeginArray();
      for (const SubscriptionInfo& sub : info.subs) w.String(sub.subject);
      w.EndArray();
    }
  }
  // A closed connection keeps these whatever the query; an open one shows them with auth.
  if (query.auth || closed) {
    optional_string("jwt", info.jwt);
    optional_string("issuer_key", info.issuer_key);
    optional_string("name_tag", info.name_tag);
    if (!info.tags.empty()) {
      w.Key("tags");
      w.BeginArray();
      for (const std::string& tag : info.tags) w.String(tag);
      w.EndArray();
    }
  }
  optional_string("mqtt_client", info.mqtt_client);
  w.EndObject();
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

std::string ConnzJsonText(std::string_view server_id, const ConnzData& data,
                          const ConnzQuery& query, absl::Time now, absl::TimeZone local) {
  std::string out;
  GoJsonIndentWriter w(&out);
  const auto head = [&](std::string_view id, int64_t total, size_t count) {
    w.BeginObject();
    w.Key("server_id");
    w.String(id);
    w.Key("now");
    WriteTime(w, now, absl::UTCTimeZone());
    w.Key("num_connections");
    w.Uint(count);
    w.Key("total");
    w.Int(total);
    w.Key("offset");
    w.Int(query.offset);
    w.Key("limit");
    w.Int(query.limit);
    w.Key("connections");
  };
  const auto empty = [&](int64_t total) {
    head(server_id, total, 0);
    w.BeginArray();
    w.EndArray();
    w.EndObject();
    return out;
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
      head("", 0, 0);
      w.Null();
      w.EndObject();
      return out;
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

  if (open.empty() && closed.empty()) return empty(total);

  std::vector<const ConnectionInfo*> list = std::move(open);
  list.insert(list.end(), closed.begin(), closed.end());
  Sort(&list, query.sort, now);
  const size_t count = list.size();
  const size_t first = std::min<size_t>(static_cast<size_t>(query.offset), count);
  const size_t last = std::min<uint64_t>(
      static_cast<uint64_t>(query.offset) + static_cast<uint64_t>(query.limit), count);
  // About what an idle client's entry takes, so the text is not copied as it grows.
  constexpr size_t kBytesPerConnection = 640;
  out.reserve(512 + (last - first) * kBytesPerConnection);
  head(server_id, total, last - first);
  w.BeginArray();
  for (size_t i = first; i < last; ++i) WriteConnection(w, *list[i], query, now, local);
  w.EndArray();
  w.EndObject();
  return out;
}

Json ConnzJson(std::string_view server_id, const ConnzData& data, const ConnzQuery& query,
               absl::Time now, absl::TimeZone local) {
  return Json::parse(ConnzJsonText(server_id, data, query, now, local));
}

}  // namespace ringnats::monitor
