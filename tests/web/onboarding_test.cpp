// "Add devices" without a network: the API's checks and a fake meross-pair (a shell script that
// records its command line, environment and stdin, and answers as the real one does with --json).
// The secrets must reach the child on stdin only, and never come back in a response.
#include <signal.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <boost/test/unit_test.hpp>

#include "support/temp_dir.hpp"
#include "support/wait.hpp"
#include "web/onboarding.hpp"

using namespace meross::web;
using meross::test::poll_until;
using meross::test::TempDir;

namespace {

const std::string kPassword = "pa55-w0rd-of-the-account";
const std::string kAccountKey = "account-key-0123456789abcdef";
const std::string kBridgeKey = "bridge-key-fedcba9876543210";

// The fake meross-pair: each run appends its arguments (cmdline.N), environment and stdin to
// files in DIR; `scan` waits for DIR/release when DIR/hold exists.
const char* kScript = R"SH(#!/bin/sh
dir="$(dirname "$0")"
n=$(ls "$dir" | grep -c '^cmdline\.')
tr '\0' ' ' </proc/$$/cmdline >"$dir/cmdline.$n"
tr '\0' '\n' </proc/$$/environ >"$dir/environ.$n"
cat >"$dir/stdin.$n"
echo "$$" >"$dir/pid"
case "$1" in
account)
  echo "signed in: somebody" >&2
  echo '{"user_id":"4242","key":"account-key-0123456789abcdef","devices":[{"uuid":"u1","name":"Plug","model":"mss310","firmware":"1","online":"online"}]}'
  ;;
scan)
  if [ -e "$dir/hold" ]; then while [ ! -e "$dir/release" ]; do sleep 0.05; done; fi
  echo "1 Meross device among 1 address" >&2
  echo '{"probed":1,"devices":[{"host":"127.0.0.1:8123","uuid":"0123456789abcdef0123456789abcdef","model":"mss310","firmware":"6.1","mac":"","broker":"cloud:443","key":"ours","encryption":"plain","note":""},{"host":"127.0.0.1:9000","uuid":"ffffffffffffffffffffffffffffffff","model":"mss310","firmware":"6.1","mac":"","broker":"cloud:443","key":"other","encryption":"plain","note":""}]}'
  ;;
move)
  echo '{"devices":[{"host":"127.0.0.1:8123","uuid":"0123456789abcdef0123456789abcdef","result":"moved","message":"moved"}]}'
  ;;
esac
)SH";

std::string read(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

struct Fake {
  TempDir dir{"meross-onboarding"};
  std::unique_ptr<Onboarding> onboarding;

  Fake() {
    const auto script = dir.path / "meross-pair";
    std::ofstream(script) << kScript;
    ::chmod(script.c_str(), 0700);
    OnboardingSettings s;
    s.pair_command = script.string();
    s.device_broker = "mqtts://192.168.1.10:8883";
    s.bridge_key = kBridgeKey;
    s.user_id = 77;
    s.ca_fingerprint = "AB:CD";
    onboarding = std::make_unique<Onboarding>(s);
  }

  Response call(const std::string& method, const std::string& path, const std::string& body = "",
                bool header = true) {
    Request r;
    r.method = method;
    r.target = "/api/add/" + path;
    r.remote = "127.0.0.1";
    r.action_header = header;
    r.body = body;
    return route_onboarding(r, path, *onboarding);
  }
  std::string state() { return call("GET", "state").body; }
  bool idle() { return state().find("\"busy\":false") != std::string::npos; }
  bool finished() {
    return poll_until([&] { return idle(); }, std::chrono::seconds(20));
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(onboarding)

BOOST_AUTO_TEST_CASE(the_api_is_below_api_add_and_a_post_needs_the_action_header) {
  Fake f;
  Routes routes;
  const Access access;
  Request r;
  r.method = "POST";
  r.target = "/api/add/forget";
  r.remote = "127.0.0.1";
  BOOST_TEST(route(r, access, routes).status == 403);  // no X-Meross-Web
  r.action_header = true;
  BOOST_TEST(route(r, access, routes).status == 404);  // no add-devices here
  routes.add_devices = [&](const Request& request, std::string_view path) {
    return route_onboarding(request, path, *f.onboarding);
  };
  BOOST_TEST(route(r, access, routes).status == 200);
  r.method = "GET";
  r.target = "/api/add/state?x=1";
  const auto state = route(r, access, routes);
  BOOST_TEST(state.status == 200);
  BOOST_TEST(state.content_type == "application/json");
  BOOST_TEST(
      state.body.find("\"ap\":{\"broker\":\"mqtts://192.168.1.10:8883\"") != std::string::npos,
      state.body);
}

BOOST_AUTO_TEST_CASE(malformed_requests_get_a_4xx_with_a_message) {
  Fake f;
  for (const auto& [method, path, body, status] :
       std::vector<std::tuple<std::string, std::string, std::string, int>>{
           {"POST", "account", "not json", 400},
           {"POST", "account", "[1,2]", 400},
           {"POST", "account", R"({"email":5,"password":"x"})", 400},
           {"POST", "account", R"({"email":"nobody","password":"x"})", 400},
           {"POST", "account", R"({"email":"-a@b","password":"x"})", 400},
           {"POST", "account", R"({"email":"a@b","password":""})", 400},
           {"POST", "account", R"({"email":"a@b","password":"x","mfa":"12ab"})", 400},
           {"POST", "key", R"({"key":"with space"})", 400},
           {"POST", "key", R"({"key":"k","user_id":"12x"})", 400},
           {"POST", "scan", R"({"targets":"10.0.0.1"})", 409},  // no key yet
           {"POST", "move", R"({"hosts":"10.0.0.1"})", 400},
           {"POST", "move", R"({"hosts":[1]})", 400},
           {"GET", "account", "", 405},
           {"POST", "state", "", 405},
           {"GET", "nothing", "", 404},
       }) {
    const auto r = f.call(method, path, body);
    BOOST_TEST(r.status == status, method << " " << path << " " << body << ": " << r.status);
    BOOST_TEST(!r.body.empty());
  }
  BOOST_REQUIRE(f.call("POST", "key", R"({"key":")" + kAccountKey + R"("})").status == 200);
  for (const auto& targets : {"", "--help", "10.0.0.1;rm", "10.0.0.0/24 10.0.1.1"}) {
    const auto r = f.call("POST", "scan", std::string(R"({"targets":")") + targets + "\"}");
    BOOST_TEST(r.status == 400, targets);
  }
  // Only a device of the last scan that answers the account's key can be moved.
  BOOST_TEST(f.call("POST", "move", R"({"hosts":["10.0.0.1"]})").status == 400);
  BOOST_TEST(!std::filesystem::exists(f.dir.path / "cmdline.0"));
}

BOOST_AUTO_TEST_CASE(secrets_go_on_stdin_never_on_the_command_line_or_back_to_the_page) {
  // The daemon's own environment stays with it (the add-on's has the Supervisor's token).
  ::setenv("SUPERVISOR_TOKEN", "supervisor-token-of-the-daemon", 1);
  Fake f;
  const auto signed_in =
      f.call("POST", "account",
             R"({"email":"owner@example.com","password":")" + kPassword + R"(","mfa":"123456"})");
  BOOST_TEST(signed_in.status == 202, signed_in.body);
  BOOST_REQUIRE(f.finished());
  BOOST_TEST(f.state().find("\"has_key\":true") != std::string::npos, f.state());
  BOOST_TEST(f.state().find("Plug") != std::string::npos);
  BOOST_TEST(read(f.dir.path / "cmdline.0").find("account --json --email owner@example.com") !=
             std::string::npos);
  BOOST_TEST(read(f.dir.path / "stdin.0") == kPassword + "\n");

  BOOST_TEST(f.call("POST", "scan", R"({"targets":"127.0.0.1:8123, 127.0.0.1:9000"})").status ==
             202);
  BOOST_REQUIRE(f.finished());
  BOOST_TEST(read(f.dir.path / "cmdline.1")
                 .find("scan --json --key-stdin --host 127.0.0.1:8123 "
                       "--host 127.0.0.1:9000") != std::string::npos);
  BOOST_TEST(read(f.dir.path / "stdin.1") == kAccountKey + "\n");
  // Another account's device cannot be ticked; ours can.
  BOOST_TEST(f.call("POST", "move", R"({"hosts":["127.0.0.1:9000"]})").status == 400);
  BOOST_TEST(f.call("POST", "move", R"({"hosts":["127.0.0.1:8123"]})").status == 202);
  BOOST_REQUIRE(f.finished());
  const auto move_line = read(f.dir.path / "cmdline.2");
  BOOST_TEST(move_line.find("move --json --all --broker mqtts://192.168.1.10:8883 --host "
                            "127.0.0.1:8123 --user-id 77 --key-stdin --new-key-stdin") !=
                 std::string::npos,
             move_line);
  BOOST_TEST(read(f.dir.path / "stdin.2") == kAccountKey + "\n" + kBridgeKey + "\n");
  BOOST_TEST(f.state().find("\"result\":\"moved\"") != std::string::npos, f.state());

  for (int run = 0; run < 3; ++run) {
    const auto n = std::to_string(run);
    for (const auto& secret : {kPassword, kAccountKey, kBridgeKey}) {
      BOOST_TEST(read(f.dir.path / ("cmdline." + n)).find(secret) == std::string::npos);
      BOOST_TEST(read(f.dir.path / ("environ." + n)).find(secret) == std::string::npos);
    }
    BOOST_TEST(read(f.dir.path / ("environ." + n)).find("supervisor-token") == std::string::npos);
    BOOST_TEST(read(f.dir.path / ("environ." + n)).find("PATH=") != std::string::npos);
  }
  for (const auto& secret : {kPassword, kAccountKey, kBridgeKey})
    BOOST_TEST(f.state().find(secret) == std::string::npos);
}

BOOST_AUTO_TEST_CASE(one_step_at_a_time_and_a_running_child_is_killed_on_stop) {
  Fake f;
  BOOST_REQUIRE(f.call("POST", "key", R"({"key":")" + kAccountKey + R"("})").status == 200);
  std::ofstream(f.dir.path / "hold") << "";
  BOOST_REQUIRE(f.call("POST", "scan", R"({"targets":"127.0.0.1"})").status == 202);
  BOOST_TEST(f.call("POST", "scan", R"({"targets":"127.0.0.1"})").status == 409);
  BOOST_TEST(f.call("POST", "key", R"({"key":"other"})").status == 409);
  BOOST_TEST(f.call("POST", "forget").status == 409);
  std::ofstream(f.dir.path / "release") << "";
  BOOST_REQUIRE(f.finished());
  BOOST_TEST(f.call("POST", "scan", R"({"targets":"127.0.0.1"})").status == 202);
  BOOST_REQUIRE(f.finished());

  // A child that does not end: stop() kills it and returns.
  std::filesystem::remove(f.dir.path / "pid");
  std::filesystem::remove(f.dir.path / "release");
  BOOST_REQUIRE(f.call("POST", "scan", R"({"targets":"127.0.0.1"})").status == 202);
  BOOST_REQUIRE(
      poll_until([&] { return !read(f.dir.path / "pid").empty(); }, std::chrono::seconds(20)));
  const pid_t pid = std::stoi(read(f.dir.path / "pid"));
  BOOST_TEST(::kill(pid, 0) == 0);
  f.onboarding->stop();
  BOOST_TEST((::kill(pid, 0) == -1 && errno == ESRCH));
  BOOST_TEST(f.state().find("\"status\":\"failed\"") != std::string::npos, f.state());
}

BOOST_AUTO_TEST_SUITE_END()
