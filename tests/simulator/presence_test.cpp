// Unit tests of the simulated ms600 (simulator/families/presence.cpp) on its trace
// (device-families.md §5): GET shapes, SET validation, and the readings PUSHed at once.

#include <string>

#include <boost/test/unit_test.hpp>

#include "device_support.hpp"
#include "protocol/json.hpp"

using namespace meross;
using namespace meross::sim_test;

namespace {

constexpr const char* kLatestX = "Appliance.Control.Sensor.LatestX";
constexpr const char* kConfig = "Appliance.Control.Presence.Config";

std::unique_ptr<sim::Device> ms600() {
  auto d = trace_device("ms600");
  bind(*d);
  return d;
}

std::string payload_of(const protocol::Message& m) {
  return protocol::to_json(m.payload());
}

}  // namespace

BOOST_AUTO_TEST_SUITE(presence)

BOOST_AUTO_TEST_CASE(latestx_answers_only_the_data_named_by_channel) {
  auto d = ms600();
  BOOST_TEST(payload_of(ask(*d, Method::Get, kLatestX, R"({"latest":[]})")) == R"({"latest":[]})");
  BOOST_TEST(payload_of(ask(*d, Method::Get, kLatestX, R"({"latest":{}})")) == R"({"latest":[]})");
  const auto both = payload_of(
      ask(*d, Method::Get, kLatestX, R"({"latest":[{"channel":0,"data":["presence","light"]}]})"));
  BOOST_TEST(both.find(R"("presence":[{"value":1,"distance":5760,)") != std::string::npos, both);
  BOOST_TEST(both.find(R"("light":[{"value":24,)") != std::string::npos, both);
  const auto light =
      payload_of(ask(*d, Method::Get, kLatestX, R"({"latest":[{"channel":0,"data":["light"]}]})"));
  BOOST_TEST(light.find("presence") == std::string::npos, light);
}

BOOST_AUTO_TEST_CASE(config_get_needs_the_channel_and_set_changes_one_value) {
  auto d = ms600();
  BOOST_TEST(payload_of(ask(*d, Method::Get, kConfig, R"({"config":{}})")) == R"({"config":[]})");
  const auto recorded = payload_of(ask(*d, Method::Get, kConfig, R"({"config":[{"channel":0}]})"));
  BOOST_TEST(recorded.find(R"("noBodyTime":{"time":15})") != std::string::npos, recorded);
  BOOST_TEST(recorded.find(R"("distance":{"value":8100})") != std::string::npos, recorded);

  BOOST_TEST(payload_of(ask(*d, Method::Set, kConfig,
                            R"({"config":[{"channel":0,"distance":{"value":6000}}]})")) == "{}");
  const auto after = payload_of(ask(*d, Method::Get, kConfig, R"({"config":[{"channel":0}]})"));
  BOOST_TEST(after.find(R"("distance":{"value":6000})") != std::string::npos, after);
  BOOST_TEST(after.find(R"("noBodyTime":{"time":15})") != std::string::npos, after);
}

BOOST_AUTO_TEST_CASE(bad_sets_get_5000_and_change_nothing) {
  auto d = ms600();
  for (const char* bad : {
           R"({"config":[{"channel":0,"distance":{"value":20000}}]})",
           R"({"config":[{"channel":0,"distance":{"value":"6000"}}]})",
           R"({"config":[{"channel":0,"noBodyTime":{"time":0}}]})",
           R"({"config":[{"channel":0,"sensitivity":{"level":3}}]})",
           R"({"config":[{"channel":0,"noBodyTime":{"time":30},"mthx":{"mth9":1}}]})",
           R"({"config":[{"channel":1,"noBodyTime":{"time":30}}]})",
           R"({"config":[]})",
       }) {
    BOOST_TEST(error_code(ask(*d, Method::Set, kConfig, bad)) == 5000, bad);
  }
  const auto after = payload_of(ask(*d, Method::Get, kConfig, R"({"config":[{"channel":0}]})"));
  BOOST_TEST(after.find(R"("noBodyTime":{"time":15})") != std::string::npos, after);
  BOOST_TEST(after.find(R"("distance":{"value":8100})") != std::string::npos, after);
}

BOOST_AUTO_TEST_CASE(stdin_readings_are_pushed_at_once) {
  auto d = ms600();
  auto pushed = parse_all(d->command({"presence", "2", "1500"}, kT0 + 1000).messages);
  const auto* push = find_ns(pushed, kLatestX);
  BOOST_REQUIRE(push != nullptr);
  BOOST_TEST((push->header.method == Method::Push));
  const auto text = payload_of(*push);
  BOOST_TEST(text.find(R"("presence":[{"value":2,"distance":1500,)") != std::string::npos, text);
  pushed = parse_all(d->command({"lux", "310"}, kT0 + 2000).messages);
  BOOST_REQUIRE(find_ns(pushed, kLatestX) != nullptr);
  BOOST_TEST(payload_of(*find_ns(pushed, kLatestX)).find(R"("light":[{"value":310,)") !=
             std::string::npos);
  BOOST_TEST(!d->command({"presence", "3"}, kT0).error.empty());
  BOOST_TEST(!d->command({"presence", "1", "99999"}, kT0).error.empty());
  BOOST_TEST(!d->command({"lux", "x"}, kT0).error.empty());
}

BOOST_AUTO_TEST_SUITE_END()
