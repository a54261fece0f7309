#define BOOST_TEST_MODULE broker_unit
// The plugin's decisions (broker/auth_rules.hpp): device and internal logins, and the ACL of
// each role, including the filters a device could use to reach beyond its own topics.

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <string>

#include "broker/auth_rules.hpp"
#include "broker_test_support.hpp"

using namespace meross::broker;
using meross::test::broker::Device;
using meross::test::broker::kKey1;
using meross::test::broker::kKey2;
using meross::test::broker::pbkdf2_hash;

namespace {

InternalClient client(const std::string& name, Role role, const std::string& hash_text) {
  auto hash = parse_password_hash(hash_text);
  BOOST_REQUIRE(hash.ok());
  return InternalClient{name, role, *hash};
}

Settings settings(std::optional<std::vector<std::uint64_t>> user_ids = std::nullopt) {
  Settings s;
  s.keys = {kKey1, kKey2};
  s.clients = {client("meross-bridge", Role::bridge, pbkdf2_hash("bridge pw")),
               client("homeassistant", Role::homeassistant, pbkdf2_hash("ha pw", 1000, 16))};
  s.user_ids = std::move(user_ids);
  return s;
}

std::string upper(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c; });
  return text;
}

AuthResult login(const AuthRules& rules, const std::string& id, const std::string& user,
                 const std::string& password) {
  return rules.authenticate(id, user, password);
}

void check_refused(const AuthResult& result, const std::string& reason) {
  BOOST_TEST(!result.accepted);
  BOOST_TEST(std::string(result.reason) == reason);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(device_identity)

BOOST_AUTO_TEST_CASE(mac_addresses) {
  BOOST_TEST(normalize_mac("48:e1:e9:c4:b2:96").value() == "48:e1:e9:c4:b2:96");
  BOOST_TEST(normalize_mac("48:E1:e9:C4:B2:96").value() == "48:e1:e9:c4:b2:96");
  for (const char* bad : {"", "48e1e9c4b296", "48-e1-e9-c4-b2-96", "48:e1:e9:c4:b2",
                          "48:e1:e9:c4:b2:9", "48:e1:e9:c4:b2:96:", "48:e1:e9:c4:b2:9g",
                          "48:e1:e9:c4:b2::96", " 48:e1:e9:c4:b2:96", "meross-bridge"}) {
    BOOST_TEST(!normalize_mac(bad).has_value(), bad);
  }
}

BOOST_AUTO_TEST_CASE(device_client_ids) {
  const std::string uuid = "19011804581223251h0434298f1a4b07";
  BOOST_TEST(device_client_uuid("fmware:" + uuid + "_4Wvskv3yzf52FUeH").value() == uuid);
  BOOST_TEST(device_client_uuid("fmware:" + upper(uuid) + "_x").value() == upper(uuid));
  for (const std::string& bad : std::vector<std::string>{
           "fmware:" + uuid, "fmware:" + uuid + "_", "fmware:" + uuid + "_ab-c",
           "fmware:" + uuid + "_ab_c", "fmware:" + uuid + "_ab/c", "FMWARE:" + uuid + "_abc",
           "app:" + uuid + "_abc", "fmware:" + uuid.substr(1) + "_abc", "fmware:" + uuid + "0_abc",
           "fmware:" + uuid.substr(0, 31) + "-_abc", "fmware:" + uuid.substr(0, 31) + "+_abc",
           "fmware:_abc", "fmware:" + uuid + "_abc#", std::string("")}) {
    BOOST_TEST(!device_client_uuid(bad).has_value(), bad);
  }
}

BOOST_AUTO_TEST_CASE(uuid_tail_is_the_mac) {
  BOOST_TEST(uuid_matches_mac("1804123456789012345648e1e93cbc32", "48:e1:e9:3c:bc:32"));
  BOOST_TEST(uuid_matches_mac("1804123456789012345648E1E93CBC32", "48:e1:e9:3c:bc:32"));
  BOOST_TEST(uuid_matches_mac("1804123456789012345648e1e93cbc32", "48:E1:E9:3C:BC:32"));
  BOOST_TEST(!uuid_matches_mac("1804123456789012345648e1e93cbc33", "48:e1:e9:3c:bc:32"));
  BOOST_TEST(!uuid_matches_mac("48e1e93cbc321804123456789012345", "48:e1:e9:3c:bc:32"));
  BOOST_TEST(!uuid_matches_mac("18041234567890123456748e1e93cbc32", "48:e1:e9:3c:bc:32"));
}

BOOST_AUTO_TEST_CASE(user_ids_are_plain_decimals) {
  BOOST_TEST(parse_user_id("0").value() == 0u);
  BOOST_TEST(parse_user_id("12345").value() == 12345u);
  BOOST_TEST(parse_user_id("18446744073709551615").value() == 18446744073709551615u);
  for (const char* bad : {"", "007", "-1", "+1", "1a", " 1", "0x10", "18446744073709551616"}) {
    BOOST_TEST(!parse_user_id(bad).has_value(), bad);
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(device_login)

BOOST_AUTO_TEST_CASE(published_password_vector) {
  // meross-protocol.md §2.3: mac 34:29:8f:ff:ff:ff, key "testkey", userId 1234.
  Settings s;
  s.keys = {"testkey"};
  const AuthRules rules(std::move(s));
  const std::string id = "fmware:0123456789abcdef012334298fffffff_abc";
  const auto result =
      login(rules, id, "34:29:8f:ff:ff:ff", "1234_5ac868a81f2f21b4a87f7d2bb3467cb5");
  BOOST_TEST(result.accepted);
  BOOST_TEST((result.role == Role::device));
}

BOOST_AUTO_TEST_CASE(any_configured_key) {
  const AuthRules rules(settings());
  const Device d = Device::random();
  BOOST_TEST(login(rules, d.client_id, d.mac, d.password(kKey1, 0)).accepted);
  BOOST_TEST(login(rules, d.client_id, d.mac, d.password(kKey2, 0)).accepted);
  check_refused(login(rules, d.client_id, d.mac, d.password("other-key", 0)),
                "wrong password for every configured key");
  check_refused(login(rules, d.client_id, d.mac, d.password(kKey1 + "x", 0)),
                "wrong password for every configured key");
}

BOOST_AUTO_TEST_CASE(case_of_mac_uuid_and_digest) {
  const AuthRules rules(settings());
  const Device d = Device::random();
  const std::string password = d.password(kKey1, 7);
  // The MAC is hashed lowercase whatever case the username has; the uuid compares lowercase.
  BOOST_TEST(login(rules, d.client_id, upper(d.mac), password).accepted);
  BOOST_TEST(login(rules, "fmware:" + upper(d.uuid) + "_Ab1", d.mac, password).accepted);
  BOOST_TEST(login(rules, d.client_id, d.mac, upper(password)).accepted);
  // A password made from the uppercase MAC is not what a device sends.
  const std::string from_upper_mac = meross::protocol::device_mqtt_password(upper(d.mac), kKey1, 7);
  check_refused(login(rules, d.client_id, d.mac, from_upper_mac),
                "wrong password for every configured key");
}

BOOST_AUTO_TEST_CASE(mac_must_match_the_uuid) {
  const AuthRules rules(settings());
  const Device a = Device::random();
  const Device b = Device::random();
  // B's client id with A's MAC and A's (otherwise right) password.
  check_refused(login(rules, b.client_id, a.mac, a.password(kKey1, 0)),
                "the MAC does not match the uuid");
}

BOOST_AUTO_TEST_CASE(malformed_client_ids) {
  const AuthRules rules(settings());
  const Device d = Device::random();
  const std::string password = d.password(kKey1, 0);
  for (const std::string& id : std::vector<std::string>{
           std::string("meross-bridge"), "fmware:" + d.uuid, "fmware:" + d.uuid + "_",
           "fmware:" + d.uuid.substr(1) + "_abc", "app:" + d.uuid + "_abc",
           "fmware:" + d.uuid + "_a b", std::string("")}) {
    check_refused(login(rules, id, d.mac, password),
                  "malformed client id (expected fmware:<uuid>_<suffix>)");
  }
}

BOOST_AUTO_TEST_CASE(malformed_passwords) {
  const AuthRules rules(settings());
  const Device d = Device::random();
  const std::string digest = d.password(kKey1, 0).substr(2);
  check_refused(login(rules, d.client_id, d.mac, digest),
                "malformed password (expected <userId>_<md5>)");
  check_refused(login(rules, d.client_id, d.mac, "0_" + digest.substr(1)),
                "malformed password (expected <userId>_<md5>)");
  check_refused(login(rules, d.client_id, d.mac, "0_" + digest + "0"),
                "malformed password (expected <userId>_<md5>)");
  check_refused(login(rules, d.client_id, d.mac, "0_" + digest.substr(1) + "g"),
                "malformed password (expected <userId>_<md5>)");
  check_refused(login(rules, d.client_id, d.mac, ""),
                "malformed password (expected <userId>_<md5>)");
  for (const char* id : {"abc", "-1", "+0", "00", "1.5", "", " 0"}) {
    check_refused(login(rules, d.client_id, d.mac, id + std::string("_") + digest),
                  "the userId is not a decimal number");
  }
}

BOOST_AUTO_TEST_CASE(user_id_list) {
  const Device d = Device::random();
  const AuthRules any(settings());
  BOOST_TEST(any.authenticate(d.client_id, d.mac, d.password(kKey1, 987654321)).accepted);
  const AuthRules listed(settings(std::vector<std::uint64_t>{0, 12345}));
  BOOST_TEST(listed.authenticate(d.client_id, d.mac, d.password(kKey1, 0)).accepted);
  BOOST_TEST(listed.authenticate(d.client_id, d.mac, d.password(kKey2, 12345)).accepted);
  check_refused(listed.authenticate(d.client_id, d.mac, d.password(kKey1, 1234)),
                "userId not allowed");
  // Checked before the keys: a wrong key with a foreign userId is still "not allowed".
  check_refused(listed.authenticate(d.client_id, d.mac, d.password("nope", 7)),
                "userId not allowed");
}

BOOST_AUTO_TEST_CASE(anonymous) {
  const AuthRules rules(settings());
  const Device d = Device::random();
  check_refused(rules.authenticate(d.client_id, std::nullopt, std::nullopt), "anonymous");
  check_refused(rules.authenticate(d.client_id, d.mac, std::nullopt), "anonymous");
  check_refused(rules.authenticate(d.client_id, std::nullopt, d.password(kKey1, 0)), "anonymous");
  check_refused(rules.authenticate(d.client_id, "", d.password(kKey1, 0)), "anonymous");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(internal_login)

BOOST_AUTO_TEST_CASE(pbkdf2_hash_made_with_openssl) {
  const AuthRules rules(settings());
  const auto bridge = login(rules, "meross-bridge-1", "meross-bridge", "bridge pw");
  BOOST_TEST(bridge.accepted);
  BOOST_TEST((bridge.role == Role::bridge));
  const auto ha = login(rules, "", "homeassistant", "ha pw");
  BOOST_TEST(ha.accepted);
  BOOST_TEST((ha.role == Role::homeassistant));
  check_refused(login(rules, "x", "meross-bridge", "ha pw"), "wrong password");
  check_refused(login(rules, "x", "meross-bridge", "bridge pw "), "wrong password");
  check_refused(login(rules, "x", "meross-bridge", ""), "wrong password");
  check_refused(login(rules, "x", "Meross-Bridge", "bridge pw"), "unknown user");
  check_refused(login(rules, "x", "nobody", "bridge pw"), "unknown user");
}

BOOST_AUTO_TEST_CASE(hash_written_by_mosquitto_passwd) {
  namespace t = meross::test::broker;
  Settings s;
  s.keys = {kKey1};
  s.clients = {client(t::kMosquittoPasswdUser, Role::bridge, t::kMosquittoPasswdHash)};
  const AuthRules rules(std::move(s));
  BOOST_TEST(login(rules, "b", t::kMosquittoPasswdUser, t::kMosquittoPasswdPassword).accepted);
  check_refused(login(rules, "b", t::kMosquittoPasswdUser, "secret-pass"), "wrong password");
}

BOOST_AUTO_TEST_CASE(device_client_ids_are_for_devices) {
  // Taking a device's client id would kick the device off the broker.
  const AuthRules rules(settings());
  const Device d = Device::random();
  check_refused(login(rules, d.client_id, "meross-bridge", "bridge pw"),
                "fmware: client ids are for devices (username = MAC) only");
}

BOOST_AUTO_TEST_CASE(password_hash_format) {
  const std::string good = pbkdf2_hash("pw", 5, 12);
  const auto parsed = parse_password_hash(good);
  BOOST_REQUIRE(parsed.ok());
  BOOST_TEST(parsed->iterations == 5u);
  BOOST_TEST(parsed->salt.size() == 12u);
  BOOST_TEST(parsed->digest.size() == 64u);
  BOOST_TEST(verify_password(*parsed, "pw"));
  BOOST_TEST(!verify_password(*parsed, "pW"));
  // Unpadded base64 is the same hash.
  std::string unpadded = good;
  unpadded.erase(unpadded.find_last_not_of('=') + 1);
  BOOST_TEST(verify_password(parse_password_hash(unpadded).value(), "pw"));

  const std::string salt = good.substr(5, 16);
  const std::string digest = good.substr(22);
  for (const std::string& bad : std::vector<std::string>{
           std::string(""), "$6$" + good.substr(3), "$7$5$" + salt,
           "$7$5$" + salt + "$" + digest + "$", "$7$0$" + salt + "$" + digest,
           "$7$x$" + salt + "$" + digest, "$7$10000001$" + salt + "$" + digest,
           "$7$05$" + salt + "$" + digest, "$7$5$$" + digest, "$7$5$" + salt + "!$" + digest,
           "$7$5$" + salt + "$" + digest.substr(4), "$7$5$" + salt + "$" + digest + "AAAA",
           "$7$5$" + salt + "$" + digest.substr(0, 85) + "=", good.substr(3)}) {
    const auto result = parse_password_hash(bad);
    BOOST_TEST(!result.ok(), bad);
    if (!result.ok() && bad.size() > 20) {
      BOOST_TEST(result.error().message.find(bad.substr(8, 12)) == std::string::npos);
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(acl)

namespace {

struct Acl {
  AuthRules rules{settings()};
  Device device = Device::random();
  Device other = Device::random();

  Identity who_device() const { return rules.identify(device.client_id, device.mac).value(); }
  Identity who(const char* user) const { return rules.identify("client-1", user).value(); }
  bool can(const Identity& id, Access access, const std::string& topic) const {
    return rules.allowed(id, access, topic);
  }
};

constexpr Access kAll[] = {Access::subscribe, Access::unsubscribe, Access::read, Access::write};

}  // namespace

BOOST_FIXTURE_TEST_CASE(device_own_topics_only, Acl) {
  const Identity me = who_device();
  BOOST_TEST((me.role == Role::device));
  const std::string sub = device.subscribe_topic();
  const std::string pub = device.publish_topic();
  BOOST_TEST(can(me, Access::subscribe, sub));
  BOOST_TEST(can(me, Access::unsubscribe, sub));
  BOOST_TEST(can(me, Access::read, sub));
  BOOST_TEST(!can(me, Access::write, sub));
  BOOST_TEST(can(me, Access::write, pub));
  BOOST_TEST(!can(me, Access::subscribe, pub));
  BOOST_TEST(!can(me, Access::read, pub));
  // The uuid is the same device whatever its case.
  BOOST_TEST(can(me, Access::write, "/appliance/" + upper(device.uuid) + "/publish"));
}

BOOST_FIXTURE_TEST_CASE(device_cannot_escape, Acl) {
  const Identity me = who_device();
  const std::string u = device.uuid;
  for (const std::string& topic :
       std::vector<std::string>{std::string("#"),
                                std::string("+/#"),
                                std::string("/#"),
                                std::string("/+/#"),
                                std::string("+"),
                                std::string("/appliance/#"),
                                std::string("/appliance/+/subscribe"),
                                std::string("/appliance/+/publish"),
                                std::string("/appliance/+/#"),
                                "/appliance/" + u + "/#",
                                "/appliance/" + u + "/+",
                                "/appliance/" + u,
                                "/appliance/" + u + "/",
                                "/appliance/" + u + "/subscribe/#",
                                "/appliance/" + u + "/subscribe/x",
                                "/appliance/" + u + "/publish/x",
                                "/appliance/" + u + "/subscribe ",
                                "appliance/" + u + "/subscribe",
                                "//appliance/" + u + "/subscribe",
                                "/appliance/" + u.substr(1) + "/subscribe",
                                "/appliance/" + u + "0/subscribe",
                                other.subscribe_topic(),
                                other.publish_topic(),
                                std::string("homeassistant/#"),
                                std::string("homeassistant/switch/x/config"),
                                std::string("meross/bridge/availability"),
                                std::string("$SYS/#"),
                                std::string("$SYS/broker/uptime"),
                                std::string("/app/123-abc/subscribe"),
                                std::string("")}) {
    for (const Access access : kAll) {
      BOOST_TEST(!can(me, access, topic), topic << " access " << static_cast<int>(access));
    }
  }
}

BOOST_FIXTURE_TEST_CASE(bridge_rules, Acl) {
  const Identity bridge = who("meross-bridge");
  BOOST_TEST((bridge.role == Role::bridge));
  for (const Access a : {Access::subscribe, Access::unsubscribe}) {
    BOOST_TEST(can(bridge, a, "/appliance/+/publish"));
    BOOST_TEST(can(bridge, a, device.publish_topic()));
    BOOST_TEST(can(bridge, a, "/appliance/meross_lan/publish"));
    for (const char* filter :
         {"/appliance/#", "/appliance/+/subscribe", "/appliance/+/+", "/appliance/+/#",
          "/appliance/+/publish/#", "/appliance//publish", "/appliance/a+/publish",
          "/appliance/#/publish", "#", "+/#", "/#", "+/+/publish"}) {
      BOOST_TEST(!can(bridge, a, filter), filter);
    }
    BOOST_TEST(!can(bridge, a, device.subscribe_topic()));
  }
  BOOST_TEST(can(bridge, Access::read, device.publish_topic()));
  BOOST_TEST(!can(bridge, Access::read, device.subscribe_topic()));
  BOOST_TEST(can(bridge, Access::write, device.subscribe_topic()));
  BOOST_TEST(!can(bridge, Access::write, device.publish_topic()));
  BOOST_TEST(!can(bridge, Access::write, "/appliance/" + device.uuid + "/subscribe/x"));
  BOOST_TEST(!can(bridge, Access::write, "/appliance//subscribe"));
  BOOST_TEST(!can(bridge, Access::read, "$SYS/broker/uptime"));
}

BOOST_FIXTURE_TEST_CASE(topic_roots_match_whole_levels, Acl) {
  for (const char* user : {"meross-bridge", "homeassistant"}) {
    const Identity id = who(user);
    for (const Access a : kAll) {
      BOOST_TEST(can(id, a, "homeassistant/switch/x/config"), user);
      BOOST_TEST(can(id, a, "meross/bridge/availability"), user);
      BOOST_TEST(can(id, a, "meross/"), user);
      for (const char* topic :
           {"merossX/a", "meross", "homeassistant", "homeassistantx/#", "/homeassistant/x",
            "Meross/a", "x/meross/a", "other/a", "#", "+/#", "+/status", "/meross/a"}) {
        BOOST_TEST(!can(id, a, topic), user << " " << topic);
      }
    }
    for (const Access a : {Access::subscribe, Access::unsubscribe}) {
      BOOST_TEST(can(id, a, "homeassistant/#"), user);
      BOOST_TEST(can(id, a, "meross/+/state"), user);
    }
  }
}

BOOST_FIXTURE_TEST_CASE(homeassistant_has_no_appliance_topics, Acl) {
  const Identity ha = who("homeassistant");
  BOOST_TEST((ha.role == Role::homeassistant));
  for (const Access a : kAll) {
    for (const std::string& topic :
         std::vector<std::string>{std::string("/appliance/+/publish"), device.publish_topic(),
                                  device.subscribe_topic(), std::string("/appliance/#")}) {
      BOOST_TEST(!can(ha, a, topic), topic);
    }
  }
}

BOOST_AUTO_TEST_CASE(configured_topic_roots) {
  Settings s = settings();
  s.topic_roots = {"ha", "bridge1"};
  const AuthRules rules(std::move(s));
  const Identity ha = rules.identify("c", "homeassistant").value();
  BOOST_TEST(rules.allowed(ha, Access::subscribe, "ha/#"));
  BOOST_TEST(rules.allowed(ha, Access::write, "bridge1/x"));
  BOOST_TEST(!rules.allowed(ha, Access::subscribe, "homeassistant/#"));
  BOOST_TEST(!rules.allowed(ha, Access::write, "meross/x"));
}

BOOST_FIXTURE_TEST_CASE(roles_come_from_username_and_client_id, Acl) {
  // A device's username with a client id that is not its own has no role.
  BOOST_TEST(!rules.identify(other.client_id, device.mac).has_value());
  BOOST_TEST(!rules.identify("meross-bridge", device.mac).has_value());
  BOOST_TEST(rules.identify(device.client_id, upper(device.mac)).has_value());
  BOOST_TEST(!rules.identify(device.client_id, std::nullopt).has_value());
  BOOST_TEST(!rules.identify(device.client_id, "unknown").has_value());
  BOOST_TEST(!rules.identify("c", "").has_value());
  // Internal users with a device's client id neither.
  BOOST_TEST(!rules.identify(device.client_id, "meross-bridge").has_value());
  const auto device_id = rules.identify(device.client_id, device.mac);
  BOOST_TEST(device_id->uuid == device.uuid);
}

BOOST_AUTO_TEST_SUITE_END()
