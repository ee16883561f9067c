// The cluster options (`cluster { ... }`, the cluster flags, route URLs) as nats-server
// 2.9.10 reads them. Every accepted form and message here was observed on Debian's
// nats-server (`-t -c FILE`, flags at start).

#include "ringnats/config/cluster_options.h"

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

absl::StatusOr<ConfigLoad> LoadWithWarnings(std::string_view text) {
  absl::StatusOr<ConfigValue> root = ParseConfigString(text, "t.conf", ".");
  if (!root.ok()) return root.status();
  return OptionsFromConfig(*root, ServerOptions{});
}

absl::StatusOr<ClusterOptions> Load(std::string_view text) {
  absl::StatusOr<ConfigLoad> load = LoadWithWarnings(text);
  if (!load.ok()) return load.status();
  if (!load->warnings.empty()) return absl::InvalidArgumentError(load->warnings.front());
  return load->options.cluster;
}

// The error (or the first warning, which -t refuses), or "OK".
std::string LoadError(std::string_view text) {
  absl::StatusOr<ClusterOptions> options = Load(text);
  return options.ok() ? "OK" : std::string(options.status().message());
}

absl::StatusOr<ServerOptions> Flags(std::vector<const char*> args, ServerOptions base = {}) {
  args.insert(args.begin(), "ringnats");
  return ParseCommandLine(static_cast<int>(args.size()), args.data(), std::move(base));
}

std::string FlagsError(std::vector<const char*> args, ServerOptions base = {}) {
  absl::StatusOr<ServerOptions> options = Flags(std::move(args), std::move(base));
  return options.ok() ? "OK" : std::string(options.status().message());
}

std::string UrlError(std::string_view text) {
  absl::StatusOr<RouteUrl> url = ParseRouteUrl(text);
  return url.ok() ? "OK" : std::string(url.status().message());
}

TEST(ClusterOptionsTest, OffByDefault) {
  const ServerOptions options;
  EXPECT_FALSE(options.cluster.enabled());
  EXPECT_EQ(options.cluster.port, 0);
  EXPECT_EQ(options.cluster.auth_timeout, absl::Seconds(2));
  EXPECT_TRUE(options.cluster.routes.empty());
  EXPECT_FALSE(options.cluster.permissions.has_value());
}

TEST(ClusterOptionsTest, EveryKey) {
  absl::StatusOr<ClusterOptions> c = Load(R"(
cluster {
  name: c1
  listen: 127.0.0.1:6333
  advertise: "10.0.0.1:6333"
  no_advertise: true
  connect_retries: 5
  authorization { user: ru, password: "$2a$11$abcdefghijklmnopqrstuuK0Q4J0nmFq4HO8Xc3Gj5zVdZ5lH1pnS", timeout: 0.5 }
  routes = [
    nats-route://ru:rp@127.0.0.1:6334
    "nats://127.0.0.1:6335"
  ]
  permissions { import: {allow: "a.>", deny: "a.b"}, export: [c, d] }
}
)");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->name, "c1");
  EXPECT_EQ(c->host, "127.0.0.1");
  EXPECT_EQ(c->port, 6333);
  EXPECT_EQ(c->advertise, "10.0.0.1:6333");
  EXPECT_TRUE(c->no_advertise);
  EXPECT_EQ(c->connect_retries, 5);
  EXPECT_EQ(c->user, "ru");
  EXPECT_EQ(c->password, "$2a$11$abcdefghijklmnopqrstuuK0Q4J0nmFq4HO8Xc3Gj5zVdZ5lH1pnS");
  EXPECT_EQ(c->auth_timeout, absl::Milliseconds(500));
  ASSERT_EQ(c->routes.size(), 2u);
  EXPECT_EQ(c->routes[0].scheme, "nats-route");
  EXPECT_EQ(c->routes[0].user, "ru");
  EXPECT_EQ(c->routes[0].password, "rp");
  EXPECT_EQ(c->routes[0].host, "127.0.0.1");
  EXPECT_EQ(c->routes[0].port, 6334);
  EXPECT_EQ(c->routes[0].HostPort(), "127.0.0.1:6334");
  EXPECT_EQ(c->routes[1].scheme, "nats");
  EXPECT_FALSE(c->routes[1].has_user);
  EXPECT_EQ(c->routes[1].port, 6335);
  ASSERT_TRUE(c->permissions.has_value());
  EXPECT_EQ(c->permissions->imports.allow, std::vector<std::string>{"a.>"});
  EXPECT_EQ(c->permissions->imports.deny, std::vector<std::string>{"a.b"});
  EXPECT_EQ(c->permissions->exports.allow, (std::vector<std::string>{"c", "d"}));
}

TEST(ClusterOptionsTest, AliasesAndForms) {
  absl::StatusOr<ClusterOptions> c =
      Load("cluster { net: h, port: 7000, cluster_advertise: zz, NAME: \"a b\" }");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->host, "h");
  EXPECT_EQ(c->port, 7000);
  EXPECT_EQ(c->advertise, "zz");
  EXPECT_EQ(c->name, "a b");  // 2.9.10 takes blanks in a cluster name
  c = Load("cluster { listen: 6222 }");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->host, "");
  EXPECT_EQ(c->port, 6222);
  c = Load("cluster { listen: \"[::1]:-1\" }");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->host, "::1");
  EXPECT_EQ(c->port, -1);
  c = Load("cluster { host: h, listen: 6222 }");  // listen with a port alone clears the host
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->host, "");
  c = Load(
      "cluster { authorization { user: a, password: b }, permissions { publish: x, "
      "subscribe: y } }");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->auth_timeout, absl::Seconds(2));
  EXPECT_EQ(c->permissions->imports.allow, std::vector<std::string>{"x"});
  EXPECT_EQ(c->permissions->exports.allow, std::vector<std::string>{"y"});
  c = Load("cluster { authorization { user: a, timeout: 3 } }");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->auth_timeout, absl::Seconds(3));
  EXPECT_EQ(c->password, "");
  c = Load("cluster { authorization { user: a, timeout: \"x\" } }");  // not a number: 1 s
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->auth_timeout, absl::Seconds(1));
  c = Load("cluster { permissions { import: a, allow_responses: false } }");
  ASSERT_TRUE(c.ok()) << c.status();
  c = Load("cluster { connect_retries: -5, routes: [] }");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->connect_retries, -5);
}

TEST(ClusterOptionsTest, RoutesAcceptWhatGoUrlParseAccepts) {
  // nats-server only checks url.Parse; a URL without host or port fails when dialled.
  for (const char* route :
       {"a", "", "nats://a:", "nats://a:99999", "nats://u@a:1", "nats://u:p:q@a:1",
        "nats://u:p@q@a:1", "nats://a:1/path?x=1#f", "nats://u:p%41@a:1", "NATS-ROUTE://A:1",
        "nats://[::1]:1", "nats://::1:1", " nats://a:1 "}) {
    EXPECT_EQ(LoadError(std::string("cluster { routes: [\"") + route + "\"] }"), "OK") << route;
  }
  absl::StatusOr<ClusterOptions> c = Load("cluster { routes: [\"NATS-ROUTE://u:p%41@[::1]:1\"] }");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->routes[0].scheme, "nats-route");
  EXPECT_EQ(c->routes[0].password, "pA");
  EXPECT_EQ(c->routes[0].host, "::1");
  EXPECT_EQ(c->routes[0].HostPort(), "[::1]:1");
}

TEST(ClusterOptionsTest, BadRouteUrls) {
  for (const char* route :
       {"nats://u:p@a:x", "::x", "http://a b", "%zz", "nats://a:-1", "1nats://a:1", "://a:1",
        "nats://a%20b:1", "nats://u%zz:p@a:1", "nats://[::1:1", "nats://a:1x"}) {
    const std::string expected =
        std::string("t.conf:1:20: error parsing route url [\"") + RedactUrlText(route) + "\"]";
    EXPECT_EQ(LoadError(std::string("cluster { routes: [\"") + route + "\"] }"), expected) << route;
  }
  // The second element, at its own position.
  EXPECT_EQ(LoadError("cluster { routes: [\"nats://u:p@a:1\", \"::x\"] }"),
            "t.conf:1:38: error parsing route url [\"::x\"]");
}

TEST(ClusterOptionsTest, RouteErrorsNeverShowThePassword) {
  const std::string error = LoadError("cluster { routes: [\"nats://ru:secret@a:x\"] }");
  EXPECT_EQ(error, "t.conf:1:20: error parsing route url [\"nats://ru:xxxxx@a:x\"]");
  const std::string warning =
      LoadError("cluster { routes: [\"nats://ru:secret@a:1\",\n\"nats://ru:secret@a:1\" ] }");
  EXPECT_EQ(warning,
            "t.conf:2:2: invalid use of field \"nats://ru:xxxxx@a:1\": Duplicate route entry "
            "detected");
  EXPECT_EQ(FlagsError({"--cluster", "nats://u:secret@127.0.0.1:x"}),
            "parse \"nats://u:xxxxx@127.0.0.1:x\": invalid port \":x\" after host");
  EXPECT_EQ(FlagsError({"--routes", "nats://u:secret@a b:1"}).find("secret"), std::string::npos);
}

TEST(ClusterOptionsTest, DuplicateRouteIsAWarningAndDropped) {
  absl::StatusOr<ConfigLoad> load =
      LoadWithWarnings("cluster { routes: [nats://a:1, nats://a:1 ] }");
  ASSERT_TRUE(load.ok()) << load.status();
  ASSERT_EQ(load->warnings.size(), 1u);
  EXPECT_EQ(load->warnings[0],
            "t.conf:1:31: invalid use of field \"nats://a:1\": Duplicate route entry detected");
  EXPECT_EQ(load->options.cluster.routes.size(), 1u);
  // Compared as written: a blank makes it another entry.
  EXPECT_EQ(LoadError("cluster { routes: [\"nats://a:1\", \" nats://a:1 \"] }"), "OK");
}

TEST(ClusterOptionsTest, Errors) {
  struct Case {
    const char* text;
    const char* error;
  };
  for (const Case& c : std::vector<Case>{
           {"routes = [nats://a:1 ]", "t.conf:1:0: unknown field \"routes\""},
           {"cluster { pool_size: 3 }", "t.conf:1:10: unknown field \"pool_size\""},
           {"cluster { foo: 1 }", "t.conf:1:10: unknown field \"foo\""},
           {"cluster { name: 5 }",
            "t.conf:1:10: interface conversion: interface {} is int64, not string"},
           {"cluster: 5", "t.conf:1:0: Expected map to define cluster, got int64"},
           {"cluster { routes: \"nats://a:1\" }",
            "t.conf:1:10: interface conversion: interface {} is string, not []interface {}"},
           {"cluster { authorization { user: a, token: b } }",
            "t.conf:1:10: Cluster authorization does not support tokens"},
           {"cluster { authorization { token: b } }",
            "t.conf:1:10: Cluster authorization does not support tokens"},
           {"cluster { authorization { users: [{user: a}] } }",
            "t.conf:1:10: Cluster authorization does not allow multiple users"},
           {"cluster { authorization { users: [] } }",
            "t.conf:1:10: Cluster authorization does not allow multiple users"},
           {"cluster { authorization { user: a, password: b, permissions: { import: a } } }",
            "t.conf:1:10: invalid use of field \"authorization\": setting \"permissions\" within "
            "cluster authorization block is deprecated"},
           {"cluster { authorization { user: a, password: b, permissions: 5 } }",
            "t.conf:1:48: Expected permissions to be a map/struct, got 5"},
           {"cluster { authorization { user: a, foo: 1 } }", "t.conf:1:35: unknown field \"foo\""},
           {"cluster { authorization: 5 }",
            "t.conf:1:10: interface conversion: interface {} is int64, not map[string]interface "
            "{}"},
           {"cluster { permissions: { import: a, allow_responses: true } }",
            "t.conf:1:10: Cluster permissions do not support dynamic responses"},
           {"cluster { permissions: { foo: a } }",
            "t.conf:1:25: Unknown field \"foo\" parsing permissions"},
           {"cluster { no_advertise: 1 }",
            "t.conf:1:10: interface conversion: interface {} is int64, not bool"},
           {"cluster { connect_retries: \"1\" }",
            "t.conf:1:10: interface conversion: interface {} is string, not int64"},
           {"cluster { advertise: 5 }",
            "t.conf:1:10: interface conversion: interface {} is int64, not string"},
           {"cluster { listen: \"abc\" }", "t.conf:1:10: could not parse address string \"abc\""},
           {"cluster { port: \"1\" }",
            "t.conf:1:10: interface conversion: interface {} is string, not int64"},
           {"cluster { host: 1 }",
            "t.conf:1:10: interface conversion: interface {} is int64, not string"},
       }) {
    EXPECT_EQ(LoadError(c.text), c.error) << c.text;
  }
  EXPECT_EQ(LoadError("cluster { permissions: 5 }"),
            "t.conf:1:10: Expected permissions to be a map/struct, got 5");
}

TEST(ClusterOptionsTest, EmptyTlsBlockIsRefused) {
  // nats-server accepts it and then fails every route handshake (no certificate).
  EXPECT_EQ(LoadError("cluster {\n  tls { }\n}"),
            "t.conf:2:3: a tls block without 'cert_file' and 'key_file' is not supported by "
            "ringnats (nats-server accepts it, then fails every TLS handshake)");
}

TEST(ClusterOptionsTest, ClientPermissionMessagesMatchNatsServer) {
  EXPECT_EQ(LoadError("authorization { permissions: { foo: a } }"),
            "t.conf:1:31: Unknown field \"foo\" parsing permissions");
  EXPECT_EQ(LoadError("authorization { permissions: 5 }"),
            "t.conf:1:16: Expected permissions to be a map/struct, got 5");
}

TEST(RouteUrlTest, GoReasons) {
  EXPECT_EQ(UrlError("::x"), "missing protocol scheme");
  EXPECT_EQ(UrlError("127.0.0.1:6222"), "first path segment in URL cannot contain colon");
  EXPECT_EQ(UrlError("nats://a:x"), "invalid port \":x\" after host");
  EXPECT_EQ(UrlError("%zz"), "invalid URL escape \"%zz\"");
  EXPECT_EQ(UrlError("nats://a%20b:1"), "invalid URL escape \"%20\"");
  EXPECT_EQ(UrlError("nats://a b:1"), "invalid character \" \" in host name");
  EXPECT_EQ(UrlError("nats://[::1:1"), "missing ']' in host");
  EXPECT_EQ(UrlError("nats://u s:p@a:1"), "net/url: invalid userinfo");
  EXPECT_EQ(UrlError("nats://a:1\t"), "net/url: invalid control character in URL");
  EXPECT_EQ(UrlError("nats://a:1#%zz"), "invalid URL escape \"%zz\"");
  EXPECT_EQ(UrlError("nats:opaque:1"), "OK");
  EXPECT_EQ(UrlError("*"), "OK");
}

TEST(RouteUrlTest, RedactedAndEquality) {
  absl::StatusOr<RouteUrl> url = ParseRouteUrl("nats-route://ru:rp@127.0.0.1:16021");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(url->Redacted(), "nats-route://ru:xxxxx@127.0.0.1:16021");
  absl::StatusOr<RouteUrl> same = ParseRouteUrl("NATS-ROUTE://ru:rp@127.0.0.1:16021");
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(*url, *same);
  absl::StatusOr<RouteUrl> other = ParseRouteUrl("nats-route://ru:rq@127.0.0.1:16021");
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(*url == *other);  // a password change is a route removed and one added
  EXPECT_EQ(ParseRouteUrl("nats://u@h:1")->Redacted(), "nats://u@h:1");
  EXPECT_EQ(ParseRouteUrl("nats://h:1/p?q")->Redacted(), "nats://h:1/p?q");
  EXPECT_EQ(RedactUrlText("nats://u:p@a:x"), "nats://u:xxxxx@a:x");
  EXPECT_EQ(RedactUrlText("nats://u:p@q@a:x/y"), "nats://u:xxxxx@a:x/y");
  EXPECT_EQ(RedactUrlText("nats://u@a:x"), "nats://u@a:x");
  EXPECT_EQ(RedactUrlText("%zz"), "%zz");
}

TEST(ClusterFlagsTest, ClusterUrlSetsTheListener) {
  absl::StatusOr<ServerOptions> o = Flags({"--cluster", "nats://0.0.0.0:6222"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->cluster.host, "0.0.0.0");
  EXPECT_EQ(o->cluster.port, 6222);
  o = Flags({"-cluster_listen=nats://127.0.0.1:-1"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->cluster.host, "127.0.0.1");
  EXPECT_EQ(o->cluster.port, -1);
  o = Flags({"--cluster", "nats://:-1"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->cluster.host, "");
  EXPECT_EQ(o->cluster.port, -1);
  // Go's fmt.Sscan: a leading 0 is octal, read up to the first non-octal digit.
  o = Flags({"--cluster", "nats://127.0.0.1:016001"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->cluster.port, 7169);
  o = Flags({"--cluster", "nats://127.0.0.1:09"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->cluster.port, 0);
  o = Flags({"--cluster", "nats://ru:rp@127.0.0.1:6222"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->cluster.user, "ru");
  EXPECT_EQ(o->cluster.password, "rp");
}

TEST(ClusterFlagsTest, ClusterUrlErrors) {
  EXPECT_EQ(FlagsError({"--cluster", "nats://u@127.0.0.1:-1"}),
            "expected cluster password to be set");
  EXPECT_EQ(FlagsError({"--cluster", "127.0.0.1:6222"}),
            "parse \"127.0.0.1:6222\": first path segment in URL cannot contain colon");
  EXPECT_EQ(FlagsError({"--cluster", "nats://127.0.0.1"}),
            "address 127.0.0.1: missing port in address");
  EXPECT_EQ(FlagsError({"--cluster", "a"}), "missing port in address");
  EXPECT_EQ(FlagsError({"--cluster", "nats://127.0.0.1:abc"}),
            "parse \"nats://127.0.0.1:abc\": invalid port \":abc\" after host");
  EXPECT_EQ(FlagsError({"--cluster", "%zz"}), "parse \"%zz\": invalid URL escape \"%zz\"");
  EXPECT_EQ(FlagsError({"--cluster", "nats://u:p@[::1:-1"}),
            "parse \"nats://u:xxxxx@[::1:0\": missing ']' in host");
  EXPECT_EQ(FlagsError({"--cluster", "nats://127.0.0.1:"}), "EOF");
  EXPECT_EQ(FlagsError({"--cluster", "nats://127.0.0.1:99999999999999999999"}),
            "strconv.ParseInt: parsing \"99999999999999999999\": value out of range");
  EXPECT_EQ(FlagsError({"--connect_retries", "abc"}),
            "invalid value \"abc\" for flag -connect_retries: parse error");
  EXPECT_EQ(FlagsError({"--cluster"}), "flag needs an argument: -cluster");
}

TEST(ClusterFlagsTest, DashTDoesNotResolveTheClusterFlags) {
  // nats-server's -t stops before it applies --cluster and --routes.
  EXPECT_EQ(FlagsError({"-t", "--cluster", "127.0.0.1:6222", "--routes", "%zz"}), "OK");
  EXPECT_EQ(FlagsError({"--cluster", "127.0.0.1:6222", "-t"}), "OK");
}

TEST(ClusterFlagsTest, OtherFlags) {
  absl::StatusOr<ServerOptions> o = Flags({"--cluster_name", "c", "--cluster_advertise", "h:1",
                                           "--no_advertise", "--connect_retries", "0x10"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->cluster.name, "c");
  EXPECT_EQ(o->cluster.advertise, "h:1");
  EXPECT_TRUE(o->cluster.no_advertise);
  EXPECT_EQ(o->cluster.connect_retries, 16);
  o = Flags({"--no_advertise=false"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_FALSE(o->cluster.no_advertise);
}

TEST(ClusterFlagsTest, RoutesFlag) {
  absl::StatusOr<ServerOptions> o = Flags({"--cluster", "nats://127.0.0.1:-1", "--routes",
                                           "nats://127.0.0.1:1, ,nats-route://u:p@127.0.0.1:2"});
  ASSERT_TRUE(o.ok()) << o.status();
  ASSERT_EQ(o->cluster.routes.size(), 3u);  // the blank entry is an empty URL, as in Go
  EXPECT_EQ(o->cluster.routes[0].port, 1);
  EXPECT_EQ(o->cluster.routes[1].HostPort(), "");
  EXPECT_EQ(o->cluster.routes[2].user, "u");
  EXPECT_EQ(FlagsError({"--routes", "%zz"}),
            "flag -routes: parse \"%zz\": invalid URL escape "
            "\"%zz\"");
}

TEST(ClusterFlagsTest, FlagsOverrideTheFile) {
  absl::StatusOr<ConfigLoad> file = LoadWithWarnings(
      "cluster { name: f, listen: 127.0.0.1:6222, authorization { user: ru, password: rp }, "
      "routes: [nats://127.0.0.1:7000], connect_retries: 3 }");
  ASSERT_TRUE(file.ok()) << file.status();
  // --routes replaces the file's routes; --cluster replaces host, port and credentials.
  absl::StatusOr<ServerOptions> o = Flags(
      {"--routes", "nats://127.0.0.1:8000", "--cluster", "nats://0.0.0.0:6333"}, file->options);
  ASSERT_TRUE(o.ok()) << o.status();
  ASSERT_EQ(o->cluster.routes.size(), 1u);
  EXPECT_EQ(o->cluster.routes[0].port, 8000);
  EXPECT_EQ(o->cluster.host, "0.0.0.0");
  EXPECT_EQ(o->cluster.port, 6333);
  EXPECT_EQ(o->cluster.user, "");  // no credentials in the URL: the file's are cleared
  EXPECT_EQ(o->cluster.password, "");
  EXPECT_EQ(o->cluster.name, "f");
  EXPECT_EQ(o->cluster.connect_retries, 3);
  // --routes "" removes them; --cluster "" turns the listener off (the host stays).
  o = Flags({"--routes=", "--cluster="}, file->options);
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_TRUE(o->cluster.routes.empty());
  EXPECT_EQ(o->cluster.port, 0);
  EXPECT_EQ(o->cluster.host, "127.0.0.1");
  // Without cluster flags the file stands.
  o = Flags({"-p", "5222"}, file->options);
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->cluster.routes.size(), 1u);
  EXPECT_EQ(o->cluster.user, "ru");
}

TEST(ClusterFlagsTest, RoutesFlagNeedsAClusterAtStart) {
  absl::StatusOr<ServerOptions> o = Flags({"--routes", "nats://127.0.0.1:1"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(ValidateForStart(*o).message(),
            "solicited routes require cluster capabilities, e.g. --cluster");
  o = Flags({"--cluster", "", "--routes", "nats://127.0.0.1:1"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(ValidateForStart(*o).message(),
            "solicited routes require cluster capabilities, e.g. --cluster");
  o = Flags({"--cluster", "nats://127.0.0.1:-1", "--routes", "nats://127.0.0.1:1"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_TRUE(ValidateForStart(*o).ok());
  absl::StatusOr<ConfigLoad> file = LoadWithWarnings("cluster { port: 6222 }");
  ASSERT_TRUE(file.ok());
  o = Flags({"--routes", "nats://127.0.0.1:1"}, file->options);
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_TRUE(ValidateForStart(*o).ok());
}

TEST(ClusterFlagsTest, AdvertiseCheckedAtStart) {
  ServerOptions o;
  o.cluster.port = -1;
  for (const char* good : {"1.2.3.4:5", "host", "[::1]:5", " h : 5"}) {
    o.cluster.advertise = good;
    EXPECT_TRUE(ValidateForStart(o).ok()) << good;
  }
  o.cluster.advertise = "1.2.3.4:x";
  EXPECT_EQ(ValidateForStart(o).message(),
            "Error setting route INFO with Cluster.Advertise value of 1.2.3.4:x, "
            "err=strconv.Atoi: parsing \"x\": invalid syntax");
  o.cluster.advertise = "a:b:c";
  EXPECT_EQ(ValidateForStart(o).message(),
            "Error setting route INFO with Cluster.Advertise value of a:b:c, err=address a:b:c: "
            "too many colons in address");
  o.cluster.port = 0;  // no cluster listener: not looked at
  EXPECT_TRUE(ValidateForStart(o).ok());
}

TEST(ClusterFlagsTest, UsageListsTheFlags) {
  const std::string usage = UsageText();
  for (const char* flag : {"--routes", "--cluster <", "--cluster_name", "--no_advertise",
                           "--cluster_advertise", "--connect_retries", "--cluster_listen"}) {
    EXPECT_NE(usage.find(flag), std::string::npos) << flag;
  }
}

}  // namespace
}  // namespace ringnats::config
