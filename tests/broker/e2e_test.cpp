#define BOOST_TEST_MODULE broker_e2e
// The built plugin in a real mosquitto (the system's /usr/sbin/mosquitto) on loopback ports: a
// TLS listener where devices log in as they do (MQTT 3.1, clean session, fmware:<uuid>_<random>,
// MAC, <userId>_md5(mac + key), uuids registered nowhere), and a plain one for meross-bridge and
// Home Assistant. Every test starts its own broker.
//
// "Nothing got through" is shown without sleeping: after the forbidden messages, an allowed one
// is sent and awaited; mosquitto handles each client's packets in order on one thread, so anything
// forbidden that got through would have arrived first.

#include <boost/test/unit_test.hpp>

#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <mosquitto.h>

#include "broker_test_support.hpp"
#include "support/child_process.hpp"
#include "support/mosquitto_broker.hpp"

using namespace std::chrono_literals;
using meross::test::ChildProcess;
using meross::test::broker::Device;
using meross::test::broker::kKey1;
using meross::test::broker::kKey2;
using meross::test::broker::pbkdf2_hash;
using meross::test::broker::ScratchDir;

namespace {

constexpr std::uint64_t kUserId = 4242;
const std::string kBridgeUser = "meross-bridge";
const std::string kBridgePassword = "bridge password 1";
const std::string kHaUser = "homeassistant";
const std::string kHaPassword = "ha password 2";
constexpr int kRefused = 5;                       // CONNACK "not authorized" (MQTT 3.1 and 3.1.1)
constexpr int kSubscriptionDenied = 0x80;         // SUBACK failure, MQTT 3.1.1
constexpr int kSubscriptionNotAuthorized = 0x87;  // SUBACK reason code, MQTT 5

// The user mosquitto switches to when started as root, before it loads plugins.
std::optional<passwd> broker_user() {
  if (::geteuid() != 0) return std::nullopt;
  for (const char* name : {"mosquitto", "nobody"}) {
    if (const passwd* user = ::getpwnam(name)) return *user;
  }
  return std::nullopt;
}

// Like the real set-up: the secret files belong to the user mosquitto runs as.
void give_to_broker_user(const std::string& path) {
  if (const auto user = broker_user()) {
    if (::chown(path.c_str(), user->pw_uid, user->pw_gid) != 0) {
      throw std::runtime_error("chown failed: " + path);
    }
  }
}

// A CA and an RSA 2048 server certificate for 127.0.0.1, made once for the whole run.
class Certificates {
 public:
  static const Certificates& get() {
    static const Certificates certs;
    return certs;
  }
  std::string file(const char* name) const { return dir_.file(name); }

 private:
  Certificates() {
    std::ofstream(dir_.file("san.ext")) << "subjectAltName=IP:127.0.0.1\n";
    const std::string rsa = " -newkey rsa:2048 -nodes ";
    const std::string script =
        "(cd " + dir_.path().string() + " && openssl req -x509" + rsa +
        "-keyout ca.key -out ca.pem -days 2 -subj /CN=meross-broker-test-ca && openssl req" + rsa +
        "-keyout server.key -out server.csr -subj /CN=127.0.0.1 && openssl x509 -req -in "
        "server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 -extfile "
        "san.ext && chmod 0644 *) >/dev/null 2>&1";
    if (std::system(script.c_str()) != 0) {
      throw std::runtime_error("openssl could not make the test certificates");
    }
  }
  ScratchDir dir_;
};

struct BrokerSetup {
  std::optional<std::string> keys = kKey1 + "\n" + kKey2 + "\n";  // nullopt: no such file
  mode_t keys_mode = 0600;
  bool keys_owned_by_broker = true;  // false: root's, so unreadable once mosquitto drops root
  bool key_file_option = true;
  std::optional<std::string> clients;  // default: the bridge and Home Assistant logins
  mode_t clients_mode = 0600;
  std::string options = "plugin_opt_user_ids 0," + std::to_string(kUserId) + "\n";
};

// mosquitto -c CONF with the plugin, its output collected.
class PluginBroker {
 public:
  explicit PluginBroker(BrokerSetup setup = {}) {
    port_ = meross::test::free_loopback_port();
    do {
      tls_port_ = meross::test::free_loopback_port();
    } while (tls_port_ == port_);
    keys_path_ = dir_.file("keys");
    if (setup.keys) {
      dir_.write("keys", *setup.keys, setup.keys_mode);
      if (setup.keys_owned_by_broker) give_to_broker_user(keys_path_);
    }
    const std::string clients = setup.clients.value_or(
        kBridgeUser + " bridge " + pbkdf2_hash(kBridgePassword) + "\n" + kHaUser +
        "\thomeassistant\t" + pbkdf2_hash(kHaPassword, 1000) + "\n");
    give_to_broker_user(dir_.write("clients", clients, setup.clients_mode));

    std::string plugin = MEROSS_AUTH_PLUGIN;
    if (broker_user()) {
      // The build tree may be closed to the user mosquitto switches to.
      plugin = dir_.file("meross-auth.so");
      std::filesystem::copy_file(MEROSS_AUTH_PLUGIN, plugin);
      ::chmod(plugin.c_str(), 0755);
    }
    const Certificates& certs = Certificates::get();
    const std::string conf =
        "per_listener_settings false\n"
        "allow_anonymous false\n"
        "persistence false\n"
        "log_dest stderr\n"
        "log_type error\nlog_type warning\nlog_type notice\nlog_type information\n"
        "plugin " +
        plugin + "\n" + (setup.key_file_option ? "plugin_opt_key_file " + keys_path_ + "\n" : "") +
        "plugin_opt_clients_file " + dir_.file("clients") + "\n" + setup.options + "listener " +
        std::to_string(port_) + " 127.0.0.1\n" + "listener " + std::to_string(tls_port_) +
        " 127.0.0.1\n" + "cafile " + certs.file("ca.pem") + "\n" + "certfile " +
        certs.file("server.pem") + "\n" + "keyfile " + certs.file("server.key") + "\n";
    dir_.write("mosquitto.conf", conf, 0644);
    process_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{"/usr/sbin/mosquitto", "-c", dir_.file("mosquitto.conf")});
  }

  // Whether mosquitto got to "running" (false: it exited, or took longer than 10 s).
  bool wait_running() {
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < deadline) {
      if (process_->wait_for_output(" running", 20ms)) return true;
      if (!process_->running()) return false;
    }
    return false;
  }
  void require_running() { BOOST_REQUIRE_MESSAGE(wait_running(), process_->output()); }

  int port() const { return port_; }
  int tls_port() const { return tls_port_; }
  ChildProcess& process() { return *process_; }
  std::string output() const { return process_->output(); }
  const ScratchDir& dir() const { return dir_; }
  const std::string& keys_path() const { return keys_path_; }

 private:
  ScratchDir dir_;
  std::string keys_path_;
  int port_ = 0;
  int tls_port_ = 0;
  std::unique_ptr<ChildProcess> process_;
};

// A libmosquitto client that reports what the broker answered: CONNACK code, granted QoS.
class Client {
 public:
  struct Message {
    std::string topic;
    std::string payload;
  };
  struct Options {
    std::string client_id;
    std::optional<std::string> username;
    std::optional<std::string> password;
    int protocol = MQTT_PROTOCOL_V311;
    bool tls = false;
  };

  Client(int port, const Options& options) {
    static const int init = mosquitto_lib_init();
    (void)init;
    mosq_ = mosquitto_new(options.client_id.c_str(), true, this);
    if (!mosq_) throw std::runtime_error("mosquitto_new failed");
    mosquitto_int_option(mosq_, MOSQ_OPT_PROTOCOL_VERSION, options.protocol);
    if (options.username) {
      mosquitto_username_pw_set(mosq_, options.username->c_str(),
                                options.password ? options.password->c_str() : nullptr);
    }
    if (options.tls) {
      const std::string ca = Certificates::get().file("ca.pem");
      if (mosquitto_tls_set(mosq_, ca.c_str(), nullptr, nullptr, nullptr, nullptr) !=
          MOSQ_ERR_SUCCESS) {
        throw std::runtime_error("mosquitto_tls_set failed");
      }
    }
    mosquitto_connect_callback_set(mosq_, &Client::on_connect);
    mosquitto_subscribe_callback_set(mosq_, &Client::on_subscribe);
    mosquitto_publish_callback_set(mosq_, &Client::on_publish);
    mosquitto_message_callback_set(mosq_, &Client::on_message);
    if (mosquitto_connect(mosq_, "127.0.0.1", port, 30) != MOSQ_ERR_SUCCESS ||
        mosquitto_loop_start(mosq_) != MOSQ_ERR_SUCCESS) {
      throw std::runtime_error("cannot connect to 127.0.0.1:" + std::to_string(port));
    }
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, 10s, [&] { return connack_ >= 0; });
  }
  ~Client() {
    mosquitto_disconnect(mosq_);
    mosquitto_loop_stop(mosq_, true);
    mosquitto_destroy(mosq_);
  }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // The CONNACK return code: 0 accepted, kRefused, or -1 when none came.
  int connack() const {
    std::lock_guard lock(mutex_);
    return connack_;
  }

  // The QoS the broker granted, or its refusal code.
  int subscribe(const std::string& filter) {
    int mid = 0;
    if (mosquitto_subscribe(mosq_, &mid, filter.c_str(), 1) != MOSQ_ERR_SUCCESS) {
      throw std::runtime_error("subscribe failed: " + filter);
    }
    std::unique_lock lock(mutex_);
    if (!changed_.wait_for(lock, 10s, [&] { return granted_.count(mid) > 0; })) {
      throw std::runtime_error("no SUBACK for " + filter);
    }
    return granted_[mid];
  }

  // QoS 1, returning once the broker acknowledged it (which it does for a denied one too).
  void publish(const std::string& topic, const std::string& payload) {
    int mid = 0;
    if (mosquitto_publish(mosq_, &mid, topic.c_str(), static_cast<int>(payload.size()),
                          payload.data(), 1, false) != MOSQ_ERR_SUCCESS) {
      throw std::runtime_error("publish failed: " + topic);
    }
    std::unique_lock lock(mutex_);
    if (!changed_.wait_for(lock, 10s, [&] { return acked_.count(mid) > 0; })) {
      throw std::runtime_error("no PUBACK for " + topic);
    }
  }

  bool wait_for(const std::string& topic, const std::string& payload) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, 10s, [&] {
      for (const Message& m : messages_) {
        if (m.topic == topic && m.payload == payload) return true;
      }
      return false;
    });
  }

  std::vector<Message> messages() const {
    std::lock_guard lock(mutex_);
    return messages_;
  }

 private:
  static void on_connect(mosquitto* mosq, void* self, int rc) {
    auto* client = static_cast<Client*>(self);
    // A refused client must not retry: libmosquitto's loop reconnects unless told to stop.
    if (rc != 0) mosquitto_disconnect(mosq);
    std::lock_guard lock(client->mutex_);
    client->connack_ = rc;
    client->changed_.notify_all();
  }
  static void on_subscribe(mosquitto*, void* self, int mid, int count, const int* granted) {
    auto* client = static_cast<Client*>(self);
    std::lock_guard lock(client->mutex_);
    client->granted_[mid] = count > 0 ? granted[0] : -1;
    client->changed_.notify_all();
  }
  static void on_publish(mosquitto*, void* self, int mid) {
    auto* client = static_cast<Client*>(self);
    std::lock_guard lock(client->mutex_);
    client->acked_.insert(mid);
    client->changed_.notify_all();
  }
  static void on_message(mosquitto*, void* self, const mosquitto_message* message) {
    auto* client = static_cast<Client*>(self);
    std::lock_guard lock(client->mutex_);
    client->messages_.push_back(
        Message{message->topic, std::string(static_cast<const char*>(message->payload),
                                            static_cast<std::size_t>(message->payloadlen))});
    client->changed_.notify_all();
  }

  mosquitto* mosq_ = nullptr;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  int connack_ = -1;
  std::map<int, int> granted_;
  std::set<int> acked_;
  std::vector<Message> messages_;
};

// A device as it logs in: MQTT 3.1 over TLS.
Client::Options device_login(const Device& d, const std::string& key,
                             std::uint64_t user_id = kUserId) {
  return Client::Options{d.client_id, d.mac, d.password(key, user_id), MQTT_PROTOCOL_V31, true};
}

Client::Options bridge_login() {
  return Client::Options{"meross-bridge-e2e", kBridgeUser, kBridgePassword};
}

Client::Options homeassistant_login() {
  return Client::Options{"homeassistant-e2e", kHaUser, kHaPassword, MQTT_PROTOCOL_V5};
}

std::vector<std::string> topics_of(const Client& client) {
  std::vector<std::string> topics;
  for (const auto& m : client.messages())
    topics.push_back(m.topic + " " + m.payload);
  return topics;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

BOOST_AUTO_TEST_CASE(devices_log_in_over_tls_with_mqtt31) {
  PluginBroker broker;
  broker.require_running();
  const Device a = Device::random();
  const Device b = Device::random();
  Client first(broker.tls_port(), device_login(a, kKey1));
  BOOST_TEST(first.connack() == 0, broker.output());
  Client second(broker.tls_port(), device_login(b, kKey2, 0));
  BOOST_TEST(second.connack() == 0, broker.output());
  // mosquitto's own account of the connection: MQTT 3.1 (p1), clean session (c1).
  BOOST_TEST(broker.process().wait_for_output("as " + a.client_id + " (p1, c1", 5s),
             broker.output());
  BOOST_TEST(broker.process().wait_for_output("u'" + b.mac + "'", 5s), broker.output());
  BOOST_TEST(!contains(broker.output(), "meross-auth: refused"), broker.output());
}

BOOST_AUTO_TEST_CASE(refused_logins) {
  PluginBroker broker;
  broker.require_running();
  const Device d = Device::random();
  const Device other = Device::random();

  struct Case {
    Client::Options login;
    std::string reason;
  };
  Client::Options mismatch = device_login(d, kKey1);
  mismatch.client_id = other.client_id;
  Client::Options malformed = device_login(d, kKey1);
  malformed.client_id = "fmware:" + d.uuid;
  Client::Options anonymous = device_login(d, kKey1);
  anonymous.username.reset();
  anonymous.password.reset();
  Client::Options bad_bridge = bridge_login();
  bad_bridge.password = "not the bridge password";
  const Case cases[] = {
      {device_login(d, "not-a-configured-key"), "wrong password for every configured key"},
      {mismatch, "the MAC does not match the uuid"},
      {malformed, "malformed client id (expected fmware:<uuid>_<suffix>)"},
      {anonymous, "anonymous"},
      {device_login(d, kKey1, 7), "userId not allowed"},
      {bad_bridge, "wrong password"},
      {Client::Options{"someone", std::string("someone"), std::string("pw")}, "unknown user"},
  };
  for (const Case& c : cases) {
    Client client(c.login.tls ? broker.tls_port() : broker.port(), c.login);
    BOOST_TEST(client.connack() == kRefused, c.reason);
    const std::string line = "meross-auth: refused " + c.login.client_id + " (user " +
                             c.login.username.value_or("<none>") + "): " + c.reason;
    BOOST_TEST(broker.process().wait_for_output(line, 5s), line << "\n" << broker.output());
  }
  const std::string log = broker.output();
  for (const std::string& secret : {kKey1, kKey2, d.password(kKey1, kUserId).substr(5),
                                    d.password("not-a-configured-key", kUserId).substr(5),
                                    std::string("not the bridge password")}) {
    BOOST_TEST(!contains(log, secret), secret);
  }
}

BOOST_AUTO_TEST_CASE(bridge_and_device_talk) {
  PluginBroker broker;
  broker.require_running();
  const Device a = Device::random();
  const Device b = Device::random();
  Client bridge(broker.port(), bridge_login());
  BOOST_REQUIRE(bridge.connack() == 0);
  BOOST_TEST(bridge.subscribe("/appliance/+/publish") == 1);
  BOOST_TEST(bridge.subscribe("/appliance/#") == kSubscriptionDenied);
  BOOST_TEST(bridge.subscribe("/appliance/+/subscribe") == kSubscriptionDenied);
  Client device_a(broker.tls_port(), device_login(a, kKey1));
  Client device_b(broker.tls_port(), device_login(b, kKey2));
  BOOST_REQUIRE(device_a.connack() == 0);
  BOOST_REQUIRE(device_b.connack() == 0);
  device_a.subscribe(a.subscribe_topic());
  device_b.subscribe(b.subscribe_topic());

  device_a.publish(a.publish_topic(), "push from A");
  BOOST_TEST(bridge.wait_for(a.publish_topic(), "push from A"));
  bridge.publish(a.subscribe_topic(), "command for A");
  BOOST_TEST(device_a.wait_for(a.subscribe_topic(), "command for A"));
  bridge.publish(b.subscribe_topic(), "command for B");
  BOOST_TEST(device_b.wait_for(b.subscribe_topic(), "command for B"));
  // Each device got its own command only.
  BOOST_TEST(device_a.messages().size() == 1u);
  BOOST_TEST(device_b.messages().size() == 1u);
}

BOOST_AUTO_TEST_CASE(a_device_reaches_nothing_but_its_own_topics) {
  PluginBroker broker;
  broker.require_running();
  const Device a = Device::random();
  const Device b = Device::random();
  Client bridge(broker.port(), bridge_login());
  Client ha(broker.port(), homeassistant_login());
  BOOST_REQUIRE(bridge.connack() == 0);
  BOOST_REQUIRE(ha.connack() == 0);
  bridge.subscribe("/appliance/+/publish");
  bridge.subscribe("homeassistant/#");
  bridge.subscribe("meross/#");
  Client device_a(broker.tls_port(), device_login(a, kKey1));
  Client device_b(broker.tls_port(), device_login(b, kKey1));
  BOOST_REQUIRE(device_a.connack() == 0);
  BOOST_REQUIRE(device_b.connack() == 0);
  device_b.subscribe(b.subscribe_topic());
  // MQTT 3.1 has no refusal code in SUBACK: only what arrives later tells.
  for (const std::string& filter :
       {std::string("#"), std::string("+/#"), std::string("/appliance/+/subscribe"),
        b.subscribe_topic(), std::string("/appliance/+/publish"), std::string("$SYS/#")}) {
    device_a.subscribe(filter);
  }
  device_a.subscribe(a.subscribe_topic());

  // A forges B's messages, writes to B and to Home Assistant's topics.
  device_a.publish(b.publish_topic(), "forged push from B");
  device_a.publish(b.subscribe_topic(), "forged command for B");
  device_a.publish("homeassistant/switch/x/config", "forged discovery");
  device_a.publish("meross/bridge/availability", "offline");
  device_a.publish(a.subscribe_topic(), "A commanding itself");
  // Others publish things A's refused subscriptions would have matched.
  ha.publish("homeassistant/switch/y/state", "ON");
  device_b.publish(b.publish_topic(), "push from B");
  bridge.publish(b.subscribe_topic(), "command for B");

  // The barriers: A's own push reaches the bridge, the bridge's command reaches A and B.
  device_a.publish(a.publish_topic(), "push from A");
  BOOST_TEST(bridge.wait_for(a.publish_topic(), "push from A"));
  bridge.publish(a.subscribe_topic(), "command for A");
  BOOST_TEST(device_a.wait_for(a.subscribe_topic(), "command for A"));
  bridge.publish(b.subscribe_topic(), "last command for B");
  BOOST_TEST(device_b.wait_for(b.subscribe_topic(), "last command for B"));

  const std::vector<std::string> bridge_got = topics_of(bridge);
  const std::vector<std::string> bridge_expected = {"homeassistant/switch/y/state ON",
                                                    b.publish_topic() + " push from B",
                                                    a.publish_topic() + " push from A"};
  BOOST_TEST(bridge_got == bridge_expected, boost::test_tools::per_element());
  const std::vector<std::string> a_expected = {a.subscribe_topic() + " command for A"};
  BOOST_TEST(topics_of(device_a) == a_expected, boost::test_tools::per_element());
  const std::vector<std::string> b_expected = {b.subscribe_topic() + " command for B",
                                               b.subscribe_topic() + " last command for B"};
  BOOST_TEST(topics_of(device_b) == b_expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(homeassistant_has_its_topics_only) {
  PluginBroker broker;
  broker.require_running();
  const Device a = Device::random();
  Client ha(broker.port(), homeassistant_login());
  Client bridge(broker.port(), bridge_login());
  BOOST_REQUIRE(ha.connack() == 0);
  BOOST_REQUIRE(bridge.connack() == 0);
  Client device_a(broker.tls_port(), device_login(a, kKey2, 0));
  BOOST_REQUIRE(device_a.connack() == 0);
  device_a.subscribe(a.subscribe_topic());

  BOOST_TEST(ha.subscribe("homeassistant/#") == 1);
  BOOST_TEST(ha.subscribe("meross/#") == 1);
  for (const char* filter : {"/appliance/+/publish", "/appliance/#", "#", "merossX/#", "+/#"}) {
    BOOST_TEST(ha.subscribe(filter) == kSubscriptionNotAuthorized, filter);
  }
  ha.publish("homeassistant/switch/z/set", "ON");
  BOOST_TEST(ha.wait_for("homeassistant/switch/z/set", "ON"));
  bridge.publish("meross/bridge/availability", "online");
  BOOST_TEST(ha.wait_for("meross/bridge/availability", "online"));

  ha.publish(a.subscribe_topic(), "command from HA");
  device_a.publish(a.publish_topic(), "push from A");
  bridge.publish(a.subscribe_topic(), "command from the bridge");
  BOOST_TEST(device_a.wait_for(a.subscribe_topic(), "command from the bridge"));
  bridge.publish("meross/barrier", "after A's push");
  BOOST_TEST(ha.wait_for("meross/barrier", "after A's push"));
  const std::vector<std::string> a_expected = {a.subscribe_topic() + " command from the bridge"};
  BOOST_TEST(topics_of(device_a) == a_expected, boost::test_tools::per_element());
  const std::vector<std::string> ha_expected = {"homeassistant/switch/z/set ON",
                                                "meross/bridge/availability online",
                                                "meross/barrier after A's push"};
  BOOST_TEST(topics_of(ha) == ha_expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(sighup_reads_the_key_file_again) {
  PluginBroker broker;
  broker.require_running();
  const Device d = Device::random();
  {
    Client refused(broker.tls_port(), device_login(d, "key-added-later"));
    BOOST_TEST(refused.connack() == kRefused);
  }
  broker.dir().write("keys", kKey1 + "\nkey-added-later\n");
  broker.process().signal(SIGHUP);
  BOOST_REQUIRE_MESSAGE(broker.process().wait_for_output("meross-auth: reloaded 2 key(s)", 10s),
                        broker.output());
  Client accepted(broker.tls_port(), device_login(d, "key-added-later"));
  BOOST_TEST(accepted.connack() == 0, broker.output());
}

BOOST_AUTO_TEST_SUITE(refuses_to_start)

namespace {

// mosquitto exits non-zero, its log names the problem and shows no key.
void check_refuses(PluginBroker& broker, const std::string& problem) {
  const auto code = broker.process().wait_exit(10s);
  BOOST_REQUIRE_MESSAGE(code.has_value(), "mosquitto is still running\n" << broker.output());
  BOOST_TEST(*code != 0);
  const std::string log = broker.output();
  BOOST_TEST(contains(log, "meross-auth: " + problem), log);
  for (const std::string& secret : {kKey1, kKey2, std::string("s3cr3t")}) {
    BOOST_TEST(!contains(log, secret), log);
  }
}

}  // namespace

BOOST_AUTO_TEST_CASE(on_a_bad_option_or_file) {
  struct Case {
    std::string name;
    std::function<void(BrokerSetup&)> spoil;
    std::string file;     // "key", "clients": the problem names that file first
    std::string problem;  // what follows the file's path
  };
  const std::vector<Case> cases = {
      {"without the key file option", [](BrokerSetup& s) { s.key_file_option = false; }, "",
       "plugin_opt_key_file is required"},
      {"missing key file", [](BrokerSetup& s) { s.keys.reset(); }, "key",
       ": cannot open it (No such file or directory)"},
      {"empty key file", [](BrokerSetup& s) { s.keys = "# no key yet\n\n"; }, "key",
       ": holds no key"},
      {"group-readable key file", [](BrokerSetup& s) { s.keys_mode = 0640; }, "key",
       ": must be 0600"},
      {"malformed key file",
       [](BrokerSetup& s) { s.keys = kKey1 + "\nhalf s3cr3t\n" + kKey2 + "\n"; }, "key",
       " line 2: a key is printable ASCII without spaces"},
      {"key file the broker cannot read",
       [](BrokerSetup& s) {
         if (broker_user()) {
           s.keys_owned_by_broker = false;  // root's 0600 file, and mosquitto is no longer root
         } else {
           s.keys_mode = 0;
         }
       },
       "key", ": cannot open it (Permission denied)"},
      {"group-readable clients file", [](BrokerSetup& s) { s.clients_mode = 0644; }, "clients",
       ": must be 0600"},
      {"malformed clients file",
       [](BrokerSetup& s) { s.clients = "# logins\nmeross-bridge bridge s3cr3t\n"; }, "clients",
       " line 2: HASH is not"},
  };
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT(c.name) {
      BrokerSetup setup;
      c.spoil(setup);
      PluginBroker broker(setup);
      const std::string path = c.file == "key"       ? broker.keys_path()
                               : c.file == "clients" ? broker.dir().file("clients")
                                                     : std::string();
      check_refuses(broker, (path.empty() ? "" : c.file + " file " + path) + c.problem);
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
