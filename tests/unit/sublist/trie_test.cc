#include "ringnats/sublist/trie.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "oracle.h"

namespace ringnats::sublist {
namespace {

using testing::Canonical;
using testing::Canonicalize;
using testing::Oracle;

SubRef Ref(uint32_t n) {
  return SubRef{n % 4, n, 1};
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

TEST(TrieTest, EmptyTrieMatchesNothing) {
  Trie trie;
  MatchResult result;
  result.plain.push_back(Ref(9));  // Match clears its output first
  trie.Match("foo", &result);
  EXPECT_TRUE(result.empty());
  EXPECT_EQ(trie.size(), 0u);
  EXPECT_EQ(trie.node_count(), 0u);
}

TEST(TrieTest, LiteralAndWildcards) {
  Trie trie;
  ASSERT_TRUE(trie.Insert("foo.bar", "", Ref(1)).ok());
  ASSERT_TRUE(trie.Insert("foo.*", "", Ref(2)).ok());
  ASSERT_TRUE(trie.Insert("foo.>", "", Ref(3)).ok());
  ASSERT_TRUE(trie.Insert(">", "", Ref(4)).ok());
  ASSERT_TRUE(trie.Insert("*.bar", "", Ref(5)).ok());
  ASSERT_TRUE(trie.Insert("foo", "", Ref(6)).ok());
  ASSERT_TRUE(trie.Insert("foo.*.baz", "", Ref(7)).ok());
  EXPECT_EQ(trie.size(), 7u);

  EXPECT_EQ(MatchOf(trie, "foo.bar"), Plain({Ref(1), Ref(2), Ref(3), Ref(4), Ref(5)}));
  EXPECT_EQ(MatchOf(trie, "foo"), Plain({Ref(4), Ref(6)}));
  EXPECT_EQ(MatchOf(trie, "foo.bar.baz"), Plain({Ref(3), Ref(4), Ref(7)}));
  EXPECT_EQ(MatchOf(trie, "foo.baz"), Plain({Ref(2), Ref(3), Ref(4)}));
  EXPECT_EQ(MatchOf(trie, "x.bar"), Plain({Ref(4), Ref(5)}));
  EXPECT_EQ(MatchOf(trie, "x.y.z"), Plain({Ref(4)}));
}

TEST(TrieTest, PublishedWildcardTokensAreLiteral) {
  Trie trie;
  ASSERT_TRUE(trie.Insert("foo.*", "", Ref(1)).ok());
  ASSERT_TRUE(trie.Insert("foo.>", "", Ref(2)).ok());
  ASSERT_TRUE(trie.Insert(">", "", Ref(3)).ok());
  ASSERT_TRUE(trie.Insert("foo.bar", "", Ref(4)).ok());
  ASSERT_TRUE(trie.Insert("foo*.bar", "", Ref(5)).ok());
  EXPECT_EQ(MatchOf(trie, "foo.*"), Plain({Ref(1), Ref(2), Ref(3)}));
  EXPECT_EQ(MatchOf(trie, "foo.>"), Plain({Ref(1), Ref(2), Ref(3)}));
  EXPECT_EQ(MatchOf(trie, "foo*.bar"), Plain({Ref(3), Ref(5)}));
}

TEST(TrieTest, EmptyTokenInPublishMatchesNothing) {
  Trie trie;
  ASSERT_TRUE(trie.Insert(">", "", Ref(1)).ok());
  ASSERT_TRUE(trie.Insert("foo.>", "", Ref(2)).ok());
  ASSERT_TRUE(trie.Insert("*", "", Ref(3)).ok());
  for (const char* subject : {"", ".", "foo.", ".foo", "foo..bar", "foo.bar."}) {
    EXPECT_TRUE(MatchOf(trie, subject).plain.empty()) << subject;
  }
}

TEST(TrieTest, InvalidSubjectsAreRejected) {
  Trie trie;
  for (const char* subject : {"", "foo..bar", ".foo", "foo.", "foo.>.bar", ">.>", "a b"}) {
    const absl::Status status = trie.Insert(subject, "", Ref(1));
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << subject;
    EXPECT_FALSE(trie.Remove(subject, "", Ref(1))) << subject;
  }
  EXPECT_EQ(trie.size(), 0u);
  EXPECT_EQ(trie.node_count(), 0u);
}

TEST(TrieTest, DuplicateInsertIsRejectedAndLeavesOneEntry) {
  Trie trie;
  ASSERT_TRUE(trie.Insert("foo", "", Ref(1)).ok());
  EXPECT_EQ(trie.Insert("foo", "", Ref(1)).code(), absl::StatusCode::kAlreadyExists);
  ASSERT_TRUE(trie.Insert("foo", "q", Ref(2)).ok());
  EXPECT_EQ(trie.Insert("foo", "q", Ref(2)).code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(trie.size(), 2u);
  EXPECT_EQ(MatchOf(trie, "foo").plain, std::vector<SubRef>{Ref(1)});

  EXPECT_TRUE(trie.Remove("foo", "", Ref(1)));
  EXPECT_FALSE(trie.Remove("foo", "", Ref(1)));
  EXPECT_TRUE(trie.Remove("foo", "q", Ref(2)));
  EXPECT_TRUE(MatchOf(trie, "foo").plain.empty());
  EXPECT_EQ(trie.size(), 0u);
}

TEST(TrieTest, SameRefUnderOtherSubjectOrQueueIsSeparate) {
  Trie trie;
  ASSERT_TRUE(trie.Insert("foo", "", Ref(1)).ok());
  ASSERT_TRUE(trie.Insert("*", "", Ref(1)).ok());
  ASSERT_TRUE(trie.Insert("foo", "q", Ref(1)).ok());
  EXPECT_EQ(trie.size(), 3u);
  Canonical c = MatchOf(trie, "foo");
  EXPECT_EQ(c.plain, (std::vector<SubRef>{Ref(1), Ref(1)}));
  EXPECT_EQ(c.queues["q"], std::vector<SubRef>{Ref(1)});
  EXPECT_FALSE(trie.Remove("foo", "other", Ref(1)));
  EXPECT_FALSE(trie.Remove("foo", "", Ref(2)));
  EXPECT_FALSE(trie.Remove("bar", "", Ref(1)));
  EXPECT_EQ(trie.size(), 3u);
}

TEST(TrieTest, QueueGroupsMergeByNameAcrossSubjects) {
  Trie trie;
  ASSERT_TRUE(trie.Insert("foo.bar", "g1", Ref(1)).ok());
  ASSERT_TRUE(trie.Insert("foo.*", "g1", Ref(2)).ok());
  ASSERT_TRUE(trie.Insert(">", "g1", Ref(3)).ok());
  ASSERT_TRUE(trie.Insert("foo.bar", "g2", Ref(4)).ok());
  ASSERT_TRUE(trie.Insert("foo.bar", "", Ref(5)).ok());
  ASSERT_TRUE(trie.Insert("foo.baz", "g2", Ref(6)).ok());

  MatchResult result;
  trie.Match("foo.bar", &result);
  ASSERT_EQ(result.queues.size(), 2u);  // one entry per group name
  Canonical c = Canonicalize(result);
  EXPECT_EQ(c.plain, std::vector<SubRef>{Ref(5)});
  EXPECT_EQ(c.queues["g1"], (std::vector<SubRef>{Ref(1), Ref(2), Ref(3)}));
  EXPECT_EQ(c.queues["g2"], std::vector<SubRef>{Ref(4)});
}

TEST(TrieTest, RemovalPrunesEmptyNodes) {
  Trie trie;
  ASSERT_TRUE(trie.Insert("a.b.c", "", Ref(1)).ok());
  EXPECT_EQ(trie.node_count(), 3u);
  ASSERT_TRUE(trie.Insert("a.b", "", Ref(2)).ok());
  ASSERT_TRUE(trie.Insert("a.*.>", "q", Ref(3)).ok());
  EXPECT_EQ(trie.node_count(), 5u);

  EXPECT_TRUE(trie.Remove("a.b.c", "", Ref(1)));
  EXPECT_EQ(trie.node_count(), 4u);  // `a.b` still holds a subscription
  EXPECT_TRUE(trie.Remove("a.b", "", Ref(2)));
  EXPECT_EQ(trie.node_count(), 3u);
  EXPECT_TRUE(trie.Remove("a.*.>", "q", Ref(3)));
  EXPECT_EQ(trie.node_count(), 0u);
  EXPECT_EQ(trie.size(), 0u);

  // The trie is fully usable after being emptied.
  ASSERT_TRUE(trie.Insert("a.b.c", "", Ref(4)).ok());
  EXPECT_EQ(MatchOf(trie, "a.b.c"), Plain({Ref(4)}));
}

TEST(TrieTest, ManySubscribersOnOneSubject) {
  // Crosses the size where a node's subscription set switches to a hash index, both ways.
  Trie trie;
  constexpr uint32_t kCount = 2000;
  for (uint32_t i = 0; i < kCount; ++i) {
    ASSERT_TRUE(trie.Insert("fan.out", i % 3 == 0 ? "q" : "", Ref(i)).ok());
  }
  for (uint32_t i = 0; i < kCount; ++i) {
    EXPECT_EQ(trie.Insert("fan.out", i % 3 == 0 ? "q" : "", Ref(i)).code(),
              absl::StatusCode::kAlreadyExists);
  }
  for (uint32_t i = 0; i < kCount; i += 2) {
    ASSERT_TRUE(trie.Remove("fan.out", i % 3 == 0 ? "q" : "", Ref(i)));
  }
  Canonical expected;
  for (uint32_t i = 1; i < kCount; i += 2) {
    (i % 3 == 0 ? expected.queues["q"] : expected.plain).push_back(Ref(i));
  }
  std::sort(expected.plain.begin(), expected.plain.end());
  std::sort(expected.queues["q"].begin(), expected.queues["q"].end());
  EXPECT_EQ(MatchOf(trie, "fan.out"), expected);
  for (uint32_t i = 1; i < kCount; i += 2) {
    ASSERT_TRUE(trie.Remove("fan.out", i % 3 == 0 ? "q" : "", Ref(i)));
  }
  EXPECT_EQ(trie.size(), 0u);
  EXPECT_EQ(trie.node_count(), 0u);
}

TEST(TrieTest, LongSubjects) {
  std::string deep = "t";
  for (int i = 0; i < 100; ++i) {
    deep += ".t";
  }
  Trie trie;
  ASSERT_TRUE(trie.Insert(deep, "", Ref(1)).ok());
  ASSERT_TRUE(trie.Insert("t.>", "", Ref(2)).ok());
  ASSERT_TRUE(trie.Insert("t.*.t.>", "", Ref(3)).ok());
  EXPECT_EQ(MatchOf(trie, deep), Plain({Ref(1), Ref(2), Ref(3)}));
  EXPECT_EQ(trie.node_count(), 101u + 1u + 3u);
  EXPECT_TRUE(trie.Remove(deep, "", Ref(1)));
  EXPECT_EQ(trie.node_count(), 5u);  // t, t.>, t.*, t.*.t, t.*.t.>
}

// Random subjects over a tiny alphabet so that subscriptions and publishes collide often.
class RandomSubjects {
 public:
  explicit RandomSubjects(uint32_t seed) : rng_(seed) {}

  std::string Subscription() {
    const int tokens = Uniform(1, 4);
    std::string s;
    for (int i = 0; i < tokens; ++i) {
      if (i > 0) {
        s += '.';
      }
      const int pick = Uniform(0, 9);
      if (i == tokens - 1 && pick == 0) {
        s += '>';
      } else if (pick <= 2) {
        s += '*';
      } else {
        s += kLiterals[Uniform(0, 3)];
      }
    }
    return s;
  }

  std::string Publish() {
    const int tokens = Uniform(1, 5);
    std::string s;
    for (int i = 0; i < tokens; ++i) {
      if (i > 0) {
        s += '.';
      }
      const int pick = Uniform(0, 39);
      if (pick == 0) {
        s += '*';
      } else if (pick == 1) {
        s += '>';
      } else if (pick == 2) {
        // empty token
      } else {
        s += kLiterals[Uniform(0, 3)];
      }
    }
    return s;
  }

  std::string Queue() {
    const int pick = Uniform(0, 9);
    return pick < 6 ? "" : (pick < 8 ? "q1" : "q2");
  }

  int Uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }

 private:
  static constexpr const char* kLiterals[] = {"a", "b", "c", "dd"};
  std::mt19937 rng_;
};

TEST(TrieTest, RandomOperationsAgreeWithBruteForce) {
  for (uint32_t seed = 1; seed <= 8; ++seed) {
    SCOPED_TRACE(::testing::Message() << "seed " << seed);
    RandomSubjects random(seed);
    Trie trie;
    Oracle oracle;
    uint32_t next_ref = 0;
    for (int op = 0; op < 3000; ++op) {
      const int kind = random.Uniform(0, 9);
      if (kind < 6 || oracle.size() == 0) {
        const std::string subject = random.Subscription();
        const std::string queue = random.Queue();
        // Mostly fresh refs; sometimes a ref reused from an existing entry.
        SubRef ref = Ref(next_ref++);
        if (kind == 0 && oracle.size() > 0) {
          const auto& e = oracle.entries()[random.Uniform(0, oracle.size() - 1)];
          ref = e.ref;
        }
        const absl::Status status = trie.Insert(subject, queue, ref);
        if (oracle.Contains(subject, queue, ref)) {
          ASSERT_EQ(status.code(), absl::StatusCode::kAlreadyExists);
        } else {
          ASSERT_TRUE(status.ok()) << status;
          oracle.Insert(subject, queue, ref);
        }
      } else if (kind < 9) {
        const auto e = oracle.entries()[random.Uniform(0, oracle.size() - 1)];
        ASSERT_TRUE(trie.Remove(e.subject, e.queue, e.ref));
        ASSERT_TRUE(oracle.Remove(e.subject, e.queue, e.ref));
      } else {
        const std::string subject = random.Subscription();
        const SubRef ref = Ref(random.Uniform(0, next_ref));
        const std::string queue = random.Queue();
        ASSERT_EQ(trie.Remove(subject, queue, ref), oracle.Remove(subject, queue, ref));
      }
      ASSERT_EQ(trie.size(), oracle.size());
      if (op % 10 == 0) {
        for (int i = 0; i < 20; ++i) {
          const std::string subject = random.Publish();
          ASSERT_EQ(MatchOf(trie, subject), oracle.Match(subject)) << "subject " << subject;
        }
      }
    }
    // Drain: everything removed leaves no nodes behind.
    while (oracle.size() > 0) {
      const auto e = oracle.entries().back();
      ASSERT_TRUE(trie.Remove(e.subject, e.queue, e.ref));
      oracle.Remove(e.subject, e.queue, e.ref);
    }
    EXPECT_EQ(trie.size(), 0u);
    EXPECT_EQ(trie.node_count(), 0u);
  }
}

}  // namespace
}  // namespace ringnats::sublist
