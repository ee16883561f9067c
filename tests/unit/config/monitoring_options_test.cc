// The monitoring options (-m/--http_port, http_port/monitor_port, http, http_base_path) and
// HTTPS monitoring (-ms/--https_port, https_port, https), as nats-server 2.9.10 reads them. Every value and message
// here was observed on Debian's nats-server (`-t -c FILE`, flags, and a start).

#include <gtest/gtest.h>

#include <climits>
#include <string>
#include <utility>
#include <vector>

#include "ringnats/config/command_line.h"
#include "ringnats/config/config_parser.h"
#include "ringnats/config/options_from_config.h"

namespace ringnats::config {
namespace {

absl::StatusOr<ServerOptions> Load(std::string_view text) {
  absl::StatusOr<ConfigValue> root = ParseConfigString(text, "test.conf", ".");
  if (!root.ok()) return root.status();
  absl::StatusOr<ConfigLoad> load = OptionsFromConfig(*root, ServerOptions{});
  if (!load.ok()) return load.status();
  return load->options;
}

// The error message, or "OK".
std::string LoadError(std::string_view text) {
  absl::StatusOr<ServerOptions> options = Load(text);
  return options.ok() ? "OK" : std::string(options.status().message());
}

absl::StatusOr<ServerOptions> Flags(std::vector<const char*> args, ServerOptions base = {}) {
  args.insert(args.begin(), "ringnats");
  return ParseCommandLine(static_cast<int>(args.size()), args.data(), std::move(base));
}

std::string FlagsError(std::vector<const char*> args) {
  absl::StatusOr<ServerOptions> options = Flags(std::move(args));
  return options.ok() ? "OK" : std::string(options.status().message());
}

TEST(MonitoringOptionsTest, OffByDefault) {
  const ServerOptions options;
  EXPECT_EQ(options.http_port, 0);
  EXPECT_EQ(options.https_port, 0);
  EXPECT_EQ(options.http_host, "");
  EXPECT_EQ(options.http_base_path, "");
}

TEST(MonitoringOptionsTest, HttpPortAndItsAlias) {
  for (const char* key : {"http_port", "monitor_port", "HTTP_PORT", "Monitor_Port"}) {
    absl::StatusOr<ServerOptions> options = Load(std::string(key) + ": 8222\n");
    ASSERT_TRUE(options.ok()) << key << ": " << options.status();
    EXPECT_EQ(options->http_port, 8222) << key;
    EXPECT_EQ(options->http_host, "") << key;  // the client host, resolved at start
  }
}

TEST(MonitoringOptionsTest, HttpPortTakesAnyIntegerUnderDashT) {
  // -1 is a random port; nats-server's -t does not range-check (its start does, below).
  for (const auto& [text, port] : std::vector<std::pair<const char*, int>>{
           {"http_port: -1\n", -1},
           {"http_port: 0\n", 0},
           {"http_port: 99999\n", 99999},
           {"http_port: -5\n", -5},
           {"http_port: 8K\n", 8000},
           {"http_port: 5000000000\n", INT_MAX}}) {
    absl::StatusOr<ServerOptions> options = Load(text);
    ASSERT_TRUE(options.ok()) << text << options.status();
    EXPECT_EQ(options->http_port, port) << text;
  }
}

TEST(MonitoringOptionsTest, HttpTakesAPortOrHostPort) {
  struct Case {
    const char* text;
    const char* host;
    int port;
  };
  for (const Case& c : std::vector<Case>{
           {"http: 8222\n", "", 8222},
           {"http: -1\n", "", -1},
           {"http: 1k\n", "", 1000},
           {"http: \"127.0.0.1:8222\"\n", "127.0.0.1", 8222},
           {"http: 127.0.0.1:8222\n", "127.0.0.1", 8222},
           {"http: \"localhost:8222\"\n", "localhost", 8222},
           {"http: \":8222\"\n", "", 8222},
           {"http: \"[::1]:8222\"\n", "::1", 8222},
           {"http: \"[::1%lo]:8222\"\n", "::1%lo", 8222},
           {"http: \"[]:8222\"\n", "", 8222},
           {"http: \"host:+8222\"\n", "host", 8222},
           {"http: \"host:08222\"\n", "host", 8222},
           {"http: \"host:-1\"\n", "host", -1},
           {"http: \"host:99999\"\n", "host", 99999},
       }) {
    absl::StatusOr<ServerOptions> options = Load(c.text);
    ASSERT_TRUE(options.ok()) << c.text << options.status();
    EXPECT_EQ(options->http_host, c.host) << c.text;
    EXPECT_EQ(options->http_port, c.port) << c.text;
  }
}

TEST(MonitoringOptionsTest, LaterKeysReplaceEarlierOnes) {
  // http_port keeps the host of an earlier `http`; a bare-port `http` clears it.
  absl::StatusOr<ServerOptions> options = Load("http: \"10.0.0.1:8222\"\nhttp_port: 9000\n");
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->http_host, "10.0.0.1");
  EXPECT_EQ(options->http_port, 9000);
  options = Load("http: \"10.0.0.1:8222\"\nhttp: 9000\n");
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->http_host, "");
  EXPECT_EQ(options->http_port, 9000);
}

TEST(MonitoringOptionsTest, HttpBasePath) {
  for (const char* path : {"/nats", "nats", "", "/"}) {
    absl::StatusOr<ServerOptions> options =
        Load(std::string("http_port: 8222\nhttp_base_path: \"") + path + "\"\n");
    ASSERT_TRUE(options.ok()) << path << ": " << options.status();
    EXPECT_EQ(options->http_base_path, path);  // kept as written; the monitor normalises it
  }
}

TEST(MonitoringOptionsTest, BadAddressStrings) {
  // Go's net.SplitHostPort refuses these; nats-server reports them at the key.
  for (const char* address :
       {"8222", "::1:8222", "a:b:c", "[a]b:1", "[host:8222", "host]:8222", "[::1]x:8222", "2s"}) {
    const std::string text = std::string("port: 4222\n   http:     \"") + address + "\"\n";
    EXPECT_EQ(LoadError(text),
              std::string("test.conf:2:4: could not parse address string \"") + address + "\"")
        << address;
  }
}

TEST(MonitoringOptionsTest, BadPorts) {
  // strconv.Atoi: a sign and decimal digits, nothing else, within int64.
  for (const char* port : {"abc", "", " 8222", "0x10", "1_000", "99999999999999999999", "+"}) {
    EXPECT_EQ(LoadError(std::string("http: \"host:") + port + "\"\n"),
              std::string("test.conf:1:0: could not parse port \"") + port + "\"")
        << port;
  }
}

TEST(MonitoringOptionsTest, WrongTypes) {
  EXPECT_EQ(LoadError("http: true\n"), "test.conf:1:0: expected port or host:port, got bool");
  EXPECT_EQ(LoadError("http: 1.5\n"), "test.conf:1:0: expected port or host:port, got float64");
  EXPECT_EQ(LoadError("http: {a: 1}\n"),
            "test.conf:1:0: expected port or host:port, got map[string]interface {}");
  EXPECT_EQ(LoadError("port: 4222\n   http_port:     \"8222\"\n"),
            "test.conf:2:4: interface conversion: interface {} is string, not int64");
  EXPECT_EQ(LoadError("port: 4222\n   monitor_port:     true\n"),
            "test.conf:2:4: interface conversion: interface {} is bool, not int64");
  EXPECT_EQ(LoadError("http_port: 1.5\n"),
            "test.conf:1:0: interface conversion: interface {} is float64, not int64");
  EXPECT_EQ(LoadError("port: 4222\n   http_base_path:     8222\n"),
            "test.conf:2:4: interface conversion: interface {} is int64, not string");
}

TEST(MonitoringOptionsTest, HttpsPortAndAddress) {
  absl::StatusOr<ServerOptions> options = Load("https_port: 8443\n");
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->https_port, 8443);
  EXPECT_EQ(options->http_port, 0);

  // `https` is `http`'s parser: it sets the monitor host too.
  options = Load("https: \"127.0.0.1:8443\"\n");
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->http_host, "127.0.0.1");
  EXPECT_EQ(options->https_port, 8443);
  options = Load("https: 8443\n");
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->http_host, "");
  EXPECT_EQ(options->https_port, 8443);

  EXPECT_EQ(LoadError("port: 4222\n   https_port:     \"8443\"\n"),
            "test.conf:2:4: interface conversion: interface {} is string, not int64");
  EXPECT_EQ(LoadError("https: \"127.0.0.1:x\"\n"), "test.conf:1:0: could not parse port \"x\"");
}

TEST(MonitoringOptionsTest, HttpsChecksAtStart) {
  // -t accepts these; nats-server refuses them when monitoring starts.
  ServerOptions options;
  options.http_port = 8222;
  options.https_port = 8443;
  EXPECT_EQ(ValidateForStart(options).message(),
            "Can't start monitoring: can't specify both HTTP (8222) and HTTPs (8443) ports");
  options.http_port = 0;
  EXPECT_EQ(ValidateForStart(options).message(),
            "Can't start monitoring: TLS cert and key required for HTTPS");
}

TEST(MonitoringOptionsTest, ListenSharesTheHostPortRules) {
  // `listen` and `http` go through the same parser in nats-server (parseListen).
  EXPECT_EQ(LoadError("listen: \"::1:4222\"\n"),
            "test.conf:1:0: could not parse address string \"::1:4222\"");
  EXPECT_EQ(LoadError("listen: \"127.0.0.1:abc\"\n"), "test.conf:1:0: could not parse port \"abc\"");
  EXPECT_EQ(LoadError("listen: true\n"), "test.conf:1:0: expected port or host:port, got bool");
  absl::StatusOr<ServerOptions> options = Load("listen: \"[::1]:4333\"\n");
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->host, "::1");
  EXPECT_EQ(options->port, 4333);
}

TEST(MonitoringOptionsTest, StartRefusesAPortOutOfRange) {
  // nats-server: "[FTL] Can't start monitoring: can't listen to the monitor port: listen
  // tcp: address 99999: invalid port" at start, after -t accepted the file.
  for (int port : {99999, 65536, -5, -2}) {
    ServerOptions options;
    options.http_port = port;
    const absl::Status status = ValidateForStart(options);
    EXPECT_EQ(status.message(),
              "Can't start monitoring: can't listen to the monitor port: listen tcp: address " +
                  std::to_string(port) + ": invalid port");
  }
  for (int port : {-1, 0, 1, 8222, 65535}) {
    ServerOptions options;
    options.http_port = port;
    EXPECT_TRUE(ValidateForStart(options).ok()) << port;
  }
}

TEST(MonitoringFlagsTest, HttpPortFlagSpellings) {
  for (const std::vector<const char*>& args : std::vector<std::vector<const char*>>{
           {"-m", "8222"},
           {"--m", "8222"},
           {"-m=8222"},
           {"--http_port", "8222"},
           {"-http_port", "8222"},
           {"--http_port=8222"}}) {
    absl::StatusOr<ServerOptions> options = Flags(args);
    ASSERT_TRUE(options.ok()) << args[0] << ": " << options.status();
    EXPECT_EQ(options->http_port, 8222) << args[0];
    EXPECT_EQ(options->http_host, "");
  }
}

TEST(MonitoringFlagsTest, ValuesAreGoIntegerLiterals) {
  // Go's flag package parses int flags with strconv.ParseInt(s, 0, 64).
  for (const auto& [text, port] : std::vector<std::pair<const char*, int>>{
           {"-1", -1},
           {"0", 0},
           {"-0", 0},
           {"+5", 5},
           {"0x9C41", 40001},
           {"0X1f", 31},
           {"0x_1F", 31},
           {"0116101", 40001},
           {"0o17", 15},
           {"0b11", 3},
           {"1_000", 1000},
           {"9223372036854775807", INT_MAX},
           {"-9223372036854775808", INT_MIN}}) {
    absl::StatusOr<ServerOptions> options = Flags({"-m", text});
    ASSERT_TRUE(options.ok()) << text << ": " << options.status();
    EXPECT_EQ(options->http_port, port) << text;
  }
}

TEST(MonitoringFlagsTest, BadValues) {
  for (const char* text : {"abc", "", " 8", "1.5", "1e3", "08", "0x", "1__0", "_1", "1_"}) {
    EXPECT_EQ(FlagsError({"-m", text}),
              std::string("invalid value \"") + text + "\" for flag -m: parse error")
        << text;
  }
  EXPECT_EQ(FlagsError({"--http_port="}), "invalid value \"\" for flag -http_port: parse error");
  EXPECT_EQ(FlagsError({"-m", "9223372036854775808"}),
            "invalid value \"9223372036854775808\" for flag -m: value out of range");
  EXPECT_EQ(FlagsError({"-m", "0xFFFFFFFFFFFFFFFFF"}),
            "invalid value \"0xFFFFFFFFFFFFFFFFF\" for flag -m: value out of range");
  EXPECT_EQ(FlagsError({"-m"}), "flag needs an argument: -m");
}

TEST(MonitoringFlagsTest, HttpsPortFlags) {
  for (const std::vector<const char*>& args : std::vector<std::vector<const char*>>{
           {"-ms", "8443"}, {"--ms=8443"}, {"--https_port", "8443"}, {"-https_port=8443"}}) {
    absl::StatusOr<ServerOptions> options = Flags(args);
    ASSERT_TRUE(options.ok()) << options.status();
    EXPECT_EQ(options->https_port, 8443);
  }
  EXPECT_EQ(FlagsError({"-ms", "x"}), "invalid value \"x\" for flag -ms: parse error");
  EXPECT_EQ(FlagsError({"--https_port"}), "flag needs an argument: -https_port");
}

TEST(MonitoringFlagsTest, NoHostOrBasePathFlag) {
  // nats-server 2.9.10 has neither; the host comes from the file or the client host.
  EXPECT_EQ(FlagsError({"--http_host", "x"}), "flag provided but not defined: -http_host");
  EXPECT_EQ(FlagsError({"--http_base_path", "/x"}),
            "flag provided but not defined: -http_base_path");
}

TEST(MonitoringFlagsTest, FlagOverridesTheFileAndKeepsItsHost) {
  // nats-server: `http: "localhost:44301"` with -m 44302 serves on localhost:44302.
  absl::StatusOr<ServerOptions> file =
      Load("http: \"localhost:8222\"\nhttp_base_path: \"/nats\"\n");
  ASSERT_TRUE(file.ok()) << file.status();
  absl::StatusOr<ServerOptions> merged = Flags({"-m", "9000"}, *file);
  ASSERT_TRUE(merged.ok()) << merged.status();
  EXPECT_EQ(merged->http_host, "localhost");
  EXPECT_EQ(merged->http_port, 9000);
  EXPECT_EQ(merged->http_base_path, "/nats");
  // At start nats-server applies the flags over the file, so -m 0 turns monitoring off.
  merged = Flags({"-m", "0"}, *file);
  ASSERT_TRUE(merged.ok()) << merged.status();
  EXPECT_EQ(merged->http_port, 0);
  // Without -m the file's port stays.
  merged = Flags({"-p", "5222"}, *file);
  ASSERT_TRUE(merged.ok()) << merged.status();
  EXPECT_EQ(merged->http_port, 8222);
}

TEST(MonitoringFlagsTest, UsageListsTheFlag) {
  EXPECT_NE(std::string(UsageText()).find("-m, --http_port <port>"), std::string::npos);
}

}  // namespace
}  // namespace ringnats::config
