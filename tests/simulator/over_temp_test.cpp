// Unit tests of the simulated over-temperature setting (simulator/families/over_temp.cpp,
// device-families.md §7.3) on the mss305 and mss110 traces: the recorded state answered to a GET,
// a SET of `enable` 0/1 kept and answered `{}` without a PUSH, anything else refused, and
// Control.OverTemp never answered.

#include <string>

#include <boost/test/unit_test.hpp>

#include "device_support.hpp"
#include "protocol/json.hpp"

using namespace meross;
using namespace meross::sim_test;

namespace {

constexpr const char* kOverTemp = "Appliance.Config.OverTemp";

std::string read(sim::Device& d) {
  return answer_text(d, Method::Get, kOverTemp, R"({"overTemp":{}})");
}

}  // namespace

BOOST_AUTO_TEST_SUITE(over_temp)

BOOST_AUTO_TEST_CASE(a_set_is_kept_and_read_back) {
  auto d = trace_device("mss305");
  bind(*d);
  BOOST_TEST(read(*d) == R"({"overTemp":{"enable":1,"type":1}})");
  std::vector<protocol::Message> pushes;
  const auto ack = ask(*d, Method::Set, kOverTemp, R"({"overTemp":{"enable":0}})", kT0, &pushes);
  BOOST_TEST((ack.header.method == Method::SetAck));
  BOOST_TEST(protocol::to_json(ack.payload()) == "{}");
  BOOST_TEST(pushes.empty());
  BOOST_TEST(read(*d) == R"({"overTemp":{"enable":0,"type":1}})");
  BOOST_TEST(state_of(*d)["overTemp"]["enable"].GetInt() == 0);
  for (const std::string bad :
       {R"({"overTemp":{"enable":2}})", R"({"overTemp":{"enable":"1"}})", R"({"overTemp":{}})",
        R"({"overTemp":[{"enable":1}]})", R"({"enable":1})", R"({"overTemp":{"enable":0.5}})"}) {
    BOOST_TEST(error_code(ask(*d, Method::Set, kOverTemp, bad)) == 5000, bad);
  }
  BOOST_TEST(read(*d) == R"({"overTemp":{"enable":0,"type":1}})");
}

BOOST_AUTO_TEST_CASE(the_list_namespace_is_never_answered) {
  auto d = trace_device("mss305");
  bind(*d);
  const auto get = exchange(*d, Method::Get, "Appliance.Control.OverTemp", R"({"overTemp":[]})");
  BOOST_TEST(get.answers.empty());
  BOOST_TEST(!get.warning.empty());
}

BOOST_AUTO_TEST_CASE(seeded_from_the_trace_else_a_plug_defaults) {
  auto mss110 = trace_device("mss100");
  bind(*mss110);
  BOOST_TEST(read(*mss110) == R"({"overTemp":{"enable":1,"type":-1}})");
  auto d = template_device(
      R"({"all":{"system":{"hardware":{"type":"mss110","uuid":"","macAddress":""},)"
      R"("firmware":{"version":"7.3.37"},"time":{"timezone":"","timeRule":[]}},"digest":{}}})",
      R"({"ability":{"Appliance.System.All":{},"Appliance.Config.OverTemp":{}}})");
  bind(*d);
  BOOST_TEST(read(*d) == R"({"overTemp":{"enable":1,"type":1}})");
}

BOOST_AUTO_TEST_SUITE_END()
