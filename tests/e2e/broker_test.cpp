#define BOOST_TEST_MODULE broker
#include <csignal>

#include <boost/test/unit_test.hpp>

#include "support/child_process.hpp"
#include "support/mosquitto_broker.hpp"
#include "support/mqtt_test_client.hpp"

using namespace meross::test;

BOOST_AUTO_TEST_CASE(broker_starts_stops_and_restarts_on_the_same_port) {
  MosquittoBroker broker;
  BOOST_TEST(broker.port() > 0);
  BOOST_TEST(loopback_port_open(broker.port()));
  BOOST_TEST(broker.url() == "mqtt://127.0.0.1:" + std::to_string(broker.port()));
  broker.stop();
  BOOST_TEST(!loopback_port_open(broker.port()));
  broker.start();
  BOOST_TEST(loopback_port_open(broker.port()));
}

BOOST_AUTO_TEST_CASE(test_clients_exchange_messages) {
  MosquittoBroker broker;
  MqttTestClient subscriber(broker.port());
  subscriber.subscribe("/appliance/+/publish");
  MqttTestClient publisher(broker.port());
  publisher.publish("/appliance/abc/publish", R"({"x":1})");
  publisher.publish("/appliance/abc/subscribe", "not for the subscriber");
  const auto got = subscriber.wait_for_topic("/appliance/abc/publish");
  BOOST_REQUIRE(got);
  BOOST_TEST(got->payload == R"({"x":1})");
  BOOST_TEST(topic_matches("/appliance/+/publish", "/appliance/abc/publish"));
  BOOST_TEST(!topic_matches("/appliance/+/publish", "/appliance/abc/subscribe"));
}

BOOST_AUTO_TEST_CASE(child_process_output_and_exit) {
  ChildProcess cat({"/bin/cat"});
  cat.write_stdin("hello\n");
  BOOST_TEST(cat.wait_for_output("hello"));
  cat.close_stdin();
  BOOST_TEST(*cat.wait_exit() == 0);
  ChildProcess sleeper({"/bin/sleep", "30"});
  BOOST_TEST(sleeper.running());
  sleeper.signal(SIGTERM);
  BOOST_TEST(*sleeper.wait_exit() == 128 + SIGTERM);
}
