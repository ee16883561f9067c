// Subjects with tens of thousands of tokens (possible once max_control_line is raised) must
// not cost stack in proportion to their depth: every operation runs on a thread with a small
// stack, where a frame per token would overflow long before the last token.
//
// Also: many distinct queue groups matching one subject, which must be merged in linear time.

#include <gtest/gtest.h>
#include <pthread.h>

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "oracle.h"
#include "ringnats/sublist/subject.h"
#include "ringnats/sublist/trie.h"

namespace ringnats::sublist {
namespace {

using testing::Canonical;
using testing::Canonicalize;

// Far less than one frame per token for the depths below (50,000 tokens at even 32 bytes a
// frame is 1.6 MB), and plenty for the iterative code.
constexpr size_t kSmallStack = 1 << 20;

void RunOnSmallStack(const std::function<void()>& body) {
  pthread_attr_t attr;
  ASSERT_EQ(pthread_attr_init(&attr), 0);
  ASSERT_EQ(pthread_attr_setstacksize(&attr, kSmallStack), 0);
  pthread_t thread;
  auto run = [](void* arg) -> void* {
    (*static_cast<const std::function<void()>*>(arg))();
    return nullptr;
  };
  ASSERT_EQ(pthread_create(&thread, &attr, run, const_cast<std::function<void()>*>(&body)), 0);
  pthread_attr_destroy(&attr);
  ASSERT_EQ(pthread_join(thread, nullptr), 0);
}

SubRef Ref(uint32_t n) {
  return SubRef{n % 4, n, 1};
}

// `count` tokens joined by '.', token i given by `token(i)`.
template <typename TokenFn>
std::string Subject(size_t count, TokenFn token) {
  std::string s;
  s.reserve(count * 2);
  for (size_t i = 0; i < count; ++i) {
    if (i > 0) {
      s += '.';
    }
    s += token(i);
  }
  return s;
}

std::string Literal(size_t count) {
  return Subject(count, [](size_t) { return "a"; });
}

Canonical MatchOf(const Trie& trie, std::string_view subject) {
  MatchResult result;
  trie.Match(subject, &result);
  return Canonicalize(result);
}

Canonical Plain(std::vector<SubRef> refs) {
  Canonical c;
  c.plain = std::move(refs);
  std::sort(c.plain.begin(), c.plain.end());
  return c;
}

class DeepSubjectTest : public ::testing::TestWithParam<size_t> {};

TEST_P(DeepSubjectTest, LiteralInsertMatchRemoveDestroy) {
  const size_t depth = GetParam();
  RunOnSmallStack([depth] {
    const std::string subject = Literal(depth);
    auto trie = std::make_unique<Trie>();
    ASSERT_TRUE(trie->Insert(subject, "", Ref(1)).ok());
    EXPECT_EQ(trie->node_count(), depth);
    EXPECT_EQ(MatchOf(*trie, subject), Plain({Ref(1)}));
    EXPECT_EQ(MatchOf(*trie, Literal(depth - 1)), Plain({}));
    EXPECT_EQ(MatchOf(*trie, Literal(depth + 1)), Plain({}));
    EXPECT_TRUE(trie->Remove(subject, "", Ref(1)));
    EXPECT_EQ(trie->node_count(), 0u);
    EXPECT_EQ(MatchOf(*trie, subject), Plain({}));
    // Present at destruction: the destructor must not recurse either.
    ASSERT_TRUE(trie->Insert(subject, "q", Ref(2)).ok());
    trie.reset();
  });
}

TEST_P(DeepSubjectTest, StarsAtManyLevels) {
  const size_t depth = GetParam();
  RunOnSmallStack([depth] {
    Trie trie;
    const std::string all_stars = Subject(depth, [](size_t) { return "*"; });
    const std::string alternating = Subject(depth, [](size_t i) { return i % 2 ? "*" : "a"; });
    ASSERT_TRUE(trie.Insert(all_stars, "", Ref(1)).ok());
    ASSERT_TRUE(trie.Insert(alternating, "", Ref(2)).ok());
    ASSERT_TRUE(trie.Insert(alternating, "g", Ref(3)).ok());
    // The literal chain branches off both at the root.
    ASSERT_TRUE(trie.Insert("a.a", "", Ref(4)).ok());

    Canonical both = Plain({Ref(1), Ref(2)});
    both.queues["g"] = {Ref(3)};
    EXPECT_EQ(MatchOf(trie, Literal(depth)), both);
    // `x` in the middle, at an odd (starred) level of the alternating pattern: both match.
    const size_t middle = depth / 2 | 1;
    const std::string x_starred =
        Subject(depth, [middle](size_t i) { return i == middle ? "x" : "a"; });
    EXPECT_EQ(MatchOf(trie, x_starred), both);
    // At an even (literal) level of it: only all-stars matches.
    const std::string x_literal =
        Subject(depth, [middle](size_t i) { return i == middle + 1 ? "x" : "a"; });
    EXPECT_EQ(MatchOf(trie, x_literal), Plain({Ref(1)}));
    EXPECT_EQ(MatchOf(trie, Literal(depth - 1)), Plain({}));
    EXPECT_EQ(MatchOf(trie, Literal(depth + 1)), Plain({}));
    EXPECT_EQ(MatchOf(trie, "a.a"), Plain({Ref(4)}));

    EXPECT_TRUE(trie.Remove(alternating, "", Ref(2)));
    Canonical without_plain = Plain({Ref(1)});
    without_plain.queues["g"] = {Ref(3)};
    EXPECT_EQ(MatchOf(trie, x_starred), without_plain);
    EXPECT_TRUE(trie.Remove(all_stars, "", Ref(1)));
    // Left in place for the destructor: the queue subscription on `alternating`.
  });
}

TEST_P(DeepSubjectTest, FullWildcardAtTheEnd) {
  const size_t depth = GetParam();
  RunOnSmallStack([depth] {
    Trie trie;
    // `depth` tokens, the last one `>`.
    const std::string literal_full =
        Subject(depth, [depth](size_t i) { return i == depth - 1 ? ">" : "a"; });
    const std::string mixed_full = Subject(
        depth, [depth](size_t i) { return i == depth - 1 ? ">" : (i % 3 == 1 ? "*" : "a"); });
    ASSERT_TRUE(trie.Insert(literal_full, "", Ref(1)).ok());
    ASSERT_TRUE(trie.Insert(mixed_full, "", Ref(2)).ok());
    ASSERT_TRUE(trie.Insert(">", "", Ref(3)).ok());
    EXPECT_EQ(MatchOf(trie, Literal(depth)), Plain({Ref(1), Ref(2), Ref(3)}));
    EXPECT_EQ(MatchOf(trie, Literal(depth + 10)), Plain({Ref(1), Ref(2), Ref(3)}));
    // `>` needs at least one token of its own.
    EXPECT_EQ(MatchOf(trie, Literal(depth - 1)), Plain({Ref(3)}));
    const std::string starred = Subject(depth, [](size_t i) { return i % 3 == 1 ? "x" : "a"; });
    EXPECT_EQ(MatchOf(trie, starred), Plain({Ref(2), Ref(3)}));
    EXPECT_TRUE(trie.Remove(literal_full, "", Ref(1)));
    EXPECT_FALSE(trie.Remove(literal_full, "", Ref(1)));
  });
}

TEST_P(DeepSubjectTest, ThroughMatchCache) {
  const size_t depth = GetParam();
  RunOnSmallStack([depth] {
    Trie trie;
    const std::string pattern = Subject(depth, [](size_t i) { return i % 2 ? "*" : "a"; });
    ASSERT_TRUE(trie.Insert(pattern, "q", Ref(1)).ok());
    MatchCache cache(trie);
    const std::string subject = Literal(depth);
    ASSERT_EQ(cache.Match(subject).queues.size(), 1u);
    ASSERT_EQ(cache.Match(subject).queues.size(), 1u);
    EXPECT_EQ(cache.hits(), 1u);
    EXPECT_TRUE(trie.Remove(pattern, "q", Ref(1)));
    EXPECT_TRUE(cache.Match(subject).empty());
    cache.Trim();  // the entry is current: kept, holding little more than its subject
    EXPECT_LE(cache.cached_bytes(), subject.size() + 1024);
    EXPECT_TRUE(cache.Match(subject).empty());
    EXPECT_EQ(cache.hits(), 2u);
  });
}

TEST_P(DeepSubjectTest, SubjectFunctions) {
  const size_t depth = GetParam();
  RunOnSmallStack([depth] {
    const std::string literal = Literal(depth);
    const std::string pattern =
        Subject(depth, [depth](size_t i) { return i == depth - 1 ? ">" : (i % 2 ? "*" : "a"); });
    EXPECT_TRUE(IsValidSubscribeSubject(literal));
    EXPECT_TRUE(IsValidSubscribeSubject(pattern));
    EXPECT_TRUE(IsValidPublishSubject(literal));
    EXPECT_FALSE(IsValidPublishSubject(pattern));
    EXPECT_TRUE(IsLiteralSubject(literal));
    EXPECT_FALSE(IsLiteralSubject(pattern));
    EXPECT_TRUE(SubjectMatches(pattern, literal));
    EXPECT_TRUE(SubjectMatches(literal, literal));
    EXPECT_FALSE(SubjectMatches(pattern, Literal(depth - 1)));
    EXPECT_FALSE(SubjectMatches(literal, Literal(depth + 1)));
  });
}

INSTANTIATE_TEST_SUITE_P(Depths, DeepSubjectTest, ::testing::Values(50'000, 200'000));

// Every group at a node is a separate entry in the result; merging them by name must not
// compare each against all the groups collected so far.
TEST(ManyQueueGroupsTest, DistinctGroupsOnOneSubject) {
  constexpr uint32_t kGroups = 50'000;
  Trie trie;
  for (uint32_t i = 0; i < kGroups; ++i) {
    ASSERT_TRUE(trie.Insert(">", "g" + std::to_string(i), Ref(i)).ok());
  }
  // The same groups once more on a second node, so results from two nodes are merged.
  for (uint32_t i = 0; i < kGroups; ++i) {
    ASSERT_TRUE(trie.Insert("foo.*", "g" + std::to_string(i), Ref(kGroups + i)).ok());
  }
  MatchResult result;
  trie.Match("foo.bar", &result);
  ASSERT_EQ(result.queues.size(), kGroups);
  for (const QueueGroupMatch& group : result.queues) {
    ASSERT_EQ(group.members.size(), 2u) << group.name;
  }
  trie.Match("bar.baz", &result);
  ASSERT_EQ(result.queues.size(), kGroups);
}

}  // namespace
}  // namespace ringnats::sublist
