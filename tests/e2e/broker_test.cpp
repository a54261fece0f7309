#define BOOST_TEST_MODULE broker
#include <boost/test/unit_test.hpp>

#include "support/mosquitto_broker.hpp"

using meross::test::MosquittoBroker;

BOOST_AUTO_TEST_CASE(broker_starts_stops_and_restarts_on_the_same_port) {
  MosquittoBroker broker;
  BOOST_TEST(broker.port() > 0);
  BOOST_TEST(meross::test::loopback_port_open(broker.port()));
  BOOST_TEST(broker.url() == "mqtt://127.0.0.1:" + std::to_string(broker.port()));
  broker.stop();
  BOOST_TEST(!meross::test::loopback_port_open(broker.port()));
  broker.start();
  BOOST_TEST(meross::test::loopback_port_open(broker.port()));
}
