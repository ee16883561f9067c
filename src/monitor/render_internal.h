#pragma once
// Pieces the renderers of several endpoints share. Pure functions; any thread.

#include "ringnats/monitor/go_format.h"
#include "ringnats/monitor/snapshot.h"

namespace ringnats::monitor {

// nats-server's SubDetail; the account only where nats-server records it (/subsz, and the
// subscriptions of closed connections in /connz).
Json SubscriptionJson(const SubscriptionInfo& sub, bool with_account);

// nats-server's SublistStats fields, appended to `json` in its order.
void AppendSublistStats(const SublistStats& stats, Json* json);

}  // namespace ringnats::monitor
