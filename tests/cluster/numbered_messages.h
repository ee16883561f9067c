#pragma once
// Numbered message streams for exactly-once and order checks across a cluster.
//
// A publisher tagged "A" sends payloads "A:0", "A:1", ... "A:<n-1>" and then "A:end". A
// subscriber gets one publisher's messages in publish order (one route hop, one TCP stream),
// so by the time it has "A:end" it has every message of A it will ever get, however the
// streams of several publishers interleave.
//
// Used from the test thread only.

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "harness/raw_client.h"

namespace ringnats::clustertest {

// PUB frames for "<tag>:0" .. "<tag>:<count-1>" on `subject`; with `padding` > 0 each
// payload ends in ":" and that many filler bytes, for bursts of many bytes.
std::string NumberedBurst(std::string_view subject, std::string_view tag, int count,
                          size_t padding = 0);

// The PUB frame for "<tag>:end" on `subject`.
std::string EndMarker(std::string_view subject, std::string_view tag);

// Messages a subscriber got, per publisher tag, before that tag's end marker.
struct Received {
  std::map<std::string, std::vector<int>> numbers;
};

// Reads MSG frames from `client` until it has the end marker of every tag in `tags`; fails
// on a frame that is not a numbered message of one of them, on a number that is not above
// the tag's previous one (a copy or a reordering), on a second end marker, or on timeout.
// `received` gets every number in arrival order.
::testing::AssertionResult ReadUntilEnds(
    harness::RawClient& client, const std::vector<std::string>& tags, Received* received,
    std::chrono::milliseconds timeout = std::chrono::seconds(20));

// ReadUntilEnds, then every tag must have brought exactly 0..count-1 in order.
::testing::AssertionResult ExpectEveryMessageOnceInOrder(
    harness::RawClient& client, const std::vector<std::string>& tags, int count,
    std::chrono::milliseconds timeout = std::chrono::seconds(20));

}  // namespace ringnats::clustertest
