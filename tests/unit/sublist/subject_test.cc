#include "ringnats/sublist/subject.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace ringnats::sublist {
namespace {

using namespace std::string_literals;

struct SubjectCase {
  std::string subject;
  bool subscribe;  // IsValidSubscribeSubject
  bool publish;    // IsValidPublishSubject (pedantic)
  bool literal;    // IsLiteralSubject
};

// Cases from the reference notes (§1.5, §1.9) and nats-server 2.9.10 observations.
const SubjectCase kSubjectCases[] = {
    {"foo", true, true, true},
    {"foo.bar", true, true, true},
    {"foo.bar.baz.qux.quux", true, true, true},
    {"*", true, false, false},
    {">", true, false, false},
    {"foo.*", true, false, false},
    {"foo.>", true, false, false},
    {"*.>", true, false, false},
    {"foo.*.>", true, false, false},
    {"*.*.*", true, false, false},
    {"*.bar", true, false, false},
    // Wildcards count only as whole tokens.
    {"foo*.bar", true, true, true},
    {"f>", true, true, true},
    {"foo.b>r", true, true, true},
    {"**", true, true, true},
    {">>", true, true, true},
    {"foo.>x", true, true, true},
    // Any non-whitespace byte is allowed.
    {"$SYS.ACCOUNT.>", true, false, false},
    {"_INBOX.abc123", true, true, true},
    {"f\xc3\xb6\xc3\xb6.b\xc3\xa4r", true, true, true},
    {"foo-bar_baz:1/2", true, true, true},
    {"foo\x01"s, true, true, true},
    {"a\0b"s, true, true, true},
    // Empty tokens.
    {"", false, false, true},
    {".", false, false, true},
    {"..", false, false, true},
    {"foo..bar", false, false, true},
    {".foo", false, false, true},
    {"foo.", false, false, true},
    {"foo.*.", false, false, false},
    // `>` must be last.
    {"foo.>.bar", false, false, false},
    {">.foo", false, false, false},
    {">.>", false, false, false},
    {"foo.>.*", false, false, false},
    // Whitespace anywhere.
    {"foo bar", false, false, true},
    {" foo", false, false, true},
    {"foo ", false, false, true},
    {"foo\tbar", false, false, true},
    {"foo\rbar", false, false, true},
    {"foo\nbar", false, false, true},
    {"foo\fbar", false, false, true},
    {"foo. .bar", false, false, true},
    {"foo.* ", false, false, true},
    {" ", false, false, true},
    {"\t", false, false, true},
};

TEST(SubjectTest, ValidationTable) {
  for (const SubjectCase& c : kSubjectCases) {
    SCOPED_TRACE("subject \"" + c.subject + "\"");
    EXPECT_EQ(IsValidSubscribeSubject(c.subject), c.subscribe);
    EXPECT_EQ(IsValidPublishSubject(c.subject), c.publish);
    EXPECT_EQ(IsLiteralSubject(c.subject), c.literal);
  }
}

TEST(SubjectTest, VerticalTabIsNotSubjectWhitespace) {
  // nats-server checks exactly space, TAB, CR, LF and FF.
  EXPECT_TRUE(IsValidSubscribeSubject("foo\vbar"));
}

struct MatchCase {
  std::string pattern;
  std::string subject;
  bool matches;
};

const MatchCase kMatchCases[] = {
    {"foo", "foo", true},
    {"foo", "bar", false},
    {"foo", "foo.bar", false},
    {"foo.bar", "foo", false},
    {"foo.bar", "foo.bar", true},
    {"foo.bar", "Foo.bar", false},
    {"*", "foo", true},
    {"*", "foo.bar", false},
    {"foo.*", "foo.bar", true},
    {"foo.*", "foo", false},
    {"foo.*", "foo.bar.baz", false},
    {"*.bar", "foo.bar", true},
    {"*.bar", "foo.baz", false},
    {"*.*", "a.b", true},
    {"foo.>", "foo.bar", true},
    {"foo.>", "foo.bar.baz", true},
    {"foo.>", "foo", false},
    {"foo.>", "bar.baz", false},
    {">", "foo", true},
    {">", "foo.bar.baz", true},
    {"foo.*.>", "foo.bar", false},
    {"foo.*.>", "foo.bar.baz", true},
    {"foo.*.>", "foo.bar.baz.qux", true},
    {"*.>", "foo", false},
    {"*.>", "foo.bar", true},
    // Whole-token wildcards only: these are literals.
    {"foo*.bar", "foo*.bar", true},
    {"foo*.bar", "foox.bar", false},
    {"f>", "f>", true},
    {"f>", "f.x", false},
    // Published tokens are literal: a published `*`/`>` is matched only by wildcards.
    {"foo.*", "foo.*", true},
    {"foo.>", "foo.*", true},
    {">", "foo.>", true},
    {"foo.*", "foo.>", true},
    {"foo.bar", "foo.*", false},
    {"foo.bar", "foo.>", false},
    // An empty token in the published subject matches nothing.
    {"foo", "", false},
    {">", "", false},
    {"*", "", false},
    {">", ".", false},
    {">", "foo..bar", false},
    {"foo.>", "foo.bar.", false},
    {"foo.>", "foo..bar", false},
    {"*.bar", ".bar", false},
    {"foo.*", "foo.", false},
    // An invalid pattern matches nothing.
    {"foo..bar", "foo..bar", false},
    {"foo.>.bar", "foo.x.bar", false},
    {"", "", false},
    {"foo bar", "foo bar", false},
};

TEST(SubjectTest, MatchTable) {
  for (const MatchCase& c : kMatchCases) {
    SCOPED_TRACE("pattern \"" + c.pattern + "\" subject \"" + c.subject + "\"");
    EXPECT_EQ(SubjectMatches(c.pattern, c.subject), c.matches);
  }
}

TEST(SubjectTest, LiteralPatternMatchesOnlyItself) {
  const std::string subjects[] = {"a", "a.b", "a.b.c", "b.a", "a.bc", "ab.c", "a.b.c.d"};
  for (const std::string& pattern : subjects) {
    for (const std::string& subject : subjects) {
      EXPECT_EQ(SubjectMatches(pattern, subject), pattern == subject)
          << pattern << " vs " << subject;
    }
  }
}

}  // namespace
}  // namespace ringnats::sublist
