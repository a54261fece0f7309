// Unit tests of the simulated door and shutter settings (simulator/families/travel_config.cpp) on
// their traces: GarageDoor.Config (msg100), MultipleConfig (msg200) and RollerShutter.Config
// (mrs100) answer GETs from the live document, take SETs of known fields, and refuse the rest
// whole with 5000.

#include <string>

#include <boost/test/unit_test.hpp>

#include "device_support.hpp"
#include "protocol/json.hpp"

using namespace meross;
using namespace meross::sim_test;

namespace {

constexpr const char* kConfig = "Appliance.GarageDoor.Config";
constexpr const char* kMultiple = "Appliance.GarageDoor.MultipleConfig";
constexpr const char* kShutterConfig = "Appliance.RollerShutter.Config";

std::unique_ptr<sim::Device> bound(const std::string& trace) {
  auto d = trace_device(trace);
  bind(*d);
  return d;
}

std::string get(sim::Device& d, const char* ns, const char* payload) {
  return answer_text(d, Method::Get, ns, payload);
}

std::string set(sim::Device& d, const char* ns, const char* payload) {
  return answer_text(d, Method::Set, ns, payload);
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(cover_settings)

BOOST_AUTO_TEST_CASE(msg100_config_is_one_dict_a_set_changes) {
  auto d = bound("msg100-1637650619");
  const auto recorded = get(*d, kConfig, R"({"config":{}})");
  BOOST_TEST(recorded == R"({"config":{"signalDuration":1000,"buzzerEnable":0,)"
                         R"("doorOpenDuration":30000,"doorCloseDuration":30000}})");
  BOOST_TEST(set(*d, kConfig, R"({"config":{"buzzerEnable":1}})") == "{}");
  BOOST_TEST(set(*d, kConfig, R"({"config":{"doorOpenDuration":45000}})") == "{}");
  const auto after = get(*d, kConfig, R"({"config":{}})");
  BOOST_TEST(has(after, R"("buzzerEnable":1,"doorOpenDuration":45000,"doorCloseDuration":30000)"),
             after);
}

BOOST_AUTO_TEST_CASE(msg200_multiple_config_answers_the_doors_named) {
  auto d = bound("msg200.json.txt");
  const auto two = get(*d, kMultiple, R"({"config":[{"channel":2}]})");
  BOOST_TEST(has(two, R"({"config":[{"channel":2,"doorEnable":1,)"), two);
  BOOST_TEST(!has(two, R"("channel":1)"), two);
  BOOST_TEST(set(*d, kMultiple, R"({"config":[{"channel":2,"buzzerEnable":1}]})") == "{}");
  const auto all = get(*d, kMultiple, R"({"config":[{"channel":1},{"channel":2},{"channel":3}]})");
  BOOST_TEST(has(all, R"("signalOpen":2000,"buzzerEnable":1})"), all);  // door 2
  BOOST_TEST(has(all, R"("signalOpen":3000,"buzzerEnable":0})"), all);  // door 1 kept its own
}

BOOST_AUTO_TEST_CASE(mrs100_config_takes_a_dict_set) {
  auto d = bound("mrs100");
  BOOST_TEST(get(*d, kShutterConfig, R"({"config":{}})") ==
             R"({"config":[{"channel":0,"signalOpen":50000,"signalClose":50000}]})");
  BOOST_TEST(set(*d, kShutterConfig, R"({"config":{"channel":0,"signalOpen":45000}})") == "{}");
  BOOST_TEST(get(*d, kShutterConfig, R"({"config":{}})") ==
             R"({"config":[{"channel":0,"signalOpen":45000,"signalClose":50000}]})");
}

BOOST_AUTO_TEST_CASE(bad_sets_get_5000_and_change_nothing) {
  auto msg100 = bound("msg100-1637650619");
  for (const char* bad : {
           R"({"config":{"buzzerEnable":2}})",
           R"({"config":{"buzzerEnable":"1"}})",
           R"({"config":{"doorOpenDuration":-1}})",
           R"({"config":{"doorOpenDuration":30000.5}})",
           R"({"config":{"doorOpenDuration":9000000}})",
           R"({"config":{"unknownField":1}})",
           R"({"config":[]})",
           R"({"config":7})",
       }) {
    BOOST_TEST(error_code(ask(*msg100, Method::Set, kConfig, bad)) == 5000, bad);
  }
  BOOST_TEST(has(get(*msg100, kConfig, "{}"), R"("buzzerEnable":0,"doorOpenDuration":30000)"));

  auto msg200 = bound("msg200.json.txt");
  for (const char* bad : {
           R"({"config":[{"channel":4,"buzzerEnable":1}]})",
           R"({"config":[{"channel":1,"buzzerEnable":1},{"channel":2,"doorEnable":{}}]})",
       }) {
    BOOST_TEST(error_code(ask(*msg200, Method::Set, kMultiple, bad)) == 5000, bad);
  }
  BOOST_TEST(has(get(*msg200, kMultiple, R"({"config":[{"channel":1}]})"), R"("buzzerEnable":0)"));

  auto mrs100 = bound("mrs100");
  BOOST_TEST(error_code(ask(*mrs100, Method::Set, kShutterConfig,
                            R"({"config":{"channel":1,"signalOpen":45000}})")) == 5000);
  BOOST_TEST(error_code(ask(*mrs100, Method::Set, kShutterConfig,
                            R"({"config":{"channel":0,"signalOpen":null}})")) == 5000);
}

BOOST_AUTO_TEST_SUITE_END()
