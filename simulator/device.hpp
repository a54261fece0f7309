#pragma once

// One simulated Meross device: the firmware's state machine without any socket or clock.
// It takes messages and the current time and returns the messages to publish
// (meross-protocol.md §2–§5). The device's families (relays, lights, thermostats, hubs...) live in
// families/, listed in families/registry.cpp; this class is the firmware around them: connecting,
// Bind and Clock, signing, ERROR answers, the local HTTP API, Config.Key. The MQTT side lives in
// fleet.hpp.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

#include "protocol/envelope.hpp"
#include "simulator/clock.hpp"

namespace meross::sim {

namespace detail {
struct Answer;
struct Context;
}  // namespace detail

// What devices of one kind share: the System.All/Ability answers and recorded GETACKs. Built once
// per trace or built-in profile and shared by every device of that kind.
struct DeviceTemplate {
  std::string name;          // "mss310" or the trace file name
  rapidjson::Document all;   // {"all":{...}} with obfuscated identity fields
  std::string ability_json;  // {"ability":{...}}
  std::set<std::string, std::less<>> abilities;
  // Namespace → recorded GETACK payload (traces): answers GETs of namespaces not modelled live,
  // and seeds those that are.
  std::map<std::string, std::string, std::less<>> recorded;
  // Built-in profiles fill firmware userId/server/port in System.All from the settings; trace
  // answers keep the trace's firmware block.
  bool fill_firmware = false;
  // Encrypted firmware of the kind that refuses the ECDHE exchange: only System.Ability in
  // plaintext, everything else AES with pairing::static_encryption_key (meross_lan's kind).
  bool static_key = false;
  std::int64_t garage_travel_ms = 3000;
  std::int64_t roller_travel_ms = 10000;  // full 0 → 100 travel
};

// Builds a template from a System.All payload ({"all":{...}}) and a System.Ability payload
// ({"ability":{...}}); an Error when either is not valid JSON of that shape.
protocol::Result<std::shared_ptr<DeviceTemplate>> make_template(
    std::string name, std::string_view all_json, std::string_view ability_json,
    std::map<std::string, std::string, std::less<>> recorded = {});

struct DeviceSettings {
  std::string key;  // never logged
  std::uint64_t user_id = 0;
  std::int64_t bind_interval_ms = 30000;
  std::int64_t clock_interval_ms = 10000;
  std::string broker_host = "127.0.0.1";
  int broker_port = 1883;
  // How long after a SETACK of Appliance.Config.Key the device leaves for the new broker: long
  // enough for the SETACK to reach the requester first, as firmware does.
  std::int64_t move_delay_ms = 500;
};

struct Outgoing {
  std::string topic;
  std::string payload;
};

// The brokers of an accepted SET Appliance.Config.Key (meross-protocol.md §6.3).
struct Gateway {
  std::string host;
  int port = 0;
  std::string second_host;
  int second_port = 0;
};

// What a request to the local HTTP API (POST /config) caused.
struct HttpReaction {
  // The response body; nullopt to drop the connection unanswered, as firmware does with requests
  // it cannot read or that are not encrypted when they must be.
  std::optional<std::string> body;
  std::vector<Outgoing> messages;  // PUSHes the request caused, for the broker
  std::string problem;             // why the request was refused or dropped ("" if handled)
  std::string warning;             // a request firmware would never answer ("" if none)
};

// What a received message caused.
struct Reaction {
  std::vector<Outgoing> messages;
  bool became_bound = false;
  std::string problem;  // why the message was dropped or refused, for the log ("" if handled)
  std::string warning;  // a request firmware would never answer: worth more than a debug line
};

// What a stdin test command caused (see Device::command).
struct CommandResult {
  std::vector<Outgoing> messages;  // the PUSHes (none while unbound)
  std::string error;               // why it was refused ("" if done)
};

// A MAC "xx:xx:xx:xx:xx:xx" from the uuid's last 12 hex characters (meross-protocol.md §2.1);
// non-hex characters are replaced by digits of the uuid's md5.
std::string mac_from_uuid(std::string_view uuid);
// A deterministic 32-hex uuid for device `index` of built-in profile `profile`.
std::string builtin_uuid(std::string_view profile, int index);

class Device {
 public:
  Device(std::shared_ptr<const DeviceTemplate> tmpl, std::string uuid, std::string mac,
         DeviceSettings settings, std::int64_t now_ms);

  const std::string& uuid() const { return uuid_; }
  const std::string& mac() const { return mac_; }
  const std::string& type() const { return type_; }
  const std::string& subscribe_topic() const { return subscribe_topic_; }
  const std::string& publish_topic() const { return publish_topic_; }
  std::string mqtt_password() const;  // <userId>_md5(mac+key): a secret, never print it
  bool bound() const { return bound_; }
  bool connected() const { return connected_; }

  // The MQTT session is up and subscribed: the boot messages (Report, Bind, Clock, Consumption
  // config).
  std::vector<Outgoing> connect(std::int64_t now_ms);
  void disconnect();

  // A message that arrived on the subscribe topic.
  Reaction receive(std::string_view payload, std::int64_t now_ms);

  // The body of a POST /config. Works whether or not the MQTT session is up or bound, like the
  // firmware's local API; on ECDHE firmware only the plaintext namespaces may come unencrypted.
  HttpReaction http_request(std::string_view body, std::int64_t now_ms);
  bool ecdhe() const { return ecdhe_; }
  bool static_key() const { return tmpl_->static_key; }

  // The broker an accepted Config.Key SET sends the device to, once its delay has passed (then
  // cleared). The key, userId and broker are already the new ones (mqtt_password() included).
  std::optional<Gateway> take_move(std::int64_t now_ms);

  // Timers: Bind/Clock repeats, doors and shutters moving, energy accumulating. Call often
  // (every few hundred ms); it returns what to publish.
  std::vector<Outgoing> tick(std::int64_t now_ms);

  // The physical button of `channel` (the first controllable channel when nullopt). Returns the
  // PUSHes (none while unbound, as real firmware); nullopt when the device has no such channel.
  std::optional<std::vector<Outgoing>> press(std::optional<int> channel, std::int64_t now_ms);

  // A stdin test command, the words after the uuid: {"room", "<subid-or-channel>", "21.5"},
  // {"subdevice", id, "offline"}, {"window", …}, {"door", …}, {"smoke", …} (README "stdin").
  CommandResult command(const std::vector<std::string>& words, std::int64_t now_ms);

  // One state PUSH for load mode.
  Outgoing load_push(std::int64_t now_ms);

  // The live state as JSON text, for the `state` command and tests.
  std::string state_json(std::int64_t now_ms) const;

 private:
  detail::Context context(std::int64_t now_ms);
  // Time passing for every family (doors, shutters, energy), then the PUSHes it caused.
  void advance(detail::Context& ctx);
  // The PUSHes a context collected, as messages; none unless connected and bound.
  void flush(detail::Context& ctx, std::vector<Outgoing>& out) const;
  Outgoing make_message(protocol::Method method, std::string_view ns, std::string payload,
                        std::int64_t now_ms, std::string message_id = {},
                        std::string_view from = {}) const;
  Outgoing make_push(std::string_view ns, std::string payload, std::int64_t now_ms) const;
  // System.Report and SET Bind, as firmware repeats them until a Bind is acknowledged.
  void send_bind(std::int64_t now_ms, std::vector<Outgoing>& out);
  // PUSH System.Clock, as firmware repeats it until the clock is answered.
  void send_clock(std::int64_t now_ms, std::vector<Outgoing>& out);
  std::optional<detail::Answer> dispatch(detail::Context& ctx, protocol::Method method,
                                         const std::string& ns, const protocol::JsonValue& payload);
  detail::Answer multiple(detail::Context& ctx, const protocol::JsonValue& payload);
  Reaction handle_handshake(const protocol::Message& message, std::int64_t now_ms);
  detail::Answer config_key(const protocol::JsonValue& payload);
  detail::Answer ecdhe_exchange(const protocol::JsonValue& payload);
  // Switches to the key, userId and broker of an accepted Config.Key once its SETACK, signed
  // with the old key, has been built.
  void apply_pending_config(std::int64_t now_ms);

  std::string all_payload(std::int64_t now_ms) const;
  std::string bind_payload(std::int64_t now_ms) const;

  std::shared_ptr<const DeviceTemplate> tmpl_;
  std::string uuid_;
  std::string mac_;
  std::string type_;
  std::string subscribe_topic_;
  std::string publish_topic_;
  DeviceSettings settings_;

  bool connected_ = false;
  bool bound_ = false;
  std::int64_t next_bind_ms_ = 0;
  bool clock_pending_ = false;
  std::int64_t next_clock_ms_ = 0;

  // Live state: one section per family (simulator/families/), and the firmware's clock.
  rapidjson::Document state_;
  DeviceClock clock_;
  std::mt19937 rng_;

  // Local API.
  bool ecdhe_ = false;                      // the abilities list Appliance.Encrypt.ECDHE
  std::optional<std::string> session_key_;  // AES key of the last ECDHE exchange
  struct PendingConfig {
    Gateway gateway;
    std::string key;
    std::uint64_t user_id = 0;
  };
  std::optional<PendingConfig> pending_config_;  // accepted, its SETACK not yet built
  std::optional<Gateway> move_;                  // applied, the broker change still due
  std::int64_t move_at_ms_ = 0;
};

}  // namespace meross::sim
