// Sensors on a hub (device-families.md §2.4, §2.6, §2.7): ms100 temperature/humidity (0.1 °C,
// 0.1 %), ms200 door/window, gs559 smoke alarm. Hub.Sensor.All, .TempHum, .Latest, .DoorWindow,
// .Smoke (key "smokeAlarm"; SET status 23 starts a test alarm that ends after kTestMs, a muted
// code mutes the alarm or error it belongs to) and .Adjust (SET adds a delta, as meross_lan
// expects). Each sensor's state is the "sensor" member of its sub-device (hub.hpp):
//   ms100:      {"temperature":{latest,latestSampleTime,max,min},"humidity":{…},
//                "adjust":{"temperature","humidity"}}
//   doorWindow: {"doorWindow":{status,lmTime}}
//   smokeAlarm: {"smokeAlarm":{status,lmTime,interConn},"testEndsMs":…}

#include <cmath>

#include "protocol/namespaces.hpp"
#include "simulator/families/hub.hpp"
#include "simulator/families/thermostat.hpp"

namespace meross::sim::detail {
namespace {

namespace ns = meross::protocol::ns;

constexpr std::int64_t kTestMs = 5000;  // a gs559 test alarm sounds for a few seconds
constexpr std::int64_t kSmokeOk = 170;
constexpr std::int64_t kSmokeTest = 23;

const JsonValue* sensor_of(const JsonValue& sub) {
  const JsonValue* s = member(sub, "sensor");
  return s && s->IsObject() ? s : nullptr;
}
JsonValue* sensor_of(JsonValue& sub) {
  JsonValue* s = member(sub, "sensor");
  return s && s->IsObject() ? s : nullptr;
}

bool climate(const JsonValue& sub) {
  const JsonValue* s = sensor_of(sub);
  return s && member(*s, "temperature");
}
bool door(const JsonValue& sub) {
  const JsonValue* s = sensor_of(sub);
  return s && member(*s, "doorWindow");
}
bool smoke(const JsonValue& sub) {
  const JsonValue* s = sensor_of(sub);
  return s && member(*s, "smokeAlarm");
}
bool not_valve(const JsonValue& sub) {
  return !hub::is_valve(sub);
}

JsonValue& part(JsonValue& sub, std::string_view name) {
  return *member(*sensor_of(sub), name);
}
const JsonValue& part(const JsonValue& sub, std::string_view name) {
  return *member(*sensor_of(sub), name);
}

const JsonValue* recorded_item(const std::optional<rapidjson::Document>& doc, std::string_view key,
                               std::string_view id) {
  const JsonValue* list = doc ? member(*doc, key) : nullptr;
  return list ? find_id(*list, id) : nullptr;
}

// The muted code of an alarm or error (§2.7), 0 when it has none.
std::int64_t muted(std::int64_t status) {
  switch (status) {
    case 17:
      return 20;
    case 18:
      return 21;
    case 19:
      return 22;
    case 24:
      return 26;
    case 25:
      return 27;
    default:
      return 0;
  }
}

bool known_smoke_status(std::int64_t status) {
  return status == kSmokeOk || (status >= 17 && status <= 27);
}

// The digest's type object follows the readings.
void sync(Context& ctx, JsonValue& sub) {
  JsonValue* tag = hub::type_object(sub);
  if (!tag) return;
  auto& a = ctx.alloc();
  if (climate(sub)) {
    set_int(*tag, "latestTemperature", int_of(part(sub, "temperature"), "latest"), a);
    set_int(*tag, "latestHumidity", int_of(part(sub, "humidity"), "latest"), a);
    set_int(*tag, "latestTime", int_of(part(sub, "temperature"), "latestSampleTime"), a);
  } else if (door(sub)) {
    set_int(*tag, "status", int_of(part(sub, "doorWindow"), "status"), a);
    set_int(*tag, "lmTime", int_of(part(sub, "doorWindow"), "lmTime"), a);
  } else if (smoke(sub)) {
    const JsonValue& s = part(sub, "smokeAlarm");
    for (const char* name : {"status", "lmTime", "interConn"})
      set_int(*tag, name, int_of(s, name), a);
  }
}

JsonValue reading(const JsonValue* seen, const JsonValue* tag, const char* tag_key,
                  std::int64_t fallback, std::int64_t lo, std::int64_t hi, Alloc& a) {
  JsonValue out(rapidjson::kObjectType);
  const std::int64_t time = tag ? int_of(*tag, "latestTime") : 0;
  out.AddMember(
      "latest",
      seen ? int_of(*seen, "latest", fallback) : (tag ? int_of(*tag, tag_key, fallback) : fallback),
      a);
  out.AddMember("latestSampleTime", seen ? int_of(*seen, "latestSampleTime", time) : time, a);
  out.AddMember("max", seen ? int_of(*seen, "max", hi) : hi, a);
  out.AddMember("min", seen ? int_of(*seen, "min", lo) : lo, a);
  return out;
}

void seed(Context& ctx) {
  JsonValue* subs = hub::subdevices(ctx);
  if (!subs) return;
  const View v = ctx.view();
  const auto alls = v.recorded(ns::kHubSensorAll);
  const auto adjusts = v.recorded(ns::kHubSensorAdjust);
  auto& a = ctx.alloc();
  for (auto& sub : subs->GetArray()) {
    const std::string_view type = hub::type_of(sub);
    const JsonValue* all = recorded_item(alls, "all", hub::id_of(sub));
    const JsonValue* tag = hub::type_object(sub);
    JsonValue state(rapidjson::kObjectType);
    if (type == "ms100" || type == "tempHum") {
      const JsonValue* t = all ? member(*all, "temperature") : nullptr;
      const JsonValue* h = all ? member(*all, "humidity") : nullptr;
      state.AddMember("temperature", reading(t, tag, "latestTemperature", 200, -100, 500, a), a);
      state.AddMember("humidity", reading(h, tag, "latestHumidity", 500, 0, 1000, a), a);
      const JsonValue* adjust = recorded_item(adjusts, "adjust", hub::id_of(sub));
      JsonValue offsets(rapidjson::kObjectType);
      offsets.AddMember("temperature", adjust ? int_of(*adjust, "temperature") : 0, a);
      offsets.AddMember("humidity", adjust ? int_of(*adjust, "humidity") : 0, a);
      state.AddMember("adjust", offsets, a);
    } else if (type == "doorWindow") {
      JsonValue d(rapidjson::kObjectType);
      d.AddMember("status", tag ? int_of(*tag, "status") : 0, a);
      d.AddMember("lmTime", tag ? int_of(*tag, "lmTime") : 0, a);
      state.AddMember("doorWindow", d, a);
    } else if (type == "smokeAlarm") {
      JsonValue s(rapidjson::kObjectType);
      s.AddMember("status", tag ? int_of(*tag, "status", kSmokeOk) : kSmokeOk, a);
      s.AddMember("lmTime", tag ? int_of(*tag, "lmTime") : 0, a);
      s.AddMember("interConn", tag ? int_of(*tag, "interConn") : 0, a);
      state.AddMember("smokeAlarm", s, a);
      state.AddMember("testEndsMs", std::int64_t{0}, a);
    } else {
      continue;
    }
    set(sub, "sensor", std::move(state), a);
    sync(ctx, sub);
  }
}

void write_all(const JsonValue& sub, Writer& w) {
  w.Key("online");
  hub::write_online(w, sub);
  if (climate(sub)) {
    write_member(w, "temperature", part(sub, "temperature"));
    write_member(w, "humidity", part(sub, "humidity"));
  } else if (door(sub)) {
    write_member(w, "doorWindow", part(sub, "doorWindow"));
  } else if (smoke(sub)) {
    // Sensor.All spells it "lmtime" (smokeAlarm.json.txt).
    const JsonValue& s = part(sub, "smokeAlarm");
    w.Key("smokeAlarm");
    w.StartObject();
    w.Key("status");
    w.Int64(int_of(s, "status"));
    w.Key("lmtime");
    w.Int64(int_of(s, "lmTime"));
    w.Key("interConn");
    w.Int64(int_of(s, "interConn"));
    w.EndObject();
  }
}

void write_temphum(const JsonValue& sub, Writer& w) {
  w.Key("latestTemperature");
  w.Int64(int_of(part(sub, "temperature"), "latest"));
  w.Key("latestHumidity");
  w.Int64(int_of(part(sub, "humidity"), "latest"));
  w.Key("latestTime");
  w.Int64(int_of(part(sub, "temperature"), "latestSampleTime"));
}

void write_latest(const JsonValue& sub, Writer& w) {
  for (const char* name : {"temperature", "humidity"}) {
    w.Key(name);
    w.StartObject();
    w.Key("sample");
    w.Int64(int_of(part(sub, name), "latest"));
    w.Key("time");
    w.Int64(int_of(part(sub, name), "latestSampleTime"));
    w.EndObject();
  }
}

void write_door(const JsonValue& sub, Writer& w) {
  write_ints(w, part(sub, "doorWindow"), {"status", "lmTime"});
}

// A GET answer's item: the reading and its (empty) history of samples.
template <hub::ItemWriter write>
void with_samples(const JsonValue& sub, Writer& w) {
  write(sub, w);
  w.Key("sample");
  w.StartArray();
  w.EndArray();
}

void write_smoke(const JsonValue& sub, Writer& w) {
  write_ints(w, part(sub, "smokeAlarm"), {"status", "interConn"});
}

void write_smoke_push(const JsonValue& sub, Writer& w) {
  write_ints(w, part(sub, "smokeAlarm"), {"status", "interConn", "lmTime"});
}

void write_adjust(const JsonValue& sub, Writer& w) {
  write_ints(w, part(sub, "adjust"), {"temperature", "humidity"});
}

constexpr hub::Reader kReaders[] = {
    {ns::kHubSensorAll, "all", not_valve, write_all},
    {ns::kHubSensorTempHum, "tempHum", climate, with_samples<write_temphum>},
    {ns::kHubSensorLatest, "latest", climate, write_latest},
    {ns::kHubSensorDoorWindow, "doorWindow", door, with_samples<write_door>},
    {ns::kHubSensorSmoke, "smokeAlarm", smoke, write_smoke},
    {ns::kHubSensorAdjust, "adjust", climate, write_adjust},
};

void set_smoke_status(Context& ctx, JsonValue& sub, std::int64_t status) {
  JsonValue& s = part(sub, "smokeAlarm");
  set_int(s, "status", status, ctx.alloc());
  set_int(s, "lmTime", ctx.now_s(), ctx.alloc());
  set_int(*sensor_of(sub), "testEndsMs", status == kSmokeTest ? ctx.now_ms + kTestMs : 0,
          ctx.alloc());
  sync(ctx, sub);
  ctx.push(ns::kHubSensorSmoke, hub::items("smokeAlarm", {&sub}, write_smoke_push));
}

// Test from the all-clear (or again while testing); mute the alarm or error sounding now.
bool smoke_allowed(std::int64_t current, std::int64_t wanted) {
  if (wanted == kSmokeTest) return current == kSmokeOk || current == kSmokeTest;
  return wanted != 0 && (muted(current) == wanted || current == wanted);
}

bool smoke_fits(const JsonValue& sub, const JsonValue& request) {
  const JsonValue* value = member(request, "status");
  const auto wanted = value ? strict_int(*value) : std::nullopt;
  return wanted && smoke_allowed(int_of(part(sub, "smokeAlarm"), "status"), *wanted);
}

void apply_smoke(Context& ctx, JsonValue& sub, const JsonValue& request) {
  set_smoke_status(ctx, sub, int_of(request, "status"));
}

// Sensor.Adjust SET adds to the offset (meross_lan's MLHubSensorAdjustNumber); the offset stays
// within ±5 °C and ±20 %.
constexpr std::pair<const char*, std::int64_t> kAdjustLimits[] = {{"temperature", 50},
                                                                  {"humidity", 200}};

bool adjust_fits(const JsonValue& sub, const JsonValue& request) {
  bool any = false;
  for (const auto& [name, limit] : kAdjustLimits) {
    const JsonValue* value = member(request, name);
    if (!value) continue;
    const auto delta = strict_int(*value);
    if (!delta || std::llabs(*delta) > 2 * limit) return false;
    if (std::llabs(int_of(part(sub, "adjust"), name) + *delta) > limit) return false;
    any = true;
  }
  return any;
}

void apply_adjust(Context& ctx, JsonValue& sub, const JsonValue& request) {
  JsonValue& offsets = part(sub, "adjust");
  for (const auto& [name, limit] : kAdjustLimits) {
    if (const JsonValue* value = member(request, name)) {
      set_int(offsets, name, int_of(offsets, name) + value->GetInt64(), ctx.alloc());
    }
  }
}

// set_smoke_status PUSHes each alarm.
constexpr hub::Setter kSetters[] = {
    {ns::kHubSensorSmoke, "smokeAlarm", smoke, smoke_fits, apply_smoke},
    {ns::kHubSensorAdjust, "adjust", climate, adjust_fits, apply_adjust, write_adjust},
};

std::optional<Answer> handle(Context& ctx, Method method, std::string_view ns,
                             const JsonValue& payload) {
  return hub::answer(ctx, kReaders, kSetters, method, ns, payload);
}

void advance(Context& ctx) {
  JsonValue* subs = hub::subdevices(ctx);
  if (!subs) return;
  for (auto& sub : subs->GetArray()) {
    if (!smoke(sub)) continue;
    const std::int64_t ends = int_of(*sensor_of(sub), "testEndsMs");
    if (ends == 0 || ctx.now_ms < ends) continue;
    set_smoke_status(ctx, sub, kSmokeOk);
  }
}

std::optional<std::string> command(Context& ctx, Command words) {
  JsonValue* sub = nullptr;
  const std::string_view verb = words.empty() ? std::string_view() : words[0];
  if (verb == "room") sub = hub::command_target(ctx, words, "room", 3, climate);
  if (verb == "door") sub = hub::command_target(ctx, words, "door", 3, door);
  if (verb == "smoke") sub = hub::command_target(ctx, words, "smoke", 3, smoke);
  if (!sub) return std::nullopt;
  if (!hub::online(*sub)) return words[0] + ": " + words[1] + " is offline";
  if (verb == "room") {
    const auto units = thermostat::room_units(words[2], 10);
    if (!units) return thermostat::room_refusal(words[2]);
    JsonValue& t = part(*sub, "temperature");
    set_int(t, "latest", *units, ctx.alloc());
    set_int(t, "latestSampleTime", ctx.now_s(), ctx.alloc());
    hub::touch(ctx, *sub);
    sync(ctx, *sub);
    ctx.push(ns::kHubSensorTempHum, hub::items("tempHum", {sub}, write_temphum));
  } else if (verb == "door") {
    if (words[2] != "open" && words[2] != "closed") return "door: open or closed";
    JsonValue& d = part(*sub, "doorWindow");
    set_int(d, "status", words[2] == "open" ? 1 : 0, ctx.alloc());
    set_int(d, "lmTime", ctx.now_s(), ctx.alloc());
    hub::touch(ctx, *sub);
    sync(ctx, *sub);
    ctx.push(ns::kHubSensorDoorWindow, hub::items("doorWindow", {sub}, write_door));
  } else {
    const auto code = thermostat::channel_word(words[2]);
    if (!code || !known_smoke_status(*code)) {
      return "smoke: '" + words[2] + "' is no gs559 status (170, 17..27)";
    }
    hub::touch(ctx, *sub);
    set_smoke_status(ctx, *sub, *code);
  }
  return "";
}

constexpr std::string_view kNamespaces[] = {ns::kHubSensorAll,    ns::kHubSensorTempHum,
                                            ns::kHubSensorLatest, ns::kHubSensorDoorWindow,
                                            ns::kHubSensorSmoke,  ns::kHubSensorAdjust};

}  // namespace

extern const Family hub_sensor_family{
    .name = "hub_sensor",
    .seed = seed,
    .namespaces = kNamespaces,
    .handle = handle,
    .advance = advance,
    .command = command,
};

}  // namespace meross::sim::detail
