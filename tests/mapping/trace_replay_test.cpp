// Every fixture trace: the expected entities (checked in under expected/), every recorded device
// answer and PUSH maps without error, and the discovery documents pass the HA rules checker.
//
// expected/<trace label>.entities: one line per entity, "component unique_id device_class unit
// state_class" ("-" = none), then one "unmapped <namespace>" line per ability no family maps (the
// bridge's note, mapping::unmapped_abilities). After a deliberate mapping change, regenerate them
// with MEROSS_UPDATE_EXPECTED=1 mapping_tests --run_test=trace_replay, then review the diff.

#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include <boost/test/unit_test.hpp>

#include "discovery/discovery.hpp"
#include "discovery/inspect.hpp"
#include "mapping/ha_checker.hpp"
#include "mapping/support.hpp"
#include "protocol/trace.hpp"
#include "support/fixtures.hpp"

using namespace meross;

namespace {

std::string label_of(const std::filesystem::path& path) {
  const std::string name = path.filename().string();
  const auto key = name.find("-K");
  const auto dash = key == std::string::npos ? std::string::npos : name.find('-', key + 2);
  return dash == std::string::npos ? name : name.substr(dash + 1);
}

std::string field(const std::string& s) {
  return s.empty() ? "-" : s;
}

// One line per entity: component unique_id device_class unit state_class; then the unmapped
// abilities.
std::string describe(const protocol::DeviceProfile& profile,
                     const std::vector<mapping::Entity>& entities) {
  std::ostringstream out;
  for (const auto& e : entities) {
    out << mapping::to_string(e.component) << ' ' << discovery::unique_id(profile.uuid, e.key)
        << ' ' << field(e.device_class) << ' ' << field(e.unit) << ' ' << field(e.state_class)
        << '\n';
  }
  for (const auto& ns : mapping::unmapped_abilities(profile))
    out << "unmapped " << ns << '\n';
  return out.str();
}

// The device a trace describes with what its System.All teaches (a hub's sub-devices), as
// `meross-bridge inspect` and the bridge know it.
discovery::InspectedDevice trace_device(const std::filesystem::path& path) {
  auto device = discovery::device_from_file(path.filename().string(), test::read_file(path));
  if (!device) throw std::runtime_error(path.string() + ": " + device.error().describe());
  return std::move(device).value();
}

// The keys a state update may address: the entities', the keys their options read from
// ({state_topic:KEY}: a climate's mode, target...), and each sub-device's availability.
std::set<std::string> addressable(const std::vector<mapping::Entity>& entities,
                                  const mapping::DeviceState& state) {
  std::set<std::string> keys;
  for (const auto& e : entities) {
    keys.insert(e.key);
    for (const auto& [name, value] : e.options) {
      constexpr std::string_view kMarker = "{state_topic:";
      for (auto pos = value.find(kMarker); pos != std::string::npos;
           pos = value.find(kMarker, pos + 1)) {
        const auto start = pos + kMarker.size();
        keys.insert(value.substr(start, value.find('}', start) - start));
      }
    }
  }
  for (const auto& sub : state.sub_devices)
    keys.insert(mapping::sub_device_availability_key(sub.id));
  return keys;
}

bool is_answer(const std::string& method) {
  return method == "GETACK" || method == "SETACK" || method == "PUSH";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(trace_replay)

BOOST_AUTO_TEST_CASE(every_trace_has_its_expected_entities) {
  const bool update = std::getenv("MEROSS_UPDATE_EXPECTED") != nullptr;
  const auto files = test::trace_files();
  BOOST_REQUIRE_GE(files.size(), 19u);
  for (const auto& path : files) {
    const std::string label = label_of(path);
    BOOST_TEST_CONTEXT(label) {
      const auto device = trace_device(path);
      const std::string actual =
          describe(device.profile, mapping::entities_for(device.profile, device.state));
      const std::filesystem::path expected_path =
          std::filesystem::path(MEROSS_EXPECTED_DIR) / (label + ".entities");
      if (update) {
        std::ofstream(expected_path) << actual;
        continue;
      }
      BOOST_REQUIRE_MESSAGE(std::filesystem::exists(expected_path),
                            "missing " + expected_path.string());
      BOOST_TEST(actual == test::read_file(expected_path));
    }
  }
}

BOOST_AUTO_TEST_CASE(every_recorded_answer_and_push_maps_without_error) {
  std::size_t answers = 0, updates = 0;
  for (const auto& path : test::trace_files()) {
    const std::string name = path.filename().string();
    BOOST_TEST_CONTEXT(name) {
      const auto profile = test::trace_profile(name);
      auto trace = protocol::parse_trace(name, test::read_file(path));
      BOOST_REQUIRE(trace.ok());
      mapping::DeviceState state;
      auto entities = mapping::entities_for(profile, state);
      auto known = addressable(entities, state);
      std::size_t device_updates = 0;
      auto replay = [&](const std::string& ns, const std::string& method,
                        const std::string& payload) {
        const auto batch = test::states(profile, state, ns, method, payload);
        ++answers;
        // Real answers are whole: nothing of them is left out.
        for (const auto& dropped : batch.dropped)
          BOOST_ERROR(ns << " left out " << dropped.describe());
        if (batch.entities_changed) {
          entities = mapping::entities_for(profile, state);
          known = addressable(entities, state);
        }
        for (const auto& u : batch.updates) {
          // Every update addresses an entity of the device (or a topic one of them reads).
          BOOST_TEST(known.count(u.entity_key) == 1u,
                     ns << " updates unknown key " << u.entity_key);
          BOOST_TEST(!u.payload.empty());
        }
        device_updates += batch.updates.size();
      };
      replay("Appliance.System.All", "GETACK", trace->all_json);
      for (const auto& row : trace->rows) {
        if (row.rxtx == "TX" || !is_answer(row.method)) continue;
        replay(row.ns, row.method, row.payload_json);
      }
      for (const auto& [ns, payload] : trace->namespace_pushes)
        replay(ns, "PUSH", payload);
      // Each device with entities gets at least its System.All states.
      if (!entities.empty()) BOOST_TEST(device_updates > 0u);
      updates += device_updates;
    }
  }
  BOOST_TEST(answers > 500u);
  BOOST_TEST(updates > 200u);
}

BOOST_AUTO_TEST_CASE(discovery_of_every_trace_passes_the_rules_checker) {
  std::vector<discovery::Publication> all_device_mode, all_component_mode;
  discovery::Options per_component;
  per_component.device_discovery = false;
  std::size_t devices = 0;
  for (const auto& path : test::trace_files()) {
    const auto [profile, state] = trace_device(path);
    const auto entities = mapping::entities_for(profile, state);
    // A hub's sub-devices are devices of their own (each has at least its battery).
    devices += 1 + state.sub_devices.size();
    for (auto& p : discovery::device_config(profile, entities, {}, {}, state.sub_devices))
      all_device_mode.push_back(p);
    for (auto& p :
         discovery::device_config(profile, entities, per_component, {}, state.sub_devices)) {
      all_component_mode.push_back(p);
    }
  }
  for (auto& p : discovery::bridge_config({}))
    all_device_mode.push_back(p);
  for (auto& p : discovery::bridge_config(per_component))
    all_component_mode.push_back(p);
  // Checked together: unique ids must be unique across all devices too.
  test::expect_valid_discovery(all_device_mode);
  test::expect_valid_discovery(all_component_mode);
  BOOST_TEST(all_device_mode.size() == devices + 1);
  BOOST_TEST(all_component_mode.size() > all_device_mode.size());
}

BOOST_AUTO_TEST_SUITE_END()
