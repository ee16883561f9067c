#include "alloc_counter.h"

#include <cstdlib>
#include <new>

// Kept in its own file: with the replacement operator delete visible, g++ 12 flags the
// std::free below as mismatched (-Wmismatched-new-delete) in callers it inlines into.
namespace {
thread_local bool t_counting = false;
thread_local size_t t_allocations = 0;
}  // namespace

void* operator new(size_t size) {
  if (t_counting) {
    ++t_allocations;
  }
  void* p = std::malloc(size == 0 ? 1 : size);
  if (p == nullptr) {
    throw std::bad_alloc();
  }
  return p;
}

void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, size_t) noexcept {
  std::free(p);
}

namespace ringnats::sublist::testing {

ScopedAllocationCounter::ScopedAllocationCounter() {
  t_allocations = 0;
  t_counting = true;
}

ScopedAllocationCounter::~ScopedAllocationCounter() {
  t_counting = false;
}

size_t ScopedAllocationCounter::count() const {
  return t_allocations;
}

}  // namespace ringnats::sublist::testing
