#include "ringnats/sublist/trie.h"

#include <algorithm>
#include <atomic>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "generations.h"
#include "ringnats/sublist/subject.h"
#include "ringnats/util/string_map.h"
#include "sub_set.h"
#include "tokens.h"

namespace ringnats::sublist {
namespace {

struct Node;
void DestroyChildren(Node* node);

// A node is reached by one token sequence (its path from the root); its children extend that
// path by one token, and its subscriptions are those whose subject is exactly that path.
struct Node {
  Node() = default;
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;
  // The children's own destructors would recurse once per level, and a subject can have
  // hundreds of thousands of levels: take the subtree apart iteratively instead.
  ~Node() {
    if (!literal.empty() || star != nullptr || full != nullptr) {
      DestroyChildren(this);
    }
  }

  StringMap<std::unique_ptr<Node>> literal;
  std::unique_ptr<Node> star;  // the `*` child
  std::unique_ptr<Node> full;  // the `>` child; never has children of its own
  SubSet plain;
  StringMap<SubSet> queues;  // by queue name; no empty sets

  bool Unused() const {
    return literal.empty() && star == nullptr && full == nullptr && plain.empty() && queues.empty();
  }
};

// Moves every child of `node` onto a work list and frees them one by one, moving each one's
// children onto the list first, so no node is ever destroyed while it still has children.
void DestroyChildren(Node* node) {
  std::vector<std::unique_ptr<Node>> work;
  auto detach_children = [&work](Node* parent) {
    for (auto& [token, child] : parent->literal) {
      work.push_back(std::move(child));
    }
    parent->literal.clear();
    if (parent->star != nullptr) {
      work.push_back(std::move(parent->star));
    }
    if (parent->full != nullptr) {
      work.push_back(std::move(parent->full));
    }
  };
  detach_children(node);
  while (!work.empty()) {
    std::unique_ptr<Node> next = std::move(work.back());
    work.pop_back();
    detach_children(next.get());
  }
}

// Nodes allocated before taking the write lock, so that in the common case the exclusive
// section does no node allocation. Per thread, because any thread may insert.
class SpareNodes {
 public:
  void Reserve(size_t count) {
    count = std::min(count, kMaxSpares);  // a very deep subject allocates the rest locked
    while (nodes_.size() < count) {
      nodes_.push_back(std::make_unique<Node>());
    }
  }

  std::unique_ptr<Node> Take() {
    if (nodes_.empty()) {
      return std::make_unique<Node>();
    }
    std::unique_ptr<Node> node = std::move(nodes_.back());
    nodes_.pop_back();
    return node;
  }

  // Keeps some pruned (empty) nodes for later inserts; frees the rest. Call without the lock.
  void Recycle(std::vector<std::unique_ptr<Node>>* pruned) {
    for (std::unique_ptr<Node>& node : *pruned) {
      if (nodes_.size() >= kMaxSpares) {
        break;
      }
      nodes_.push_back(std::move(node));
    }
    pruned->clear();
  }

 private:
  static constexpr size_t kMaxSpares = 64;
  std::vector<std::unique_ptr<Node>> nodes_;
};

SpareNodes& ThreadSpareNodes() {
  thread_local SpareNodes spares;
  return spares;
}

Node* ChildForInsert(Node* node, std::string_view token, SpareNodes* spares, size_t* created) {
  std::unique_ptr<Node>* slot = nullptr;
  if (token == "*") {
    slot = &node->star;
  } else if (token == ">") {
    slot = &node->full;
  } else {
    auto it = node->literal.find(token);
    if (it == node->literal.end()) {
      it = node->literal.emplace(std::string(token), spares->Take()).first;
      ++*created;
    }
    return it->second.get();
  }
  if (*slot == nullptr) {
    *slot = spares->Take();
    ++*created;
  }
  return slot->get();
}

Node* ExistingChild(Node* node, std::string_view token) {
  if (token == "*") {
    return node->star.get();
  }
  if (token == ">") {
    return node->full.get();
  }
  const auto it = node->literal.find(token);
  return it == node->literal.end() ? nullptr : it->second.get();
}

// flat_hash_map never shrinks by itself; a level that once held a million tokens (or a
// subject a million queue groups) should not keep that table once they are gone.
template <typename Map>
void ShrinkIfSparse(Map* map) {
  if (map->capacity() > 1024 && map->size() * 8 < map->capacity()) {
    map->rehash(0);
  }
}

std::unique_ptr<Node> DetachChild(Node* node, std::string_view token) {
  if (token == "*") {
    return std::move(node->star);
  }
  if (token == ">") {
    return std::move(node->full);
  }
  const auto it = node->literal.find(token);
  std::unique_ptr<Node> child = std::move(it->second);
  node->literal.erase(it);
  ShrinkIfSparse(&node->literal);
  return child;
}

void AppendRefs(const std::vector<SubRef>& refs, std::vector<SubRef>* out) {
  out->insert(out->end(), refs.begin(), refs.end());
}

// Gathers the subscriptions of the nodes a subject reaches into one MatchResult. Members of
// one queue group may sit on several nodes (`foo.*` and `foo.bar` in group `g`); they form a
// single group in the result, found by name.
class Collector {
 public:
  explicit Collector(MatchResult* out) : out_(out) {}

  void Add(const Node& node) {
    AppendRefs(node.plain.refs(), &out_->plain);
    if (node.queues.empty()) {
      return;
    }
    // The first node with groups cannot repeat a name (a node's groups are keyed by it), and
    // it is usually the only one: no lookup needed.
    const bool first = out_->queues.empty();
    for (const auto& [name, members] : node.queues) {
      QueueGroupMatch* group = first ? nullptr : Find(name);
      if (group == nullptr) {
        group = &out_->queues.emplace_back();
        group->name = name;
        names_.push_back(name);
        if (index_ != nullptr) {
          index_->emplace(name, names_.size() - 1);
        }
      }
      AppendRefs(members.refs(), &group->members);
    }
  }

 private:
  // Up to this many groups a scan beats hashing; beyond it, a scan per group would make
  // merging quadratic in the number of groups.
  static constexpr size_t kScanGroups = 8;
  using GroupIndex = absl::flat_hash_map<std::string_view, size_t, StringViewHash, StringViewEq>;

  QueueGroupMatch* Find(std::string_view name) {
    if (index_ == nullptr && names_.size() > kScanGroups) {
      index_ = std::make_unique<GroupIndex>();
      index_->reserve(names_.size() * 2);
      for (size_t i = 0; i < names_.size(); ++i) {
        index_->emplace(names_[i], i);
      }
    }
    if (index_ != nullptr) {
      const auto it = index_->find(name);
      return it == index_->end() ? nullptr : &out_->queues[it->second];
    }
    for (size_t i = 0; i < names_.size(); ++i) {
      if (names_[i] == name) {
        return &out_->queues[i];
      }
    }
    return nullptr;
  }

  MatchResult* out_;
  // names_[i] is out_->queues[i].name, viewed in the trie's own key (stable while the
  // caller holds the lock), not in `out_`, whose strings move when the vector grows.
  absl::InlinedVector<std::string_view, kScanGroups> names_;
  std::unique_ptr<GroupIndex> index_;  // name -> position, once there are many groups
};

// Matches `tokens` from the root. A `*` child is followed first and the literal one saved for
// later on an explicit stack, not by recursion: subjects can be hundreds of thousands of
// tokens deep. Each node is visited at most once (its depth fixes the token it consumed), so
// the stack never holds more entries than the trie has nodes.
void MatchAll(const Node& root, const Tokens& tokens, MatchResult* out) {
  struct Pending {
    const Node* node;
    size_t index;  // the next token to consume below `node`
  };
  absl::InlinedVector<Pending, 8> pending;
  Collector collector(out);
  const Node* node = &root;
  size_t index = 0;
  while (true) {
    bool reached_end = true;
    for (; index < tokens.size(); ++index) {
      if (node->full != nullptr) {
        collector.Add(*node->full);  // at least one token remains for `>` to take
      }
      // Published tokens are literal: a published `*` or `>` is only matched by wildcards,
      // which never live in `literal`.
      const auto it = node->literal.find(tokens[index]);
      const Node* literal = it == node->literal.end() ? nullptr : it->second.get();
      if (node->star != nullptr) {
        if (literal != nullptr) {
          pending.push_back({literal, index + 1});
        }
        node = node->star.get();
      } else if (literal != nullptr) {
        node = literal;
      } else {
        reached_end = false;
        break;
      }
    }
    if (reached_end) {
      collector.Add(*node);
    }
    if (pending.empty()) {
      return;
    }
    node = pending.back().node;
    index = pending.back().index;
    pending.pop_back();
  }
}

}  // namespace

struct Trie::Impl {
  mutable absl::Mutex mu;
  Node root ABSL_GUARDED_BY(mu);
  // Written under `mu`, read without it.
  std::atomic<size_t> count{0};
  std::atomic<size_t> nodes{0};  // excluding the root
};

Trie::Trie() : impl_(std::make_unique<Impl>()), generations_(std::make_unique<Generations>()) {}

Trie::~Trie() = default;

absl::Status Trie::Insert(std::string_view subject, std::string_view queue, SubRef ref) {
  if (!IsValidSubscribeSubject(subject)) {
    return absl::InvalidArgumentError(absl::StrFormat("invalid subject \"%s\"", subject));
  }
  Tokens tokens;
  SplitTokens(subject, &tokens);
  SpareNodes& spares = ThreadSpareNodes();
  spares.Reserve(tokens.size());
  Generations::Counter& generation = generations_->ForSubscription(tokens[0]);

  absl::MutexLock lock(&impl_->mu);
  Node* node = &impl_->root;
  size_t created = 0;
  for (std::string_view token : tokens) {
    node = ChildForInsert(node, token, &spares, &created);
  }
  impl_->nodes.fetch_add(created, std::memory_order_relaxed);
  bool inserted = false;
  if (queue.empty()) {
    inserted = node->plain.Insert(ref);
  } else {
    auto it = node->queues.find(queue);
    if (it == node->queues.end()) {
      it = node->queues.emplace(std::string(queue), SubSet()).first;
    }
    inserted = it->second.Insert(ref);
  }
  if (!inserted) {
    // The whole path existed (the ref was there), so nothing was created to prune.
    return absl::AlreadyExistsError(
        absl::StrFormat("subscription {%u,%u,%u} on \"%s\" queue \"%s\" already present",
                        ref.worker, ref.slot, ref.generation, subject, queue));
  }
  impl_->count.fetch_add(1, std::memory_order_relaxed);
  generation.Bump();
  return absl::OkStatus();
}

bool Trie::Remove(std::string_view subject, std::string_view queue, SubRef ref) {
  if (!IsValidSubscribeSubject(subject)) {
    return false;
  }
  Tokens tokens;
  SplitTokens(subject, &tokens);
  Generations::Counter& generation = generations_->ForSubscription(tokens[0]);
  std::vector<std::unique_ptr<Node>> pruned;
  {
    absl::MutexLock lock(&impl_->mu);
    absl::InlinedVector<Node*, 16> path;  // path[i] consumed tokens[0..i)
    path.push_back(&impl_->root);
    for (std::string_view token : tokens) {
      Node* child = ExistingChild(path.back(), token);
      if (child == nullptr) {
        return false;
      }
      path.push_back(child);
    }
    Node* node = path.back();
    if (queue.empty()) {
      if (!node->plain.Remove(ref)) {
        return false;
      }
    } else {
      const auto it = node->queues.find(queue);
      if (it == node->queues.end() || !it->second.Remove(ref)) {
        return false;
      }
      if (it->second.empty()) {
        node->queues.erase(it);
        ShrinkIfSparse(&node->queues);
      }
    }
    for (size_t depth = tokens.size(); depth > 0 && path[depth]->Unused(); --depth) {
      pruned.push_back(DetachChild(path[depth - 1], tokens[depth - 1]));
    }
    impl_->nodes.fetch_sub(pruned.size(), std::memory_order_relaxed);
    impl_->count.fetch_sub(1, std::memory_order_relaxed);
    generation.Bump();
  }
  ThreadSpareNodes().Recycle(&pruned);
  return true;
}

void Trie::Match(std::string_view subject, MatchResult* out) const {
  out->clear();
  Tokens tokens;
  if (!SplitTokens(subject, &tokens)) {
    return;  // an empty token matches nothing
  }
  absl::ReaderMutexLock lock(&impl_->mu);
  MatchAll(impl_->root, tokens, out);
}

size_t Trie::size() const {
  return impl_->count.load(std::memory_order_relaxed);
}

size_t Trie::node_count() const {
  return impl_->nodes.load(std::memory_order_relaxed);
}

}  // namespace ringnats::sublist
