#include "options.h"

#include <gtest/gtest.h>

namespace ringnats::load {
namespace {

TEST(ParseOptions, ScenarioAndFlagsInBothSpellings) {
  absl::StatusOr<Options> o =
      ParseOptions({"fanout", "--url", "nats://127.0.0.1:4333", "--size=1024", "--subs", "12",
                    "--json", "--server-pid", "77"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->scenario, Scenario::kFanout);
  EXPECT_EQ(o->host, "127.0.0.1");
  EXPECT_EQ(o->port, 4333);
  EXPECT_EQ(o->size, 1024u);
  EXPECT_EQ(o->subs, 12);
  EXPECT_EQ(o->format, OutputFormat::kJson);
  EXPECT_EQ(o->server_pid, 77);

  o = ParseOptions({"--scenario", "idle", "--pid", "5", "--conns", "300"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->scenario, Scenario::kIdle);
  EXPECT_EQ(o->server_pid, 5);
  EXPECT_EQ(o->conns, 300u);

  o = ParseOptions({"idle", "--source-ip", "127.0.0.3"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->source_ip, "127.0.0.3");
  EXPECT_FALSE(ParseOptions({"idle", "--source-ip", "10.0.0.3"}).ok());
  EXPECT_FALSE(ParseOptions({"idle", "--source-ip", "localhost"}).ok());
}

TEST(ParseOptions, Tls) {
  absl::StatusOr<Options> o = ParseOptions({"pub", "--tls", "--tls-ca", "ca.pem"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_TRUE(o->tls);
  EXPECT_EQ(o->tls_ca, "ca.pem");
  o = ParseOptions(
      {"storm", "--storm-tls", "--tls-ca", "ca.pem", "--tls-cert", "c.pem", "--tls-key", "c.key"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_FALSE(o->tls);
  EXPECT_TRUE(o->storm_tls);
  EXPECT_EQ(o->tls_cert, "c.pem");
  EXPECT_EQ(o->tls_key, "c.key");
  EXPECT_FALSE(ParseOptions({"pub", "--tls"}).ok());  // no CA to verify the server with
  EXPECT_FALSE(ParseOptions({"pub", "--tls", "--tls-ca", "a", "--tls-cert", "c"}).ok());
  EXPECT_FALSE(ParseOptions({"pub", "--storm-tls", "--tls-ca", "a"}).ok());
}

TEST(ParseOptions, RejectsBadInput) {
  EXPECT_FALSE(ParseOptions({}).ok());
  EXPECT_FALSE(ParseOptions({"nosuch"}).ok());
  EXPECT_FALSE(ParseOptions({"pub", "--size", "65537"}).ok());
  EXPECT_FALSE(ParseOptions({"pub", "--url", "10.0.0.1:4222"}).ok());
  EXPECT_FALSE(ParseOptions({"pub", "--url", "example.com:4222"}).ok());
  EXPECT_TRUE(ParseOptions({"pub", "--url", "localhost:4222"}).ok());
  EXPECT_TRUE(ParseOptions({"pub", "--url", "127.0.0.2:4222"}).ok());
  EXPECT_FALSE(ParseOptions({"pub", "--size", "12x"}).ok());
  EXPECT_FALSE(ParseOptions({"pub", "--bogus", "1"}).ok());
  EXPECT_FALSE(ParseOptions({"pub", "--json=1"}).ok());
  EXPECT_FALSE(ParseOptions({"pub", "--duration"}).ok());
  EXPECT_FALSE(ParseOptions({"connect", "--bad-pass-rate", "0.1"}).ok());
  EXPECT_FALSE(ParseOptions({"connect", "--users-file", "f", "--user", "a"}).ok());
  EXPECT_TRUE(
      ParseOptions({"connect", "--user", "a", "--pass", "b", "--bad-pass-rate", "0.1"}).ok());
}

TEST(ParseOptions, ReqRepRequestersAndLiteralSubjects) {
  absl::StatusOr<Options> o = ParseOptions({"reqrep", "--requesters", "1000"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->requesters, 1000);
  EXPECT_EQ(ParseOptions({"reqrep"})->requesters, 1);
  EXPECT_FALSE(ParseOptions({"reqrep", "--requesters", "0"}).ok());
  o = ParseOptions({"many-subjects", "--literal-subjects", "--subs", "10000"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_TRUE(o->literal_subjects);
  EXPECT_EQ(o->subs, 10000);
  EXPECT_FALSE(ParseOptions({"fanout", "--subs", "10001"}).ok());
}

TEST(ParseOptions, StormTakesAUsersFileAndReqRepCredentials) {
  absl::StatusOr<Options> o = ParseOptions(
      {"storm", "--users-file", "u.txt", "--user", "rr", "--pass", "pw", "--rate", "2000"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->scenario, Scenario::kStorm);
  EXPECT_EQ(o->users_file, "u.txt");
  EXPECT_EQ(o->credentials.user, "rr");
  EXPECT_EQ(o->concurrency, 8);  // the storm's own default: 8 connects in flight
  EXPECT_DOUBLE_EQ(o->rate, 2000);

  o = ParseOptions({"storm", "--concurrency", "3", "--storm-ramp", "0"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->concurrency, 3);
  EXPECT_DOUBLE_EQ(o->storm_ramp_s, 0);
  EXPECT_FALSE(ParseOptions({"storm", "--storm-ramp", "-1"}).ok());
}

TEST(ParseOptions, ConnectDurationAndPrime) {
  absl::StatusOr<Options> o = ParseOptions({"connect", "--prime"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_TRUE(o->prime);
  EXPECT_FALSE(o->duration_given);
  EXPECT_EQ(o->concurrency, 16);

  o = ParseOptions({"connect", "--duration", "2"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_TRUE(o->duration_given);
  EXPECT_DOUBLE_EQ(o->duration_s, 2);
  EXPECT_FALSE(ParseOptions({"connect", "--prime=1"}).ok());
}

}  // namespace
}  // namespace ringnats::load
