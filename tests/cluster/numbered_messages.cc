#include "cluster/numbered_messages.h"

#include <algorithm>
#include <charconv>
#include <set>

#include "absl/strings/str_format.h"

namespace ringnats::clustertest {

using ::testing::AssertionFailure;
using ::testing::AssertionResult;
using ::testing::AssertionSuccess;
using Clock = std::chrono::steady_clock;

std::string NumberedBurst(std::string_view subject, std::string_view tag, int count,
                          size_t padding) {
  std::string burst;
  const std::string filler = padding > 0 ? ":" + std::string(padding, 'p') : "";
  for (int i = 0; i < count; ++i) {
    const std::string payload = absl::StrFormat("%s:%d%s", tag, i, filler);
    absl::StrAppendFormat(&burst, "PUB %s %d\r\n%s\r\n", subject, payload.size(), payload);
  }
  return burst;
}

std::string EndMarker(std::string_view subject, std::string_view tag) {
  const std::string payload = absl::StrFormat("%s:end", tag);
  return absl::StrFormat("PUB %s %d\r\n%s\r\n", subject, payload.size(), payload);
}

AssertionResult ReadUntilEnds(harness::RawClient& client, const std::vector<std::string>& tags,
                              Received* received, std::chrono::milliseconds timeout) {
  const Clock::time_point deadline = Clock::now() + timeout;
  std::set<std::string> open(tags.begin(), tags.end());
  std::set<std::string> ended;
  while (!open.empty()) {
    const auto left =
        std::max(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()),
                 std::chrono::milliseconds(1));
    harness::Msg msg;
    if (AssertionResult got = client.ReadMsg(&msg, left); !got) {
      std::string counts;
      for (const auto& [tag, numbers] : received->numbers) {
        absl::StrAppendFormat(&counts, " %s:%d", tag, numbers.size());
      }
      return got << "\nstill waiting for the end of " << open.size() << " publisher(s); got"
                 << counts;
    }
    const size_t colon = msg.payload.find(':');
    const std::string tag = msg.payload.substr(0, colon == std::string::npos ? 0 : colon);
    std::string rest = colon == std::string::npos ? "" : msg.payload.substr(colon + 1);
    rest = rest.substr(0, rest.find(':'));  // without the filler
    if (std::find(tags.begin(), tags.end(), tag) == tags.end()) {
      return AssertionFailure() << "unexpected payload \"" << harness::Escape(msg.payload)
                                << "\" on " << msg.subject;
    }
    if (rest == "end") {
      if (!ended.insert(tag).second) {
        return AssertionFailure() << "second end marker from " << tag;
      }
      open.erase(tag);
      continue;
    }
    int number = -1;
    const auto [end, error] = std::from_chars(rest.data(), rest.data() + rest.size(), number);
    if (error != std::errc() || end != rest.data() + rest.size()) {
      return AssertionFailure() << "unexpected payload \"" << harness::Escape(msg.payload) << "\"";
    }
    if (ended.contains(tag)) {
      return AssertionFailure() << "message " << msg.payload << " after the end marker of " << tag;
    }
    std::vector<int>& numbers = received->numbers[tag];
    // One publisher's messages reach a subscriber in order, so a number that does not
    // grow is a copy or a reordering; say so at once, with the message that showed it.
    if (!numbers.empty() && number <= numbers.back()) {
      return AssertionFailure() << msg.payload << " on " << msg.subject << " (sid " << msg.sid
                                << ") after " << tag << ":" << numbers.back()
                                << ": a copy or a reordering";
    }
    numbers.push_back(number);
  }
  return AssertionSuccess();
}

AssertionResult ExpectEveryMessageOnceInOrder(harness::RawClient& client,
                                              const std::vector<std::string>& tags, int count,
                                              std::chrono::milliseconds timeout) {
  Received received;
  if (AssertionResult read = ReadUntilEnds(client, tags, &received, timeout); !read) return read;
  for (const std::string& tag : tags) {
    const std::vector<int>& numbers = received.numbers[tag];
    for (size_t i = 0; i < numbers.size(); ++i) {
      if (numbers[i] != static_cast<int>(i)) {
        return AssertionFailure() << "from " << tag << ": message #" << i << " was " << tag << ":"
                                  << numbers[i] << " (a copy, a loss or a reordering); "
                                  << numbers.size() << " messages in all";
      }
    }
    if (static_cast<int>(numbers.size()) != count) {
      return AssertionFailure() << "from " << tag << ": " << numbers.size() << " messages, not "
                                << count;
    }
  }
  return AssertionSuccess();
}

}  // namespace ringnats::clustertest
