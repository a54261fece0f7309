#define BOOST_TEST_MODULE account_e2e
#include <boost/test/unit_test.hpp>

#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "pairing/bridge_run.hpp"
#include "pairing/cloud_account.hpp"
#include "pairing/fake_account.hpp"
#include "pairing/fake_cloud.hpp"
#include "support/fixtures.hpp"
#include "support/temp_dir.hpp"

using meross::test::FakeCloud;
using meross::test::run_bridge;
namespace fs = std::filesystem;

using meross::test::TempDir;

using meross::test::read_file_or_empty;
using namespace meross::test::fake_account;

namespace {

const std::string kMfa = "654321";
const std::string kDevices =
    R"([{"uuid":"2301aaaaaaaaaaaaaaaaaaaaaaaab296","devName":"Desk plug","deviceType":"mss310",)"
    R"("subType":"un","fmwareVersion":"6.1.8","hdwareVersion":"6.0.0","onlineStatus":1},)"
    R"({"uuid":"1906bbbbbbbbbbbbbbbbbbbbbbbb4a1c","devName":"Hall light","deviceType":"msl120",)"
    R"("fmwareVersion":"3.2.4","onlineStatus":2},)"
    R"({"uuid":"2005cccccccccccccccccccccccc77e0","devName":"Hub","deviceType":"msh300",)"
    R"("fmwareVersion":"4.1.24","onlineStatus":1}])";
const std::string kHubChildren =
    R"([{"subDeviceId":"01004C4F","subDeviceType":"mts100v3","subDeviceVendor":"Meross",)"
    R"("subDeviceName":"Bedroom valve","subDeviceIconId":"device045_it"}])";

FakeCloud::Options account() {
  auto o = cloud_options();
  o.devices_json = kDevices;
  o.sub_devices_json["2005cccccccccccccccccccccccc77e0"] = kHubChildren;
  return o;
}

struct Fixture {
  TempDir dir{"account-e2e"};
  fs::path password_file = dir.path / "password";
  Fixture() { std::ofstream(password_file) << kPassword << "\n"; }
  std::vector<std::string> args(const std::string& api) const {
    auto a = sign_in_args(password_file.string(), api);
    a.insert(a.end(), {"--timeout", "10"});
    return a;
  }
};

}  // namespace

BOOST_FIXTURE_TEST_CASE(redirect_mfa_wrong_mfa_then_success_writes_the_config, Fixture) {
  // The second region holds the account and asks for an MFA code; the first redirects to it.
  auto home_options = account();
  home_options.mfa_code = kMfa;
  FakeCloud home(home_options);
  auto first_options = account();
  first_options.redirect_to = home.base();
  FakeCloud first(first_options);

  // 1. No code: asked for one.
  auto r = run_bridge(args(first.base()));
  BOOST_TEST(r.code == 2);
  BOOST_TEST(r.output.find("--mfa CODE") != std::string::npos, r.output);
  BOOST_TEST(r.output.find("apiStatus 1033") != std::string::npos);
  BOOST_TEST(r.output.find("the account lives at " + home.base()) != std::string::npos);
  check_no_secret(r.output);

  // 2. A wrong code.
  auto wrong = args(first.base());
  wrong.insert(wrong.end(), {"--mfa", "111111"});
  r = run_bridge(wrong);
  BOOST_TEST(r.code == 2);
  BOOST_TEST(r.output.find("wrong MFA code (apiStatus 1032)") != std::string::npos, r.output);
  check_no_secret(r.output);

  // 3. The right code, into an existing configuration with settings of its own.
  const fs::path config = dir.path / "bridge.toml";
  std::ofstream(config) << "[meross]\nkey = \"old\"\ntimezone = \"Europe/Paris\"\n\n"
                           "[mqtt]\nurl = \"mqtt://127.0.0.1:1883\"\nusername = \"bridge\"\n"
                           "password = \"mqtt-password\"\n\n[polling]\nelectricity = \"10s\"\n\n"
                           "[[devices]]\nuuid = \"2301AAAAAAAAAAAAAAAAAAAAAAAAB296\"\n"
                           "name = \"My desk\"\nconsumption = \"1m\"\n";
  ::chmod(config.c_str(), 0644);
  auto good = args(first.base());
  good.insert(good.end(), {"--mfa", kMfa, "--write-config", config.string()});
  r = run_bridge(good);
  BOOST_TEST_MESSAGE("meross-bridge account said:\n" << r.output);
  BOOST_TEST(r.code == 0, r.output);
  BOOST_TEST(r.output.find("userId 4242") != std::string::npos, r.output);
  BOOST_TEST(r.output.find("3 device(s) on the account") != std::string::npos);
  BOOST_TEST(r.output.find("Desk plug  uuid 2301aaaaaaaaaaaaaaaaaaaaaaaab296  model mss310  "
                           "firmware 6.1.8  online") != std::string::npos);
  BOOST_TEST(r.output.find("Hall light  uuid 1906bbbbbbbbbbbbbbbbbbbbbbbb4a1c  model msl120  "
                           "firmware 3.2.4  offline") != std::string::npos);
  BOOST_TEST(r.output.find("Hub  uuid 2005cccccccccccccccccccccccc77e0  model msh300  firmware "
                           "4.1.24  online\n      sub-device Bedroom valve  id 01004C4F  model "
                           "mts100v3\n") != std::string::npos);
  check_no_secret(r.output);

  // Every request was well-formed; the token was used for the device list, then released.
  BOOST_TEST(first.problems().empty());
  BOOST_TEST(home.problems().empty());
  for (const auto& p : first.problems())
    BOOST_TEST_MESSAGE("first region: " << p);
  for (const auto& p : home.problems())
    BOOST_TEST_MESSAGE("home region: " << p);
  BOOST_TEST(first.paths() == std::vector<std::string>(3, "/v1/Auth/signIn"),
             boost::test_tools::per_element());
  const std::vector<std::string> home_paths = {"/v1/Auth/signIn",       "/v1/Auth/signIn",
                                               "/v1/Auth/signIn",       "/v1/Device/devList",
                                               "/v1/Hub/getSubDevices", "/v1/Profile/Logout"};
  BOOST_TEST(home.paths() == home_paths, boost::test_tools::per_element());
  const auto home_requests = home.requests();
  BOOST_REQUIRE(home_requests.size() == 6u);
  BOOST_TEST(home_requests[0].api_status == 1033);
  BOOST_TEST(home_requests[1].api_status == 1032);
  BOOST_TEST(home_requests[2].api_status == 0);
  BOOST_TEST(home_requests[2].params_json ==
             R"({"email":"owner@example.com","password":")" +
                 meross::test::test_md5_hex(kPassword) +
                 R"(","encryption":1,"accountCountryCode":null,"agree":0,"mfaCode":"654321"})");
  BOOST_TEST(home_requests[3].api_status == 0);
  BOOST_TEST(home_requests[3].headers.at("authorization") == "Basic " + kToken);
  BOOST_TEST(home_requests[4].params_json == R"({"uuid":"2005cccccccccccccccccccccccc77e0"})");
  BOOST_TEST(home_requests[4].api_status == 0);
  BOOST_TEST(home.token_released());

  // The configuration: the key and userId, both devices, everything else kept, still private.
  struct stat st {};
  BOOST_REQUIRE(::stat(config.c_str(), &st) == 0);
  BOOST_TEST((st.st_mode & 07777) == 0600u);
  const auto text = read_file_or_empty(config);
  BOOST_TEST(text.find("key = \"" + kKey + "\"") != std::string::npos, text);
  BOOST_TEST(text.find("user_id = 4242") != std::string::npos);
  BOOST_TEST(text.find("timezone = \"Europe/Paris\"") != std::string::npos);
  BOOST_TEST(text.find("password = \"mqtt-password\"") != std::string::npos);
  BOOST_TEST(text.find("electricity = \"10s\"") != std::string::npos);
  BOOST_TEST(text.find("name = \"My desk\"") != std::string::npos);
  BOOST_TEST(text.find("consumption = \"1m\"") != std::string::npos);
  BOOST_TEST(text.find("uuid = \"1906bbbbbbbbbbbbbbbbbbbbbbbb4a1c\"") != std::string::npos);
  BOOST_TEST(text.find("name = \"Hall light\"") != std::string::npos);
  BOOST_TEST(text.find("uuid = \"2005cccccccccccccccccccccccc77e0\"") != std::string::npos);
  BOOST_TEST(text.find("01004C4F") == std::string::npos);
  const auto check = run_bridge({"check-config", config.string()});
  BOOST_TEST(check.code == 0, check.output);
  BOOST_TEST(check.output.find("4242") != std::string::npos);
  check_no_secret(check.output);
}

BOOST_FIXTURE_TEST_CASE(a_new_config_file_is_created_0600, Fixture) {
  FakeCloud cloud(account());
  const fs::path config = dir.path / "sub-none.toml";
  auto a = args(cloud.base());
  a.insert(a.end(), {"--write-config", config.string()});
  const auto r = run_bridge(a);
  BOOST_TEST(r.code == 0, r.output);
  check_no_secret(r.output);
  struct stat st {};
  BOOST_REQUIRE(::stat(config.c_str(), &st) == 0);
  BOOST_TEST((st.st_mode & 07777) == 0600u);
  BOOST_TEST(run_bridge({"check-config", config.string()}).code == 0);
  BOOST_TEST(cloud.problems().empty());
}

BOOST_FIXTURE_TEST_CASE(wrong_password_is_explained, Fixture) {
  FakeCloud cloud(account());
  std::ofstream(password_file) << "not-the-password\n";
  const auto r = run_bridge(args(cloud.base()));
  BOOST_TEST(r.code == 1);
  BOOST_TEST(r.output.find("wrong e-mail or password (apiStatus 1004)") != std::string::npos,
             r.output);
  BOOST_TEST(r.output.find("not-the-password") == std::string::npos);
  BOOST_TEST(cloud.problems().empty());
  BOOST_TEST(cloud.paths() == std::vector<std::string>{"/v1/Auth/signIn"},
             boost::test_tools::per_element());
}

BOOST_FIXTURE_TEST_CASE(throttling_is_explained, Fixture) {
  auto options = account();
  options.throttled = true;
  FakeCloud cloud(options);
  const auto r = run_bridge(args(cloud.base()));
  BOOST_TEST(r.code == 1);
  BOOST_TEST(r.output.find("too frequently (apiStatus 1028)") != std::string::npos, r.output);
  check_no_secret(r.output);
  BOOST_TEST(cloud.problems().empty());
}

BOOST_FIXTURE_TEST_CASE(redirects_leaving_loopback_are_refused, Fixture) {
  auto options = account();
  options.redirect_to = "https://iotx-us.meross.com";
  FakeCloud cloud(options);
  const auto r = run_bridge(args(cloud.base()));
  BOOST_TEST(r.code == 1);
  BOOST_TEST(
      r.output.find("refusing to follow a redirect from a loopback --api") != std::string::npos,
      r.output);
  BOOST_TEST(cloud.paths().size() == 1u);
}

BOOST_FIXTURE_TEST_CASE(redirect_loops_are_bounded, Fixture) {
  FakeCloud a(account());
  FakeCloud b(account());
  a.redirect_to(b.base());
  // Without a scheme, as some answers give it: taken relative to the loopback API (http).
  b.redirect_to(a.base().substr(7));
  const auto r = run_bridge(args(a.base()));
  BOOST_TEST(r.code == 1);
  BOOST_TEST(r.output.find("redirected the sign-in more than 3 times") != std::string::npos,
             r.output);
  BOOST_TEST(a.paths().size() + b.paths().size() == 4u);
  BOOST_TEST(a.problems().empty());
  BOOST_TEST(b.problems().empty());
}

BOOST_FIXTURE_TEST_CASE(device_list_only_for_the_token, Fixture) {
  FakeCloud cloud(account());
  const auto post = meross::pairing::cloud::curl_post(5000, 10000);
  const auto refused = meross::pairing::cloud::list_devices(post, cloud.base(), "forged-token");
  BOOST_REQUIRE(!refused.ok());
  BOOST_TEST(refused.error().describe().find("apiStatus 1019") != std::string::npos,
             refused.error().describe());
  BOOST_TEST(cloud.problems().empty());
}

BOOST_FIXTURE_TEST_CASE(bad_arguments, Fixture) {
  auto r = run_bridge(sign_in_args(password_file.string(), "http://iotx-eu.meross.com"));
  BOOST_TEST(r.code == 1);
  BOOST_TEST(r.output.find("plain http:// is only accepted for a loopback") != std::string::npos,
             r.output);
  r = run_bridge({"account", "--email", kEmail, "--password-file", (dir.path / "none").string()});
  BOOST_TEST(r.code == 1);
  BOOST_TEST(r.output.find("cannot read the password file") != std::string::npos, r.output);
  // The password is never an argument.
  r = run_bridge({"account", "--email", kEmail, "--password", kPassword});
  BOOST_TEST(r.code != 0);
}
