// Lame duck mode on one worker: no new clients, an INFO with "ldm":true to the clients that
// understand asynchronous INFO, then the clients closed evenly over the closing window the
// control thread sets, so they reconnect elsewhere a few at a time.

#include <algorithm>
#include <cmath>

#include "ringnats/broker/info.h"
#include "ringnats/broker/worker.h"
#include "ringnats/util/log.h"

namespace ringnats::broker {

void Worker::EnterLameDuck() {
  in_lame_duck_ = true;
  loop_.StopAccepting();
  if (shared_.cluster != nullptr) {
    // The INFO below is the announcement; our own URLs leave the clients' connect_urls.
    route_protocol_.RefreshClientInfo(/*announce=*/false);
    route_protocol_.AnnounceLameDuck();
  }
  for (auto& slot : sessions_) {
    if (slot == nullptr || slot->closing || slot->kind != SessionKind::kClient) continue;
    Session& session = *slot;
    ++lame_duck_initial_sessions_;
    if (session.connect_received && session.connect.protocol >= 1) {
      std::string info = config_->info_prefix;
      AppendInfoClientFields(&info, session.client_id, session.peer_ip, /*lame_duck=*/true,
                             route_protocol_.client_info_fields());
      Write(session, info);
    }
  }
}

void Worker::CloseForLameDuck(int64_t now_ns) {
  const int64_t start = shared_.lame_duck_close_start_ns.load(std::memory_order_acquire);
  const int64_t end = shared_.lame_duck_close_end_ns.load(std::memory_order_acquire);
  if (start == 0 || now_ns < start) return;
  const double done =
      end <= start ? 1.0 : std::min(1.0, static_cast<double>(now_ns - start) / (end - start));
  const size_t due =
      static_cast<size_t>(std::ceil(done * static_cast<double>(lame_duck_initial_sessions_)));
  for (auto& slot : sessions_) {
    if (lame_duck_closed_ >= due) break;
    if (slot == nullptr || slot->closing || slot->kind != SessionKind::kClient) continue;
    ++lame_duck_closed_;
    Close(*slot, CloseReason::kServerShutdown);
  }
}

}  // namespace ringnats::broker
