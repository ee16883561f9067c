#pragma once
// Names the calling thread as `top -H`, `ps -L` and `perf report --sort comm` show it:
// ring-N for the workers, auth-pool, tls-pool, pool-watch, http. Linux keeps 15 bytes.

#include <pthread.h>

#include <string>

namespace ringnats::util {

inline void NameThisThread(const std::string& name) {
  // Only fails for a name over 15 bytes, which this truncates first.
  (void)pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
}

}  // namespace ringnats::util
