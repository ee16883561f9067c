// HPUB/HMSG, header stripping for subscribers without header support, and no-responders.

#include <gtest/gtest.h>

#include <string>

#include "harness/server_fixture.h"

namespace ringnats::harness {
namespace {

constexpr std::string_view kHeaderConnect = R"({"verbose":false,"pedantic":false,"headers":true})";
constexpr std::string_view kNoRespondersConnect =
    R"({"verbose":false,"pedantic":false,"headers":true,"no_responders":true})";
constexpr std::string_view kNoResponse = "NATS/1.0 503\r\n\r\n";

class HeadersTest : public ServerTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(StartServer());
    with_headers_ = Client(kHeaderConnect);
    without_headers_ = Client();
    ASSERT_TRUE(with_headers_ && without_headers_);
    ASSERT_TRUE(with_headers_->Send("SUB foo 1\r\n"));
    ASSERT_TRUE(without_headers_->Send("SUB foo 9\r\n"));
    ASSERT_TRUE(with_headers_->Ping());
    ASSERT_TRUE(without_headers_->Ping());
  }

  // Publishes from a header-capable connection and checks what both subscribers get.
  void PublishAndExpect(const std::string& publish, const std::string& header_sub_gets,
                        const std::string& plain_sub_gets) {
    auto pub = Client(kHeaderConnect);
    ASSERT_TRUE(pub);
    ASSERT_TRUE(pub->Send(publish));
    ASSERT_TRUE(pub->Ping());
    EXPECT_TRUE(with_headers_->Expect(header_sub_gets));
    EXPECT_TRUE(without_headers_->Expect(plain_sub_gets));
    EXPECT_TRUE(with_headers_->Ping());
    EXPECT_TRUE(without_headers_->Ping());
  }

  std::unique_ptr<RawClient> with_headers_;
  std::unique_ptr<RawClient> without_headers_;
};

TEST_F(HeadersTest, HeadersDeliveredAsHmsgAndStrippedForOthers) {
  PublishAndExpect("HPUB foo 18 20\r\nNATS/1.0\r\nA: b\r\n\r\nhi\r\n",
                   "HMSG foo 1 18 20\r\nNATS/1.0\r\nA: b\r\n\r\nhi\r\n", "MSG foo 9 2\r\nhi\r\n");
}

TEST_F(HeadersTest, ReplySubjectIsKept) {
  PublishAndExpect("HPUB foo rep.ly 18 20\r\nNATS/1.0\r\nA: b\r\n\r\nhi\r\n",
                   "HMSG foo 1 rep.ly 18 20\r\nNATS/1.0\r\nA: b\r\n\r\nhi\r\n",
                   "MSG foo 9 rep.ly 2\r\nhi\r\n");
}

TEST_F(HeadersTest, EmptyHeaderBlockAndEmptyPayload) {
  PublishAndExpect("HPUB foo 12 12\r\nNATS/1.0\r\n\r\n\r\n",
                   "HMSG foo 1 12 12\r\nNATS/1.0\r\n\r\n\r\n", "MSG foo 9 0\r\n\r\n");
}

TEST_F(HeadersTest, ZeroHeaderSizeIsAPlainMessage) {
  PublishAndExpect("HPUB foo 0 2\r\nhi\r\n", "MSG foo 1 2\r\nhi\r\n", "MSG foo 9 2\r\nhi\r\n");
}

TEST_F(HeadersTest, HeaderContentIsNotValidated) {
  PublishAndExpect("HPUB foo 6 8\r\nXXXX\r\nok\r\n", "HMSG foo 1 6 8\r\nXXXX\r\nok\r\n",
                   "MSG foo 9 2\r\nok\r\n");
}

TEST_F(HeadersTest, PlainPublishReachesHeaderSubscriberAsMsg) {
  PublishAndExpect("PUB foo 2\r\nhi\r\n", "MSG foo 1 2\r\nhi\r\n", "MSG foo 9 2\r\nhi\r\n");
}

TEST_F(HeadersTest, HpubWithoutHeadersSupportClosesSilently) {
  auto client = Client(R"({"verbose":false,"headers":false})");
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->Send("HPUB foo 12 12\r\nNATS/1.0\r\n\r\n\r\n"));
  EXPECT_TRUE(client->ExpectClosed());
  EXPECT_TRUE(with_headers_->Ping());
  EXPECT_TRUE(ServerStillWorks());
}

TEST_F(HeadersTest, HeaderSizeLargerThanTotalClosesSilently) {
  auto client = Client(kHeaderConnect);
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->Send("HPUB foo 5 2\r\n"));
  EXPECT_TRUE(client->ExpectClosed());
  EXPECT_TRUE(ServerStillWorks());
}

TEST_F(HeadersTest, NoRespondersGets503ForRequestWithoutSubscribers) {
  auto client = Client(kNoRespondersConnect);
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->Send("SUB _INBOX.x 1\r\nPUB nobody.home _INBOX.x 0\r\n\r\n"));
  EXPECT_TRUE(client->Expect("HMSG _INBOX.x 1 16 16\r\n" + std::string(kNoResponse) + "\r\n"));
  // Also for HPUB requests.
  ASSERT_TRUE(client->Send("HPUB nobody.home _INBOX.x 12 14\r\nNATS/1.0\r\n\r\nhi\r\n"));
  EXPECT_TRUE(client->Expect("HMSG _INBOX.x 1 16 16\r\n" + std::string(kNoResponse) + "\r\n"));
  EXPECT_TRUE(client->Ping());
}

TEST_F(HeadersTest, NoRespondersUsesAWildcardReplySubscription) {
  auto client = Client(kNoRespondersConnect);
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->Send("SUB _INBOX.* 7\r\nPUB nobody.home _INBOX.abc 0\r\n\r\n"));
  EXPECT_TRUE(client->Expect("HMSG _INBOX.abc 7 16 16\r\n" + std::string(kNoResponse) + "\r\n"));
  EXPECT_TRUE(client->Ping());
}

TEST_F(HeadersTest, NoRespondersNotSentWhenSomebodyReceived) {
  auto client = Client(kNoRespondersConnect);
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->Send("SUB _INBOX.x 1\r\nPUB foo _INBOX.x 0\r\n\r\n"));
  ASSERT_TRUE(client->Ping());
  EXPECT_TRUE(with_headers_->Expect("MSG foo 1 _INBOX.x 0\r\n\r\n"));
  EXPECT_TRUE(without_headers_->Expect("MSG foo 9 _INBOX.x 0\r\n\r\n"));
}

TEST_F(HeadersTest, NoRespondersNeedsAReplySubjectAndAReplySubscription) {
  auto client = Client(kNoRespondersConnect);
  ASSERT_TRUE(client);
  ASSERT_TRUE(
      client->Send("SUB _INBOX.x 1\r\nPUB nobody.home 0\r\n\r\n"
                   "PUB nobody.home _INBOX.unsubscribed 0\r\n\r\n"));
  EXPECT_TRUE(client->Ping());
}

TEST_F(HeadersTest, NoRespondersCountsOwnSubscriptionSkippedByEcho) {
  auto client = Client(R"({"verbose":false,"headers":true,"no_responders":true,"echo":false})");
  ASSERT_TRUE(client);
  ASSERT_TRUE(
      client->Send("SUB _INBOX.e 1\r\nSUB self.only 2\r\nPUB self.only _INBOX.e 0\r\n\r\n"));
  EXPECT_TRUE(client->Expect("HMSG _INBOX.e 1 16 16\r\n" + std::string(kNoResponse) + "\r\n"));
  EXPECT_TRUE(client->Ping());
}

TEST_F(HeadersTest, WithoutNoRespondersNothingIsSent) {
  auto client = Client(kHeaderConnect);
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->Send("SUB _INBOX.x 1\r\nPUB nobody.home _INBOX.x 0\r\n\r\n"));
  EXPECT_TRUE(client->Ping());
}

}  // namespace
}  // namespace ringnats::harness
