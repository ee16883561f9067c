#pragma once
// Invariant checks. RN_CHECK stays on in release builds: use it for set-up invariants and
// states that cannot happen; never for bytes that came from a socket.

#include <cstdio>
#include <cstdlib>

#define RN_CHECK(cond)                                                              \
  do {                                                                              \
    if (__builtin_expect(!(cond), 0)) {                                             \
      std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                 \
    }                                                                               \
  } while (0)

#ifdef NDEBUG
#define RN_DCHECK(cond) \
  do {                  \
  } while (0)
#else
#define RN_DCHECK(cond) RN_CHECK(cond)
#endif
