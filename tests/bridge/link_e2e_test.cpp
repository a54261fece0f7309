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
using bridge::Publication;
using bridge::SteadyClock;

BOOST_AUTO_TEST_CASE(a_request_past_its_deadline_is_never_sent_late) {
  MosquittoBroker broker;
  MqttLink link(quick_link(broker, "link-e2e"), {});
  BOOST_REQUIRE(link.configure());
  BOOST_REQUIRE(pump(link, kWait, [&] { return link.connected(); }));

  broker.stop();
  BOOST_REQUIRE(pump(link, kWait, [&] { return !link.connected(); }));
  const auto now = SteadyClock::now();
  const std::string topic = "/appliance/2301234567890123456748e1e9c4b296/subscribe";
  link.publish(Publication{topic, "late command", false, 1, now + std::chrono::milliseconds(200)});
  link.publish(Publication{topic, "command in time", false, 1, now + std::chrono::minutes(1)});
  link.publish(Publication{"meross/test/state", "state without deadline", true, 1, {}});
  std::this_thread::sleep_for(std::chrono::milliseconds(400));

  // The link is not driven until a subscriber is in place, so nothing it sends can be missed.
  broker.start();
  MqttTestClient observer(broker.port());
  subscribe_synced(observer, "#");
  BOOST_REQUIRE(pump(link, kWait, [&] {
    return observer.count(payload_on(topic, "command in time")) == 1 &&
           observer.count(payload_on("meross/test/state", "state without deadline")) == 1;
  }));
  pump(link, std::chrono::milliseconds(200), [] { return false; });
  BOOST_TEST(observer.count(payload_on(topic, "late command")) == 0u);
  BOOST_TEST(link.expired() == 1u);
}
