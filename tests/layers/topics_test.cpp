#include <boost/test/unit_test.hpp>

#include "discovery/topics.hpp"

using namespace meross::discovery;

BOOST_AUTO_TEST_SUITE(topics)

BOOST_AUTO_TEST_CASE(ids_keep_only_what_home_assistant_matches) {
  BOOST_TEST(sanitize_id("meross_2301abc-X") == "meross_2301abc-X");
  BOOST_TEST(sanitize_id("a.b c:d/e#f") == "a_b_c_d_e_f");
}

BOOST_AUTO_TEST_CASE(topic_shapes) {
  BOOST_TEST(device_config_topic("homeassistant", "meross_2301") ==
             "homeassistant/device/meross_2301/config");
  BOOST_TEST(component_config_topic("ha", "switch", "meross_2301", "outlet.0") ==
             "ha/switch/meross_2301/outlet_0/config");
}

BOOST_AUTO_TEST_SUITE_END()
