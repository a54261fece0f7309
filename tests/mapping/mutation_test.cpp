// Bad input never crashes: every value of real device payloads replaced by values of the wrong
// type or range must give states or an Error, never an exception or undefined behaviour (this
// test is most useful under ASan+UBSan).

#include <limits>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <boost/test/unit_test.hpp>

#include "discovery/discovery.hpp"
#include "discovery/inspect.hpp"
#include "mapping/mutations.hpp"
#include "mapping/support.hpp"
#include "protocol/trace.hpp"
#include "support/fixtures.hpp"

using namespace meross;

BOOST_AUTO_TEST_SUITE(mutations)

BOOST_AUTO_TEST_CASE(mutated_device_payloads_never_crash) {
  std::size_t runs = 0, errors = 0;
  for (const std::string fragment : {"mss310.csv", "msl450", "msg100", "msg200.json.txt", "mrs100",
                                     "em06.json.txt", "mss305.json.txt", "mss310.2024"}) {
    const auto profile = test::trace_profile(fragment);
    const auto samples = test::trace_samples(test::load_trace(fragment), [](const auto& row) {
      return row.method == "GETACK" || row.method == "PUSH";
    });
    for (const auto& [ns, payload] : samples) {
      runs += test::for_each_mutation(payload, 150, [&](const rapidjson::Document& doc) {
        mapping::DeviceState state;
        const auto result = mapping::states_from(profile, state, ns, protocol::Method::GetAck, doc,
                                                 mapping::Context{1700000000});
        if (!result.ok()) {
          ++errors;
          BOOST_TEST(!result.error().message.empty());
        }
      });
    }
  }
  BOOST_TEST(runs > 5000u);
  BOOST_TEST(errors > 100u);  // wrong types are reported, not silently accepted
}

BOOST_AUTO_TEST_CASE(mutated_system_all_and_ability_never_crash_inspect) {
  std::size_t runs = 0, accepted = 0;
  for (const std::string fragment : {"msl320.json.txt", "msg200.json.txt", "mss210.json.txt"}) {
    const auto trace = test::load_trace(fragment);
    const std::string device =
        "{\"all\":" + trace.all_json + ",\"ability\":" + trace.ability_json + "}";
    runs += test::for_each_mutation(
        device, std::numeric_limits<std::size_t>::max(), [&](const rapidjson::Document& doc) {
          rapidjson::StringBuffer buffer;
          rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
          doc.Accept(writer);
          if (discovery::inspect("device.json", buffer.GetString()).ok()) ++accepted;
        });
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
