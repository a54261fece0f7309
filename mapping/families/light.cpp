// Appliance.Control.Light (+ Light.Effect) → a JSON-schema light (meross-protocol.md §5.3;
// home-assistant.md §2.5). Ability capacity = supported modes (1 rgb, 2 temperature,
// 4 luminance, 8 effect); payload capacity = the mode of this state. Temperature 1..100 ↔
// 2700..6500 K; luminance 1..100 = HA brightness with brightness_scale 100; rgb packed 0xRRGGBB.

#include <algorithm>
#include <iterator>
#include <string>

#include <rapidjson/document.h>

#include "mapping/family.hpp"
#include "mapping/units.hpp"
#include "protocol/json_writer.hpp"

namespace meross::mapping::detail {
namespace {

constexpr int kRgb = 1;
constexpr int kTemperature = 2;
constexpr int kLuminance = 4;
constexpr int kEffect = 8;

bool contains(const std::vector<int>& v, int c) {
  return std::find(v.begin(), v.end(), c) != v.end();
}

std::vector<int> light_channels(const DeviceProfile& p) {
  if (!digest_channels(p, "light").empty()) return digest_channels(p, "light");
  // A Bind-only profile has no digest: a Light ability alone means one light on channel 0.
  if (p.has_ability("Appliance.Control.Light") && digest_channels(p, "togglex").empty()) return {0};
  return {};
}

// Whether light_channels(p) holds `channel`, without building the list (once per light item).
bool is_light_channel(const DeviceProfile& p, int channel) {
  if (!digest_channels(p, "light").empty()) return contains(digest_channels(p, "light"), channel);
  return channel == 0 && p.has_ability("Appliance.Control.Light") &&
         digest_channels(p, "togglex").empty();
}

int ability_capacity(const DeviceProfile& p) {
  const auto capacity = p.light_capacity();
  return capacity ? static_cast<int>(*capacity & 0xff) : kLuminance;
}

// color_modes(capacity).front(), without building the list.
std::string_view default_color_mode(int capacity) {
  if (capacity & kRgb) return "rgb";
  if (capacity & kTemperature) return "color_temp";
  return (capacity & kLuminance) ? "brightness" : "onoff";
}

std::vector<std::string> color_modes(int capacity) {
  std::vector<std::string> modes;
  if (capacity & kRgb) modes.emplace_back("rgb");
  if (capacity & kTemperature) modes.emplace_back("color_temp");
  if (modes.empty()) modes.emplace_back((capacity & kLuminance) ? "brightness" : "onoff");
  return modes;
}

std::string json_string_list(const std::vector<std::string>& items) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartArray();
  for (const auto& item : items)
    str(w, item);
  w.EndArray();
  return buffer.GetString();
}

// Reads the light fields present in `item` into `ls`; wrong types are an Error.
std::optional<Error> read_light(const JsonValue& item, const std::string& path, bool read_onoff,
                                LightState& ls) {
  constexpr std::string_view kNames[] = {"capacity",  "rgb",    "temperature",
                                         "luminance", "effect", "onoff"};
  int* const fields[] = {&ls.capacity,  &ls.rgb,    &ls.temperature,
                         &ls.luminance, &ls.effect, &ls.onoff};
  // The first member of each name (as find_member finds it), in one pass over the item: a light
  // PUSH carries most of them.
  const JsonValue* values[std::size(kNames)] = {};
  if (item.IsObject()) {
    for (const auto& m : item.GetObject()) {
      const std::string_view name(m.name.GetString(), m.name.GetStringLength());
      for (std::size_t i = 0; i < std::size(kNames); ++i) {
        if (name != kNames[i]) continue;
        if (!values[i]) values[i] = &m.value;
        break;
      }
    }
  }
  for (std::size_t i = 0; i < std::size(kNames); ++i) {
    if (kNames[i] == "onoff" && !read_onoff) continue;
    const JsonValue* value = values[i];
    if (!value || value->IsNull()) continue;
    const auto number = protocol::to_int(*value);
    if (!number) return wrong_type(path + "." + std::string(kNames[i]), "an integer", *value);
    if (*number < 0 || *number > 0xffffff) {
      return Error{path + "." + std::string(kNames[i]), "out of range"};
    }
    *fields[i] = static_cast<int>(*number);
  }
  return std::nullopt;
}

std::optional<Error> apply_light(const DeviceProfile& p, DeviceState& s, const JsonValue& light,
                                 const std::string& path, StateBatch& out) {
  std::optional<Error> error;
  auto e = for_each_item(light, path, [&](const JsonValue& item) {
    if (error) return;
    const auto channel = channel_of(item);
    if (!channel || !is_light_channel(p, *channel)) return;
    // On/off of a ToggleX-powered light comes from ToggleX, not from the light object.
    const bool own_onoff = !contains(digest_channels(p, "togglex"), *channel);
    error = read_light(item, path, own_onoff, s.lights[*channel]);
    if (!error)
      out.updates.push_back({key_of("light_", *channel), light_state_json(p, s, *channel)});
  });
  if (e) return e;
  return error;
}

struct LightCommand {
  bool on = false;
  std::optional<int> brightness;
  std::optional<int> rgb;
  std::optional<int> kelvin;
  std::optional<std::size_t> effect;
};

Result<LightCommand> parse_command(const DeviceProfile& p, const DeviceState& s,
                                   std::string_view text) {
  if (!json_nesting_at_most(text, kMaxJsonNesting)) {
    return Error{"command", "nested too deeply"};
  }
  rapidjson::Document doc;
  doc.Parse(text.data(), text.size());
  if (doc.HasParseError() || !doc.IsObject()) {
    return Error{"command", "expected a JSON object like {\"state\":\"ON\"}"};
  }
  const int capacity = ability_capacity(p);
  const auto modes = color_modes(capacity);
  LightCommand cmd;
  const JsonValue* state = member(doc, "state");
  if (!state || !state->IsString()) return Error{"state", "expected \"ON\" or \"OFF\""};
  auto on = parse_on_off(std::string_view(state->GetString(), state->GetStringLength()));
  if (!on) return Error{"state", "expected \"ON\" or \"OFF\""};
  cmd.on = *on;

  if (const JsonValue* mode = member(doc, "color_mode")) {
    const std::string name = mode->IsString() ? mode->GetString() : "";
    if (std::find(modes.begin(), modes.end(), name) == modes.end()) {
      return Error{"color_mode", "unknown or unsupported colour mode"};
    }
  }
  if (const JsonValue* brightness = member(doc, "brightness")) {
    if (!(capacity & kLuminance)) return Error{"brightness", "this light has no brightness"};
    auto value = bounded_int(*brightness, "brightness", 1, 100);
    if (!value) return value.error();
    cmd.brightness = static_cast<int>(*value);
  }
  if (const JsonValue* color = member(doc, "color")) {
    if (!color->IsObject()) return wrong_type("color", "an object", *color);
    if (!(capacity & kRgb)) return Error{"color", "this light has no rgb colour mode"};
    auto rgb = packed_rgb(*color);
    if (!rgb) return rgb.error();
    cmd.rgb = static_cast<int>(*rgb);
  }
  if (const JsonValue* temp = member(doc, "color_temp")) {
    if (!(capacity & kTemperature))
      return Error{"color_temp", "this light has no colour temperature"};
    auto value = bounded_int(*temp, "color_temp", kMinKelvin, kMaxKelvin);
    if (!value) return value.error();
    cmd.kelvin = static_cast<int>(*value);
  }
  if (const JsonValue* effect = member(doc, "effect")) {
    if (!effect->IsString()) return wrong_type("effect", "a string", *effect);
    const std::string name(effect->GetString(), effect->GetStringLength());
    const auto it = std::find(s.effect_names.begin(), s.effect_names.end(), name);
    if (it == s.effect_names.end() ||
        static_cast<std::size_t>(it - s.effect_names.begin()) >= s.effect_objects.size()) {
      return Error{"effect", "unknown effect '" + name + "'"};
    }
    cmd.effect = static_cast<std::size_t>(it - s.effect_names.begin());
  }
  if (cmd.rgb && cmd.kelvin) return Error{"color", "colour and colour temperature together"};
  return cmd;
}

// The effect object with "enable": 1, for a Light.Effect SET.
Result<std::string> enabled_effect(const std::string& object_json) {
  rapidjson::Document doc;
  doc.Parse(object_json.c_str());
  if (doc.HasParseError() || !doc.IsObject()) return Error{"effect", "stored effect is invalid"};
  if (auto enable = doc.FindMember("enable"); enable != doc.MemberEnd()) {
    enable->value.SetInt(1);
  } else {
    doc.AddMember("enable", 1, doc.GetAllocator());
  }
  return "{\"effect\":[" + protocol::to_json(doc) + "]}";
}

void light_entities(const DeviceProfile& p, const DeviceState& s, std::vector<Entity>& out) {
  const auto channels = light_channels(p);
  const int capacity = ability_capacity(p);
  for (int c : channels) {
    Entity e = channel_entity("light_", c, Component::Light, channels.size() > 1, "Light");
    e.has_command = true;
    e.options.emplace_back("schema", "\"json\"");
    e.options.emplace_back("supported_color_modes", json_string_list(color_modes(capacity)));
    if (capacity & kLuminance) {
      e.options.emplace_back("brightness", "true");
      e.options.emplace_back("brightness_scale", "100");
    }
    if (capacity & kTemperature) {
      e.options.emplace_back("color_temp_kelvin", "true");
      e.options.emplace_back("min_kelvin", std::to_string(kMinKelvin));
      e.options.emplace_back("max_kelvin", std::to_string(kMaxKelvin));
    }
    if (!s.effect_names.empty()) {
      e.options.emplace_back("effect", "true");
      e.options.emplace_back("effect_list", json_string_list(s.effect_names));
    }
    out.push_back(std::move(e));
  }
}

}  // namespace

std::string light_state_json(const DeviceProfile& p, const DeviceState& s, int channel) {
  LightState ls;
  if (const auto it = s.lights.find(channel); it != s.lights.end()) ls = it->second;
  const int capacity = ability_capacity(p);
  std::string_view mode = default_color_mode(capacity);
  if (ls.capacity >= 0) {
    if ((ls.capacity & kRgb) && (capacity & kRgb)) {
      mode = "rgb";
    } else if ((ls.capacity & kTemperature) && (capacity & kTemperature)) {
      mode = "color_temp";
    }
  }
  protocol::JsonStringWriter w;
  w.StartObject();
  w.key("state");
  if (ls.onoff < 0) {
    w.Null();
  } else {
    w.string(ls.onoff != 0 ? "ON" : "OFF");
  }
  w.key("color_mode");
  w.string(mode);
  if ((capacity & kLuminance) && ls.luminance > 0) {
    w.key("brightness");
    w.Int(std::min(ls.luminance, 100));
  }
  if (mode == "rgb" && ls.rgb >= 0) {
    w.key("color");
    w.StartObject();
    w.key("r");
    w.Int((ls.rgb >> 16) & 0xff);
    w.key("g");
    w.Int((ls.rgb >> 8) & 0xff);
    w.key("b");
    w.Int(ls.rgb & 0xff);
    w.EndObject();
  }
  if (mode == "color_temp" && ls.temperature >= 0) {
    w.key("color_temp");
    w.Int(kelvin_from_meross_temperature(ls.temperature));
  }
  if (ls.capacity >= 0 && (ls.capacity & kEffect) && ls.effect >= 0 &&
      static_cast<std::size_t>(ls.effect) < s.effect_names.size()) {
    w.key("effect");
    w.string(s.effect_names[static_cast<std::size_t>(ls.effect)]);
  }
  w.EndObject();
  return w.take();
}

namespace {

std::optional<Error> light_digest(const DeviceProfile& p, DeviceState& s, const JsonValue& light,
                                  StateBatch& out) {
  return apply_light(p, s, light, "all.digest.light", out);
}

std::optional<Error> light_states(const DeviceProfile& p, DeviceState& s, std::string_view ns,
                                  const JsonValue& payload, const Context&, StateBatch& out) {
  if (ns == "Appliance.Control.Light") {
    const JsonValue* light = member(payload, "light");
    if (!light) return std::nullopt;  // SETACK {}
    return apply_light(p, s, *light, "light", out);
  }
  // Light.Effect: the effect list (names in device order; light "effect" indexes it).
  const JsonValue* effects = member(payload, "effect");
  if (!effects) return std::nullopt;
  if (!effects->IsArray()) return wrong_type("effect", "a list", *effects);
  std::vector<std::string> names, objects;
  rapidjson::SizeType i = 0;
  for (const auto& item : effects->GetArray()) {
    const std::string path = "effect[" + std::to_string(i++) + "]";
    if (!item.IsObject()) return wrong_type(path, "an object", item);
    const auto name = protocol::string_member(item, "effectName");
    if (!name) return Error{path + ".effectName", "expected a string"};
    names.emplace_back(*name);
    objects.push_back(protocol::to_json(item));
  }
  if (names != s.effect_names) out.entities_changed = true;
  s.effect_names = std::move(names);
  s.effect_objects = std::move(objects);
  for (int c : light_channels(p)) {
    if (s.lights.count(c)) out.updates.push_back({key_of("light_", c), light_state_json(p, s, c)});
  }
  return std::nullopt;
}

Result<std::vector<DeviceRequest>> light_command(const DeviceProfile& p, const DeviceState& s,
                                                 int channel, std::string_view command) {
  auto parsed = parse_command(p, s, command);
  if (!parsed) return parsed.error();
  const LightCommand& cmd = *parsed;
  const bool togglex = contains(digest_channels(p, "togglex"), channel);
  const auto onoff_request = [&](int onoff) {
    return togglex ? channel_set("Appliance.Control.ToggleX", "togglex", channel, "onoff", onoff)
                   : channel_set("Appliance.Control.Light", "light", channel, "onoff", onoff);
  };
  const DeviceRequest read_light = get_request("Appliance.Control.Light", R"({"light":{}})");
  const DeviceRequest read_togglex = get_request("Appliance.Control.ToggleX", R"({"togglex":[]})");

  std::vector<DeviceRequest> out;
  const bool attributes = cmd.brightness || cmd.rgb || cmd.kelvin || cmd.effect;
  if (!cmd.on || !attributes) {
    out.push_back(onoff_request(cmd.on ? 1 : 0));
    out.push_back(togglex ? read_togglex : read_light);
    return out;
  }

  LightState ls;
  if (const auto it = s.lights.find(channel); it != s.lights.end()) ls = it->second;
  if (cmd.effect) {
    auto effect = enabled_effect(s.effect_objects[*cmd.effect]);
    if (!effect) return effect.error();
    out.push_back({Method::Set, "Appliance.Control.Light.Effect", std::move(*effect)});
  } else {
    const int previous_mode = ls.capacity >= 0 ? (ls.capacity & (kRgb | kTemperature)) : 0;
    int capacity = kLuminance;
    if (cmd.rgb) {
      capacity |= kRgb;
    } else if (cmd.kelvin) {
      capacity |= kTemperature;
    } else {
      capacity |= previous_mode == (kRgb | kTemperature) ? kRgb : previous_mode;
    }
    capacity &= ability_capacity(p) | kLuminance;
    const int luminance =
        cmd.brightness ? *cmd.brightness : (ls.luminance > 0 ? ls.luminance : 100);
    rapidjson::StringBuffer buffer;
    Writer w(buffer);
    w.StartObject();
    key(w, "light");
    w.StartObject();
    key(w, "channel");
    w.Int(channel);
    key(w, "capacity");
    w.Int(capacity);
    if (capacity & kRgb) {
      key(w, "rgb");
      w.Int(cmd.rgb ? *cmd.rgb : (ls.rgb >= 0 ? ls.rgb : 0xffffff));
    }
    if (capacity & kTemperature) {
      key(w, "temperature");
      w.Int(cmd.kelvin ? meross_temperature_from_kelvin(*cmd.kelvin)
                       : (ls.temperature > 0 ? ls.temperature : 50));
    }
    key(w, "luminance");
    w.Int(luminance);
    if (!togglex) {
      key(w, "onoff");
      w.Int(1);
    }
    w.EndObject();
    w.EndObject();
    out.push_back({Method::Set, "Appliance.Control.Light", buffer.GetString()});
  }
  if (togglex) out.push_back(onoff_request(1));
  out.push_back(read_light);
  if (togglex) out.push_back(read_togglex);
  return out;
}

void light_polls(const DeviceProfile& p, const DeviceState&, std::vector<Poll>& out) {
  if (p.has_ability("Appliance.Control.Light.Effect")) {
    out.push_back({PollKind::Slow, "Appliance.Control.Light.Effect", R"({"effect":[]})"});
  }
}

constexpr std::string_view kNamespaces[] = {"Appliance.Control.Light",
                                            "Appliance.Control.Light.Effect"};
constexpr DigestSection kDigest[] = {{"light", 0, light_digest}};

}  // namespace

extern const Family light_family;
const Family light_family{
    .name = "light",
    .entities = light_entities,
    .powers = [](const DeviceProfile& p,
                 int channel) { return contains(digest_channels(p, "light"), channel); },
    .namespaces = kNamespaces,
    .read = light_states,
    .digest = kDigest,
    .polls = light_polls,
    .command_key = "light_",
    .command = light_command,
};

}  // namespace meross::mapping::detail
