#define BOOST_TEST_MODULE bridge_link_e2e
// The broker link against a real mosquitto that goes away: a request that waited for the broker
// past its deadline is dropped, never sent late; what is still in time, and what has no deadline,
// goes out once the broker is back.
#include <poll.h>

#include <boost/test/unit_test.hpp>

#include "bridge/mqtt_link.hpp"
#include "e2e_support.hpp"
#include "link_pump.hpp"

using namespace meross;
using namespace meross::test;
using bridge::MqttLink;

BOOST_AUTO_TEST_CASE(a_request_past_its_deadline_is_never_sent_late) {
  MosquittoBroker broker;
  MqttLink link(quick_link(broker, "link-e2e"), {});
  connect_link(link);

  broker.stop();
  BOOST_REQUIRE(pump(link, kWait, [&] { return !link.connected(); }));
  publish_late_in_time_and_state(link, std::chrono::milliseconds(200));
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  check_the_late_command_never_arrives(link, broker, std::chrono::milliseconds(200));
}
