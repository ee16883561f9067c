#pragma once
// Counts heap allocations made by the calling thread (this test binary replaces the global
// operator new), to check that a path allocates nothing.

#include <cstddef>

namespace ringnats::sublist::testing {

class ScopedAllocationCounter {
 public:
  ScopedAllocationCounter();
  ~ScopedAllocationCounter();
  ScopedAllocationCounter(const ScopedAllocationCounter&) = delete;
  ScopedAllocationCounter& operator=(const ScopedAllocationCounter&) = delete;

  size_t count() const;
};

}  // namespace ringnats::sublist::testing
