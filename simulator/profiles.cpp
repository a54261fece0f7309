#include "simulator/profiles.hpp"

#include <charconv>
#include <map>

#include <rapidjson/document.h>

#include "protocol/json.hpp"

namespace meross::sim {
namespace {

// Abilities every recent Meross plug/bulb/opener lists (shape of the mss310 and msg100 traces).
constexpr std::string_view kBaseAbilities =
    R"("Appliance.Config.Key":{},"Appliance.Config.WifiList":{},"Appliance.Config.Wifi":{},)"
    R"("Appliance.Config.Trace":{},"Appliance.System.All":{},"Appliance.System.Hardware":{},)"
    R"("Appliance.System.Firmware":{},"Appliance.System.Debug":{},"Appliance.System.Online":{},)"
    R"("Appliance.System.Time":{},"Appliance.System.Ability":{},"Appliance.System.Runtime":{},)"
    R"("Appliance.System.Report":{},"Appliance.System.Position":{},"Appliance.System.DNDMode":{},)"
    R"("Appliance.Control.Multiple":{"maxCmdNum":5},"Appliance.Control.ToggleX":{},)"
    R"("Appliance.Control.TimerX":{"sunOffsetSupport":1},"Appliance.Control.TriggerX":{},)"
    R"("Appliance.Control.Bind":{},"Appliance.Control.Unbind":{},"Appliance.Control.Upgrade":{},)"
    R"("Appliance.Digest.TriggerX":{},"Appliance.Digest.TimerX":{})";

// An mts300 (device-families.md §1.4; there is no trace of one): no relay, the HVAC namespaces.
constexpr std::string_view kThermostatAbilities =
    R"("Appliance.Config.Key":{},"Appliance.Config.WifiList":{},"Appliance.Config.Wifi":{},)"
    R"("Appliance.Config.WifiX":{},"Appliance.Config.Trace":{},"Appliance.Config.Info":{},)"
    R"("Appliance.System.All":{},"Appliance.System.Hardware":{},"Appliance.System.Firmware":{},)"
    R"("Appliance.System.Debug":{},"Appliance.System.Online":{},"Appliance.System.Time":{},)"
    R"("Appliance.System.Clock":{},"Appliance.System.Ability":{},"Appliance.System.Runtime":{},)"
    R"("Appliance.System.Report":{},"Appliance.System.Position":{},)"
    R"("Appliance.Control.Multiple":{"maxCmdNum":5},"Appliance.Control.Bind":{},)"
    R"("Appliance.Control.Unbind":{},"Appliance.Control.Upgrade":{})";

// An msxh0 humidifier (device-families.md §3.2; its trace is not among the fixtures): Control.Spray
// and the ordinary Control.Light with its own onoff, no relay.
constexpr std::string_view kHumidifierAbilities =
    R"("Appliance.Config.Key":{},"Appliance.Config.WifiList":{},"Appliance.Config.Wifi":{},)"
    R"("Appliance.Config.Trace":{},"Appliance.System.All":{},"Appliance.System.Hardware":{},)"
    R"("Appliance.System.Firmware":{},"Appliance.System.Debug":{},"Appliance.System.Online":{},)"
    R"("Appliance.System.Time":{},"Appliance.System.Clock":{},"Appliance.System.Ability":{},)"
    R"("Appliance.System.Runtime":{},"Appliance.System.Report":{},"Appliance.System.Position":{},)"
    R"("Appliance.Control.Multiple":{"maxCmdNum":5},"Appliance.Control.Bind":{},)"
    R"("Appliance.Control.Unbind":{},"Appliance.Control.Upgrade":{},)"
    R"("Appliance.Control.Spray":{},"Appliance.Control.Light":{"capacity":5})";

struct Builtin {
  std::string_view type, sub_type, hw, fw, chip, compile_time;
  std::string_view extra_abilities;  // appended to `base`
  std::string_view digest;           // the all.digest object
  std::vector<std::pair<std::string, std::string>> recorded;
  std::string_view base = kBaseAbilities;
};

const std::map<std::string, Builtin, std::less<>>& builtins() {
  static const std::map<std::string, Builtin, std::less<>> table{
      {"mss310",
       {"mss310",
        "us",
        "2.0.0",
        "2.1.17",
        "MT7682",
        "2022/08/19 10:05:03 GMT +08:00",
        R"("Appliance.System.Clock":{},"Appliance.Control.ConsumptionX":{},)"
        R"("Appliance.Control.Electricity":{},"Appliance.Control.ConsumptionConfig":{})",
        R"({"togglex":[{"channel":0,"onoff":1,"lmTime":0}],"triggerx":[],"timerx":[]})",
        {{"Appliance.Control.ConsumptionConfig",
          R"({"config":{"voltageRatio":186,"electricityRatio":121}})"}}}},
      {"mss425f",
       {"mss425f",
        "us",
        "4.0.0",
        "4.1.26",
        "MT7686",
        "2021/03/09 10:02:58 GMT +08:00",
        R"("Appliance.Config.WifiX":{},"Appliance.Config.Info":{})",
        R"({"togglex":[{"channel":0,"onoff":1,"lmTime":0},{"channel":1,"onoff":0,"lmTime":0},)"
        R"({"channel":2,"onoff":0,"lmTime":0},{"channel":3,"onoff":0,"lmTime":0},)"
        R"({"channel":4,"onoff":0,"lmTime":0}],"triggerx":[],"timerx":[]})",
        {}}},
      {"msl120",
       {"msl120",
        "eu",
        "2.0.0",
        "2.1.2",
        "MT7682",
        "2020/11/24 16:09:14 GMT +08:00",
        R"("Appliance.Control.Light":{"capacity":7})",
        R"({"togglex":[{"channel":0,"onoff":1,"lmTime":0}],"triggerx":[],"timerx":[],)"
        R"("light":{"capacity":6,"channel":0,"rgb":16753920,"temperature":50,"luminance":80,)"
        R"("transform":0}})",
        {}}},
      // An mfc100 ceiling fan with light (device-families.md §4.3; there is no trace of one):
      // ToggleX 0 power, 1 the light, 2 the fan; Fan levels 0..3 on channel 2.
      {"mfc100",
       {"mfc100",
        "us",
        "7.0.0",
        "7.3.14",
        "rtl8720cf",
        "2023/05/10-16:31:05",
        R"("Appliance.Config.WifiX":{},"Appliance.Config.Info":{},"Appliance.System.Clock":{},)"
        R"("Appliance.Control.Light":{"capacity":4},"Appliance.Control.Fan":{},)"
        R"("Appliance.Control.Fan.Config":{},"Appliance.Control.PowerRetention":{})",
        R"({"togglex":[{"channel":0,"onoff":1,"lmTime":0},{"channel":1,"onoff":0,"lmTime":0},)"
        R"({"channel":2,"onoff":1,"lmTime":0}],"triggerx":[],"timerx":[],)"
        R"("light":{"capacity":4,"channel":1,"luminance":100,"onoff":0},)"
        R"("fan":[{"channel":2,"speed":3,"maxSpeed":3}]})",
        {{"Appliance.Control.Fan.Config", R"({"config":[{"channel":0,"maxSpeed":0}]})"},
         {"Appliance.Control.PowerRetention", R"({"powerRetention":[{"channel":0,"state":1}]})"}}}},
      // An hp110a night light with sound (device-families.md §6; its trace is not among the
      // fixtures): ToggleX 0 powers the light; Control.Mp3 the sound machine. The identity fields
      // but the firmware version, and the Light ability's capacity, are not from the trace.
      {"hp110a",
       {"hp110a",
        "us",
        "4.0.0",
        "4.1.12",
        "MT7686",
        "2021/04/22 10:00:00 GMT +08:00",
        R"("Appliance.System.Clock":{},"Appliance.Control.Light":{"capacity":7},)"
        R"("Appliance.Control.Mp3":{},"Appliance.Mcu.Hp110.Firmware":{},)"
        R"("Appliance.Mcu.Hp110.Lock":{},"Appliance.Mcu.Hp110.Favorite":{},)"
        R"("Appliance.Mcu.Hp110.Preview":{})",
        R"({"togglex":[{"channel":0,"onoff":1,"lmTime":0}],"triggerx":[],"timerx":[],)"
        R"("light":{"channel":0,"capacity":6,"luminance":2,"temperature":1,"rgb":328192,)"
        R"("effect":0}})",
        {{"Appliance.Control.Mp3",
          R"({"mp3":{"channel":0,"lmTime":0,"song":9,"mute":1,"volume":11}})"},
         {"Appliance.Mcu.Hp110.Firmware",
          R"({"firmware":{"productId":0,"version":"2.5.7","type":"hp110a_mcu"}})"},
         {"Appliance.Mcu.Hp110.Lock", R"({"lock":{"enable":0,"lmTime":1}})"}}}},
      {"msg100",
       {"msg100",
        "us",
        "4.0.0",
        "4.2.1",
        "MT7686",
        "Sep 15 2021 10:21:01",
        R"("Appliance.Config.WifiX":{},"Appliance.Config.Info":{},"Appliance.System.Clock":{},)"
        R"("Appliance.GarageDoor.State":{},"Appliance.GarageDoor.Config":{})",
        R"({"togglex":[{"channel":0,"onoff":0,"lmTime":0}],"triggerx":[],"timerx":[],)"
        R"("garageDoor":[{"channel":0,"open":0,"lmTime":0}]})",
        {{"Appliance.GarageDoor.Config",
          R"({"config":{"signalDuration":1000,"buzzerEnable":0,"doorOpenDuration":30000,)"
          R"("doorCloseDuration":30000}})"}}}},
      {"msxh0",
       {"msxh0",
        "us",
        "3.0.0",
        "3.1.5",
        "MT7682",
        "2020/09/01 17:03:31 GMT +08:00",
        "",
        R"({"spray":[{"channel":0,"mode":0,"lmTime":0,"lastMode":1,"onoffTime":0}],)"
        R"("light":{"onoff":1,"capacity":5,"channel":0,"rgb":4783990,"luminance":100,)"
        R"("transform":0},"triggerx":[],"timerx":[]})",
        {},
        kHumidifierAbilities}},
      {"mts300",
       {"mts300",
        "us",
        "9.0.0",
        "9.1.12",
        "rtl8720cf",
        "2024/03/12-10:21:33",
        R"("Appliance.Control.Thermostat.ModeC":{},"Appliance.Control.Thermostat.Calibration":{},)"
        R"("Appliance.Control.Thermostat.HoldAction":{},"Appliance.Control.Thermostat.ScheduleB":{},)"
        R"("Appliance.Control.Thermostat.System":{},"Appliance.Control.Screen.Brightness":{},)"
        R"("Appliance.Control.PhysicalLock":{},"Appliance.Control.TempUnit":{},)"
        R"("Appliance.Control.FilterMaintenance":{},"Appliance.Control.Sensor.HistoryX":{},)"
        R"("Appliance.Config.DeviceCfg":{},"Appliance.Config.Sensor.Association":{},)"
        R"("Appliance.Control.Sensor.Association":{},"Appliance.Control.AlertConfig":{})",
        "{}",
        {{"Appliance.Control.Thermostat.Calibration",
          R"({"calibration":[{"channel":0,"value":0,"min":-450,"max":450,"humiValue":0}]})"},
         {"Appliance.Control.TempUnit", R"({"tempUnit":[{"channel":0,"tempUnit":2}]})"},
         {"Appliance.Control.FilterMaintenance",
          R"({"filter":[{"channel":0,"life":100,"lmTime":0}]})"},
         {"Appliance.Control.Sensor.Association",
          R"({"control":[{"channel":0,"value":["temp"]}]})"}},
        kThermostatAbilities}},
  };
  return table;
}

bool looks_like_mac(std::string_view mac) {
  if (mac.size() != 17) return false;
  for (std::size_t i = 0; i < mac.size(); ++i) {
    const char c = mac[i];
    if (i % 3 == 2) {
      if (c != ':') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
      return false;
    }
  }
  return true;
}

// "hp110a, mfc100, ...": the names for an error message.
std::string known_profiles() {
  std::string out;
  for (const auto& [name, _] : builtins())
    out += (out.empty() ? "" : ", ") + name;
  return out;
}

}  // namespace

const std::vector<std::string>& builtin_profile_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const auto& [name, _] : builtins())
      out.push_back(name);
    return out;
  }();
  return names;
}

protocol::Result<std::shared_ptr<DeviceTemplate>> builtin_template(std::string_view profile) {
  auto it = builtins().find(profile);
  if (it == builtins().end()) {
    return protocol::Error{"profile", "unknown profile '" + std::string(profile) +
                                          "' (known: " + known_profiles() + ")"};
  }
  const Builtin& b = it->second;
  std::string all = R"({"all":{"system":{"hardware":{"type":")" + std::string(b.type) +
                    R"(","subType":")" + std::string(b.sub_type) + R"(","version":")" +
                    std::string(b.hw) + R"(","chipType":")" + std::string(b.chip) +
                    R"(","uuid":"","macAddress":""},"firmware":{"version":")" + std::string(b.fw) +
                    R"(","compileTime":")" + std::string(b.compile_time) +
                    R"(","wifiMac":"00:00:00:00:00:00","innerIp":"127.0.0.1","server":"",)"
                    R"("port":0,"userId":0},"time":{"timestamp":0,"timezone":"","timeRule":[]},)"
                    R"("online":{"status":1}},"digest":)" +
                    std::string(b.digest) + "}}";
  std::string ability = "{\"ability\":{" + std::string(b.base);
  if (!b.extra_abilities.empty()) ability += "," + std::string(b.extra_abilities);
  ability += "}}";
  std::map<std::string, std::string, std::less<>> recorded(b.recorded.begin(), b.recorded.end());
  auto t = make_template(std::string(profile), all, ability, std::move(recorded));
  if (t) t.value()->fill_firmware = true;
  return t;
}

protocol::Result<std::shared_ptr<DeviceTemplate>> trace_template(const protocol::Trace& trace,
                                                                 std::string name) {
  std::map<std::string, std::string, std::less<>> recorded;
  for (const auto& row : trace.rows) {
    if (row.method != "GETACK" || row.ns == "Appliance.System.All" ||
        row.ns == "Appliance.System.Ability") {
      continue;
    }
    rapidjson::Document doc;
    doc.Parse(row.payload_json.data(), row.payload_json.size());
    if (doc.HasParseError() || !doc.IsObject()) continue;
    recorded[row.ns] = protocol::to_json(doc);  // compact; the last answer wins
  }
  return make_template(std::move(name), trace.all_json, trace.ability_json, std::move(recorded));
}

std::string trace_mac(const protocol::Trace& trace, std::string_view uuid) {
  rapidjson::Document doc;
  doc.Parse(trace.all_json.data(), trace.all_json.size());
  if (!doc.HasParseError() && doc.IsObject()) {
    const auto* all = protocol::find_member(doc, "all");
    const auto* system = all ? protocol::find_member(*all, "system") : nullptr;
    const auto* hardware = system ? protocol::find_member(*system, "hardware") : nullptr;
    auto mac = hardware ? protocol::string_member(*hardware, "macAddress") : std::nullopt;
    if (mac && looks_like_mac(*mac)) {
      std::string out(*mac);
      for (char& c : out) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      }
      // Firmware's uuid ends with its MAC, and the broker's login check relies on it: a trace
      // recorded under another uuid than its file name's (msh300 2024) keeps the uuid's MAC.
      if (mac_from_uuid(uuid) == out) return out;
    }
  }
  return mac_from_uuid(uuid);
}

std::optional<std::int64_t> parse_duration_ms(std::string_view text) {
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end == text.data() || value < 0) return std::nullopt;
  const std::string_view unit(end, static_cast<std::size_t>(text.data() + text.size() - end));
  if (unit == "ms") return value;
  if (unit.empty() || unit == "s") return value * 1000;
  if (unit == "m") return value * 60'000;
  if (unit == "h") return value * 3'600'000;
  return std::nullopt;
}

protocol::Result<std::shared_ptr<DeviceTemplate>> with_ecdhe(const DeviceTemplate& base) {
  rapidjson::Document ability;
  ability.Parse(base.ability_json.data(), base.ability_json.size());
  if (ability.HasParseError() || !ability.IsObject() || !ability.HasMember("ability") ||
      !ability["ability"].IsObject()) {
    return protocol::Error{"ability", "expected an object"};
  }
  auto& alloc = ability.GetAllocator();
  for (const char* ns : {"Appliance.Encrypt.ECDHE", "Appliance.Encrypt.Suite"}) {
    if (!ability["ability"].HasMember(ns)) {
      ability["ability"].AddMember(rapidjson::Value(ns, alloc),
                                   rapidjson::Value(rapidjson::kObjectType), alloc);
    }
  }
  auto t = make_template(base.name + "+ecdhe", protocol::to_json(base.all),
                         protocol::to_json(ability), base.recorded);
  if (!t) return t;
  (*t)->fill_firmware = base.fill_firmware;
  (*t)->garage_travel_ms = base.garage_travel_ms;
  (*t)->roller_travel_ms = base.roller_travel_ms;
  return t;
}

protocol::Result<std::shared_ptr<DeviceTemplate>> with_static_key(const DeviceTemplate& base) {
  auto t = with_ecdhe(base);
  if (!t) return t;
  (*t)->name = base.name + "+statickey";
  (*t)->static_key = true;
  return t;
}

protocol::Result<ProfileSpec> parse_profile_spec(std::string_view text) {
  ProfileSpec spec;
  const auto plus = text.find('+');
  spec.name = std::string(text.substr(0, plus));
  if (spec.name.empty()) return protocol::Error{"profile", "no profile name"};
  std::string_view rest = plus == std::string_view::npos ? "" : text.substr(plus + 1);
  while (plus != std::string_view::npos) {
    if (rest.substr(0, 4) == "key=") {
      spec.key = std::string(rest.substr(4));
      break;
    }
    const auto next = rest.find('+');
    const std::string_view option = rest.substr(0, next);
    if (option == "ecdhe") {
      spec.ecdhe = true;
    } else if (option == "statickey") {
      spec.static_key = true;
    } else {
      return protocol::Error{"profile", "unknown profile option '" + std::string(option) +
                                            "' (expected +ecdhe, +statickey or +key=KEY)"};
    }
    if (spec.ecdhe && spec.static_key) {
      return protocol::Error{"profile",
                             "+ecdhe and +statickey are two kinds of firmware: "
                             "give one"};
    }
    if (next == std::string_view::npos) break;
    rest = rest.substr(next + 1);
  }
  return spec;
}

protocol::Result<BrokerAddress> parse_broker_url(std::string_view url) {
  BrokerAddress address;
  constexpr std::string_view kScheme = "mqtt://";
  constexpr std::string_view kTlsScheme = "mqtts://";
  if (url.substr(0, kScheme.size()) == kScheme) {
    url.remove_prefix(kScheme.size());
  } else if (url.substr(0, kTlsScheme.size()) == kTlsScheme) {
    url.remove_prefix(kTlsScheme.size());
    address.tls = true;
    address.port = 8883;
  } else if (url.find("://") != std::string_view::npos) {
    return protocol::Error{"broker", "only mqtt:// and mqtts:// URLs are supported"};
  }
  while (!url.empty() && url.back() == '/')
    url.remove_suffix(1);
  const auto colon = url.rfind(':');
  if (colon != std::string_view::npos) {
    int port = 0;
    const auto digits = url.substr(colon + 1);
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
    if (ec != std::errc() || end != digits.data() + digits.size() || port <= 0 || port > 65535) {
      return protocol::Error{"broker", "invalid port in the broker URL"};
    }
    address.port = port;
    url = url.substr(0, colon);
  }
  if (url.empty()) return protocol::Error{"broker", "no host in the broker URL"};
  address.host = std::string(url);
  return address;
}

}  // namespace meross::sim
