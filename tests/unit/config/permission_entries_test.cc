// Permission entries in the authorization block must be subjects, or "subject queue", as
// nats-server 2.9.10 checks them (every reason and quoting below was observed with
// `nats-server -t`). nats-server names the allow/deny key for the map form and no position
// for the plain forms; ringnats names the entry there.

#include <gtest/gtest.h>

#include <string>

#include "ringnats/auth/permissions.h"
#include "ringnats/config/config_parser.h"
#include "ringnats/config/options_from_config.h"

namespace ringnats::config {
namespace {

std::string EntryError(std::string_view entry) {
  const absl::Status status = auth::CheckPermissionEntry(entry);
  return status.ok() ? "ok" : std::string(status.message());
}

TEST(PermissionEntryTest, SubjectsAndQueueEntriesPass) {
  const char* const kEntries[] = {"foo",
                                  "*",
                                  ">",
                                  "a.*.b",
                                  "a.b.>",
                                  "a*.b",
                                  "a.b*",
                                  "a.>b",
                                  "foo.> queue",
                                  "foo.>  queue",
                                  "foo bar.*",
                                  "foo ba..r",
                                  "foo *",
                                  "foo >",
                                  "foo\tbar",
                                  "foo\nbar",
                                  " foo bar",
                                  "a\vb",
                                  "a\302\240b",
                                  "a\342\200\250b..c",
                                  "\343\200\200foo bar"};
  for (const char* entry : kEntries) {
    EXPECT_EQ(EntryError(entry), "ok") << entry;
  }
}

TEST(PermissionEntryTest, InvalidEntriesNameWhatNatsServerNames) {
  struct Case {
    std::string entry;
    std::string reason;
  };
  const Case cases[] = {
      {">.x", R"(subject ">.x" is not a valid subject)"},
      {"orders.>.secret", R"(subject "orders.>.secret" is not a valid subject)"},
      {"a.b.>.>", R"(subject "a.b.>.>" is not a valid subject)"},
      {"a..b", R"(subject "a..b" is not a valid subject)"},
      {".a", R"(subject ".a" is not a valid subject)"},
      {"a.", R"(subject "a." is not a valid subject)"},
      {".", R"(subject "." is not a valid subject)"},
      {"", R"(subject "" is not a valid subject)"},
      {"a b c", R"(subject "a b c" is not a valid subject)"},
      {"foo queue extra", R"(subject "foo queue extra" is not a valid subject)"},
      {" foo", R"(subject " foo" is not a valid subject)"},
      {"foo ", R"(subject "foo " is not a valid subject)"},
      {"foo  ", R"(subject "foo  " is not a valid subject)"},
      // Two fields: the subject alone is named.
      {"a..b queue", R"(subject "a..b" is not a valid subject)"},
      {">.x queue", R"(subject ">.x" is not a valid subject)"},
      {"a. q", R"(subject "a." is not a valid subject)"},
      {"a..b\tc", R"(subject "a..b" is not a valid subject)"},
      {"a..b\vc", R"(subject "a..b" is not a valid subject)"},
      {"a..b\302\240c", R"(subject "a..b" is not a valid subject)"},
      {"a..b\302\205c", R"(subject "a..b" is not a valid subject)"},
      {"a..b\342\200\250c", R"(subject "a..b" is not a valid subject)"},
      // Go's %q quoting.
      {"a..b\"c", R"(subject "a..b\"c" is not a valid subject)"},
      {"a..b\\c", R"(subject "a..b\\c" is not a valid subject)"},
      {"a..b\001c", R"(subject "a..b\x01c" is not a valid subject)"},
      {"a..b\177c", R"(subject "a..b\x7fc" is not a valid subject)"},
      {"a..b\377c", R"(subject "a..b\xffc" is not a valid subject)"},
      {"a..b\303\251c", "subject \"a..b\303\251c\" is not a valid subject"},
      {"a..b\302\255c", R"(subject "a..b\u00adc" is not a valid subject)"},
      {"a..b\342\200\213c", R"(subject "a..b\u200bc" is not a valid subject)"},
      {"a\342\200\203b c", R"(subject "a\u2003b c" is not a valid subject)"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(EntryError(c.entry), c.reason) << c.entry;
  }
}

absl::StatusOr<ConfigLoad> Load(std::string_view text) {
  absl::StatusOr<ConfigValue> root = ParseConfigString(text, "test.conf", ".");
  if (!root.ok()) return root.status();
  return OptionsFromConfig(*root, ServerOptions{});
}

std::string LoadError(std::string_view text) {
  absl::StatusOr<ConfigLoad> load = Load(text);
  return load.ok() ? "loaded" : std::string(load.status().message());
}

std::string UserPermissions(std::string_view permissions) {
  return "authorization {\n  users = [\n    {user: a, password: b, permissions: {\n      " +
         std::string(permissions) + "\n    }}\n  ]\n}\n";
}

TEST(PermissionEntryTest, PlainFormsNameTheEntry) {
  EXPECT_EQ(LoadError(UserPermissions(R"(publish: ">.x")")),
            R"(test.conf:4:7: subject ">.x" is not a valid subject)");
  EXPECT_EQ(LoadError(UserPermissions(R"(subscribe: ["ok", "orders.>.secret"])")),
            R"(test.conf:4:25: subject "orders.>.secret" is not a valid subject)");
  EXPECT_EQ(LoadError(UserPermissions(R"(sub: "a b c")")),
            R"(test.conf:4:7: subject "a b c" is not a valid subject)");
  EXPECT_EQ(LoadError(UserPermissions(R"(pub: [""])")),
            R"(test.conf:4:13: subject "" is not a valid subject)");
}

TEST(PermissionEntryTest, MapFormNamesTheAllowOrDenyKey) {
  EXPECT_EQ(LoadError(UserPermissions(R"(publish: {allow: ["ok", "a..b"]})")),
            R"(test.conf:4:17: subject "a..b" is not a valid subject)");
  EXPECT_EQ(LoadError(UserPermissions(R"(subscribe: {allow: ">", deny: "a..b queue"})")),
            R"(test.conf:4:31: subject "a..b" is not a valid subject)");
}

TEST(PermissionEntryTest, TypeErrorsComeFirst) {
  EXPECT_EQ(LoadError(UserPermissions(R"(publish: ["a..b", 1 ])")),
            "test.conf:4:25: Subject in permissions array cannot be cast to string");
}

TEST(PermissionEntryTest, DefaultAndSingleUserPermissionsAreChecked) {
  EXPECT_EQ(LoadError("authorization {\n  default_permissions: {subscribe: [\"a\", \">.x\"]}\n"
                      "  users = [ {user: a, password: b} ]\n}\n"),
            R"(test.conf:2:42: subject ">.x" is not a valid subject)");
  EXPECT_EQ(
      LoadError("authorization {\n  default_permissions {\n    publish {\n"
                "      deny: \"secret.\"\n    }\n  }\n  users = [ {user: a, password: b} ]\n}\n"),
      R"(test.conf:4:7: subject "secret." is not a valid subject)");
  EXPECT_EQ(LoadError("authorization {\n  user: a\n  password: b\n"
                      "  permissions: {publish: \"a b c\"}\n}\n"),
            R"(test.conf:4:17: subject "a b c" is not a valid subject)");
}

TEST(PermissionEntryTest, QueueEntriesLoad) {
  absl::StatusOr<ConfigLoad> load = Load(
      UserPermissions(R"(subscribe: {allow: ["foo.> workers", "bar  q", "> *"], deny: "x.* q"}, )"
                      R"(publish: "foo.> queue")"));
  ASSERT_TRUE(load.ok()) << load.status();
  const auth::User& user = load->options.authorization.users.at("a");
  ASSERT_TRUE(user.permissions.has_value());
  EXPECT_EQ(user.permissions->subscribe.allow,
            (std::vector<std::string>{"foo.> workers", "bar  q", "> *"}));
  EXPECT_EQ(user.permissions->subscribe.deny, (std::vector<std::string>{"x.* q"}));
  EXPECT_EQ(user.permissions->publish.allow, (std::vector<std::string>{"foo.> queue"}));
}

}  // namespace
}  // namespace ringnats::config
