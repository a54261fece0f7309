#include "simulator/clock.hpp"

#include <chrono>
#include <cstdio>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace meross::sim {

std::int32_t DeviceClock::offset(std::int64_t utc_s) const {
  if (timezone.empty() || rules.empty()) return 0;
  std::int32_t out = rules.front().offset;
  for (const auto& rule : rules) {
    if (rule.utc <= utc_s) out = rule.offset;
  }
  return out;
}

std::string DeviceClock::local_date(std::int64_t utc_s) const {
  using namespace std::chrono;
  const std::int64_t local = utc_s + offset(utc_s);
  const sys_days day{days{local >= 0 ? local / 86400 : (local - 86399) / 86400}};
  const year_month_day ymd{day};
  char text[16];
  std::snprintf(text, sizeof text, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return text;
}

std::string DeviceClock::time_object(std::int64_t now_ms) const {
  rapidjson::StringBuffer b;
  rapidjson::Writer<rapidjson::StringBuffer> w(b);
  w.StartObject();
  w.Key("timestamp");
  w.Int64(now_ms / 1000);
  w.Key("timezone");
  w.String(timezone.data(), static_cast<rapidjson::SizeType>(timezone.size()));
  w.Key("timeRule");
  const std::string table = protocol::time_rules_json(rules);
  w.RawValue(table.data(), table.size(), rapidjson::kArrayType);
  w.EndObject();
  return std::string(b.GetString(), b.GetSize());
}

}  // namespace meross::sim
