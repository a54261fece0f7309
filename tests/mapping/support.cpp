#include "mapping/support.hpp"

#include <algorithm>
#include <stdexcept>

#include <rapidjson/document.h>
#include <boost/test/unit_test.hpp>

#include "discovery/inspect.hpp"
#include "protocol/trace.hpp"
#include "support/fixtures.hpp"

namespace meross::test {

std::filesystem::path trace_path(const std::string& fragment) {
  std::filesystem::path found;
  int count = 0;
  for (const auto& path : trace_files()) {
    if (path.filename().string().find(fragment) != std::string::npos) {
      found = path;
      ++count;
    }
  }
  if (count != 1) throw std::runtime_error("trace fragment '" + fragment + "' is ambiguous");
  return found;
}

protocol::DeviceProfile trace_profile(const std::string& fragment) {
  const auto path = trace_path(fragment);
  auto profile = discovery::profile_from_file(path.filename().string(), read_file(path));
  if (!profile) throw std::runtime_error(fragment + ": " + profile.error().describe());
  return std::move(profile).value();
}

protocol::DeviceProfile profile_from(const std::string& all_json, const std::string& ability_json) {
  rapidjson::Document all, ability;
  all.Parse(all_json.c_str());
  ability.Parse(ability_json.c_str());
  if (all.HasParseError() || ability.HasParseError()) throw std::runtime_error("bad JSON");
  auto profile = protocol::profile_from_system_all(all);
  if (!profile) throw std::runtime_error(profile.error().describe());
  if (auto error = protocol::apply_abilities(*profile, ability)) {
    throw std::runtime_error(error->describe());
  }
  return std::move(profile).value();
}

std::string recorded(const std::string& fragment, const std::string& ns, const std::string& method,
                     std::size_t index) {
  const auto path = trace_path(fragment);
  auto trace = protocol::parse_trace(path.filename().string(), read_file(path));
  if (!trace) throw std::runtime_error(trace.error().describe());
  for (const auto& row : trace->rows) {
    if ((row.rxtx != "TX" || method == "SET" || method == "GET") && row.ns == ns &&
        row.method == method && index-- == 0) {
      return row.payload_json;
    }
  }
  if (method == "PUSH") {
    for (const auto& [push_ns, payload] : trace->namespace_pushes) {
      if (push_ns == ns && index-- == 0) return payload;
    }
  }
  throw std::runtime_error(fragment + ": no recorded " + method + " " + ns);
}

namespace {
const char* kBaseAbilities =
    R"("Appliance.Config.Key":{},"Appliance.Config.WifiList":{},"Appliance.Config.Wifi":{},)"
    R"("Appliance.Config.Trace":{},"Appliance.System.All":{},"Appliance.System.Hardware":{},)"
    R"("Appliance.System.Firmware":{},"Appliance.System.Debug":{},"Appliance.System.Online":{},)"
    R"("Appliance.System.Time":{},"Appliance.System.Clock":{},"Appliance.System.Ability":{},)"
    R"("Appliance.System.Runtime":{},"Appliance.System.Report":{},"Appliance.System.Position":{},)"
    R"("Appliance.System.DNDMode":{},"Appliance.Control.Multiple":{"maxCmdNum":5},)"
    R"("Appliance.Control.Bind":{},"Appliance.Control.Unbind":{},"Appliance.Control.Upgrade":{},)"
    R"("Appliance.Control.ToggleX":{},"Appliance.Control.TimerX":{"sunOffsetSupport":1},)"
    R"("Appliance.Control.TriggerX":{},"Appliance.Digest.TriggerX":{},"Appliance.Digest.TimerX":{})";

std::string system(const std::string& type, const std::string& uuid, const std::string& mac,
                   const std::string& hw, const std::string& fw) {
  return R"({"hardware":{"type":")" + type + R"(","subType":"eu","version":")" + hw +
         R"(","chipType":"rtl8710cm","uuid":")" + uuid + R"(","macAddress":")" + mac +
         R"("},"firmware":{"version":")" + fw +
         R"(","compileTime":"2023/01/01","encrypt":1,"wifiMac":"aa:bb:cc:dd:ee:ff",)"
         R"("innerIp":"192.168.1.42","server":"192.168.1.2","port":8883,"userId":0},)"
         R"("time":{"timestamp":1700000000,"timezone":"Europe/Berlin","timeRule":[]},)"
         R"("online":{"status":1}})";
}
}  // namespace

std::string system_all(const std::string& type, const std::string& uuid, const std::string& mac,
                       const std::string& hw, const std::string& fw, const std::string& digest) {
  return R"({"all":{"system":)" + system(type, uuid, mac, hw, fw) + R"(,"digest":)" + digest + "}}";
}

protocol::DeviceProfile mss425f_profile() {
  std::string togglex;
  for (int c = 0; c <= 4; ++c) {
    togglex += (c ? "," : "") + std::string(R"({"channel":)") + std::to_string(c) + R"(,"onoff":)" +
               (c % 2 ? "1" : "0") + R"(,"lmTime":1700000000})";
  }
  return profile_from(
      system_all("mss425f", "2001011234567890123448e1e9aabb01", "48:e1:e9:aa:bb:01", "2.0.0",
                 "2.1.4", R"({"togglex":[)" + togglex + R"(],"triggerx":[],"timerx":[]})"),
      std::string(R"({"payloadVersion":1,"ability":{)") + kBaseAbilities + "}}");
}

protocol::DeviceProfile msl120_profile(int capacity) {
  return profile_from(
      system_all("msl120d", "2001011234567890123448e1e9aabb02", "48:e1:e9:aa:bb:02", "2.0.0",
                 "2.1.5",
                 R"({"togglex":[{"channel":0,"onoff":1,"lmTime":1700000000}],)"
                 R"("triggerx":[],"timerx":[],"light":{"capacity":6,"channel":0,"rgb":16711680,)"
                 R"("temperature":100,"luminance":80,"transform":0}})"),
      std::string(R"({"payloadVersion":1,"ability":{)") + kBaseAbilities +
          R"(,"Appliance.Control.Light":{"capacity":)" + std::to_string(capacity) + "}}}");
}

mapping::StateBatch states(const protocol::DeviceProfile& profile, mapping::DeviceState& state,
                           const std::string& ns, const std::string& method,
                           const std::string& payload, std::int64_t now) {
  const auto m = protocol::method_from_string(method);
  BOOST_REQUIRE(m);
  auto batch = mapping::states_from(profile, state, ns, *m, std::string_view(payload),
                                    mapping::Context{now});
  BOOST_REQUIRE_MESSAGE(batch.ok(), ns + " " + payload.substr(0, 200) + ": " +
                                        (batch.ok() ? "" : batch.error().describe()));
  return std::move(batch).value();
}

mapping::StateBatch replay(const protocol::DeviceProfile& profile, mapping::DeviceState& state,
                           const std::string& fragment, const std::string& ns,
                           const std::string& method, std::size_t index) {
  return states(profile, state, ns, method, recorded(fragment, ns, method, index));
}

rapidjson::Document parse(const std::string& text) {
  rapidjson::Document doc;
  doc.Parse(text.c_str());
  BOOST_REQUIRE_MESSAGE(!doc.HasParseError(), text);
  return doc;
}

std::vector<std::string> sent(const protocol::DeviceProfile& profile,
                              const mapping::DeviceState& state, const std::string& key,
                              const std::string& command) {
  auto result = mapping::command_to_request(profile, state, key, command);
  BOOST_REQUIRE_MESSAGE(
      result.ok(), key + " " + command + ": " + (result.ok() ? "" : result.error().describe()));
  std::vector<std::string> lines;
  for (const auto& r : *result) {
    lines.push_back(std::string(protocol::to_string(r.method)) + " " + r.ns + " " + r.payload_json);
  }
  return lines;
}

void refused(const protocol::DeviceProfile& profile, const std::string& key,
             const std::string& command) {
  BOOST_TEST(!mapping::command_to_request(profile, {}, key, command).ok(),
             key << " accepted '" << command << "'");
}

std::string state_of(const mapping::StateBatch& batch, const std::string& key) {
  std::string found;
  for (const auto& u : batch.updates) {
    if (u.entity_key == key) found = u.payload;
  }
  return found;
}

std::vector<std::string> keys_of(const std::vector<mapping::Entity>& entities) {
  std::vector<std::string> keys;
  for (const auto& e : entities)
    keys.push_back(e.key);
  return keys;
}

bool has(const std::vector<std::string>& keys, const std::string& key) {
  return std::find(keys.begin(), keys.end(), key) != keys.end();
}

const mapping::Entity& entity(const std::vector<mapping::Entity>& entities,
                              const std::string& key) {
  const auto it = std::find_if(entities.begin(), entities.end(),
                               [&](const mapping::Entity& e) { return e.key == key; });
  BOOST_REQUIRE_MESSAGE(it != entities.end(), "no entity " + key);
  return *it;
}

std::string option(const mapping::Entity& e, const std::string& name) {
  for (const auto& [k, v] : e.options) {
    if (k == name) return v;
  }
  return "";
}

}  // namespace meross::test
