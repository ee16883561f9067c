#include "random_password.h"

#include <array>
#include <set>
#include <string>

#include "gtest/gtest.h"

namespace ringnats::passwd {
namespace {

TEST(RandomPasswordTest, TwentyTwoCharactersFromTheAlphabet) {
  EXPECT_EQ(kPasswordAlphabet.size(), 72u);
  for (int i = 0; i < 100; ++i) {
    absl::StatusOr<std::string> pw = RandomPassword();
    ASSERT_TRUE(pw.ok()) << pw.status();
    EXPECT_EQ(pw->size(), 22u);
    for (char c : *pw) {
      EXPECT_NE(kPasswordAlphabet.find(c), std::string_view::npos) << c;
    }
  }
}

TEST(RandomPasswordTest, OtherLengths) {
  EXPECT_EQ(RandomPassword(0)->size(), 0u);
  EXPECT_EQ(RandomPassword(1)->size(), 1u);
  EXPECT_EQ(RandomPassword(1000)->size(), 1000u);
}

TEST(RandomPasswordTest, DoesNotRepeat) {
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) seen.insert(*RandomPassword());
  EXPECT_EQ(seen.size(), 200u);
}

TEST(RandomPasswordTest, NoModuloBias) {
  // Taking a random byte modulo 72 would make the first 40 characters (256 % 72) come up a
  // third more often than the other 32. With 72,000 draws each character is expected 1,000
  // times (standard deviation about 31); the two group means sit within 2% of each other
  // unless there is bias, which would put them 33% apart.
  constexpr size_t kDraws = 72'000;
  absl::StatusOr<std::string> text = RandomPassword(kDraws);
  ASSERT_TRUE(text.ok());
  std::array<int, 72> counts{};
  for (char c : *text) ++counts[kPasswordAlphabet.find(c)];
  double first = 0;
  double rest = 0;
  for (size_t i = 0; i < counts.size(); ++i) {
    EXPECT_GT(counts[i], 700) << kPasswordAlphabet[i];
    EXPECT_LT(counts[i], 1300) << kPasswordAlphabet[i];
    (i < 40 ? first : rest) += counts[i];
  }
  const double ratio = (first / 40) / (rest / 32);
  EXPECT_GT(ratio, 0.9);
  EXPECT_LT(ratio, 1.1);
}

}  // namespace
}  // namespace ringnats::passwd
