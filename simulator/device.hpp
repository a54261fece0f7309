#pragma once

// One simulated Meross device: the firmware's state machine without any socket or clock.
// It takes messages and the current time and returns the messages to publish
// (meross-protocol.md §2–§5). The MQTT side lives in fleet.hpp.

#include <cstdint>
#include <functional>
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
#include "protocol/time_rules.hpp"

namespace meross::sim {

// What devices of one kind share: the System.All/Ability answers and recorded GETACKs. Built once
// per trace or built-in profile and shared by every device of that kind.
struct DeviceTemplate {
  std::string name;          // "mss310" or the trace file name
  rapidjson::Document all;   // {"all":{...}} with obfuscated identity fields
  std::string ability_json;  // {"ability":{...}}
  std::set<std::string, std::less<>> abilities;
  // Namespace → recorded GETACK payload (traces), answers GETs of namespaces not modelled live.
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
};

// What a received message caused.
struct Reaction {
  std::vector<Outgoing> messages;
  bool became_bound = false;
  std::string problem;  // why the message was dropped or refused, for the log ("" if handled)
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

  // One state PUSH for load mode.
  Outgoing load_push(std::int64_t now_ms);

  // The live state as JSON text, for the `state` command and tests.
  std::string state_json(std::int64_t now_ms) const;

 private:
  struct Answer {
    protocol::Method method;
    std::string payload;
  };
  struct ToggleChannel {
    int channel = 0;
    int onoff = 0;
    std::int64_t lm_time = 0;
  };
  struct LightState {
    int channel = 0;
    int capacity = 6;
    std::int64_t rgb = 16753920;
    int temperature = 50;
    int luminance = 80;
    int onoff = 1;  // used only when the light has no ToggleX channel
    bool has_onoff = false;
    int transform = 0;
  };
  struct GarageChannel {
    int channel = 0;
    int open = 0;
    std::int64_t lm_time = 0;
    bool moving = false;
    int target = 0;
    std::int64_t done_at_ms = 0;
  };
  struct RollerChannel {
    int channel = 0;
    double position = 0;
    int target = 0;
    int state = 0;  // 0 idle, 1 opening, 2 closing
    std::int64_t lm_time = 0;
  };
  struct ConsumptionDay {
    std::string date;
    std::int64_t time = 0;
    double wh = 0;
  };

  void seed_from_template(std::int64_t now_ms);
  Outgoing make_message(protocol::Method method, std::string_view ns, std::string payload,
                        std::int64_t now_ms, std::string message_id = {},
                        std::string_view from = {}) const;
  Outgoing make_push(std::string_view ns, std::string payload, std::int64_t now_ms) const;
  Answer error_answer(int code, std::string_view detail) const;
  std::optional<Answer> dispatch(protocol::Method method, const std::string& ns,
                                 const protocol::JsonValue& payload, std::int64_t now_ms,
                                 std::vector<Outgoing>& pushes);
  Reaction handle_handshake(const protocol::Message& message, std::int64_t now_ms);
  Answer config_key(const protocol::JsonValue& payload);
  Answer ecdhe_exchange(const protocol::JsonValue& payload);
  // Switches to the key, userId and broker of an accepted Config.Key once its SETACK, signed
  // with the old key, has been built.
  void apply_pending_config(std::int64_t now_ms);

  std::string all_payload(std::int64_t now_ms) const;
  std::string bind_payload(std::int64_t now_ms) const;
  std::string time_object(std::int64_t now_ms) const;
  std::string togglex_payload(bool as_get) const;
  std::string togglex_push(const std::vector<int>& channels) const;
  std::string light_payload() const;
  std::string garage_payload(bool as_list, int execute = -1, int only_channel = -1) const;
  std::string roller_position_payload() const;
  std::string roller_state_payload() const;
  std::string electricity_payload(std::int64_t now_ms);
  std::string consumption_payload() const;

  ToggleChannel* find_toggle(int channel);
  GarageChannel* find_garage(int channel);
  RollerChannel* find_roller(int channel);
  bool channel_on(int channel) const;
  double load_watts() const;  // current simulated load (0 when off)
  std::int32_t local_offset(std::int64_t now_s) const;
  std::string local_date(std::int64_t now_s) const;
  void accumulate_energy(std::int64_t now_ms);
  void start_garage(GarageChannel& door, int target, std::int64_t now_ms);
  void start_roller(RollerChannel& roller, int target, std::int64_t now_ms,
                    std::vector<Outgoing>& pushes);
  void advance_rollers(std::int64_t now_ms, std::vector<Outgoing>& pushes);

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
  std::set<std::string> clock_ids_;  // messageIds of our unanswered Clock PUSHes

  // Live state.
  std::vector<ToggleChannel> toggles_;
  bool togglex_dict_shape_ = false;  // old firmware answers ToggleX GET with a dict
  bool legacy_toggle_ = false;       // Appliance.Control.Toggle (single relay)
  ToggleChannel toggle_;
  std::optional<LightState> light_;
  std::vector<GarageChannel> garages_;
  bool garage_dict_shape_ = false;
  std::vector<RollerChannel> rollers_;
  std::int64_t roller_last_ms_ = 0;
  bool metering_ = false;
  double base_load_w_ = 100;
  std::string consumption_config_ = R"({"voltageRatio":188,"electricityRatio":100})";
  std::vector<ConsumptionDay> days_;
  double today_wh_ = 0;
  std::int64_t energy_last_ms_ = 0;
  std::string timezone_;
  std::vector<protocol::TimeRule> time_rules_;
  int dnd_mode_ = 0;
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
