// Unit tests of the simulated fans (simulator/families/fan.cpp, device-families.md §4): the
// built-in mfc100 and the map100 trace. GET shapes, SET validation, no Fan PUSH, the digest, and
// FilterMaintenance read with a PUSH query only.

#include <string>

#include <boost/test/unit_test.hpp>

#include "device_support.hpp"
#include "protocol/json.hpp"

using namespace meross;
using namespace meross::sim_test;

namespace {

constexpr const char* kFan = "Appliance.Control.Fan";
constexpr const char* kFilter = "Appliance.Control.FilterMaintenance";

std::string payload_of(const protocol::Message& m) {
  return protocol::to_json(m.payload());
}

// The GETACK of a Fan GET naming `channel`, after checking that a bare GET names none.
std::string fan_channel(sim::Device& d, int channel) {
  BOOST_TEST(payload_of(ask(d, Method::Get, kFan, R"({"fan":{}})")) == R"({"fan":[]})");
  return payload_of(
      ask(d, Method::Get, kFan, R"({"fan":[{"channel":)" + std::to_string(channel) + "}]}"));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(fans)

BOOST_AUTO_TEST_CASE(the_mfc100_fan_answers_the_channels_named_and_takes_a_level) {
  auto d = builtin_device("mfc100");
  bind(*d);
  BOOST_TEST(fan_channel(*d, 2) == R"({"fan":[{"channel":2,"speed":3,"maxSpeed":3}]})");
  std::vector<protocol::Message> pushes;
  BOOST_TEST(payload_of(ask(*d, Method::Set, kFan, R"({"fan":[{"channel":2,"speed":2}]})", kT0,
                            &pushes)) == "{}");
  BOOST_TEST(pushes.empty());  // never seen from a real fan
  BOOST_TEST(fan_channel(*d, 2) == R"({"fan":[{"channel":2,"speed":2,"maxSpeed":3}]})");
  const auto all = payload_of(ask(*d, Method::Get, "Appliance.System.All", "{}"));
  BOOST_TEST(all.find(R"("fan":[{"channel":2,"speed":2,"maxSpeed":3}])") != std::string::npos, all);
}

BOOST_AUTO_TEST_CASE(bad_fan_sets_get_5000_and_change_nothing) {
  auto d = builtin_device("mfc100");
  bind(*d);
  for (const char* bad :
       {R"({"fan":[{"channel":2,"speed":4}]})", R"({"fan":[{"channel":2,"speed":-1}]})",
        R"({"fan":[{"channel":2,"speed":"2"}]})", R"({"fan":[{"channel":2,"speed":1.5}]})",
        R"({"fan":[{"channel":0,"speed":1}]})", R"({"fan":[{"channel":2}]})",
        R"({"fan":{"channel":2,"speed":1}})", R"({"fan":[{"channel":2,"speed":1},{"channel":9}]})",
        R"({"fan":[]})", R"({"x":1})"}) {
    BOOST_TEST(error_code(ask(*d, Method::Set, kFan, bad)) == 5000, bad);
  }
  BOOST_TEST(fan_channel(*d, 2) == R"({"fan":[{"channel":2,"speed":3,"maxSpeed":3}]})");
}

BOOST_AUTO_TEST_CASE(the_map100_fan_is_channel_0_and_its_filter_a_push_query) {
  auto d = trace_device("map100");
  bind(*d);
  BOOST_TEST(fan_channel(*d, 0) == R"({"fan":[{"channel":0,"speed":1,"maxSpeed":3}]})");
  const auto get = exchange(*d, Method::Get, kFilter, R"({"filter":[{"channel":0}]})");
  BOOST_TEST(get.answers.empty());
  BOOST_TEST(!get.warning.empty());
  const auto push = exchange(*d, Method::Push, kFilter, "{}");
  BOOST_REQUIRE_EQUAL(push.answers.size(), 1u);
  BOOST_TEST(payload_of(push.answers[0]) == R"({"filter":[{"channel":0,"life":100,"lmTime":0}]})");
}

BOOST_AUTO_TEST_SUITE_END()
