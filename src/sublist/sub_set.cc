#include "sub_set.h"

#include <algorithm>

namespace ringnats::sublist {

size_t SubSet::Find(SubRef ref) const {
  if (index_ != nullptr) {
    const auto it = index_->find(ref);
    return it == index_->end() ? refs_.size() : it->second;
  }
  return static_cast<size_t>(std::find(refs_.begin(), refs_.end(), ref) - refs_.begin());
}

bool SubSet::Insert(SubRef ref) {
  if (Find(ref) != refs_.size()) {
    return false;
  }
  refs_.push_back(ref);
  if (index_ != nullptr) {
    index_->emplace(ref, static_cast<uint32_t>(refs_.size() - 1));
  } else if (refs_.size() > kIndexAbove) {
    index_ = std::make_unique<absl::flat_hash_map<SubRef, uint32_t>>();
    index_->reserve(refs_.size() * 2);
    for (size_t i = 0; i < refs_.size(); ++i) {
      index_->emplace(refs_[i], static_cast<uint32_t>(i));
    }
  }
  return true;
}

bool SubSet::Remove(SubRef ref) {
  const size_t pos = Find(ref);
  if (pos == refs_.size()) {
    return false;
  }
  const size_t last = refs_.size() - 1;
  if (pos != last) {
    refs_[pos] = refs_[last];
    if (index_ != nullptr) {
      (*index_)[refs_[pos]] = static_cast<uint32_t>(pos);
    }
  }
  refs_.pop_back();
  if (index_ != nullptr) {
    index_->erase(ref);
    // Hysteresis, so a set hovering around the threshold does not rebuild on every change.
    if (refs_.size() < kIndexAbove / 2) {
      index_.reset();
    } else if (index_->capacity() > 1024 && index_->size() * 8 < index_->capacity()) {
      index_->rehash(0);  // shrink to fit
    }
  }
  // A set that once held a huge fan-out should not pin that memory forever.
  if (refs_.capacity() > 64 && refs_.size() * 4 < refs_.capacity()) {
    refs_.shrink_to_fit();
  }
  return true;
}

}  // namespace ringnats::sublist
