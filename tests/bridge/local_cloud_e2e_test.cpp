#define BOOST_TEST_MODULE bridge_local_cloud_e2e
// The local Meross cloud as a user assembles it (README, "Your own local cloud"):
// `meross-bridge broker-config` writes the broker → a real mosquitto runs that configuration with
// our auth plugin and its TLS listener → devices the broker has never heard of log in the way
// firmware does → `meross-bridge --config DIR/bridge.toml` → Home Assistant (logged in with the
// generated `homeassistant` login) sees discovery and states and sends commands. Wrong keys,
// MAC/uuid mismatches and anonymous clients are refused; a device cannot reach another device's
// topics or Home Assistant's.
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>

#include <rapidjson/document.h>
#include <boost/test/unit_test.hpp>

#include "e2e_support.hpp"
#include "local_cloud.hpp"
#include "protocol/json.hpp"
#include "support/firmware_device.hpp"

using namespace meross;
using namespace meross::test;
namespace fs = std::filesystem;

namespace {

using meross::test::kKey;
using meross::test::LocalCloud;
using meross::test::new_identity;
using meross::test::read_all;

// The command topic of the device's switch, read from its discovery document.
std::string switch_command_topic(const std::string& document) {
  rapidjson::Document doc;
  doc.Parse(document.c_str());
  BOOST_REQUIRE(!doc.HasParseError() && doc.IsObject());
  const auto* components = protocol::find_member(doc, "cmps");
  if (!components) components = protocol::find_member(doc, "components");
  BOOST_REQUIRE(components != nullptr && components->IsObject());
  for (auto it = components->MemberBegin(); it != components->MemberEnd(); ++it) {
    const auto& c = it->value;
    auto platform = protocol::string_member(c, "p");
    if (!platform) platform = protocol::string_member(c, "platform");
    if (!platform || *platform != "switch") continue;
    auto topic = protocol::string_member(c, "cmd_t");
    if (!topic) topic = protocol::string_member(c, "command_topic");
    if (topic) return std::string(*topic);
  }
  BOOST_FAIL("no switch in " + document);
  return {};
}

std::string state_topic_of(const std::string& command_topic) {
  return command_topic.substr(0, command_topic.size() - 3) + "state";
}

}  // namespace

// The device's discovery document, once Home Assistant has it.
std::string discovery_document(LocalCloud& cloud, const std::string& uuid) {
  const auto document = cloud.ha->wait_for(
      [&](const MqttTestClient::Message& m) {
        return m.topic == "homeassistant/device/meross_" + uuid + "/config" && !m.payload.empty();
      },
      kWait);
  BOOST_REQUIRE_MESSAGE(document.has_value(), cloud.bridge->output());
  return document->payload;
}

BOOST_AUTO_TEST_CASE(a_device_never_registered_appears_and_obeys_home_assistant) {
  LocalCloud cloud;
  const auto id = new_identity();
  FirmwareDevice device(cloud.device(id));
  BOOST_REQUIRE_EQUAL(device.connack(), 0);
  BOOST_REQUIRE_MESSAGE(device.wait_bound(), cloud.bridge->output());

  const std::string command = switch_command_topic(discovery_document(cloud, id.uuid));
  const std::string state = state_topic_of(command);
  BOOST_REQUIRE(cloud.ha->wait_for(payload_on(state, "OFF"), kWait));

  // Home Assistant → bridge → a signed SET on the device's own topic, replies on its own topic.
  cloud.ha->publish(command, "ON");
  const auto set = device.wait_request([](const FirmwareDevice::Request& r) {
    return r.method == "SET" && r.ns == "Appliance.Control.ToggleX";
  });
  BOOST_REQUIRE(set.has_value());
  BOOST_TEST(set->signature_ok);
  BOOST_TEST(set->from == device.publish_topic());
  BOOST_TEST(device.wait_relay(true));
  BOOST_TEST(cloud.ha->wait_for(payload_on(state, "ON"), kWait).has_value());

  // The device's own button: its PUSH reaches Home Assistant.
  cloud.ha->clear();
  device.press(false);
  BOOST_TEST(cloud.ha->wait_for(payload_on(state, "OFF"), kWait).has_value());
  // Every request the bridge sent was signed with the key and asked for replies on the device's
  // own topic (the only one its ACL lets it write).
  for (const auto& request : device.requests()) {
    BOOST_TEST(request.signature_ok, request.ns);
    BOOST_TEST(request.from == device.publish_topic(), request.ns);
  }
  BOOST_TEST(cloud.bridge->output().find("no answer") == std::string::npos, cloud.bridge->output());
  BOOST_TEST(cloud.secrets_in_output().empty());
}

BOOST_AUTO_TEST_CASE(wrong_credentials_and_anonymous_clients_are_refused) {
  LocalCloud cloud;
  const auto id = new_identity();

  auto wrong_key = cloud.device(id);
  wrong_key.key = "another-account-key";
  FirmwareDevice other_account(wrong_key);
  BOOST_TEST(other_account.connack() != 0);

  auto mismatch = cloud.device(id);
  mismatch.mac = new_identity().mac;  // a MAC that is not the uuid's
  FirmwareDevice impostor(mismatch);
  BOOST_TEST(impostor.connack() != 0);

  MqttTestClient::Options anonymous;
  BOOST_CHECK_THROW(MqttTestClient(cloud.local_port, anonymous), std::runtime_error);
  MqttTestClient::Options wrong_ha;
  wrong_ha.username = "homeassistant";
  wrong_ha.password = "guessed";
  BOOST_CHECK_THROW(MqttTestClient(cloud.local_port, wrong_ha), std::runtime_error);

  // The right device still gets in.
  FirmwareDevice device(cloud.device(id));
  BOOST_TEST(device.connack() == 0);
}

BOOST_AUTO_TEST_CASE(a_device_reaches_neither_other_devices_nor_home_assistant) {
  LocalCloud cloud;
  const auto a_id = new_identity();
  const auto b_id = new_identity();
  FirmwareDevice a(cloud.device(a_id));
  FirmwareDevice b(cloud.device(b_id));
  BOOST_REQUIRE(a.wait_bound());
  BOOST_REQUIRE(b.wait_bound());
  const auto b_document = cloud.ha->wait_for(
      [&](const MqttTestClient::Message& m) {
        return m.topic == "homeassistant/device/meross_" + b_id.uuid + "/config";
      },
      kWait);
  BOOST_REQUIRE(b_document.has_value());
  const std::string b_command = switch_command_topic(b_document->payload);
  b.press(true);
  BOOST_REQUIRE(cloud.ha->wait_for(payload_on(state_topic_of(b_command), "ON"), kWait));
  cloud.ha->clear();  // from here on, B is ON unless a forgery got through

  a.subscribe_raw("#");
  a.subscribe_raw("/appliance/+/subscribe");
  a.subscribe_raw("/appliance/" + b_id.uuid + "/subscribe");
  a.subscribe_raw("homeassistant/#");
  // Forgeries, each of which would switch B off or fool Home Assistant if it got through; then
  // A's own button, whose state arrives after anything A sent before it.
  const auto now = wall_now();
  auto forged_set =
      protocol::make_request_header(protocol::Method::Set, "Appliance.Control.ToggleX",
                                    "/appliance/" + a_id.uuid + "/publish", kKey, now);
  a.publish_raw("/appliance/" + b_id.uuid + "/subscribe",
                protocol::serialize(forged_set, R"({"togglex":{"channel":0,"onoff":0}})"));
  auto forged_push =
      protocol::make_request_header(protocol::Method::Push, "Appliance.Control.ToggleX",
                                    "/appliance/" + b_id.uuid + "/publish", kKey, now);
  forged_push.uuid = b_id.uuid;
  a.publish_raw("/appliance/" + b_id.uuid + "/publish",
                protocol::serialize(forged_push, R"({"togglex":[{"channel":0,"onoff":0}]})"));
  a.publish_raw("homeassistant/device/meross_forged/config", R"({"forged":true})");
  a.publish_raw(b_command, "OFF");
  a.press(true);
  BOOST_REQUIRE(cloud.ha->wait_for(
      [&](const MqttTestClient::Message& m) {
        return m.topic.starts_with("meross/" + a_id.uuid + "/") && m.payload == "ON";
      },
      kWait));
  // One more round trip through B, so that anything in flight towards B has arrived.
  cloud.ha->publish(b_command, "ON");
  BOOST_REQUIRE(b.wait_request([](const FirmwareDevice::Request& r) {
    return r.method == "SET" && r.ns == "Appliance.Control.ToggleX";
  }));

  BOOST_TEST(b.relay());
  for (const auto& request : b.requests()) {
    BOOST_TEST(request.from != "/appliance/" + a_id.uuid + "/publish", request.ns);
    BOOST_TEST(request.payload.find("\"onoff\":0") == std::string::npos, request.payload);
  }
  for (const auto& m : cloud.ha->messages()) {
    BOOST_TEST(m.topic != "homeassistant/device/meross_forged/config");
    BOOST_TEST(!(m.topic == state_topic_of(b_command) && m.payload == "OFF"));
  }
  for (const auto& topic : a.received_topics())
    BOOST_TEST(topic == a.subscribe_topic());
  for (const auto& topic : b.received_topics())
    BOOST_TEST(topic == b.subscribe_topic());
}

// Issue 16, item 8: a command for an entity or channel the device does not have (−1, 7 on a
// one-channel plug, 1e9) or with a payload the switch does not take is refused with a log line
// and counted in the bridge's "Rejected commands" sensor; none reaches the device, and the
// device still obeys the commands that are right.
BOOST_AUTO_TEST_CASE(commands_for_channels_a_device_lacks_are_refused_logged_and_counted) {
  LocalCloud cloud;
  const auto id = new_identity();
  FirmwareDevice device(cloud.device(id));
  BOOST_REQUIRE_MESSAGE(device.wait_bound(), cloud.bridge->output());
  const std::string command = switch_command_topic(discovery_document(cloud, id.uuid));
  BOOST_REQUIRE(cloud.ha->wait_for(payload_on(state_topic_of(command), "OFF"), kWait));
  // Switch commands only: the bridge's own SET of the time zone may reach the device after Home
  // Assistant saw the first state.
  const auto sets = [&] {
    const auto requests = device.requests();
    return std::count_if(requests.begin(), requests.end(), [](const FirmwareDevice::Request& r) {
      return r.method == "SET" && r.ns == "Appliance.Control.ToggleX";
    });
  };
  const auto sets_before = sets();

  const std::string base = "meross/" + id.uuid + "/";
  for (const auto* key : {"switch_-1", "switch_7", "switch_1000000000", "switch_x"})
    cloud.ha->publish(base + key + "/set", "ON");
  cloud.ha->publish(command, "HALF");
  const auto counted = cloud.ha->wait_for(
      [](const MqttTestClient::Message& m) {
        return m.topic == "meross/bridge/rejected_commands/state" && m.payload == "5";
      },
      kWait);
  BOOST_REQUIRE_MESSAGE(counted.has_value(), cloud.bridge->output());
  const std::string log = cloud.bridge->output();
  for (const auto* key : {"switch_-1", "switch_7", "switch_1000000000", "switch_x"})
    BOOST_TEST(log.find(id.uuid + "/" + key + " rejected") != std::string::npos, key);
  BOOST_TEST(log.find("command HALF on " + id.uuid + "/switch_0 rejected") != std::string::npos,
             log);
  BOOST_TEST(cloud.ha
                 ->wait_for(
                     [](const MqttTestClient::Message& m) {
                       return m.topic == "homeassistant/device/meross_bridge/config" &&
                              m.payload.find("rejected_commands") != std::string::npos;
                     },
                     kWait)
                 .has_value());

  // None reached the device (polls may have); the right command still does.
  BOOST_TEST(sets() == sets_before);
  cloud.ha->publish(command, "ON");
  BOOST_TEST(device.wait_relay(true));
  BOOST_TEST(cloud.ha->wait_for(payload_on(state_topic_of(command), "ON"), kWait).has_value());
  BOOST_TEST(cloud.secrets_in_output().empty());
}
