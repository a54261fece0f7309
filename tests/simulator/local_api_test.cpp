// Unit tests of a simulated device's local HTTP API (simulator/device.hpp http_request): signed
// requests, 5001 for another account's key, ECDHE + AES firmware, and Appliance.Config.Key moving
// the device to another broker. No sockets; the client side uses pairing's crypto.

#include <optional>
#include <string>

#include <rapidjson/document.h>
#include <boost/test/unit_test.hpp>

#include "pairing/crypto.hpp"
#include "protocol/envelope.hpp"
#include "protocol/json.hpp"
#include "protocol/signing.hpp"
#include "simulator/device.hpp"
#include "simulator/profiles.hpp"

using namespace meross;
using protocol::Method;

namespace {

constexpr std::int64_t kT0 = 1'750'000'000'000;
constexpr const char* kKey = "sim-key";

sim::DeviceSettings settings() {
  sim::DeviceSettings s;
  s.key = kKey;
  s.user_id = 42;
  s.broker_host = "127.0.0.1";
  s.broker_port = 18883;
  s.move_delay_ms = 500;
  return s;
}

std::unique_ptr<sim::Device> device(bool ecdhe = false, bool static_key = false) {
  auto tmpl = sim::builtin_template("mss310");
  BOOST_REQUIRE(tmpl);
  if (ecdhe || static_key) {
    tmpl = static_key ? sim::with_static_key(**tmpl) : sim::with_ecdhe(**tmpl);
    BOOST_REQUIRE(tmpl);
  }
  const auto uuid = sim::builtin_uuid("mss310", 0);
  return std::make_unique<sim::Device>(*tmpl, uuid, sim::mac_from_uuid(uuid), settings(), kT0);
}

std::string request(Method method, std::string_view ns, std::string_view payload,
                    std::string_view key = kKey, std::string id = "0123456789abcdef") {
  auto h = protocol::make_request_header(method, ns, "http://127.0.0.1/config", key, kT0 / 1000,
                                         std::move(id));
  return protocol::serialize(h, payload);
}

// The answer to a plaintext request, checked like a client checks it: same messageId and
// namespace, signed with `key`.
protocol::Message ask(sim::Device& d, Method method, std::string_view ns, std::string_view payload,
                      std::string_view key = kKey, std::int64_t now = kT0) {
  const auto r = d.http_request(request(method, ns, payload, key, "feedfacefeedface"), now);
  BOOST_REQUIRE_MESSAGE(r.body, r.problem);
  auto m = protocol::parse_message(*r.body);
  BOOST_REQUIRE(m);
  BOOST_TEST(m->header.message_id == "feedfacefeedface");
  BOOST_TEST(m->header.ns == std::string(ns));
  BOOST_TEST(protocol::verify_sign(m->header.message_id, key, m->header.timestamp, m->header.sign));
  return std::move(m).value();
}

std::int64_t error_code(const protocol::Message& m) {
  const auto* e = protocol::find_member(m.payload(), "error");
  return e ? protocol::int_member(*e, "code").value_or(-1) : -1;
}

std::string config_key(std::string_view drop = "", std::string_view key = "new-key") {
  rapidjson::Document doc;
  doc.Parse(R"({"key":{"gateway":{"host":"127.0.0.2","port":8883,"secondHost":"127.0.0.3",)"
            R"("secondPort":8884,"redirect":1},"key":"","userId":"77"}})");
  doc["key"]["key"].SetString(key.data(), static_cast<rapidjson::SizeType>(key.size()),
                              doc.GetAllocator());
  if (!drop.empty()) {
    auto& key_object = doc["key"];
    if (key_object.HasMember(std::string(drop))) {
      key_object.RemoveMember(std::string(drop));
    } else {
      key_object["gateway"].RemoveMember(std::string(drop));
    }
  }
  return protocol::to_json(doc);
}

// Connects and binds the device as the bridge does.
void bind(sim::Device& d, std::string_view key = kKey) {
  for (const auto& out : d.connect(kT0)) {
    auto m = protocol::parse_message(out.payload);
    BOOST_REQUIRE(m);
    if (m->header.ns != "Appliance.Control.Bind") continue;
    BOOST_TEST(
        protocol::verify_sign(m->header.message_id, key, m->header.timestamp, m->header.sign));
    const auto ack = protocol::make_ack_header(m->header, key, kT0 / 1000, d.publish_topic());
    BOOST_REQUIRE(d.receive(protocol::serialize(ack, "{}"), kT0).became_bound);
  }
  BOOST_REQUIRE(d.bound());
}

}  // namespace

BOOST_AUTO_TEST_SUITE(local_api)

BOOST_AUTO_TEST_CASE(plain_firmware_answers_signed_requests_without_any_mqtt_session) {
  auto d = device();
  const auto all = ask(*d, Method::Get, "Appliance.System.All", "{}");
  BOOST_TEST((all.header.method == Method::GetAck));
  BOOST_TEST(all.header.from == d->publish_topic());
  const auto* hardware = protocol::find_member(all.payload()["all"]["system"], "hardware");
  BOOST_REQUIRE(hardware);
  BOOST_TEST(*protocol::string_member(*hardware, "uuid") == d->uuid());
  const auto ability = ask(*d, Method::Get, "Appliance.System.Ability", "{}");
  BOOST_TEST(protocol::find_member(ability.payload()["ability"], "Appliance.Control.ToggleX"));
  BOOST_TEST(!protocol::find_member(ability.payload()["ability"], "Appliance.Encrypt.ECDHE"));

  // Another account's key: ERROR 5001, signed with the device's own key.
  const auto r =
      d->http_request(request(Method::Get, "Appliance.System.All", "{}", "their-key"), kT0);
  BOOST_REQUIRE(r.body);
  const auto error = protocol::parse_message(*r.body);
  BOOST_REQUIRE(error);
  BOOST_TEST((error->header.method == Method::Error));
  BOOST_TEST(error_code(*error) == 5001);
  BOOST_TEST(protocol::verify_sign(error->header.message_id, kKey, error->header.timestamp,
                                   error->header.sign));

  BOOST_TEST(error_code(ask(*d, Method::Get, "Appliance.No.Such", "{}")) == 5000);
  BOOST_TEST(!d->http_request("not json", kT0).body);
  BOOST_TEST(!d->http_request("", kT0).body);
  // Base64 before any key exchange: plain firmware cannot read it.
  BOOST_TEST(!d->http_request("AAAAAAAAAAAAAAAAAAAAAA==", kT0).body);
}

BOOST_AUTO_TEST_CASE(http_commands_change_the_state_mqtt_sees_and_push_when_bound) {
  auto d = device();
  // Unbound: carried out, nothing for the broker.
  auto unbound = d->http_request(
      request(Method::Set, "Appliance.Control.ToggleX", R"({"togglex":{"channel":0,"onoff":0}})"),
      kT0);
  BOOST_REQUIRE(unbound.body);
  BOOST_TEST(unbound.messages.empty());
  bind(*d);
  const auto r = d->http_request(
      request(Method::Set, "Appliance.Control.ToggleX", R"({"togglex":{"channel":0,"onoff":1}})"),
      kT0);
  BOOST_REQUIRE(r.body);
  BOOST_TEST((protocol::parse_message(*r.body)->header.method == Method::SetAck));
  BOOST_REQUIRE_EQUAL(r.messages.size(), 1u);
  BOOST_TEST(r.messages[0].topic == d->publish_topic());
  BOOST_TEST(r.messages[0].payload.find(R"("onoff":1)") != std::string::npos);
  BOOST_TEST(d->state_json(kT0).find(R"("onoff":1)") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(ecdhe_firmware_takes_plaintext_only_for_discovery_and_the_exchange) {
  auto d = device(true);
  BOOST_TEST(d->ecdhe());
  const auto ability = ask(*d, Method::Get, "Appliance.System.Ability", "{}");
  BOOST_TEST(protocol::find_member(ability.payload()["ability"], "Appliance.Encrypt.ECDHE"));
  BOOST_TEST((ask(*d, Method::Get, "Appliance.System.All", "{}").header.method == Method::GetAck));
  const auto suite = ask(*d, Method::Get, "Appliance.Encrypt.Suite", "{}");
  BOOST_TEST(protocol::to_json(suite.payload()) ==
             R"({"suite":{"ka":"ecdhe256","se":"mrskey","ds":""}})");
  // Anything else in plaintext: the connection is dropped, as firmware does.
  BOOST_TEST(!d->http_request(request(Method::Get, "Appliance.Control.ToggleX", "{}"), kT0).body);

  const pairing::EcdhKey client;
  const auto exchange =
      ask(*d, Method::Set, "Appliance.Encrypt.ECDHE",
          R"({"ecdhe":{"step":1,"pubkey":")" + client.public_key_base64() + R"("}})");
  BOOST_TEST((exchange.header.method == Method::SetAck));
  const auto* ecdhe = protocol::find_member(exchange.payload(), "ecdhe");
  BOOST_REQUIRE(ecdhe);
  const auto session = client.session_key(*protocol::string_member(*ecdhe, "pubkey"));
  BOOST_REQUIRE(session);

  const std::string plain = request(Method::Get, "Appliance.Control.ToggleX", "{}");
  const auto r =
      d->http_request(pairing::base64_encode(pairing::aes_zero_pad_encrypt(plain, *session)), kT0);
  BOOST_REQUIRE_MESSAGE(r.body, r.problem);
  BOOST_TEST(r.body->front() != '{');
  const auto cipher = pairing::base64_decode(*r.body);
  BOOST_REQUIRE(cipher);
  const auto reply = pairing::aes_zero_pad_decrypt(*cipher, *session);
  BOOST_REQUIRE(reply);
  const auto m = protocol::parse_message(*reply);
  BOOST_REQUIRE(m);
  BOOST_TEST((m->header.method == Method::GetAck));
  BOOST_TEST(protocol::find_member(m->payload(), "togglex"));

  // A wrong session key gives garbage the device cannot read: dropped.
  const std::string wrong(32, 'a');
  BOOST_TEST(
      !d->http_request(pairing::base64_encode(pairing::aes_zero_pad_encrypt(plain, wrong)), kT0)
           .body);
  // A wrongly signed request, encrypted properly: ERROR 5001 (encrypted too).
  const auto bad = d->http_request(
      pairing::base64_encode(pairing::aes_zero_pad_encrypt(
          request(Method::Get, "Appliance.Control.ToggleX", "{}", "their-key"), *session)),
      kT0);
  BOOST_REQUIRE(bad.body);
  const auto bad_plain =
      pairing::aes_zero_pad_decrypt(*pairing::base64_decode(*bad.body), *session);
  BOOST_REQUIRE(bad_plain);
  BOOST_TEST(error_code(*protocol::parse_message(*bad_plain)) == 5001);
}

BOOST_AUTO_TEST_CASE(static_key_firmware_refuses_the_exchange_and_takes_its_derived_key) {
  auto d = device(false, true);
  BOOST_TEST(d->ecdhe());
  BOOST_TEST(d->static_key());
  // Plaintext: System.Ability only, listing the ECDHE ability all the same.
  const auto ability = ask(*d, Method::Get, "Appliance.System.Ability", "{}");
  BOOST_TEST(protocol::find_member(ability.payload()["ability"], "Appliance.Encrypt.ECDHE"));
  BOOST_TEST(!d->http_request(request(Method::Get, "Appliance.System.All", "{}"), kT0).body);
  const pairing::EcdhKey client;
  const std::string exchange =
      R"({"ecdhe":{"step":1,"pubkey":")" + client.public_key_base64() + R"("}})";
  BOOST_TEST(!d->http_request(request(Method::Set, "Appliance.Encrypt.ECDHE", exchange), kT0).body);

  // AES with the key meross_lan derives, for every namespace, System.All included.
  const auto key = pairing::static_encryption_key(d->uuid(), kKey, d->mac());
  const auto encrypted_ask = [&](std::string_view ns, std::string_view signing_key,
                                 const std::string& aes_key) -> std::optional<protocol::Message> {
    const auto r = d->http_request(pairing::base64_encode(pairing::aes_zero_pad_encrypt(
                                       request(Method::Get, ns, "{}", signing_key), aes_key)),
                                   kT0);
    if (!r.body) return std::nullopt;
    BOOST_TEST(r.body->front() != '{');
    const auto plain = pairing::aes_zero_pad_decrypt(*pairing::base64_decode(*r.body), aes_key);
    BOOST_REQUIRE(plain);
    auto m = protocol::parse_message(*plain);
    BOOST_REQUIRE(m);
    return std::move(m).value();
  };
  const auto all = encrypted_ask("Appliance.System.All", kKey, key);
  BOOST_REQUIRE(all);
  BOOST_TEST((all->header.method == Method::GetAck));
  BOOST_TEST(*protocol::string_member(all->payload()["all"]["system"]["hardware"], "uuid") ==
             d->uuid());
  BOOST_TEST(encrypted_ask("Appliance.System.Ability", kKey, key).has_value());
  const auto toggle = encrypted_ask("Appliance.Control.ToggleX", kKey, key);
  BOOST_REQUIRE(toggle);
  BOOST_TEST(protocol::find_member(toggle->payload(), "togglex"));
  // Even encrypted, the exchange is refused.
  const auto refused =
      d->http_request(pairing::base64_encode(pairing::aes_zero_pad_encrypt(
                          request(Method::Set, "Appliance.Encrypt.ECDHE", exchange), key)),
                      kT0);
  BOOST_REQUIRE(refused.body);
  BOOST_TEST(error_code(*protocol::parse_message(*pairing::aes_zero_pad_decrypt(
                 *pairing::base64_decode(*refused.body), key))) == 5000);

  // A key made from another key does not decrypt: dropped. Signed with another key: 5001.
  BOOST_TEST(!encrypted_ask("Appliance.System.All", kKey,
                            pairing::static_encryption_key(d->uuid(), "their-key", d->mac())));
  const auto wrong_sign = encrypted_ask("Appliance.System.All", "their-key", key);
  BOOST_REQUIRE(wrong_sign);
  BOOST_TEST(error_code(*wrong_sign) == 5001);

  // Config.Key answers under the old key; the next requests need the key made from the new one.
  const auto r = d->http_request(
      pairing::base64_encode(pairing::aes_zero_pad_encrypt(
          request(Method::Set, "Appliance.Config.Key", config_key("", "new-key")), key)),
      kT0);
  BOOST_REQUIRE_MESSAGE(r.body, r.problem);
  const auto ack = protocol::parse_message(
      *pairing::aes_zero_pad_decrypt(*pairing::base64_decode(*r.body), key));
  BOOST_REQUIRE(ack);
  BOOST_TEST((ack->header.method == Method::SetAck));
  BOOST_TEST(!encrypted_ask("Appliance.System.All", "new-key", key));
  BOOST_TEST(encrypted_ask("Appliance.System.All", "new-key",
                           pairing::static_encryption_key(d->uuid(), "new-key", d->mac()))
                 .has_value());
}

BOOST_AUTO_TEST_CASE(config_key_refuses_incomplete_payloads) {
  auto d = device();
  for (const char* field :
       {"gateway", "host", "port", "secondHost", "secondPort", "redirect", "key", "userId"}) {
    const auto m = ask(*d, Method::Set, "Appliance.Config.Key", config_key(field));
    BOOST_TEST_CONTEXT(field) {
      BOOST_TEST((m.header.method == Method::Error));
      BOOST_TEST(error_code(m) == 5000);
    }
  }
  BOOST_TEST(error_code(ask(*d, Method::Set, "Appliance.Config.Key", R"({"key":[]})")) == 5000);
  BOOST_TEST(error_code(ask(*d, Method::Get, "Appliance.Config.Key", "{}")) == 5000);
  BOOST_TEST(!d->take_move(kT0 + 60'000));
  // Still the old key.
  BOOST_TEST((ask(*d, Method::Get, "Appliance.System.All", "{}").header.method == Method::GetAck));
}

BOOST_AUTO_TEST_CASE(config_key_switches_key_and_user_then_moves_after_a_short_delay) {
  auto d = device();
  bind(*d);
  const auto ack = ask(*d, Method::Set, "Appliance.Config.Key", config_key());
  BOOST_TEST((ack.header.method == Method::SetAck));  // signed with the old key (checked in ask)
  BOOST_TEST(protocol::to_json(ack.payload()) == "{}");

  // From now on the new key signs and verifies; the old one gets 5001.
  BOOST_TEST((ask(*d, Method::Get, "Appliance.System.Ability", "{}", "new-key").header.method ==
              Method::GetAck));
  const auto old = d->http_request(request(Method::Get, "Appliance.System.All", "{}"), kT0);
  BOOST_REQUIRE(old.body);
  BOOST_TEST(error_code(*protocol::parse_message(*old.body)) == 5001);
  BOOST_TEST(d->mqtt_password() == protocol::device_mqtt_password(d->mac(), "new-key", 77));
  const auto all = ask(*d, Method::Get, "Appliance.System.All", "{}", "new-key");
  const auto& firmware = all.payload()["all"]["system"]["firmware"];
  BOOST_TEST(*protocol::string_member(firmware, "server") == "127.0.0.2");
  BOOST_TEST(*protocol::int_member(firmware, "port") == 8883);
  BOOST_TEST(*protocol::int_member(firmware, "userId") == 77);

  BOOST_TEST(!d->take_move(kT0 + 100));
  const auto gateway = d->take_move(kT0 + 500);
  BOOST_REQUIRE(gateway);
  BOOST_TEST(gateway->host == "127.0.0.2");
  BOOST_TEST(gateway->port == 8883);
  BOOST_TEST(gateway->second_host == "127.0.0.3");
  BOOST_TEST(gateway->second_port == 8884);
  BOOST_TEST(!d->take_move(kT0 + 1000));  // once

  // On the new broker: the boot sequence, signed with the new key.
  d->disconnect();
  bind(*d, "new-key");
}

BOOST_AUTO_TEST_CASE(config_key_over_mqtt_moves_the_device_too) {
  auto d = device();
  bind(*d);
  auto h = protocol::make_request_header(Method::Set, "Appliance.Config.Key", "/app/1-x/subscribe",
                                         kKey, kT0 / 1000);
  const auto r = d->receive(protocol::serialize(h, config_key("", "mqtt-key")), kT0);
  BOOST_REQUIRE_EQUAL(r.messages.size(), 1u);
  const auto ack = protocol::parse_message(r.messages[0].payload);
  BOOST_TEST((ack->header.method == Method::SetAck));
  BOOST_TEST(
      protocol::verify_sign(ack->header.message_id, kKey, ack->header.timestamp, ack->header.sign));
  BOOST_TEST(d->take_move(kT0 + 500).has_value());
  BOOST_TEST(d->mqtt_password() == protocol::device_mqtt_password(d->mac(), "mqtt-key", 77));
}

BOOST_AUTO_TEST_CASE(profile_specs) {
  auto plain = sim::parse_profile_spec("mss310");
  BOOST_REQUIRE(plain);
  BOOST_TEST(plain->name == "mss310");
  BOOST_TEST(!plain->ecdhe);
  BOOST_TEST(!plain->key);
  auto both = sim::parse_profile_spec("msl120+ecdhe+key=a+b");
  BOOST_REQUIRE(both);
  BOOST_TEST(both->name == "msl120");
  BOOST_TEST(both->ecdhe);
  BOOST_TEST(*both->key == "a+b");
  BOOST_TEST(sim::parse_profile_spec("mss310+key=")->key.value() == "");
  BOOST_TEST(!sim::parse_profile_spec("mss310+fast"));
  auto fixed = sim::parse_profile_spec("mss310+statickey");
  BOOST_REQUIRE(fixed);
  BOOST_TEST(fixed->static_key);
  BOOST_TEST(!fixed->ecdhe);
  BOOST_TEST(!sim::parse_profile_spec("mss310+ecdhe+statickey"));
  BOOST_TEST(!sim::parse_profile_spec("+ecdhe"));
}

BOOST_AUTO_TEST_SUITE_END()
