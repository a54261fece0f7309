// Bad input never crashes: every value of real device payloads replaced by values of the wrong
// type or range must give states or an Error, never an exception or undefined behaviour (this
// test is most useful under ASan+UBSan).

#include <set>

#include <rapidjson/document.h>
#include <rapidjson/pointer.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <boost/test/unit_test.hpp>

#include "discovery/discovery.hpp"
#include "discovery/inspect.hpp"
#include "mapping/support.hpp"
#include "protocol/trace.hpp"
#include "support/fixtures.hpp"

using namespace meross;

namespace {

void collect(const rapidjson::Value& value, const std::string& path,
             std::vector<std::string>& out) {
  out.push_back(path);
  if (value.IsObject()) {
    for (const auto& m : value.GetObject()) {
      collect(m.value, path + "/" + m.name.GetString(), out);
    }
  } else if (value.IsArray()) {
    for (rapidjson::SizeType i = 0; i < value.Size(); ++i) {
      collect(value[i], path + "/" + std::to_string(i), out);
    }
  }
}

const char* const kReplacements[] = {R"("x")",
                                     "[]",
                                     "{}",
                                     "null",
                                     "-1",
                                     "4294967295",
                                     "1e300",
                                     "true",
                                     R"([{"channel":"0"}])",
                                     "-9223372036854775808"};

}  // namespace

BOOST_AUTO_TEST_SUITE(mutations)

BOOST_AUTO_TEST_CASE(mutated_device_payloads_never_crash) {
  std::size_t runs = 0, errors = 0;
  for (const std::string fragment : {"mss310.csv", "msl450", "msg100", "msg200.json.txt", "mrs100",
                                     "em06.json.txt", "mss305.json.txt", "mss310.2024"}) {
    const auto profile = test::trace_profile(fragment);
    const auto path = test::trace_path(fragment);
    auto trace = protocol::parse_trace(path.filename().string(), test::read_file(path));
    BOOST_REQUIRE(trace.ok());
    std::vector<std::pair<std::string, std::string>> samples{
        {"Appliance.System.All", trace->all_json}};
    std::set<std::string> seen;
    for (const auto& row : trace->rows) {
      if (row.rxtx != "TX" && (row.method == "GETACK" || row.method == "PUSH") &&
          seen.insert(row.ns).second) {
        samples.emplace_back(row.ns, row.payload_json);
      }
    }
    for (const auto& [ns, payload] : samples) {
      rapidjson::Document original;
      original.Parse(payload.c_str());
      std::vector<std::string> paths;
      collect(original, "", paths);
      if (paths.size() > 150) paths.resize(150);
      for (const auto& pointer : paths) {
        for (const char* replacement : kReplacements) {
          rapidjson::Document doc;
          doc.CopyFrom(original, doc.GetAllocator());
          rapidjson::Document value;
          value.Parse(replacement);
          if (pointer.empty()) {
            doc.CopyFrom(value, doc.GetAllocator());
          } else {
            rapidjson::Pointer(pointer.c_str()).Set(doc, value);
          }
          mapping::DeviceState state;
          const auto result = mapping::states_from(profile, state, ns, protocol::Method::GetAck,
                                                   doc, mapping::Context{1700000000});
          ++runs;
          if (!result.ok()) {
            ++errors;
            BOOST_TEST(!result.error().message.empty());
          }
        }
      }
    }
  }
  BOOST_TEST(runs > 5000u);
  BOOST_TEST(errors > 100u);  // wrong types are reported, not silently accepted
}

BOOST_AUTO_TEST_CASE(mutated_system_all_and_ability_never_crash_inspect) {
  std::size_t runs = 0, accepted = 0;
  for (const std::string fragment : {"msl320.json.txt", "msg200.json.txt", "mss210.json.txt"}) {
    const auto path = test::trace_path(fragment);
    auto trace = protocol::parse_trace(path.filename().string(), test::read_file(path));
    BOOST_REQUIRE(trace.ok());
    rapidjson::Document original;
    original.Parse(
        ("{\"all\":" + trace->all_json + ",\"ability\":" + trace->ability_json + "}").c_str());
    BOOST_REQUIRE(!original.HasParseError());
    std::vector<std::string> paths;
    collect(original, "", paths);
    for (const auto& pointer : paths) {
      if (pointer.empty()) continue;
      for (const char* replacement : kReplacements) {
        rapidjson::Document doc;
        doc.CopyFrom(original, doc.GetAllocator());
        rapidjson::Document value;
        value.Parse(replacement);
        rapidjson::Pointer(pointer.c_str()).Set(doc, value);
        rapidjson::StringBuffer buffer;
        rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
        doc.Accept(writer);
        const auto result = discovery::inspect("device.json", buffer.GetString());
        ++runs;
        if (result.ok()) ++accepted;
      }
    }
  }
  BOOST_TEST(runs > 1000u);
  BOOST_TEST(accepted > 0u);
}

BOOST_AUTO_TEST_CASE(garbage_commands_never_crash) {
  const auto bulb = test::msl120_profile(15);
  mapping::DeviceState state;
  const std::vector<std::string> commands{
      "",
      "{",
      "}",
      "null",
      "[]",
      "\"ON\"",
      "ON",
      "OFF",
      "{\"state\":null}",
      "{\"state\":\"ON\",\"color\":{\"r\":1e300,\"g\":-1,\"b\":null}}",
      "{\"state\":\"ON\",\"brightness\":9223372036854775807}",
      "{\"state\":\"ON\",\"color_temp\":-2147483648}",
      "{\"state\":\"ON\",\"effect\":{}}",
      std::string("{\"state\":\"ON\"}\0garbage", 23),
      "\xff\xfe",
      "{\"state\":\"ON\",\"color\":[]}"};
  for (const auto& entity : mapping::entities_for(bulb, state)) {
    for (const auto& command : commands) {
      const auto result = mapping::command_to_request(bulb, state, entity.key, command);
      if (!result.ok()) BOOST_TEST(!result.error().message.empty());
    }
  }
}

BOOST_AUTO_TEST_CASE(deeply_nested_input_is_an_error_not_a_stack_overflow) {
  const std::string deep =
      "{\"state\":\"ON\",\"color\":" + std::string(1000000, '[') + std::string(1000000, ']') + "}";
  const auto bulb = test::msl120_profile(7);
  mapping::DeviceState state;
  BOOST_TEST(!mapping::command_to_request(bulb, state, "light_0", deep).ok());
  const std::string payload =
      "{\"effect\":[{\"effectName\":\"x\",\"member\":" + std::string(1000000, '[') +
      std::string(1000000, ']') + "}]}";
  BOOST_TEST(!mapping::states_from(bulb, state, "Appliance.Control.Light.Effect",
                                   protocol::Method::GetAck, std::string_view(payload), {})
                  .ok());
  BOOST_TEST(!discovery::inspect("device.json", payload).ok());
  BOOST_TEST(!discovery::is_ours({"homeassistant/device/x/config", deep}, {}));
  // Brackets inside strings do not count.
  BOOST_TEST(protocol::json_nesting_at_most(R"({"a":"[[[[[[\"{{{{"})", 1));
  BOOST_TEST(!protocol::json_nesting_at_most(R"({"a":[[1]]})", 2));
}

BOOST_AUTO_TEST_SUITE_END()
