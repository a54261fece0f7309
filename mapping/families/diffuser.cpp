// The mod100 aroma diffuser and the msxh0 humidifier (device-families.md §3).
//
// The spray is a `select` (off / continuous / intermittent), not a Home Assistant `humidifier`:
// neither device measures against a target humidity, and a humidifier entity without one is an
// on/off switch with a mode list that would hide which of the three states the device is in.
// The two spray namespaces number their modes in opposite orders and take different SET shapes:
// Diffuser.Spray (mod100) 0 intermittent, 1 continuous, 2 off, SET as a list; Control.Spray
// (msxh0) 0 off, 1 continuous, 2 intermittent, SET as a dict.
//
// The mod100's light is Diffuser.Light (onoff, mode 0 rainbow / 1 colour / 2 temperature,
// luminance 0..100, rgb): a JSON-schema light whose effects are the two modes that are no plain
// colour. The msxh0's light is the ordinary Control.Light (light.cpp). Diffuser.Sensor gives a
// temperature and a humidity in tenths, polled (it does not push); older mod100s answer zeros
// with lmTime 0 (meross_lan#243), which are no reading and are not published.
//
// Memory (DeviceState::numbers): "diffuser.spray" (the option index), "diffuser.light.<field>"
// for onoff, mode, luminance, rgb.

#include <array>
#include <string>

#include <rapidjson/document.h>

#include "mapping/family.hpp"
#include "protocol/json_writer.hpp"
#include "protocol/namespaces.hpp"

namespace meross::mapping::detail {
namespace {

namespace ns = meross::protocol::ns;

// Home Assistant's option names, in this order everywhere below.
constexpr std::array<std::string_view, 3> kOptions = {"off", "continuous", "intermittent"};
// The device's mode number of each option.
constexpr std::array<int, 3> kDiffuserModes = {2, 1, 0};  // Diffuser.Spray (mod100)
constexpr std::array<int, 3> kSprayModes = {0, 1, 2};     // Control.Spray (msxh0)

// Diffuser.Light modes: 0 and 2 are effects, 1 the colour in `rgb`.
constexpr int kColourMode = 1;
constexpr std::array<std::string_view, 2> kEffects = {"Rainbow", "Temperature"};
constexpr std::array<int, 2> kEffectModes = {0, 2};

constexpr std::string_view kSprayKey = "spray";
constexpr std::string_view kLightKey = "diffuser_light";

bool diffuser_spray(const DeviceProfile& p) {
  return p.has_ability(ns::kControlDiffuserSpray);
}
bool plain_spray(const DeviceProfile& p) {
  return !diffuser_spray(p) && p.has_ability(ns::kControlSpray);
}

std::optional<std::int64_t> remembered(const DeviceState& s, std::string_view key) {
  const auto it = s.numbers.find(key);
  if (it == s.numbers.end()) return std::nullopt;
  return it->second;
}

void diffuser_entities(const DeviceProfile& p, const DeviceState&, std::vector<Entity>& out) {
  if (diffuser_spray(p) || plain_spray(p)) {
    Entity e;
    e.key = std::string(kSprayKey);
    e.component = Component::Select;
    e.name = "Spray";
    e.has_command = true;
    e.options.emplace_back("options", json_list(kOptions));
    out.push_back(std::move(e));
  }
  if (p.has_ability(ns::kControlDiffuserLight)) {
    Entity e;
    e.key = std::string(kLightKey);
    e.component = Component::Light;
    e.name = "Light";
    e.has_command = true;
    e.options = {{"schema", "\"json\""}, {"supported_color_modes", "[\"rgb\"]"},
                 {"brightness", "true"}, {"brightness_scale", "100"},
                 {"effect", "true"},     {"effect_list", json_list(kEffects)}};
    out.push_back(std::move(e));
  }
  if (p.has_ability(ns::kControlDiffuserSensor)) {
    Entity t;
    t.key = "temperature";
    t.component = Component::Sensor;
    t.name = "Temperature";
    t.device_class = "temperature";
    t.unit = "°C";
    t.state_class = "measurement";
    t.display_precision = 1;
    out.push_back(t);
    Entity h = t;
    h.key = "humidity";
    h.name = "Humidity";
    h.device_class = "humidity";
    h.unit = "%";
    h.display_precision = 0;
    out.push_back(std::move(h));
  }
}

// --- state --------------------------------------------------------------------------------

std::optional<Error> read_spray(DeviceState& s, const JsonValue& items, const std::string& field,
                                const std::array<int, 3>& modes, StateBatch& out) {
  return for_each_item_until_error(
      items, field, [&](const JsonValue& item, const std::string& path) -> std::optional<Error> {
        auto mode = optional_int(item, "mode", path);
        if (!mode) return mode.error();
        if (channel_of(item) != 0 || !*mode) return std::nullopt;
        for (std::size_t i = 0; i < modes.size(); ++i) {
          if (modes[i] != **mode) continue;
          s.numbers["diffuser.spray"] = static_cast<std::int64_t>(i);
          out.updates.push_back({std::string(kSprayKey), std::string(kOptions[i])});
          return std::nullopt;
        }
        return Error{path + ".mode", "unknown spray mode " + std::to_string(**mode)};
      });
}

std::string light_json(const DeviceState& s) {
  const auto onoff = remembered(s, "diffuser.light.onoff");
  const auto mode = remembered(s, "diffuser.light.mode");
  const auto luminance = remembered(s, "diffuser.light.luminance");
  const auto rgb = remembered(s, "diffuser.light.rgb");
  protocol::JsonStringWriter w;
  w.StartObject();
  w.key("state");
  if (onoff) {
    w.string(*onoff ? "ON" : "OFF");
  } else {
    w.Null();
  }
  w.key("color_mode");
  w.string("rgb");
  if (luminance && *luminance > 0) {
    w.key("brightness");
    w.Int64(*luminance);
  }
  if (rgb) {
    w.key("color");
    w.StartObject();
    w.key("r");
    w.Int64((*rgb >> 16) & 0xff);
    w.key("g");
    w.Int64((*rgb >> 8) & 0xff);
    w.key("b");
    w.Int64(*rgb & 0xff);
    w.EndObject();
  }
  for (std::size_t i = 0; mode && i < kEffectModes.size(); ++i) {
    if (kEffectModes[i] != *mode) continue;
    w.key("effect");
    w.string(kEffects[i]);
  }
  w.EndObject();
  return w.take();
}

struct LightField {
  std::string_view name;
  std::int64_t lo, hi;
};
constexpr LightField kLightFields[] = {
    {"onoff", 0, 1}, {"mode", 0, 2}, {"luminance", 0, 100}, {"rgb", 0, 0xffffff}};

std::optional<Error> read_light(DeviceState& s, const JsonValue& items, const std::string& field,
                                StateBatch& out) {
  return for_each_item_until_error(
      items, field, [&](const JsonValue& item, const std::string& path) -> std::optional<Error> {
        if (channel_of(item) != 0) return std::nullopt;
        // Checked whole before any is kept: a bad field leaves the light as it was.
        std::array<std::optional<std::int64_t>, std::size(kLightFields)> values;
        for (std::size_t i = 0; i < values.size(); ++i) {
          const LightField& f = kLightFields[i];
          auto value = optional_int(item, f.name, path);
          if (!value) return value.error();
          if (*value && (**value < f.lo || **value > f.hi)) {
            return Error{path + "." + std::string(f.name), "out of range"};
          }
          values[i] = *value;
        }
        for (std::size_t i = 0; i < values.size(); ++i) {
          if (values[i])
            s.numbers["diffuser.light." + std::string(kLightFields[i].name)] = *values[i];
        }
        out.updates.push_back({std::string(kLightKey), light_json(s)});
        return std::nullopt;
      });
}

// A Diffuser.Sensor reading {"value":225,"lmTime":…}: published unless it is the zero that
// older units answer for "no sensor".
std::optional<Error> read_reading(const JsonValue& payload, std::string_view name,
                                  StateBatch& out) {
  const JsonValue* reading = member(payload, name);
  if (!reading) return std::nullopt;
  if (!reading->IsObject()) return wrong_type(std::string(name), "an object", *reading);
  auto value = optional_int(*reading, "value", std::string(name));
  if (!value) return value.error();
  auto when = optional_int(*reading, "lmTime", std::string(name));
  if (!when) return when.error();
  if (!*value || (**value == 0 && when->value_or(0) == 0)) return std::nullopt;
  if (**value < -1000 || **value > 1500) return Error{std::string(name) + ".value", "out of range"};
  out.updates.push_back({std::string(name), format_scaled(**value, 10)});
  return std::nullopt;
}

std::optional<Error> diffuser_states(const DeviceProfile&, DeviceState& s, std::string_view n,
                                     const JsonValue& payload, const Context&, StateBatch& out) {
  if (n == ns::kControlDiffuserSensor) {
    if (auto e = read_reading(payload, "temperature", out)) return e;
    return read_reading(payload, "humidity", out);
  }
  if (n == ns::kControlDiffuserLight) {
    const JsonValue* light = member(payload, "light");
    return light ? read_light(s, *light, "light", out) : std::nullopt;
  }
  const JsonValue* spray = member(payload, "spray");
  if (!spray) return std::nullopt;  // a SETACK {}
  return read_spray(s, *spray, "spray",
                    n == ns::kControlDiffuserSpray ? kDiffuserModes : kSprayModes, out);
}

// all.digest.diffuser = {"type":"mod100","light":[…],"spray":[…]}
std::optional<Error> diffuser_digest(const DeviceProfile&, DeviceState& s, const JsonValue& section,
                                     StateBatch& out) {
  if (!section.IsObject()) return wrong_type("all.digest.diffuser", "an object", section);
  if (const JsonValue* spray = member(section, "spray")) {
    if (auto e = read_spray(s, *spray, "all.digest.diffuser.spray", kDiffuserModes, out)) return e;
  }
  if (const JsonValue* light = member(section, "light")) {
    return read_light(s, *light, "all.digest.diffuser.light", out);
  }
  return std::nullopt;
}

// all.digest.spray = [{"channel":0,"mode":0,…}] (msxh0)
std::optional<Error> spray_digest(const DeviceProfile& p, DeviceState& s, const JsonValue& section,
                                  StateBatch& out) {
  if (!plain_spray(p)) return std::nullopt;
  return read_spray(s, section, "all.digest.spray", kSprayModes, out);
}

void diffuser_polls(const DeviceProfile& p, const DeviceState&, std::vector<Poll>& out) {
  // The sensor does not push; meross_lan reads it every 300 s, the slow interval.
  if (p.has_ability(ns::kControlDiffuserSensor)) {
    out.push_back({PollKind::Slow, std::string(ns::kControlDiffuserSensor), R"({"sensor":{}})"});
  }
}

// --- commands -----------------------------------------------------------------------------

Result<std::vector<DeviceRequest>> spray_command(const DeviceProfile& p, std::string_view text) {
  text = trim(text);
  for (std::size_t i = 0; i < kOptions.size(); ++i) {
    if (text != kOptions[i]) continue;
    const std::string channel_mode =
        R"({"channel":0,"mode":)" +
        std::to_string(diffuser_spray(p) ? kDiffuserModes[i] : kSprayModes[i]) + "}";
    if (diffuser_spray(p)) {
      return std::vector<DeviceRequest>{
          {Method::Set, std::string(ns::kControlDiffuserSpray),
           R"({"spray":[)" + channel_mode + "]}"},
          get_request(std::string(ns::kControlDiffuserSpray), R"({"spray":{}})")};
    }
    return std::vector<DeviceRequest>{
        {Method::Set, std::string(ns::kControlSpray), R"({"spray":)" + channel_mode + "}"},
        get_request(std::string(ns::kControlSpray), R"({"spray":{}})")};
  }
  return Error{"command", "expected off, continuous or intermittent"};
}

Result<std::vector<DeviceRequest>> light_command(const DeviceState& s, std::string_view text) {
  if (!json_nesting_at_most(text, kMaxJsonNesting)) return Error{"command", "nested too deeply"};
  rapidjson::Document doc;
  doc.Parse(text.data(), text.size());
  if (doc.HasParseError() || !doc.IsObject()) {
    return Error{"command", "expected a JSON object like {\"state\":\"ON\"}"};
  }
  const JsonValue* state = member(doc, "state");
  auto on = state && state->IsString()
                ? parse_on_off(std::string_view(state->GetString(), state->GetStringLength()))
                : Result<bool>(Error{"state", "expected \"ON\" or \"OFF\""});
  if (!on) return Error{"state", "expected \"ON\" or \"OFF\""};
  if (const JsonValue* mode = member(doc, "color_mode");
      mode && !(mode->IsString() && std::string_view(mode->GetString()) == "rgb")) {
    return Error{"color_mode", "unknown or unsupported colour mode"};
  }
  std::int64_t mode = remembered(s, "diffuser.light.mode").value_or(kColourMode);
  std::int64_t luminance = remembered(s, "diffuser.light.luminance").value_or(100);
  std::int64_t rgb = remembered(s, "diffuser.light.rgb").value_or(0xffffff);
  if (luminance <= 0) luminance = 100;
  if (const JsonValue* brightness = member(doc, "brightness")) {
    auto value = bounded_int(*brightness, "brightness", 1, 100);
    if (!value) return value.error();
    luminance = *value;
  }
  const JsonValue* color = member(doc, "color");
  if (color) {
    auto packed = packed_rgb(*color);
    if (!packed) return packed.error();
    rgb = *packed;
    mode = kColourMode;
  }
  if (const JsonValue* effect = member(doc, "effect")) {
    if (!effect->IsString()) return wrong_type("effect", "a string", *effect);
    if (color) return Error{"effect", "an effect and a colour together"};
    const std::string_view name(effect->GetString(), effect->GetStringLength());
    std::size_t i = 0;
    while (i < kEffects.size() && kEffects[i] != name)
      ++i;
    if (i == kEffects.size()) return Error{"effect", "unknown effect '" + std::string(name) + "'"};
    mode = kEffectModes[i];
  }
  protocol::JsonStringWriter w;
  w.StartObject();
  w.key("light");
  w.StartArray();
  w.StartObject();
  w.key("channel");
  w.Int(0);
  w.key("onoff");
  w.Int(*on ? 1 : 0);
  // Off is only off; on sets the whole light, as the device's own app does.
  if (*on) {
    w.key("mode");
    w.Int64(mode);
    w.key("luminance");
    w.Int64(luminance);
    w.key("rgb");
    w.Int64(rgb);
  }
  w.EndObject();
  w.EndArray();
  w.EndObject();
  return std::vector<DeviceRequest>{
      {Method::Set, std::string(ns::kControlDiffuserLight), w.take()},
      get_request(std::string(ns::kControlDiffuserLight), R"({"light":{}})")};
}

Result<std::vector<DeviceRequest>> diffuser_command(const DeviceProfile& p, const DeviceState& s,
                                                    std::string_view key,
                                                    std::string_view command) {
  if (key == kSprayKey) return spray_command(p, command);
  if (key == kLightKey) return light_command(s, command);
  return Error{"entity", "no commandable entity '" + std::string(key) + "'"};
}

constexpr std::string_view kNamespaces[] = {ns::kControlDiffuserSpray, ns::kControlDiffuserLight,
                                            ns::kControlDiffuserSensor, ns::kControlSpray};
constexpr DigestSection kDigest[] = {{"diffuser", 0, diffuser_digest}, {"spray", 0, spray_digest}};

}  // namespace

extern const Family diffuser_family;
const Family diffuser_family{
    .name = "diffuser",
    .entities = diffuser_entities,
    .namespaces = kNamespaces,
    .read = diffuser_states,
    .digest = kDigest,
    .polls = diffuser_polls,
    .keyed_command = diffuser_command,
};

}  // namespace meross::mapping::detail
