#pragma once
// What a route connection carries beyond a session: the route parser, where the handshake
// stands, the peer's identity, the interest the peer announced (subscriptions this worker
// holds in the trie on the peer's behalf) and the interest we announced to it.
// Owned by the worker that owns the route's session.

#include <cstdint>
#include <string>
#include <vector>

#include "ringnats/proto/route_parser.h"
#include "ringnats/route/route_info.h"
#include "ringnats/util/string_map.h"

namespace ringnats::broker {

// nats-server bounds nothing on a route; ringnats bounds what a peer may make it hold to
// 1 MiB lines and nats-server's largest max_payload (64 MiB), which no real peer exceeds.
inline constexpr proto::RouteParserLimits kAuthenticatedRouteLimits{1024 * 1024,
                                                                    64 * 1024 * 1024};

// Weight beyond one member costs a trie entry per unit: a peer may have this many such
// entries in all (past it, its further weights count as 1), so a flood of heavy queue
// groups cannot make the node hold hundreds of entries per line.
inline constexpr size_t kMaxExtraMembersPerRoute = 4096;

struct RouteLink {
  proto::RouteParser parser;
  // Index into the worker's solicited routes when this worker dialled the peer, else -1.
  int64_t solicited = -1;
  bool registered = false;  // the peer's INFO arrived and the route holds its server id
  // The cluster name a dialling peer's CONNECT proposed, agreed on (and adopted, when ours
  // is dynamic) only once the peer has authenticated, as nats-server checks credentials
  // first: a CONNECT that fails to log in must not rename the cluster.
  bool cluster_proposal_pending = false;
  bool proposed_cluster_dynamic = false;
  std::string proposed_cluster;
  route::PeerRouteInfo peer;
  // Interest the peer announced: interest key -> slot in the worker's SubscriptionTable.
  StringMap<uint32_t> remote_subs;
  // A peer's queue group of weight w (w members there) is w trie members here, so a
  // publisher's random pick sends it its share, as nats-server weights it: the w-1 members
  // beyond the one in remote_subs, by interest key.
  StringMap<std::vector<uint32_t>> extra_members;
  size_t extra_member_count = 0;  // over all groups, bounded by kMaxExtraMembersPerRoute
  // Queue groups we announced to the peer: interest key -> weight. Plain interest is told
  // as it changes without a record per subject (see Announce in route_interest.cc).
  StringMap<int64_t> announced;
};

}  // namespace ringnats::broker
