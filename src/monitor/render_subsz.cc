// /subsz (and its alias /subscriptionsz).

#include <algorithm>

#include "render_internal.h"
#include "ringnats/monitor/render.h"
#include "ringnats/sublist/subject.h"

namespace ringnats::monitor {

void AppendSublistStats(const SublistStats& stats, Json* json) {
  (*json)["num_subscriptions"] = stats.num_subscriptions;
  (*json)["num_cache"] = stats.num_cache;
  (*json)["num_inserts"] = stats.num_inserts;
  (*json)["num_removes"] = stats.num_removes;
  (*json)["num_matches"] = stats.num_matches;
  (*json)["cache_hit_rate"] = stats.cache_hit_rate;
  (*json)["max_fanout"] = stats.max_fanout;
  (*json)["avg_fanout"] = stats.avg_fanout;
}

Json SubszJson(std::string_view server_id, const SubszData& data, const SubszQuery& query,
               absl::Time now) {
  Json stats_only = Json::object();
  AppendSublistStats(data.stats, &stats_only);
  if (!query.subs) return stats_only;

  std::vector<const SubscriptionInfo*> matching;
  for (const SubscriptionInfo& sub : data.subscriptions) {
    if (!query.account.empty() && sub.account != query.account) continue;
    if (!query.test.empty() && !sublist::SubjectMatches(sub.subject, query.test)) continue;
    matching.push_back(&sub);
  }
  const size_t count = matching.size();
  const size_t first = std::min<size_t>(static_cast<size_t>(query.offset), count);
  const size_t last = std::min<uint64_t>(
      static_cast<uint64_t>(query.offset) + static_cast<uint64_t>(query.limit), count);
  // An empty page is answered with the statistics alone, as nats-server does.
  if (first == last) return stats_only;

  Json json;
  json["server_id"] = server_id;
  json["now"] = GoTime(now, absl::UTCTimeZone());
  AppendSublistStats(data.stats, &json);
  json["total"] = last - first;  // nats-server's "total" is the page's size
  json["offset"] = query.offset;
  json["limit"] = query.limit;
  Json list = Json::array();
  for (size_t i = first; i < last; ++i) {
    list.push_back(SubscriptionJson(*matching[i], /*with_account=*/true));
  }
  json["subscriptions_list"] = std::move(list);
  return json;
}

}  // namespace ringnats::monitor
