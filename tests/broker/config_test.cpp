// The plugin's options and files (broker/auth_config.hpp): what start-up accepts, and that each
// refusal names the file, the line and the problem without ever quoting a key or a hash.

#include <boost/test/unit_test.hpp>

#include <pwd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include "broker/auth_config.hpp"
#include "broker_test_support.hpp"

using namespace meross::broker;
using meross::test::broker::kKey1;
using meross::test::broker::kKey2;
using meross::test::broker::pbkdf2_hash;
using meross::test::broker::ScratchDir;

namespace {

std::string message_of(const meross::protocol::Error& error) {
  return error.message;
}

template <class T>
std::string error_of(const meross::protocol::Result<T>& result) {
  BOOST_REQUIRE(!result.ok());
  return message_of(result.error());
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// The key files of the error cases all hold these keys, none of which may show in an error.
void check_no_key(const std::string& message) {
  for (const std::string& secret : std::vector<std::string>{kKey1, kKey2, std::string("s3cr3t")}) {
    BOOST_TEST(!contains(message, secret), message);
  }
}

// read_key_file() as an unprivileged user, in a child process (root reads any file).
std::string read_as_nobody(const std::string& path) {
  const passwd* nobody = ::getpwnam("nobody");
  BOOST_REQUIRE(nobody != nullptr);
  int fds[2];
  BOOST_REQUIRE(::pipe(fds) == 0);
  const pid_t pid = ::fork();
  BOOST_REQUIRE(pid >= 0);
  if (pid == 0) {
    ::close(fds[0]);
    if (::setgid(nobody->pw_gid) != 0 || ::setuid(nobody->pw_uid) != 0) ::_exit(2);
    const auto keys = read_key_file(path);
    const std::string out = keys.ok() ? "OK" : keys.error().message;
    const ssize_t written = ::write(fds[1], out.data(), out.size());
    ::_exit(written == static_cast<ssize_t>(out.size()) ? 0 : 3);
  }
  ::close(fds[1]);
  std::string out;
  char buffer[512];
  ssize_t n = 0;
  while ((n = ::read(fds[0], buffer, sizeof buffer)) > 0)
    out.append(buffer, static_cast<std::size_t>(n));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  BOOST_REQUIRE(WIFEXITED(status));
  BOOST_REQUIRE(WEXITSTATUS(status) == 0);
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(key_file)

BOOST_AUTO_TEST_CASE(keys_comments_blank_lines_and_whitespace) {
  ScratchDir dir;
  const auto path = dir.write("keys",
                              "# Meross keys\n\n  " + kKey1 + "  \r\n\t" + kKey2 +
                                  "\n   # indented comment\n \t \nlast-key-no-newline",
                              0600);
  const auto keys = read_key_file(path);
  BOOST_REQUIRE(keys.ok());
  BOOST_TEST(keys->size() == 3u);
  BOOST_TEST(keys->at(0) == kKey1);
  BOOST_TEST(keys->at(1) == kKey2);
  BOOST_TEST(keys->at(2) == "last-key-no-newline");
  // Owner read-only is fine too.
  BOOST_TEST(read_key_file(dir.write("keys2", kKey1 + "\n", 0400)).ok());
}

BOOST_AUTO_TEST_CASE(missing_file) {
  ScratchDir dir;
  const std::string message = error_of(read_key_file(dir.file("nope")));
  BOOST_TEST(contains(message, "key file " + dir.file("nope")), message);
  BOOST_TEST(contains(message, "No such file or directory"), message);
}

BOOST_AUTO_TEST_CASE(no_key_at_all) {
  ScratchDir dir;
  for (const char* text : {"", "\n\n", "# only a comment\n  \n#"}) {
    const std::string message = error_of(read_key_file(dir.write("keys", text)));
    BOOST_TEST(contains(message, dir.file("keys")), message);
    BOOST_TEST(contains(message, "holds no key"), message);
  }
}

BOOST_AUTO_TEST_CASE(group_or_world_access) {
  ScratchDir dir;
  for (const mode_t mode : {0640, 0604, 0620, 0660, 0644, 0610, 0601}) {
    const auto path = dir.write("keys", kKey1 + "\n" + kKey2 + "\n", mode);
    const std::string message = error_of(read_key_file(path));
    BOOST_TEST(contains(message, path), message);
    BOOST_TEST(contains(message, "must be 0600"), message);
    check_no_key(message);
  }
}

BOOST_AUTO_TEST_CASE(malformed_line_number) {
  ScratchDir dir;
  const std::string head = "# keys\n" + kKey1 + "\n";
  for (const std::string& bad :
       std::vector<std::string>{kKey2 + " s3cr3t", kKey2 + "\ts3cr3t", "s3cr3t\x01" + kKey2,
                                "s3cr3t\xc3\xa9" + kKey2, std::string("s3cr3t\x7f")}) {
    const auto path = dir.write("keys", head + bad + "\n" + kKey2 + "\n");
    const std::string message = error_of(read_key_file(path));
    BOOST_TEST(contains(message, path + " line 3:"), message);
    check_no_key(message);
  }
}

BOOST_AUTO_TEST_CASE(not_a_regular_file) {
  ScratchDir dir;
  std::filesystem::create_directory(dir.file("keys.d"));
  const std::string message = error_of(read_key_file(dir.file("keys.d")));
  BOOST_TEST(contains(message, "not a regular file"), message);
}

BOOST_AUTO_TEST_CASE(unreadable_file) {
  ScratchDir dir;
  const auto path = dir.write("keys", kKey1 + "\n", 0600);
  std::string message;
  if (::geteuid() == 0) {
    message = read_as_nobody(path);  // root would read it whatever its mode
  } else {
    ::chmod(path.c_str(), 0);
    message = error_of(read_key_file(path));
  }
  BOOST_TEST(contains(message, "key file " + path + ": cannot open it (Permission denied)"),
             message);
  check_no_key(message);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(clients_file)

BOOST_AUTO_TEST_CASE(logins_with_spaces_tabs_and_comments) {
  namespace t = meross::test::broker;
  ScratchDir dir;
  const std::string ha_hash = pbkdf2_hash("ha pw");
  const auto path =
      dir.write("clients", std::string("# internal logins\n") + t::kMosquittoPasswdUser +
                               " bridge " + t::kMosquittoPasswdHash + "\n\n  homeassistant\t\t" +
                               "homeassistant  " + ha_hash + "\r\n");
  const auto clients = read_clients_file(path);
  BOOST_REQUIRE(clients.ok());
  BOOST_REQUIRE(clients->size() == 2u);
  BOOST_TEST(clients->at(0).username == t::kMosquittoPasswdUser);
  BOOST_TEST((clients->at(0).role == Role::bridge));
  BOOST_TEST(verify_password(clients->at(0).hash, t::kMosquittoPasswdPassword));
  BOOST_TEST(clients->at(1).username == "homeassistant");
  BOOST_TEST((clients->at(1).role == Role::homeassistant));
  BOOST_TEST(verify_password(clients->at(1).hash, "ha pw"));
}

BOOST_AUTO_TEST_CASE(an_empty_file_is_fine) {
  ScratchDir dir;
  const auto clients = read_clients_file(dir.write("clients", "# nobody yet\n"));
  BOOST_REQUIRE(clients.ok());
  BOOST_TEST(clients->empty());
}

BOOST_AUTO_TEST_CASE(missing_and_group_readable) {
  ScratchDir dir;
  std::string message = error_of(read_clients_file(dir.file("clients")));
  BOOST_TEST(contains(message, "clients file " + dir.file("clients") + ": cannot open it"),
             message);
  const std::string hash = pbkdf2_hash("pw");
  const auto path = dir.write("clients", "bridge bridge " + hash + "\n", 0640);
  message = error_of(read_clients_file(path));
  BOOST_TEST(contains(message, "must be 0600"), message);
  BOOST_TEST(!contains(message, hash.substr(8)), message);
}

BOOST_AUTO_TEST_CASE(malformed_lines) {
  ScratchDir dir;
  const std::string hash = pbkdf2_hash("pw");
  const std::string first = "# logins\nmeross-bridge bridge " + pbkdf2_hash("x") + "\n";
  const std::pair<std::string, std::string> cases[] = {
      {"homeassistant homeassistant", "expected USERNAME ROLE HASH"},
      {"homeassistant homeassistant " + hash + " extra", "expected USERNAME ROLE HASH"},
      {"homeassistant " + hash + " homeassistant", "unknown role"},
      {"homeassistant admin " + hash, "unknown role"},
      {"homeassistant Bridge " + hash, "unknown role"},
      {"aa:bb:cc:dd:ee:ff bridge " + hash, "looks like a MAC"},
      {"AA:BB:CC:DD:EE:FF bridge " + hash, "looks like a MAC"},
      {"homeassistant homeassistant " + hash.substr(0, hash.size() - 6), "HASH is not"},
      {"homeassistant homeassistant $6$" + hash.substr(3), "HASH is not"},
      {"homeassistant homeassistant secret-plain-password", "HASH is not"},
      {"homeassistant homeassistant \x01" + hash, "expected USERNAME ROLE HASH"},
      {"meross-bridge bridge " + hash, "user meross-bridge is already on line 2"},
  };
  for (const auto& [line, problem] : cases) {
    const auto path = dir.write("clients", first + "\n" + line + "\n");
    const std::string message = error_of(read_clients_file(path));
    BOOST_TEST(contains(message, path + " line 4: "), message);
    BOOST_TEST(contains(message, problem), message);
    BOOST_TEST(!contains(message, hash.substr(8, 20)), message);
    BOOST_TEST(!contains(message, "secret-plain-password"), message);
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(options)

BOOST_AUTO_TEST_CASE(user_ids) {
  BOOST_TEST((parse_user_ids("0,12345").value() == std::vector<std::uint64_t>{0, 12345}));
  BOOST_TEST((parse_user_ids(" 7 , 8 ").value() == std::vector<std::uint64_t>{7, 8}));
  for (const char* bad : {"", ",", "1,,2", "1;2", "abc", "-1", "01", "1 2"}) {
    BOOST_TEST(!parse_user_ids(bad).ok(), bad);
  }
  BOOST_TEST(contains(error_of(parse_user_ids("1,x")), "plugin_opt_user_ids"));
}

BOOST_AUTO_TEST_CASE(topic_roots) {
  BOOST_TEST(
      (parse_topic_roots("ha, meross2").value() == std::vector<std::string>{"ha", "meross2"}));
  for (const char* bad : {"", "a,", "a/b", "+", "#", "a#", "$SYS", "a b", "/appliance"}) {
    BOOST_TEST(!parse_topic_roots(bad).ok(), bad);
  }
  BOOST_TEST(contains(error_of(parse_topic_roots("x/y")), "plugin_opt_topic_roots"));
}

BOOST_AUTO_TEST_CASE(load_everything) {
  ScratchDir dir;
  const auto keys = dir.write("keys", kKey1 + "\n" + kKey2 + "\n");
  const auto clients = dir.write("clients", "homeassistant homeassistant " + pbkdf2_hash("pw"));
  const auto settings = load_settings({{"key_file", keys},
                                       {"clients_file", clients},
                                       {"user_ids", "0,4242"},
                                       {"topic_roots", "ha,meross"}});
  BOOST_REQUIRE(settings.ok());
  BOOST_TEST(settings->keys.size() == 2u);
  BOOST_TEST(settings->clients.size() == 1u);
  BOOST_TEST((settings->user_ids.value() == std::vector<std::uint64_t>{0, 4242}));
  BOOST_TEST((settings->topic_roots == std::vector<std::string>{"ha", "meross"}));

  const auto defaults = load_settings({{"key_file", keys}});
  BOOST_REQUIRE(defaults.ok());
  BOOST_TEST(defaults->clients.empty());
  BOOST_TEST(!defaults->user_ids.has_value());
  BOOST_TEST((defaults->topic_roots == std::vector<std::string>{"homeassistant", "meross"}));
}

BOOST_AUTO_TEST_CASE(option_errors) {
  ScratchDir dir;
  const auto keys = dir.write("keys", kKey1 + "\n");
  std::string message = error_of(load_settings({}));
  BOOST_TEST(contains(message, "plugin_opt_key_file is required"), message);
  message = error_of(load_settings({{"clients_file", keys}}));
  BOOST_TEST(contains(message, "plugin_opt_key_file is required"), message);
  message = error_of(load_settings({{"key_file", keys}, {"keyfile", keys}}));
  BOOST_TEST(contains(message, "unknown option plugin_opt_keyfile"), message);
  message = error_of(load_settings({{"key_file", keys}, {"key_file", keys}}));
  BOOST_TEST(contains(message, "plugin_opt_key_file is given twice"), message);
  message = error_of(load_settings({{"key_file", keys}, {"clients_file", dir.file("none")}}));
  BOOST_TEST(contains(message, "clients file " + dir.file("none")), message);
  message = error_of(load_settings({{"key_file", keys}, {"user_ids", "a"}}));
  BOOST_TEST(contains(message, "plugin_opt_user_ids"), message);
  message = error_of(load_settings({{"key_file", keys}, {"topic_roots", "#"}}));
  BOOST_TEST(contains(message, "plugin_opt_topic_roots"), message);
  message = error_of(load_settings({{"key_file", dir.write("bad", kKey1 + "\n", 0644)}}));
  BOOST_TEST(contains(message, "must be 0600"), message);
  check_no_key(message);
}

BOOST_AUTO_TEST_SUITE_END()
