#define BOOST_TEST_MODULE cloud_account_unit
#include <boost/test/unit_test.hpp>

#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <rapidjson/document.h>

#include "bridge/config.hpp"
#include "pairing/account_command.hpp"
#include "pairing/cloud_account.hpp"
#include "pairing/crypto.hpp"
#include "support/fixtures.hpp"
#include "support/temp_dir.hpp"

using namespace meross::pairing;
namespace cloud = meross::pairing::cloud;
namespace fs = std::filesystem;

using meross::test::TempDir;

using meross::test::read_file_or_empty;

namespace {

rapidjson::Document parse(const std::string& text) {
  rapidjson::Document d;
  d.Parse(text.c_str(), text.size());
  BOOST_REQUIRE_MESSAGE(!d.HasParseError() && d.IsObject(), "not a JSON object: " + text);
  return d;
}

std::string answer(int status, const std::string& data = "", const std::string& info = "") {
  std::string text = "{\"apiStatus\":" + std::to_string(status) + ",\"sysStatus\":0";
  if (!info.empty()) text += ",\"info\":\"" + info + "\"";
  if (!data.empty()) text += ",\"data\":" + data;
  return text + ",\"timeStamp\":\"2026-12-05 10:00:00\"}";
}

const std::string kCredentials =
    R"({"userid":"4242","email":"me@example.com","key":"0123456789abcdef0123456789abcdef",)"
    R"("token":"tok-SECRET-tok","domain":"https://iotx-us.meross.com",)"
    R"("mqttDomain":"mqtt-us-2.meross.com","mfaLockExpire":0})";

cloud::SignInRequest login() {
  cloud::SignInRequest request;
  request.email = "a@b.c";
  request.password = "pw";
  return request;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(signing)

// Worked by hand from the formula both references use (meross_lan cloudapi.py,
// MerossIot http_api.py): md5hex("23x17ahWarFH6w29" + "1700000000123" + nonce + params), computed
// with Python's hashlib, not with our md5.
BOOST_AUTO_TEST_CASE(sign_matches_the_documented_formula) {
  BOOST_TEST(cloud::cloud_sign(1700000000123, "0123456789abcdef0123456789abcdef",
                               "eyJlbWFpbCI6ImFAYi5jIn0=") == "dfb09e77299de1575e142d4b9873c7f5");
}

BOOST_AUTO_TEST_CASE(body_carries_base64_params_and_their_signature) {
  const std::string params = R"({"email":"a@b.c"})";
  const auto body =
      parse(cloud::request_body(params, 1700000000123, "0123456789abcdef0123456789abcdef"));
  BOOST_TEST(body.MemberCount() == 4u);
  BOOST_TEST(std::string(body["params"].GetString()) == "eyJlbWFpbCI6ImFAYi5jIn0=");
  BOOST_TEST(std::string(body["sign"].GetString()) == "dfb09e77299de1575e142d4b9873c7f5");
  BOOST_TEST(body["timestamp"].GetInt64() == 1700000000123);
  BOOST_TEST(std::string(body["nonce"].GetString()) == "0123456789abcdef0123456789abcdef");
  BOOST_TEST(*base64_decode(body["params"].GetString()) == params);
}

BOOST_AUTO_TEST_CASE(nonces_are_fresh_hex) {
  const auto a = cloud::new_nonce();
  BOOST_TEST(a.size() == 32u);
  BOOST_TEST(a.find_first_not_of("0123456789abcdef") == std::string::npos);
  BOOST_TEST(a != cloud::new_nonce());
}

BOOST_AUTO_TEST_CASE(sign_in_params_send_the_password_md5_only) {
  cloud::SignInRequest request{"me@example.com", "secret", "", "eu"};
  const std::string text = cloud::sign_in_params(request);
  BOOST_TEST(text.find("\"secret\"") == std::string::npos);
  const auto p = parse(text);
  BOOST_TEST(std::string(p["email"].GetString()) == "me@example.com");
  BOOST_TEST(std::string(p["password"].GetString()) == "5ebe2294ecd0e0f08eab7690d2a6ee69");
  BOOST_TEST(p["encryption"].GetInt() == 1);
  BOOST_TEST(p["agree"].GetInt() == 0);
  BOOST_TEST(std::string(p["accountCountryCode"].GetString()) == "eu");
  BOOST_TEST(!p.HasMember("mfaCode"));

  request.mfa_code = "123456";
  request.country_code = "";
  const auto q = parse(cloud::sign_in_params(request));
  BOOST_TEST(std::string(q["mfaCode"].GetString()) == "123456");
  BOOST_TEST(q["accountCountryCode"].IsNull());
}

BOOST_AUTO_TEST_CASE(region_comes_from_the_api_host) {
  BOOST_TEST(cloud::region_of("https://iotx-eu.meross.com") == "eu");
  BOOST_TEST(cloud::region_of("https://iotx-us.meross.com") == "us");
  BOOST_TEST(cloud::region_of("https://iotx-ap.meross.com:443") == "ap");
  BOOST_TEST(cloud::region_of("https://iot.meross.com") == "");
  BOOST_TEST(cloud::region_of("http://127.0.0.1:8080") == "");
}

BOOST_AUTO_TEST_CASE(headers_name_the_app_and_carry_the_token) {
  const auto login = cloud::request_headers("");
  const auto with_token = cloud::request_headers("abc");
  const auto has = [](const std::vector<std::string>& list, const std::string& line) {
    return std::find(list.begin(), list.end(), line) != list.end();
  };
  BOOST_TEST(has(login, "Content-Type: application/json"));
  BOOST_TEST(has(login, "vender: meross"));
  BOOST_TEST(has(login, "AppType: meross-bridge"));
  BOOST_TEST(has(login, "Authorization: Basic"));
  BOOST_TEST(has(with_token, "Authorization: Basic abc"));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(addresses)

BOOST_AUTO_TEST_CASE(api_base_is_https_or_loopback_http) {
  BOOST_TEST(*cloud::check_api_base("https://iotx-eu.meross.com/") == "https://iotx-eu.meross.com");
  BOOST_TEST(*cloud::check_api_base("HTTP://127.0.0.1:8080") == "http://127.0.0.1:8080");
  BOOST_TEST(*cloud::check_api_base("http://[::1]:81") == "http://[::1]:81");
  BOOST_TEST(!cloud::check_api_base("http://iotx-eu.meross.com").ok());
  BOOST_TEST(!cloud::check_api_base("https://iotx-eu.meross.com/v1/Auth").ok());
  BOOST_TEST(!cloud::check_api_base("https://user:pw@iotx-eu.meross.com").ok());
  BOOST_TEST(!cloud::check_api_base("ftp://iotx-eu.meross.com").ok());
  BOOST_TEST(!cloud::check_api_base("iotx-eu.meross.com").ok());
  BOOST_TEST(!cloud::check_api_base("https://host:99999999").ok());
}

BOOST_AUTO_TEST_CASE(redirects_stay_https_and_loopback_stays_loopback) {
  BOOST_TEST(*cloud::redirect_target("https://iotx-eu.meross.com", "https://iotx-us.meross.com") ==
             "https://iotx-us.meross.com");
  BOOST_TEST(*cloud::redirect_target("https://iotx-eu.meross.com", "iotx-ap.meross.com") ==
             "https://iotx-ap.meross.com");
  BOOST_TEST(
      !cloud::redirect_target("https://iotx-eu.meross.com", "http://iotx-us.meross.com").ok());
  BOOST_TEST(!cloud::redirect_target("https://iotx-eu.meross.com", "http://127.0.0.1:80").ok());
  BOOST_TEST(!cloud::redirect_target("https://iotx-eu.meross.com", "https://x/evil").ok());
  // From a loopback test server: loopback only, a bare host:port takes its scheme.
  BOOST_TEST(*cloud::redirect_target("http://127.0.0.1:1000", "127.0.0.1:2000") ==
             "http://127.0.0.1:2000");
  BOOST_TEST(*cloud::redirect_target("http://127.0.0.1:1000", "http://localhost:2000") ==
             "http://localhost:2000");
  BOOST_TEST(!cloud::redirect_target("http://127.0.0.1:1000", "https://iotx-us.meross.com").ok());
  BOOST_TEST(!cloud::redirect_target("http://127.0.0.1:1000", "192.168.1.2:80").ok());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(answers)

BOOST_AUTO_TEST_CASE(success_gives_the_credentials) {
  const auto a = cloud::parse_sign_in(answer(0, kCredentials));
  BOOST_REQUIRE(a.ok());
  BOOST_TEST(a->status == 0);
  BOOST_REQUIRE(a->credentials.has_value());
  BOOST_TEST(a->credentials->user_id == "4242");
  BOOST_TEST(a->credentials->key == "0123456789abcdef0123456789abcdef");
  BOOST_TEST(a->credentials->token == "tok-SECRET-tok");
  BOOST_TEST(a->credentials->domain == "https://iotx-us.meross.com");
  BOOST_TEST(a->credentials->mqtt_domain == "mqtt-us-2.meross.com");
}

BOOST_AUTO_TEST_CASE(a_numeric_userid_is_accepted) {
  const auto a =
      cloud::parse_sign_in(answer(0, R"({"userid":77,"key":"k","token":"t","email":"e"})"));
  BOOST_REQUIRE(a.ok());
  BOOST_TEST(a->credentials->user_id == "77");
}

BOOST_AUTO_TEST_CASE(redirect_gives_the_domain) {
  const auto a = cloud::parse_sign_in(
      answer(1030, R"({"domain":"https://iotx-us.meross.com","mqttDomain":"mqtt-us.meross.com"})",
             "redirect app to login other than this region"));
  BOOST_REQUIRE(a.ok());
  BOOST_TEST(a->status == 1030);
  BOOST_TEST(a->redirect_domain == "https://iotx-us.meross.com");
  BOOST_TEST(!cloud::parse_sign_in(answer(1030, "{}")).ok());
}

BOOST_AUTO_TEST_CASE(failures_are_outcomes_with_a_message_each) {
  const std::map<int, std::string> expected = {{1000, "invalid"},
                                               {1001, "password was refused"},
                                               {1002, "no Meross account"},
                                               {1003, "disabled"},
                                               {1004, "wrong e-mail or password"},
                                               {1005, "invalid"},
                                               {1008, "no Meross account"},
                                               {1023, "signature"},
                                               {1028, "too frequently"},
                                               {1032, "--mfa CODE"},
                                               {1033, "--mfa CODE"},
                                               {1035, "locked"},
                                               {1042, "limit"},
                                               {1301, "too many sessions"}};
  for (const auto& [status, words] : expected) {
    const auto a = cloud::parse_sign_in(answer(status, "", "whatever"));
    BOOST_REQUIRE(a.ok());
    BOOST_TEST(a->status == status);
    BOOST_TEST(!a->credentials.has_value());
    const auto text = cloud::describe_api_status(status, a->info);
    BOOST_TEST_CONTEXT(status << ": " << text) {
      BOOST_TEST(text.find(words) != std::string::npos);
      BOOST_TEST(text.find(std::to_string(status)) != std::string::npos);
    }
  }
  BOOST_TEST(cloud::describe_api_status(1700, "odd thing") ==
             "the Meross API answered apiStatus 1700 (\"odd thing\")");
}

BOOST_AUTO_TEST_CASE(malformed_answers_are_errors_that_quote_no_secret) {
  for (const std::string& body :
       {std::string("not json"), std::string("[]"), std::string(R"({"data":{}})"),
        answer(0, R"({"userid":"1","key":"","token":"tok-SECRET-tok"})"),
        answer(0, R"({"userid":"1","key":"0123456789abcdef","token":""})"),
        answer(0, R"({"userid":"x1","key":"0123456789abcdef","token":"tok-SECRET-tok"})"),
        answer(0)}) {
    const auto a = cloud::parse_sign_in(body);
    BOOST_TEST_CONTEXT(body) {
      BOOST_TEST(!a.ok());
      if (!a.ok()) {
        BOOST_TEST(a.error().describe().find("tok-SECRET-tok") == std::string::npos);
        BOOST_TEST(a.error().describe().find("0123456789abcdef") == std::string::npos);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(device_list) {
  const auto devices = cloud::parse_device_list(
      answer(0, R"([{"uuid":"2301","devName":"Desk plug","deviceType":"mss310","subType":"un",)"
                R"("fmwareVersion":"6.1.8","hdwareVersion":"6.0.0","onlineStatus":1},)"
                R"({"uuid":"2302","devName":"Hall","deviceType":"msl120","onlineStatus":2},)"
                R"({"devName":"no uuid"}, 7])"));
  BOOST_REQUIRE(devices.ok());
  BOOST_REQUIRE(devices->size() == 2u);
  BOOST_TEST((*devices)[0].name == "Desk plug");
  BOOST_TEST((*devices)[0].type == "mss310");
  BOOST_TEST((*devices)[0].firmware == "6.1.8");
  BOOST_TEST(cloud::online_name((*devices)[0].online_status) == "online");
  BOOST_TEST(cloud::online_name((*devices)[1].online_status) == "offline");

  const auto refused = cloud::parse_device_list(answer(1019));
  BOOST_REQUIRE(!refused.ok());
  BOOST_TEST(refused.error().describe().find("1019") != std::string::npos);
  BOOST_TEST(!cloud::parse_device_list(answer(0, "{}")).ok());
}

BOOST_AUTO_TEST_CASE(hub_sub_devices) {
  cloud::CloudDevice hub;
  hub.type = "MSH300HK";
  BOOST_TEST(cloud::is_hub(hub));
  hub.type = "mss310";
  BOOST_TEST(!cloud::is_hub(hub));
  const auto children = cloud::parse_sub_devices(
      answer(0, R"([{"subDeviceId":"01004C4F","subDeviceType":"mts100v3","subDeviceVendor":)"
                R"("Meross","subDeviceName":"Bedroom valve"},{"subDeviceName":"no id"}])"));
  BOOST_REQUIRE(children.ok());
  BOOST_REQUIRE(children->size() == 1u);
  BOOST_TEST((*children)[0].id == "01004C4F");
  BOOST_TEST((*children)[0].type == "mts100v3");
  BOOST_TEST((*children)[0].name == "Bedroom valve");
  // meross_lan's fake answers an unknown hub with apiStatus -1.
  const auto unknown = cloud::parse_sub_devices(answer(-1, "", "uuid not registered"));
  BOOST_REQUIRE(!unknown.ok());
  BOOST_TEST(unknown.error().describe().find("apiStatus -1") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(flow)

// An in-process transport: answers by URL, records what was asked.
struct Script {
  std::map<std::string, std::vector<std::string>> answers;  // url → answers in turn
  std::vector<std::string> urls;
  cloud::CloudPost post() {
    return [this](const std::string& url, const std::string&,
                  const std::vector<std::string>&) -> meross::protocol::Result<std::string> {
      urls.push_back(url);
      auto& queue = answers[url];
      if (queue.empty()) return meross::protocol::Error{"", "no answer for " + url};
      auto body = queue.front();
      queue.erase(queue.begin());
      return body;
    };
  }
};

BOOST_AUTO_TEST_CASE(sign_in_follows_a_redirect) {
  Script s;
  s.answers["https://iotx-eu.meross.com/v1/Auth/signIn"] = {
      answer(1030, R"({"domain":"https://iotx-us.meross.com"})")};
  s.answers["https://iotx-us.meross.com/v1/Auth/signIn"] = {answer(0, kCredentials)};
  std::vector<std::string> heard;
  const auto outcome = cloud::sign_in(s.post(), "https://iotx-eu.meross.com", login(), 3,
                                      [&heard](const std::string& next) { heard.push_back(next); });
  BOOST_REQUIRE(outcome.ok());
  BOOST_TEST(outcome->answer.status == 0);
  BOOST_TEST(outcome->base == "https://iotx-us.meross.com");
  BOOST_TEST(heard == std::vector<std::string>{"https://iotx-us.meross.com"});
}

BOOST_AUTO_TEST_CASE(sign_in_redirects_are_bounded_and_checked) {
  Script loop;
  loop.answers["https://iotx-eu.meross.com/v1/Auth/signIn"] = {
      answer(1030, R"({"domain":"https://iotx-eu.meross.com"})"),
      answer(1030, R"({"domain":"https://iotx-eu.meross.com"})"),
      answer(1030, R"({"domain":"https://iotx-eu.meross.com"})")};
  const auto bounded = cloud::sign_in(loop.post(), "https://iotx-eu.meross.com", login(), 2);
  BOOST_REQUIRE(!bounded.ok());
  BOOST_TEST(bounded.error().describe().find("more than 2") != std::string::npos);
  BOOST_TEST(loop.urls.size() == 3u);

  Script plain;
  plain.answers["https://iotx-eu.meross.com/v1/Auth/signIn"] = {
      answer(1030, R"({"domain":"http://iotx-us.meross.com"})")};
  const auto refused = cloud::sign_in(plain.post(), "https://iotx-eu.meross.com", login());
  BOOST_REQUIRE(!refused.ok());
  BOOST_TEST(refused.error().describe().find("not https") != std::string::npos);
  BOOST_TEST(plain.urls.size() == 1u);
}

BOOST_AUTO_TEST_CASE(mfa_required_is_an_outcome) {
  Script s;
  s.answers["http://127.0.0.1:9/v1/Auth/signIn"] = {answer(1033, "", "MFA Code required")};
  const auto outcome = cloud::sign_in(s.post(), "http://127.0.0.1:9", login());
  BOOST_REQUIRE(outcome.ok());
  BOOST_TEST(outcome->answer.status == 1033);
}

BOOST_AUTO_TEST_CASE(run_account_explains_and_never_prints_secrets) {
  TempDir dir{"cloud-account-test"};
  const auto password_file = dir.path / "pw";
  std::ofstream(password_file) << "hunter2-pass\n";
  Script s;
  s.answers["http://127.0.0.1:9/v1/Auth/signIn"] = {answer(1033), answer(1004)};
  const cloud::CloudPost post = s.post();
  AccountOptions options;
  options.email = "a@b.c";
  options.password_file = password_file.string();
  options.api = "http://127.0.0.1:9";
  std::ostringstream out, err;
  BOOST_TEST(run_account(options, out, err, &post) == 2);
  BOOST_TEST(err.str().find("--mfa CODE") != std::string::npos);
  BOOST_TEST(run_account(options, out, err, &post) == 1);
  BOOST_TEST(err.str().find("wrong e-mail or password") != std::string::npos);
  BOOST_TEST((out.str() + err.str()).find("hunter2") == std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(bridge_toml)

const std::string kExisting = R"(# my bridge
[meross]
key = "old-key"
user_id = 1
timezone = "Europe/Paris"

[mqtt]
url = "mqtt://192.168.1.7:1883"
username = "bridge"
password = "mqtt-pass"

[polling]
electricity = "10s"

[[devices]]
uuid = "2301AAAAAAAAAAAAAAAAAAAAAAAAB296"
name = "My own name"
key = "device-own-key"
electricity = "5s"

[[devices]]
uuid = "9999aaaaaaaaaaaaaaaaaaaaaaaa0000"
)";

BridgeTomlUpdate account_update() {
  BridgeTomlUpdate update;
  update.key = "0123456789abcdef0123456789abcdef";
  update.user_id = 4242;
  update.devices = {{"2301aaaaaaaaaaaaaaaaaaaaaaaab296", "Desk plug"},
                    {"9999AAAAAAAAAAAAAAAAAAAAAAAA0000", "Hall light"},
                    {"1111bbbbbbbbbbbbbbbbbbbbbbbb2222", "Kettle"}};
  return update;
}

BOOST_AUTO_TEST_CASE(update_keeps_every_other_setting) {
  const auto text = update_bridge_toml(kExisting, account_update(), "bridge.toml");
  BOOST_REQUIRE_MESSAGE(text.ok(), (text.ok() ? std::string() : text.error().describe()));
  const auto result = meross::bridge::parse_config(*text, "bridge.toml");
  BOOST_REQUIRE_MESSAGE(result.config.has_value(),
                        (result.error ? result.error->describe() : std::string()));
  const auto& c = *result.config;
  BOOST_TEST(c.key == "0123456789abcdef0123456789abcdef");
  BOOST_TEST(c.user_id == 4242u);
  BOOST_TEST(c.timezone == "Europe/Paris");
  BOOST_TEST(c.mqtt.url == "mqtt://192.168.1.7:1883");
  BOOST_TEST(c.mqtt.username == "bridge");
  BOOST_TEST(c.mqtt.password == "mqtt-pass");
  BOOST_REQUIRE(c.devices.size() == 3u);
  // A listed device keeps its fields, and its local name over the app's.
  BOOST_TEST(c.devices[0].uuid == "2301aaaaaaaaaaaaaaaaaaaaaaaab296");
  BOOST_TEST(c.devices[0].name == "My own name");
  BOOST_TEST(c.devices[0].key == "device-own-key");
  BOOST_TEST(c.devices[0].electricity.has_value());
  // A listed device without a name gets the app's; a new one is added.
  BOOST_TEST(c.devices[1].name == "Hall light");
  BOOST_TEST(c.devices[2].uuid == "1111bbbbbbbbbbbbbbbbbbbbbbbb2222");
  BOOST_TEST(c.devices[2].name == "Kettle");
  BOOST_TEST(text->find("electricity = \"10s\"") != std::string::npos);

  // Applying it twice changes nothing.
  const auto again = update_bridge_toml(*text, account_update(), "bridge.toml");
  BOOST_REQUIRE(again.ok());
  BOOST_TEST(*again == *text);
}

BOOST_AUTO_TEST_CASE(update_of_an_empty_file_and_refusals) {
  const auto text = update_bridge_toml("", account_update(), "new.toml");
  BOOST_REQUIRE(text.ok());
  const auto result = meross::bridge::parse_config(*text, "new.toml");
  BOOST_REQUIRE(result.config.has_value());
  BOOST_TEST(result.config->devices.size() == 3u);

  BOOST_TEST(!update_bridge_toml("meross = 3", account_update(), "x.toml").ok());
  BOOST_TEST(!update_bridge_toml("devices = 3", account_update(), "x.toml").ok());
  const auto broken =
      update_bridge_toml("[meross\nkey = \"secret-old\"", account_update(), "x.toml");
  BOOST_REQUIRE(!broken.ok());
  BOOST_TEST(broken.error().describe().find("x.toml:") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(file_is_created_and_kept_0600) {
  TempDir dir{"cloud-account-test"};
  const auto created = dir.path / "new.toml";
  BOOST_REQUIRE(!update_bridge_config(created, account_update()));
  struct stat st {};
  BOOST_REQUIRE(::stat(created.c_str(), &st) == 0);
  BOOST_TEST((st.st_mode & 07777) == 0600u);

  const auto existing = dir.path / "bridge.toml";
  std::ofstream(existing) << kExisting;
  ::chmod(existing.c_str(), 0644);
  BOOST_REQUIRE(!update_bridge_config(existing, account_update()));
  BOOST_REQUIRE(::stat(existing.c_str(), &st) == 0);
  BOOST_TEST((st.st_mode & 07777) == 0600u);
  const auto text = read_file_or_empty(existing);
  BOOST_TEST(text.find("mqtt-pass") != std::string::npos);
  BOOST_TEST(text.find("0123456789abcdef0123456789abcdef") != std::string::npos);
  BOOST_TEST(std::distance(fs::directory_iterator(dir.path), fs::directory_iterator()) == 2);
}

BOOST_AUTO_TEST_SUITE_END()
