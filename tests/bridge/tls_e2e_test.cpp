#define BOOST_TEST_MODULE bridge_tls_e2e
// mqtts:// to a real mosquitto with a certificate made by the test (openssl CLI).
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <boost/test/unit_test.hpp>

#include "e2e_support.hpp"

using namespace meross::test;

namespace {

// A CA and a server certificate for 127.0.0.1, in a fresh directory.
struct Certificates {
  std::filesystem::path dir;

  Certificates() {
    char pattern[] = "/tmp/meross-tls-XXXXXX";
    BOOST_REQUIRE(::mkdtemp(pattern));
    dir = pattern;
    std::ofstream(dir / "san.ext") << "subjectAltName=IP:127.0.0.1\n";
    const std::string d = dir.string();
    const std::string ec = " -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes ";
    const std::string script =
        "cd " + d + " && openssl req -x509" + ec +
        "-keyout ca.key -out ca.pem -days 2 -subj /CN=meross-test-ca && openssl req" + ec +
        "-keyout server.key -out server.csr -subj /CN=127.0.0.1 && openssl x509 -req -in "
        "server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 -extfile "
        "san.ext"
        // mosquitto started as root reads its files as the `mosquitto` user.
        " && chmod 0755 . && chmod 0644 *";
    BOOST_REQUIRE(std::system((script + " >/dev/null 2>&1").c_str()) == 0);
  }
  ~Certificates() { std::filesystem::remove_all(dir); }
  std::string file(const char* name) const { return (dir / name).string(); }
};

struct TlsBroker {
  Certificates certs;
  int tls_port = free_loopback_port();
  MosquittoBroker broker{MosquittoBroker::Options{
      "listener " + std::to_string(tls_port) + " 127.0.0.1\ncafile " + certs.file("ca.pem") +
          "\ncertfile " + certs.file("server.pem") + "\nkeyfile " + certs.file("server.key") + "\n",
      false}};

  std::string config(const std::string& mqtt_lines) {
    BridgeConfig c;
    c.extra = "";
    std::string file = write_bridge_config(broker, c);
    // Point the [mqtt] url at the TLS listener and add the TLS options.
    std::ifstream in(file);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const std::string plain = "url = \"" + broker.url() + "\"";
    text.replace(text.find(plain), plain.size(),
                 "url = \"mqtts://127.0.0.1:" + std::to_string(tls_port) + "\"\n" + mqtt_lines);
    std::ofstream(file) << text;
    return file;
  }
};

}  // namespace

BOOST_AUTO_TEST_CASE(verifies_the_broker_with_a_ca_file) {
  TlsBroker tls;
  const auto file = tls.config("ca_file = \"" + tls.certs.file("ca.pem") + "\"");
  MqttTestClient observer(tls.broker.port());  // plain listener, same broker
  subscribe_synced(observer, "meross/#");
  auto bridge = start_bridge(file);
  BOOST_TEST(
      observer.wait_for(payload_on("meross/bridge/availability", "online"), kWait).has_value());
}

BOOST_AUTO_TEST_CASE(insecure_accepts_an_unknown_certificate) {
  TlsBroker tls;
  auto bridge = start_bridge(tls.config("insecure = true"));
  BOOST_TEST(bridge->output().find("insecure = true") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(refuses_an_unknown_certificate_by_default) {
  TlsBroker tls;
  ChildProcess bridge({MEROSS_BRIDGE_BIN, "--config", tls.config("")});
  // Refused during connect or, when the handshake finishes later, on the first read: either way
  // the same "retrying in".
  BOOST_TEST(bridge.wait_for_output("retrying in", kWait), bridge.output());
  BOOST_TEST(bridge.output().find("mqtt: connected") == std::string::npos);
}
