#define BOOST_TEST_MODULE pairing_e2e
#include <boost/test/unit_test.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include <mosquitto.h>
#include <rapidjson/document.h>

#include "pairing/commands.hpp"
#include "pairing/fake_device.hpp"
#include "protocol/envelope.hpp"
#include "protocol/json.hpp"
#include "protocol/signing.hpp"
#include "support/fixtures.hpp"
#include "support/mosquitto_broker.hpp"
#include "support/temp_dir.hpp"

using namespace meross::pairing;
using meross::test::FakeDevice;
namespace protocol = meross::protocol;
namespace fs = std::filesystem;

using meross::test::TempDir;

namespace {

constexpr const char* kWifiList =
    R"({"wifiList":[{"ssid":"TmVpZ2hib3Vy","bssid":"aa:bb:cc:00:00:01","signal":20,"channel":1,"encryption":6,"cipher":3},)"
    R"({"ssid":"TXlIb21lV2lGaQ==","bssid":"2c:6e:a4:55:c6:47","signal":45,"channel":3,"encryption":6,"cipher":3},)"
    R"({"ssid":"TXlIb21lV2lGaQ==","bssid":"2c:6e:a4:55:c6:48","signal":80,"channel":6,"encryption":7,"cipher":4}]})";

// Secrets that must never be printed.
constexpr const char* kWifiPassword = "correct horse battery";
constexpr const char* kKey = "Sup3rS3cretKey";

rapidjson::Document parse(const std::string& text) {
  rapidjson::Document doc;
  doc.Parse(text.c_str());
  BOOST_REQUIRE_MESSAGE(!doc.HasParseError(), text);
  return doc;
}

struct Output {
  std::ostringstream out;
  std::ostringstream err;
  std::string all() const { return out.str() + err.str(); }
};

void check_no_secrets(const Output& output) {
  BOOST_TEST(output.all().find(kWifiPassword) == std::string::npos);
  BOOST_TEST(output.all().find(kKey) == std::string::npos);
}

PairOptions pair_options(const FakeDevice& device) {
  PairOptions options;
  options.target.host = device.host();
  options.ssid = "MyHomeWiFi";
  options.wifi_password = kWifiPassword;
  options.brokers = {"mqtts://192.168.1.7:8883"};
  options.key = kKey;
  options.user_id = 1234;
  return options;
}

// The device's requests, which were for `expected` in this order, none of them encrypted.
std::vector<FakeDevice::Request> plain_requests(const FakeDevice& device,
                                                const std::vector<std::string>& expected) {
  BOOST_TEST(device.namespaces() == expected, boost::test_tools::per_element());
  auto requests = device.requests();
  BOOST_REQUIRE(requests.size() == expected.size());
  for (const auto& r : requests)
    BOOST_TEST(!r.encrypted);
  return requests;
}

// The Wi-Fi password of a WifiX request, decrypted as the device does it: AES with the key
// md5hex(type + uuid + mac), the zero padding dropped.
std::string wifix_password(const FakeDevice& device, const rapidjson::Value& wifi) {
  const std::string key = protocol::md5_hex(device.hardware_type() + device.uuid() + device.mac());
  std::string password = meross::test::test_aes_decrypt(
      meross::test::test_base64_decode(wifi["password"].GetString()), key);
  BOOST_TEST(password.size() % 16 == 0u);
  while (!password.empty() && password.back() == '\0')
    password.pop_back();
  return password;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(http)

BOOST_AUTO_TEST_CASE(info_on_a_plain_device) {
  FakeDevice device({"mss310.csv", std::nullopt, kWifiList});
  Output o;
  BOOST_TEST(run_info({{device.host(), "", 10}}, o.out, o.err) == 0, o.err.str());
  BOOST_TEST(o.out.str().find("mss310") != std::string::npos);
  BOOST_TEST(o.out.str().find("2.1.17") != std::string::npos);
  BOOST_TEST(o.out.str().find(device.mac()) != std::string::npos);
  BOOST_TEST(o.out.str().find(device.uuid()) != std::string::npos);
  BOOST_TEST(o.out.str().find("plain HTTP") != std::string::npos);
  const std::vector<std::string> expected = {"Appliance.System.All", "Appliance.System.Ability"};
  BOOST_TEST(device.namespaces() == expected, boost::test_tools::per_element());
  for (const auto& request : device.requests())
    BOOST_TEST(request.method == "GET");
}

BOOST_AUTO_TEST_CASE(info_on_an_ecdhe_device_says_setup_is_encrypted) {
  FakeDevice device({"mss100.json.txt", std::nullopt, kWifiList});
  BOOST_REQUIRE(device.ecdhe());
  Output o;
  BOOST_TEST(run_info({{device.host(), "", 10}}, o.out, o.err) == 0, o.err.str());
  BOOST_TEST(o.out.str().find("mss110") != std::string::npos);
  BOOST_TEST(o.out.str().find("encrypted (Appliance.Encrypt.ECDHE") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(wifi_lists_decoded_networks) {
  FakeDevice device({"mss100.json.txt", std::nullopt, kWifiList});
  Output o;
  BOOST_TEST(run_wifi({{device.host(), "", 10}}, o.out, o.err) == 0, o.err.str());
  const auto text = o.out.str();
  BOOST_TEST(text.find("\"Neighbour\"") != std::string::npos);
  BOOST_TEST(text.find("\"MyHomeWiFi\"  signal 80%  channel 6  WPA1WPA2/TKIPAES  bssid "
                       "2c:6e:a4:55:c6:48") != std::string::npos,
             text);
  // Sorted by signal: the strongest first.
  BOOST_TEST(text.find("signal 80%") < text.find("signal 20%"));
  const auto requests = device.requests();
  BOOST_REQUIRE(requests.size() == 4u);
  BOOST_TEST(requests[2].ns == "Appliance.Encrypt.ECDHE");
  BOOST_TEST(!requests[2].encrypted);
  BOOST_TEST(requests[3].ns == "Appliance.Config.WifiList");
  BOOST_TEST(requests[3].encrypted);
}

BOOST_AUTO_TEST_CASE(pair_a_plain_device_with_config_wifi) {
  FakeDevice device({"mss310.csv", std::nullopt, kWifiList});
  Output o;
  auto options = pair_options(device);
  BOOST_TEST(run_pair(options, o.out, o.err) == 0, o.err.str());
  const auto requests = plain_requests(
      device, {"Appliance.System.All", "Appliance.System.Ability", "Appliance.Config.WifiList",
               "Appliance.Config.Key", "Appliance.Config.Wifi"});

  // One broker → both slots.
  BOOST_TEST(requests[3].method == "SET");
  BOOST_TEST(requests[3].payload_json ==
             R"({"key":{"gateway":{"host":"192.168.1.7","port":8883,"secondHost":"192.168.1.7",)"
             R"("secondPort":8883,"redirect":1},"key":"Sup3rS3cretKey","userId":"1234"}})");

  BOOST_TEST(requests[4].method == "SET");
  auto wifi = parse(requests[4].payload_json);
  const auto& w = wifi["wifi"];
  BOOST_TEST(meross::test::test_base64_decode(w["ssid"].GetString()) == "MyHomeWiFi");
  BOOST_TEST(meross::test::test_base64_decode(w["password"].GetString()) == kWifiPassword);
  // The strongest access point of that SSID, exactly as the device listed it.
  BOOST_TEST(std::string(w["bssid"].GetString()) == "2c:6e:a4:55:c6:48");
  BOOST_TEST(w["channel"].GetInt() == 6);
  BOOST_TEST(w["encryption"].GetInt() == 7);
  BOOST_TEST(w["cipher"].GetInt() == 4);

  BOOST_TEST(o.out.str().find("Next:") != std::string::npos);
  BOOST_TEST(o.out.str().find("meross-bridge password --mac " + device.mac()) != std::string::npos);
  check_no_secrets(o);
}

BOOST_AUTO_TEST_CASE(pair_an_ecdhe_device_with_wifix) {
  FakeDevice device({"mss100.json.txt", std::nullopt, kWifiList});
  Output o;
  auto options = pair_options(device);
  options.brokers = {"mqtts://192.168.1.7:8883", "broker.lan:8884"};
  BOOST_TEST(run_pair(options, o.out, o.err) == 0, o.err.str());
  const std::vector<std::string> expected = {"Appliance.System.All",    "Appliance.System.Ability",
                                             "Appliance.Encrypt.ECDHE", "Appliance.Config.WifiList",
                                             "Appliance.Config.Key",    "Appliance.Config.WifiX"};
  BOOST_TEST(device.namespaces() == expected, boost::test_tools::per_element());
  const auto requests = device.requests();
  BOOST_REQUIRE(requests.size() == expected.size());
  BOOST_TEST(!requests[0].encrypted);
  BOOST_TEST(!requests[1].encrypted);
  BOOST_TEST(!requests[2].encrypted);
  BOOST_TEST(requests[2].method == "SET");
  BOOST_TEST(requests[3].encrypted);
  BOOST_TEST(requests[4].encrypted);
  BOOST_TEST(requests[5].encrypted);

  BOOST_TEST(requests[4].payload_json ==
             R"({"key":{"gateway":{"host":"192.168.1.7","port":8883,"secondHost":"broker.lan",)"
             R"("secondPort":8884,"redirect":1},"key":"Sup3rS3cretKey","userId":"1234"}})");

  // The device decrypts the WifiX password with md5hex(type + uuid + mac).
  auto wifi = parse(requests[5].payload_json);
  const auto& w = wifi["wifi"];
  BOOST_TEST(meross::test::test_base64_decode(w["ssid"].GetString()) == "MyHomeWiFi");
  BOOST_TEST(wifix_password(device, w) == kWifiPassword);
  BOOST_TEST(std::string(w["bssid"].GetString()) == "2c:6e:a4:55:c6:48");

  BOOST_TEST(o.out.str().find("ECDHE key exchange done") != std::string::npos);
  BOOST_TEST(o.out.str().find("Appliance.Config.WifiX accepted") != std::string::npos);
  check_no_secrets(o);
}

BOOST_AUTO_TEST_CASE(pair_a_plain_device_with_wifix) {
  // em06: WifiX without ECDHE, so plain HTTP with an encrypted Wi-Fi password.
  FakeDevice device({"em06.json.txt", std::nullopt, kWifiList});
  BOOST_REQUIRE(!device.ecdhe());
  Output o;
  BOOST_TEST(run_pair(pair_options(device), o.out, o.err) == 0, o.err.str());
  const auto requests = plain_requests(
      device, {"Appliance.System.All", "Appliance.System.Ability", "Appliance.Config.WifiList",
               "Appliance.Config.Key", "Appliance.Config.WifiX"});
  const auto wifi = parse(requests[4].payload_json);
  BOOST_TEST(wifix_password(device, wifi["wifi"]) == kWifiPassword);
  check_no_secrets(o);
}

BOOST_AUTO_TEST_CASE(pair_stops_when_the_ssid_is_not_seen) {
  FakeDevice device({"mss310.csv", std::nullopt, kWifiList});
  Output o;
  auto options = pair_options(device);
  options.ssid = "Elsewhere";
  BOOST_TEST(run_pair(options, o.out, o.err) == 1);
  BOOST_TEST(o.err.str().find("does not see the network \"Elsewhere\"") != std::string::npos);
  BOOST_TEST(o.err.str().find("\"Neighbour\"") != std::string::npos);
  const std::vector<std::string> expected = {"Appliance.System.All", "Appliance.System.Ability",
                                             "Appliance.Config.WifiList"};
  BOOST_TEST(device.namespaces() == expected, boost::test_tools::per_element());
  check_no_secrets(o);
}

BOOST_AUTO_TEST_CASE(wrong_key_is_explained) {
  FakeDevice device({"mss310.csv", std::string("the-real-key"), kWifiList});
  Output o;
  CallOptions call;
  call.host = device.host();
  call.key = kKey;
  call.method = "GET";
  call.ns = "Appliance.System.All";
  BOOST_TEST(run_call(call, o.out, o.err) == 1);
  BOOST_TEST(o.err.str().find("5001") != std::string::npos, o.err.str());
  BOOST_TEST(o.err.str().find("the key is wrong") != std::string::npos);
  check_no_secrets(o);

  Output right;
  call.key = "the-real-key";
  BOOST_TEST(run_call(call, right.out, right.err) == 0, right.err.str());
  auto reply = parse(right.out.str());
  BOOST_TEST(std::string(reply["header"]["method"].GetString()) == "GETACK");
  BOOST_TEST(reply["payload"]["all"]["system"]["hardware"]["type"].GetString() ==
             std::string("mss310"));
  BOOST_TEST(right.all().find("the-real-key") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(call_over_ecdhe_and_plaintext_refusal) {
  FakeDevice device({"mss100.json.txt", std::nullopt, kWifiList});
  CallOptions call;
  call.host = device.host();
  call.method = "GET";
  call.ns = "Appliance.Control.ToggleX";
  Output plain;
  BOOST_TEST(run_call(call, plain.out, plain.err) == 1);
  BOOST_TEST(plain.err.str().find("closed the connection") != std::string::npos, plain.err.str());
  Output encrypted;
  call.ecdhe = true;
  BOOST_TEST(run_call(call, encrypted.out, encrypted.err) == 0, encrypted.err.str());
  BOOST_TEST(encrypted.out.str().find("\"GETACK\"") != std::string::npos);
  const auto requests = device.requests();
  BOOST_REQUIRE(requests.size() == 3u);
  BOOST_TEST(!requests[0].encrypted);
  BOOST_TEST(requests[2].encrypted);
  BOOST_TEST(requests[2].ns == "Appliance.Control.ToggleX");
}

BOOST_AUTO_TEST_CASE(silent_device) {
  // Listens (the kernel completes the handshake) but never answers.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(addr);
  BOOST_REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
  BOOST_REQUIRE(::listen(fd, 4) == 0);
  BOOST_REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length) == 0);
  Output o;
  const std::string host = "127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
  BOOST_TEST(run_info({{host, kKey, 1}}, o.out, o.err) == 1);
  ::close(fd);
  BOOST_TEST(o.err.str().find("did not answer within 1 s") != std::string::npos, o.err.str());
  check_no_secrets(o);
}

BOOST_AUTO_TEST_CASE(unreachable_device) {
  const int port = meross::test::free_loopback_port();
  Output o;
  BOOST_TEST(run_info({{"127.0.0.1:" + std::to_string(port), kKey, 5}}, o.out, o.err) == 1);
  BOOST_TEST(o.err.str().find("cannot reach the device at 127.0.0.1:" + std::to_string(port)) !=
                 std::string::npos,
             o.err.str());
  check_no_secrets(o);
}

BOOST_AUTO_TEST_SUITE_END()

namespace {

// A libmosquitto client for the broker tests: threaded loop, every event awaited with a generous
// deadline.
class Client {
 public:
  using Handler =
      std::function<void(Client&, const std::string& topic, const std::string& payload)>;

  struct Options {
    std::string id;
    std::string username;
    std::string password;
    int port = 0;
    std::string cafile;  // TLS when set
    bool mqtt31 = false;
  };

  explicit Client(const Options& options) {
    static std::once_flag once;
    std::call_once(once, [] { mosquitto_lib_init(); });
    mosq_ = mosquitto_new(options.id.c_str(), true, this);
    BOOST_REQUIRE(mosq_ != nullptr);
    if (options.mqtt31) mosquitto_int_option(mosq_, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V31);
    if (!options.username.empty()) {
      mosquitto_username_pw_set(mosq_, options.username.c_str(), options.password.c_str());
    }
    if (!options.cafile.empty()) {
      BOOST_REQUIRE(mosquitto_tls_set(mosq_, options.cafile.c_str(), nullptr, nullptr, nullptr,
                                      nullptr) == MOSQ_ERR_SUCCESS);
      // Devices offer TLS 1.2; the server name is checked against the certificate.
      mosquitto_tls_opts_set(mosq_, 1, "tlsv1.2", nullptr);
    }
    mosquitto_connect_callback_set(mosq_, [](mosquitto*, void* self, int rc) {
      auto* c = static_cast<Client*>(self);
      std::lock_guard lock(c->mutex_);
      c->connack_ = rc;
      c->cv_.notify_all();
    });
    mosquitto_disconnect_callback_set(mosq_, [](mosquitto*, void* self, int) {
      auto* c = static_cast<Client*>(self);
      std::lock_guard lock(c->mutex_);
      if (c->connack_ == -2) c->connack_ = -1;
      c->cv_.notify_all();
    });
    mosquitto_subscribe_callback_set(mosq_, [](mosquitto*, void* self, int mid, int, const int* q) {
      auto* c = static_cast<Client*>(self);
      std::lock_guard lock(c->mutex_);
      c->granted_[mid] = q[0];
      c->cv_.notify_all();
    });
    mosquitto_publish_callback_set(mosq_, [](mosquitto*, void* self, int mid) {
      auto* c = static_cast<Client*>(self);
      std::lock_guard lock(c->mutex_);
      c->acked_.insert(mid);
      c->cv_.notify_all();
    });
    mosquitto_message_callback_set(mosq_, [](mosquitto*, void* self, const mosquitto_message* m) {
      auto* c = static_cast<Client*>(self);
      const std::string topic = m->topic;
      const std::string payload(static_cast<const char*>(m->payload),
                                static_cast<std::size_t>(std::max(m->payloadlen, 0)));
      Handler handler;
      {
        std::lock_guard lock(c->mutex_);
        c->messages_.emplace_back(topic, payload);
        handler = c->handler_;
        c->cv_.notify_all();
      }
      if (handler) handler(*c, topic, payload);
    });
    BOOST_REQUIRE(mosquitto_loop_start(mosq_) == MOSQ_ERR_SUCCESS);
    mosquitto_connect_async(mosq_, "127.0.0.1", options.port, 60);
  }

  ~Client() {
    mosquitto_disconnect(mosq_);
    mosquitto_loop_stop(mosq_, true);
    mosquitto_destroy(mosq_);
  }

  // The CONNACK code (0 = accepted), or -1 if the connection was closed without one.
  int connack() {
    std::unique_lock lock(mutex_);
    cv_.wait_for(lock, std::chrono::seconds(20), [this] { return connack_ != -2; });
    return connack_;
  }

  int subscribe(const std::string& topic) {
    int mid = 0;
    BOOST_REQUIRE(mosquitto_subscribe(mosq_, &mid, topic.c_str(), 1) == MOSQ_ERR_SUCCESS);
    std::unique_lock lock(mutex_);
    BOOST_REQUIRE(
        cv_.wait_for(lock, std::chrono::seconds(20), [&] { return granted_.count(mid) != 0; }));
    return granted_[mid];
  }

  void publish(const std::string& topic, const std::string& payload) {
    int mid = 0;
    BOOST_REQUIRE(mosquitto_publish(mosq_, &mid, topic.c_str(), static_cast<int>(payload.size()),
                                    payload.data(), 1, false) == MOSQ_ERR_SUCCESS);
    std::unique_lock lock(mutex_);
    BOOST_REQUIRE(
        cv_.wait_for(lock, std::chrono::seconds(20), [&] { return acked_.count(mid) != 0; }));
  }

  void publish_async(const std::string& topic, const std::string& payload) {
    mosquitto_publish(mosq_, nullptr, topic.c_str(), static_cast<int>(payload.size()),
                      payload.data(), 1, false);
  }

  bool wait_for_message(const std::string& payload) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, std::chrono::seconds(20), [&] {
      return std::any_of(messages_.begin(), messages_.end(),
                         [&](const auto& m) { return m.second == payload; });
    });
  }

  std::vector<std::pair<std::string, std::string>> messages() {
    std::lock_guard lock(mutex_);
    return messages_;
  }

  void on_message(Handler handler) {
    std::lock_guard lock(mutex_);
    handler_ = std::move(handler);
  }

 private:
  mosquitto* mosq_ = nullptr;
  std::mutex mutex_;
  std::condition_variable cv_;
  int connack_ = -2;
  std::map<int, int> granted_;
  std::set<int> acked_;
  std::vector<std::pair<std::string, std::string>> messages_;
  Handler handler_;
};

// A CONNACK refusal code, or the connection closed by the broker before its CONNACK was read
// (both answers, unlike -2: no answer at all).
bool refused_by_broker(int connack) {
  return connack > 0 || connack == -1;
}

// A TLS connection and its CONNACK, synchronously: MOSQ_ERR_SUCCESS when accepted, the libmosquitto
// error otherwise (MOSQ_ERR_TLS for a certificate the client does not trust), -2 on no answer.
int blocking_tls_connect(const Client::Options& options) {
  int connack = -1;
  std::unique_ptr<mosquitto, decltype(&mosquitto_destroy)> mosq(
      mosquitto_new((options.id + "Blocking").c_str(), true, &connack), &mosquitto_destroy);
  mosquitto_connect_callback_set(
      mosq.get(), [](mosquitto*, void* user, int rc) { *static_cast<int*>(user) = rc; });
  mosquitto_tls_set(mosq.get(), options.cafile.c_str(), nullptr, nullptr, nullptr, nullptr);
  mosquitto_username_pw_set(mosq.get(), options.username.c_str(), options.password.c_str());
  int rc = mosquitto_connect(mosq.get(), "127.0.0.1", options.port, 60);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (rc == MOSQ_ERR_SUCCESS && connack < 0 && std::chrono::steady_clock::now() < deadline) {
    rc = mosquitto_loop(mosq.get(), 100, 1);
  }
  if (rc != MOSQ_ERR_SUCCESS) return rc;
  if (connack < 0) return -2;
  mosquitto_disconnect(mosq.get());
  return connack == 0 ? MOSQ_ERR_SUCCESS : MOSQ_ERR_CONN_REFUSED;
}

constexpr const char* kUuidA = "2304253613440052050a48e1e9c4b296";
constexpr const char* kMacA = "48:e1:e9:c4:b2:96";
constexpr const char* kUuidB = "19011804581223251h0434298f1a4b07";
constexpr const char* kMacB = "34:29:8f:1a:4b:07";

// The generated configuration on a real mosquitto (listeners on loopback, free ports).
struct GeneratedBroker {
  TempDir dir{"meross-pairing-e2e"};
  int tls_port = meross::test::free_loopback_port();
  int local_port = meross::test::free_loopback_port();
  std::string bridge_password;
  std::unique_ptr<meross::test::MosquittoBroker> broker;

  GeneratedBroker() {
    while (local_port == tls_port)
      local_port = meross::test::free_loopback_port();
    BrokerConfigCommandOptions options;
    options.out_dir = dir.path.string();
    options.keys = {kKey};
    options.user_ids = {1234};
    options.hosts = {"127.0.0.1"};
    options.plugin = MEROSS_AUTH_PLUGIN;
    options.tls_port = tls_port;
    options.tls_bind = "127.0.0.1";
    options.local_port = local_port;
    options.local_bind = "127.0.0.1";
    Output config;
    BOOST_REQUIRE_MESSAGE(run_broker_config(options, config.out, config.err) == 0,
                          config.err.str());
    check_no_secrets(config);
    bridge_password = meross::test::read_file(dir.path / "bridge-password");
    while (!bridge_password.empty() && bridge_password.back() == '\n')
      bridge_password.pop_back();
    BOOST_TEST(config.all().find(bridge_password) == std::string::npos);

    // The generated configuration as it is; as root mosquitto would drop to user "mosquitto",
    // which cannot read the 0600 files, so a copy says `user root`.
    std::string conf = meross::test::read_file(dir.path / "mosquitto.conf");
    if (::geteuid() == 0) conf = "user root\n" + conf;
    std::ofstream(dir.path / "mosquitto-test.conf") << conf;
    meross::test::MosquittoBroker::Options broker_options;
    broker_options.config_file = (dir.path / "mosquitto-test.conf").string();
    broker_options.config_port = local_port;
    broker = std::make_unique<meross::test::MosquittoBroker>(broker_options);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!meross::test::loopback_port_open(tls_port) &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    BOOST_REQUIRE(meross::test::loopback_port_open(tls_port));
    BOOST_REQUIRE(meross::test::loopback_port_open(local_port));
  }

  Client::Options device(const char* uuid, const char* mac) const {
    return {std::string("fmware:") + uuid + "_4Wvskv3yzf52FUeH",
            mac,
            protocol::device_mqtt_password(mac, kKey, 1234),
            tls_port,
            (dir.path / "certs" / "ca.crt").string(),
            true};
  }
  Client::Options bridge() const {
    return {"meross-bridge-test", "meross-bridge", bridge_password, local_port, "", false};
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(broker)

BOOST_AUTO_TEST_CASE(devices_are_confined_to_their_own_topics) {
  GeneratedBroker generated;
  Client bridge(generated.bridge());
  BOOST_REQUIRE(bridge.connack() == 0);
  BOOST_TEST(bridge.subscribe("/appliance/+/publish") <= 1);
  BOOST_TEST(bridge.subscribe("homeassistant/#") <= 1);
  BOOST_TEST(bridge.subscribe("meross/#") <= 1);

  // Device A over TLS, checking the certificate against the CA and the name 127.0.0.1, MQTT 3.1.
  Client a(generated.device(kUuidA, kMacA));
  BOOST_REQUIRE(a.connack() == 0);
  BOOST_TEST(a.subscribe(std::string("/appliance/") + kUuidA + "/subscribe") <= 1);
  // MQTT 3.1 has no SUBACK failure code; what matters is that nothing of B's reaches A.
  a.subscribe(std::string("/appliance/") + kUuidB + "/subscribe");
  a.subscribe("#");

  // Same connection, in order: if the first were let through it would arrive before the second.
  a.publish(std::string("/appliance/") + kUuidB + "/publish", "forged by A");
  a.publish("homeassistant/switch/x/config", "forged config by A");
  a.publish(std::string("/appliance/") + kUuidA + "/publish", "from A");
  BOOST_REQUIRE(bridge.wait_for_message("from A"));
  for (const auto& [topic, payload] : bridge.messages()) {
    BOOST_TEST(payload != "forged by A");
    BOOST_TEST(payload != "forged config by A");
  }

  // Device B can publish on its own topic; the bridge commands A on A's subscribe topic.
  Client b(generated.device(kUuidB, kMacB));
  BOOST_REQUIRE(b.connack() == 0);
  b.publish(std::string("/appliance/") + kUuidB + "/publish", "from B");
  BOOST_REQUIRE(bridge.wait_for_message("from B"));
  bridge.publish(std::string("/appliance/") + kUuidB + "/subscribe", "command for B");
  bridge.publish("homeassistant/status", "online");
  bridge.publish(std::string("/appliance/") + kUuidA + "/subscribe", "command for A");
  BOOST_REQUIRE(a.wait_for_message("command for A"));
  for (const auto& [topic, payload] : a.messages()) {
    BOOST_TEST(topic == std::string("/appliance/") + kUuidA + "/subscribe");
  }
  bridge.publish("meross/bridge/status", "bridge online");
  BOOST_REQUIRE(bridge.wait_for_message("bridge online"));
}

BOOST_AUTO_TEST_CASE(wrong_credentials_and_anonymous_clients_are_refused) {
  GeneratedBroker generated;
  auto wrong = generated.device(kUuidA, kMacA);
  wrong.password = protocol::device_mqtt_password(kMacA, "another key", 1234);
  Client refused(wrong);
  BOOST_TEST(refused_by_broker(refused.connack()));
  auto b_as_a = generated.device(kUuidA, kMacB);  // B's user with A's password
  b_as_a.password = protocol::device_mqtt_password(kMacA, kKey, 1234);
  Client impostor(b_as_a);
  BOOST_TEST(refused_by_broker(impostor.connack()));
  // A client that trusts another CA refuses the broker's certificate.
  TempDir other{"meross-pairing-e2e"};
  Output certs;
  BOOST_REQUIRE(run_certs({"127.0.0.1", other.path.string(), 30, false}, certs.out, certs.err) ==
                0);
  auto untrusting = generated.device(kUuidA, kMacA);
  untrusting.cafile = (other.path / "ca.crt").string();
  const int mistrust = blocking_tls_connect(untrusting);
  BOOST_TEST(mistrust != MOSQ_ERR_SUCCESS);
  BOOST_TEST(mistrust != -2);
  BOOST_TEST(blocking_tls_connect(generated.device(kUuidA, kMacA)) == MOSQ_ERR_SUCCESS);
  Client anonymous({"anonymous-test", "", "", generated.local_port, "", false});
  BOOST_TEST(refused_by_broker(anonymous.connack()));
  Client bridge(generated.bridge());
  BOOST_TEST(bridge.connack() == 0);
}

BOOST_AUTO_TEST_CASE(call_through_the_broker) {
  GeneratedBroker generated;
  // Device A answers GET requests signed with its key, ERROR 5001 otherwise, on the `from` topic.
  Client a(generated.device(kUuidA, kMacA));
  BOOST_REQUIRE(a.connack() == 0);
  a.on_message([](Client& self, const std::string&, const std::string& payload) {
    auto request = protocol::parse_message(payload);
    if (!request) return;
    const auto& h = request->header;
    auto reply = protocol::make_ack_header(h, kKey, 1700000000,
                                           std::string("/appliance/") + kUuidA + "/publish");
    std::string body = R"({"all":{"system":{"hardware":{"type":"mss310"}}}})";
    if (!protocol::verify_sign(h.message_id, kKey, h.timestamp, h.sign)) {
      reply.method = protocol::Method::Error;
      body = R"({"error":{"code":5001,"detail":"sign error"}})";
    }
    self.publish_async(h.from, protocol::serialize(reply, body));
  });
  BOOST_REQUIRE(a.subscribe(std::string("/appliance/") + kUuidA + "/subscribe") <= 1);

  CallOptions call;
  call.uuid = kUuidA;
  call.key = kKey;
  call.broker = "mqtt://127.0.0.1:" + std::to_string(generated.local_port);
  call.user = "meross-bridge";
  call.password_file = (generated.dir.path / "bridge-password").string();
  call.method = "GET";
  call.ns = "Appliance.System.All";
  call.timeout_s = 20;
  Output o;
  BOOST_TEST(run_call(call, o.out, o.err) == 0, o.err.str());
  auto reply = parse(o.out.str());
  BOOST_TEST(std::string(reply["header"]["method"].GetString()) == "GETACK");
  BOOST_TEST(std::string(reply["payload"]["all"]["system"]["hardware"]["type"].GetString()) ==
             "mss310");
  check_no_secrets(o);

  Output wrong;
  call.key = "not the key";
  BOOST_TEST(run_call(call, wrong.out, wrong.err) == 1);
  BOOST_TEST(wrong.err.str().find("5001") != std::string::npos, wrong.err.str());
  BOOST_TEST(wrong.err.str().find("the key is wrong") != std::string::npos);

  Output refused;
  call.key = kKey;
  call.password_file = "/nonexistent/bridge-password";
  BOOST_TEST(run_call(call, refused.out, refused.err) == 1);
}

BOOST_AUTO_TEST_SUITE_END()
