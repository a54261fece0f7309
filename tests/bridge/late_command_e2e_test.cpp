#define BOOST_TEST_MODULE bridge_late_command_e2e
// Commands are never executed late (issue 16, part of 8), against a real mosquitto:
//  - the broker link: a request that was on its way when the connection broke (written, never
//    acknowledged) is not sent again after its deadline when the link comes back; one still in
//    time is;
//  - the bridge: a command that a client kept while the broker was away, and sends when the
//    broker is back after an outage longer than command_max_age, is dropped with a log line;
//    once Home Assistant says it is online, commands are executed again.
#include <poll.h>

#include <mosquitto.h>

#include <boost/test/results_collector.hpp>
#include <boost/test/unit_test.hpp>

#include "bridge/mqtt_link.hpp"
#include "e2e_support.hpp"
#include "link_pump.hpp"
#include "support/firmware_device.hpp"

using namespace meross;
using namespace meross::test;
using bridge::MqttLink;

BOOST_AUTO_TEST_CASE(a_request_in_flight_when_the_link_broke_is_not_sent_after_its_deadline) {
  MosquittoBroker broker;
  MqttLink link(quick_link(broker, "late-e2e"), {});
  connect_link(link);

  // The broker hangs: what the link sends now is written to the connection and never
  // acknowledged (the client library keeps it to send again after reconnecting).
  broker.freeze();
  publish_late_in_time_and_state(link, std::chrono::milliseconds(300));
  pump(link, std::chrono::milliseconds(500), [] { return false; });
  BOOST_REQUIRE(link.connected());  // nothing noticed yet: the messages are in flight

  // The broker dies and comes back; the link finds out and reconnects.
  broker.kill();
  BOOST_REQUIRE(pump(link, kWait, [&] { return !link.connected(); }));
  check_the_late_command_never_arrives(link, broker, std::chrono::milliseconds(300));
}

namespace {

const std::string kKey = "late-command-key-6b1e";

// A client that keeps what it publishes while its broker is away and sends it once it is back,
// as Home Assistant's MQTT client does: libmosquitto driven by hand, so the test decides when it
// reconnects.
class QueueingClient {
 public:
  explicit QueueingClient(int port) {
    mosquitto_lib_init();
    mosq_ = mosquitto_new(("queueing-" + unique_suffix()).c_str(), true, nullptr);
    BOOST_REQUIRE(mosq_);
    mosquitto_connect_callback_set(
        mosq_, [](mosquitto*, void* self, int rc) { *static_cast<int*>(self) = rc; });
    mosquitto_user_data_set(mosq_, &connack_);
    BOOST_REQUIRE(mosquitto_connect(mosq_, "127.0.0.1", port, 30) == MOSQ_ERR_SUCCESS);
    BOOST_REQUIRE(loop_until([&] { return connack_ == 0; }));
  }
  ~QueueingClient() {
    mosquitto_disconnect(mosq_);
    mosquitto_destroy(mosq_);
  }
  template <class F>
  bool loop_until(F done, std::chrono::milliseconds timeout = kWait) {
    const auto end = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < end) {
      mosquitto_loop(mosq_, 20, 1);
      if (done()) return true;
    }
    return done();
  }
  // The broker went away: let the library notice.
  void notice_outage() {
    loop_until([] { return false; }, std::chrono::milliseconds(300));
  }
  // Kept by the library while the broker is away.
  void publish(const std::string& topic, const std::string& payload) {
    mosquitto_publish(mosq_, nullptr, topic.c_str(), static_cast<int>(payload.size()),
                      payload.data(), 1, false);
  }
  // Back on the broker: what was kept goes out.
  void reconnect() {
    connack_ = -1;
    mosquitto_reconnect(mosq_);
    BOOST_REQUIRE(loop_until([&] { return connack_ == 0; }));
    loop_until([] { return false; }, std::chrono::milliseconds(500));
  }

 private:
  mosquitto* mosq_ = nullptr;
  int connack_ = -1;
};

}  // namespace

BOOST_AUTO_TEST_CASE(a_command_kept_in_a_queue_during_an_outage_is_dropped_not_executed_late) {
  MosquittoBroker broker;
  BridgeConfig settings;
  settings.key = kKey;
  settings.extra = "[homeassistant]\ncommand_max_age = \"2s\"\nrepublish_delay = \"200ms\"\n";
  auto bridge = start_bridge(write_bridge_config(broker, settings));
  const std::string mac = "48:e1:e9:0c:16:a1";
  const std::string uuid = "2301234567890123456748e1e90c16a1";
  FirmwareDevice::Options o;
  o.uuid = uuid;
  o.mac = mac;
  o.key = kKey;
  o.port = broker.port();
  FirmwareDevice device(o);
  BOOST_REQUIRE(device.wait_bound());
  const std::string command = command_topic(uuid, "switch_0");
  {
    MqttTestClient ha(broker.port());
    subscribe_synced(ha, "meross/#");
    BOOST_REQUIRE_MESSAGE(ha.wait_for(payload_on(state_topic(uuid, "switch_0"), "OFF"), kWait),
                          bridge->output());
  }
  QueueingClient queueing(broker.port());

  // The broker goes away; meanwhile a command is given (and kept); it stays away longer than
  // command_max_age.
  broker.kill();
  queueing.notice_outage();
  queueing.publish(command, "ON");
  std::this_thread::sleep_for(std::chrono::seconds(3));
  broker.start();
  // The bridge is back (subscribed: its availability comes after its subscriptions) and the
  // device is bound again before the queued command comes.
  BOOST_REQUIRE(wait_until([&] { return count_in(bridge->output(), "mqtt: connected") >= 2; }));
  MqttTestClient observer(broker.port());
  subscribe_synced(observer, "meross/#");
  BOOST_REQUIRE(observer.wait_for(payload_on(kBridgeAvailability, "online"), kWait));
  BOOST_REQUIRE(wait_until([&] { return count_in(bridge->output(), "Bind acknowledged") >= 2; }));
  const auto sets_before = device.requests().size();
  queueing.reconnect();
  BOOST_TEST(bridge->wait_for_output("command ON on " + command + " dropped", kWait),
             bridge->output());
  BOOST_TEST(bridge->output().find("may have waited that long in a queue") != std::string::npos);
  // Given more than command_max_age ago: never executed.
  std::this_thread::sleep_for(std::chrono::seconds(1));
  BOOST_TEST(!device.relay());
  for (std::size_t i = sets_before; i < device.requests().size(); ++i)
    BOOST_TEST(device.requests()[i].ns != "Appliance.Control.ToggleX");

  // Home Assistant says it is online: it has sent what it kept, what follows is fresh.
  observer.publish("homeassistant/status", "online");
  BOOST_REQUIRE(bridge->wait_for_output("commands are executed again", kWait));
  observer.publish(command, "ON");
  BOOST_TEST(device.wait_relay(true));
  BOOST_TEST(observer.wait_for(payload_on(state_topic(uuid, "switch_0"), "ON"), kWait).has_value());
  BOOST_TEST(bridge->output().find(kKey) == std::string::npos);
}
