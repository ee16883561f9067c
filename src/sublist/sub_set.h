#pragma once
// The subscriptions ending at one trie node (plain, or one queue group): a dense array, so a
// match copies them with one memcpy, plus a hash index once the set is large, so removing one
// of a million subscribers on the same subject is not a linear scan.

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "ringnats/sublist/sub_ref.h"

namespace ringnats::sublist {

class SubSet {
 public:
  // False when `ref` is already present.
  bool Insert(SubRef ref);
  // False when `ref` is not present.
  bool Remove(SubRef ref);

  bool empty() const { return refs_.empty(); }
  size_t size() const { return refs_.size(); }
  const std::vector<SubRef>& refs() const { return refs_; }

 private:
  // Below this, a linear scan of a few cache lines beats hashing.
  static constexpr size_t kIndexAbove = 32;

  // Position of `ref` in refs_, or refs_.size().
  size_t Find(SubRef ref) const;

  std::vector<SubRef> refs_;
  std::unique_ptr<absl::flat_hash_map<SubRef, uint32_t>> index_;
};

}  // namespace ringnats::sublist
