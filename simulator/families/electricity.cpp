// Metering (meross-protocol.md §5.4, §5.6, §5.9): ≈230 V, a fixed per-device load of
// 20–1500 W with ±2 % noise while relay 0 is on, daily energy accumulated in the device's local
// days (≈30 of them). Section "electricity":
// {"metering":bool,"baseLoadW":…,"config":{…},"days":[{date,time,wh}],"todayWh":…,"todayDate":…,
// "lastMs":…}.

#include <algorithm>
#include <cmath>

#include "protocol/namespaces.hpp"
#include "simulator/family.hpp"

namespace meross::sim::detail {
namespace {

namespace ns = meross::protocol::ns;

double number_of(const JsonValue& object, std::string_view name) {
  const JsonValue* v = member(object, name);
  return v && v->IsNumber() ? v->GetDouble() : 0.0;
}

bool metering(const JsonValue& section) {
  const JsonValue* m = member(section, "metering");
  return m && m->IsTrue();
}

double load_watts(const View& view, const JsonValue& section) {
  if (!metering(section) || !relay_on(view, 0)) return 0.0;
  return number_of(section, "baseLoadW");
}

void seed(Context& ctx) {
  const View v = ctx.view();
  if (!v.has(ns::kControlElectricity) && !v.has(ns::kControlConsumptionX) &&
      !v.has(ns::kControlConsumptionConfig))
    return;
  auto& section = ctx.make_section("electricity", rapidjson::kObjectType);
  auto& a = ctx.alloc();
  set(section, "metering", JsonValue(v.has(ns::kControlElectricity)), a);
  // A plausible appliance on the plug, fixed per device.
  double base = 20.0 + static_cast<double>(fnv1a(std::string(ctx.uuid) + "load") % 1480);
  rapidjson::Document config;
  config.Parse(R"({"voltageRatio":188,"electricityRatio":100})");
  if (auto doc = v.recorded(ns::kControlElectricity)) {
    if (const JsonValue* e = member(*doc, "electricity")) {
      if (auto power = protocol::int_member(*e, "power"); power && *power > 1000) {
        base = static_cast<double>(*power) / 1000.0;
      }
      if (const JsonValue* c = member(*e, "config"); c && c->IsObject()) {
        config.CopyFrom(*c, config.GetAllocator());
      }
    }
  }
  if (auto doc = v.recorded(ns::kControlConsumptionConfig)) {
    if (const JsonValue* c = member(*doc, "config"); c && c->IsObject()) {
      config.CopyFrom(*c, config.GetAllocator());
    }
  }
  set(section, "baseLoadW", JsonValue(base), a);
  set(section, "config", copy_of(config, a), a);
  auto& days = ensure(section, "days", rapidjson::kArrayType, a);
  const auto add_day = [&](std::string_view date, std::int64_t time, double wh) {
    JsonValue day(rapidjson::kObjectType);
    day.AddMember("date", JsonValue(date.data(), static_cast<rapidjson::SizeType>(date.size()), a),
                  a);
    day.AddMember("time", time, a);
    day.AddMember("wh", wh, a);
    days.PushBack(day, a);
  };
  double today_wh = 0;
  if (v.has(ns::kControlConsumptionX)) {
    if (auto doc = v.recorded(ns::kControlConsumptionX)) {
      for (const JsonValue* item : items_of(member(*doc, "consumptionx"))) {
        auto date = protocol::string_member(*item, "date");
        if (!date) continue;
        add_day(*date, int_of(*item, "time"), static_cast<double>(int_of(*item, "value")));
      }
    } else {
      // About a month of history: the load for a few hours a day.
      const std::int64_t now_s = ctx.now_s();
      for (int back = 29; back >= 1; --back) {
        const std::int64_t t = now_s - back * 86400;
        const double hours =
            2.0 +
            static_cast<double>(fnv1a(std::string(ctx.uuid) + std::to_string(back)) % 600) / 100.0;
        add_day(ctx.clock.local_date(t), t, std::round(base * hours));
      }
    }
    const std::string today = ctx.clock.local_date(ctx.now_s());
    for (const auto& day : days.GetArray()) {
      if (protocol::string_member(day, "date") == today) today_wh = number_of(day, "wh");
    }
  }
  set(section, "todayWh", JsonValue(today_wh), a);
  set_string(section, "todayDate", ctx.clock.local_date(ctx.now_s()), a);
  set_int(section, "lastMs", ctx.now_ms, a);
}

void advance(Context& ctx) {
  JsonValue* section = ctx.section("electricity");
  if (!section) return;
  const std::int64_t last = int_of(*section, "lastMs");
  if (ctx.now_ms <= last) return;
  auto& a = ctx.alloc();
  const double dt_h = static_cast<double>(ctx.now_ms - last) / 3'600'000.0;
  set_int(*section, "lastMs", ctx.now_ms, a);
  if (!ctx.has(ns::kControlConsumptionX)) return;
  JsonValue& days = ensure(*section, "days", rapidjson::kArrayType, a);
  const std::string today = ctx.clock.local_date(ctx.now_s());
  JsonValue* day = nullptr;
  for (auto& d : days.GetArray()) {
    if (protocol::string_member(d, "date") == today) day = &d;
  }
  // A new local day starts from zero. (Keyed on the day the total belongs to, not on the day
  // being listed: a day is listed only from 1 Wh, which small steps would never reach.)
  const bool same_day = protocol::string_member(*section, "todayDate") == today;
  const double before = same_day ? number_of(*section, "todayWh") : 0.0;
  const double now = before + load_watts(ctx.view(), *section) * dt_h;
  set(*section, "todayWh", JsonValue(now), a);
  if (!same_day) set_string(*section, "todayDate", today, a);
  // Devices list a day once it has at least 1 Wh; `time` is the last update within the day.
  if (std::floor(now) < 1 || std::floor(now) == std::floor(before)) return;
  if (!day) {
    if (days.Size() >= 30) {
      auto oldest = std::min_element(days.Begin(), days.End(), [](const auto& x, const auto& y) {
        return int_of(x, "time") < int_of(y, "time");
      });
      days.Erase(oldest);
    }
    JsonValue fresh(rapidjson::kObjectType);
    fresh.AddMember("date", JsonValue(today.c_str(), a), a);
    fresh.AddMember("time", ctx.now_s(), a);
    fresh.AddMember("wh", now, a);
    days.PushBack(fresh, a);
  } else {
    set(*day, "wh", JsonValue(now), a);
    set_int(*day, "time", ctx.now_s(), a);
  }
}

std::string electricity_payload(Context& ctx, const JsonValue& section) {
  const double load = load_watts(ctx.view(), section);
  std::normal_distribution<double> noise(0.0, 1.0);
  const std::int64_t voltage = 2300 + static_cast<std::int64_t>(std::lround(noise(ctx.rng) * 15.0));
  std::int64_t power = 0;
  std::int64_t current = 0;
  if (load > 0) {
    power = std::max<std::int64_t>(
        1, static_cast<std::int64_t>(std::llround(load * 1000.0 * (1.0 + noise(ctx.rng) * 0.02))));
    // mA = mW / V; voltage is in 0.1 V.
    current = static_cast<std::int64_t>(
        std::llround(static_cast<double>(power) * 10.0 / static_cast<double>(voltage)));
  }
  return R"({"electricity":{"channel":0,"current":)" + std::to_string(current) + R"(,"voltage":)" +
         std::to_string(voltage) + R"(,"power":)" + std::to_string(power) + R"(,"config":)" +
         protocol::to_json(*member(section, "config")) + "}}";
}

std::string consumption_payload(const JsonValue& section) {
  const JsonValue* days = member(section, "days");
  const JsonValue none(rapidjson::kArrayType);
  return object_text([&](Writer& w) {
    write_list(w, "consumptionx", (days && days->IsArray() ? *days : none).GetArray(),
               [](const JsonValue& day, Writer& out) {
                 write_member(out, "date", *member(day, "date"));
                 write_ints(out, day, {"time"});
                 out.Key("value");
                 out.Int64(static_cast<std::int64_t>(std::floor(number_of(day, "wh"))));
               });
  });
}

std::optional<Answer> handle(Context& ctx, Method method, std::string_view ns,
                             const JsonValue& payload) {
  JsonValue* section = ctx.section("electricity");
  if (!section) return recorded_answer(ctx, method, ns, payload);
  if (ns == ns::kControlConsumptionConfig) {
    if (method == Method::Get)
      return Answer{Method::GetAck, wrap("config", *member(*section, "config"))};
    if (method == Method::Set) return error_answer(5000, "not supported");
  } else if (metering(*section) && method == Method::Get) {
    return Answer{Method::GetAck, ns == ns::kControlElectricity ? electricity_payload(ctx, *section)
                                                                : consumption_payload(*section)};
  }
  return recorded_answer(ctx, method, ns, payload);
}

void connect(Context& ctx) {
  const JsonValue* section = ctx.section("electricity");
  if (section && ctx.has(ns::kControlConsumptionConfig))
    ctx.push(ns::kControlConsumptionConfig, wrap("config", *member(*section, "config")));
}

void summary(const View& view, Writer& w) {
  const JsonValue* section = view.section("electricity");
  if (!section || !metering(*section)) return;
  w.Key("powerW");
  w.Double(load_watts(view, *section));
  w.Key("todayWh");
  w.Double(std::floor(number_of(*section, "todayWh")));
}

constexpr std::string_view kNamespaces[] = {ns::kControlElectricity, ns::kControlConsumptionX,
                                            ns::kControlConsumptionConfig};

}  // namespace

extern const Family electricity_family{
    .name = "electricity",
    .seed = seed,
    .namespaces = kNamespaces,
    .handle = handle,
    .advance = advance,
    .connect = connect,
    .summary = summary,
};

}  // namespace meross::sim::detail
