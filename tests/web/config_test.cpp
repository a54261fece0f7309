// [web] in the configuration file: listen, password, ingress_only; bad addresses refused with a
// message that names the key; the password never in the effective settings.
#include <boost/test/unit_test.hpp>

#include <fstream>

#include "bridge/config.hpp"
#include "support/temp_dir.hpp"

using namespace meross::bridge;

namespace {

ConfigResult parse(const std::string& web) {
  return parse_config("[meross]\nkey = \"k\"\n\n[web]\n" + web, "bridge.toml");
}

}  // namespace

BOOST_AUTO_TEST_SUITE(web_config)

BOOST_AUTO_TEST_CASE(no_section_or_an_empty_listen_means_no_web_page) {
  const auto none = parse_config("[meross]\nkey = \"k\"\n", "bridge.toml");
  BOOST_REQUIRE(none.config);
  BOOST_TEST(none.config->web.listen.empty());
  const auto empty = parse("listen = \"\"\n");
  BOOST_REQUIRE(empty.config);
  BOOST_TEST(empty.config->web.listen.empty());
}

BOOST_AUTO_TEST_CASE(listen_password_and_ingress_only_are_read) {
  const auto r =
      parse("listen = \"0.0.0.0:8099\"\npassword = \"web-pass-81\"\ningress_only = true\n");
  BOOST_REQUIRE_MESSAGE(r.config, (r.error ? r.error->describe() : ""));
  BOOST_TEST(r.config->web.host == "0.0.0.0");
  BOOST_TEST(r.config->web.port == 8099);
  BOOST_TEST(r.config->web.password == "web-pass-81");
  BOOST_TEST(r.config->web.ingress_only);
  const auto settings = effective_settings(*r.config);
  BOOST_TEST(settings.find("[web]\nlisten = \"0.0.0.0:8099\"\npassword = \"***\"") !=
             std::string::npos);
  BOOST_TEST(settings.find("web-pass-81") == std::string::npos);

  const auto v6 = parse("listen = \"[::1]:9000\"\n");
  BOOST_REQUIRE(v6.config);
  BOOST_TEST(v6.config->web.host == "::1");
  BOOST_TEST(v6.config->web.port == 9000);
}

BOOST_AUTO_TEST_CASE(a_bad_listen_address_is_refused_clearly) {
  for (const char* bad :
       {"8099", "localhost:8099", "127.0.0.1", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536",
        "127.0.0.1:80a", "::1:8099", "[nope]:80", "http://127.0.0.1:8099", "127.0.0.1:8099/x"}) {
    const auto r = parse(std::string("listen = \"") + bad + "\"\n");
    BOOST_REQUIRE_MESSAGE(!r.config, bad);
    BOOST_TEST(r.error->key == "web.listen", bad);
    BOOST_TEST(r.error->line == 5, bad);
    BOOST_TEST(!r.error->message.empty());
  }
  const auto unknown = parse("port = 8099\n");
  BOOST_REQUIRE(!unknown.config);
  BOOST_TEST(unknown.error->key == "web.port");
  const auto type = parse("ingress_only = \"yes\"\n");
  BOOST_REQUIRE(!type.config);
  BOOST_TEST(type.error->key == "web.ingress_only");
}

BOOST_AUTO_TEST_CASE(the_ca_to_download_is_web_ca_file_else_the_brokers) {
  const auto own = parse("ca_file = \"/data/broker/certs/ca.crt\"\n");
  BOOST_REQUIRE(own.config);
  BOOST_TEST(own.config->web_ca_file() == "/data/broker/certs/ca.crt");
  BOOST_TEST(effective_settings(*own.config).find("ca_file = \"/data/broker/certs/ca.crt\"") !=
             std::string::npos);
  // [mqtt] ca_file must be readable.
  meross::test::TempDir dir("meross-web-ca");
  const std::string ca = (dir.path / "ca.pem").string();
  std::ofstream(ca) << "certificate\n";
  const auto broker = parse_config(
      "[meross]\nkey = \"k\"\n[mqtt]\nurl = \"mqtts://127.0.0.1:8883\"\nca_file = \"" + ca + "\"\n",
      "bridge.toml");
  BOOST_REQUIRE_MESSAGE(broker.config, (broker.error ? broker.error->describe() : ""));
  BOOST_TEST(broker.config->web_ca_file() == ca);
  BOOST_TEST(!parse("ca_file = 5\n").config);
}

BOOST_AUTO_TEST_CASE(the_add_devices_settings_are_read_and_a_plain_broker_refused) {
  const auto r = parse(
      "listen = \"127.0.0.1:8099\"\ndevice_broker = \"mqtts://192.168.1.7:8883\"\n"
      "ca_file = \"/data/ca.crt\"\npair_command = \"/usr/bin/meross-pair\"\n"
      "scan = \"192.168.1.0/24\"\n");
  BOOST_REQUIRE_MESSAGE(r.config, (r.error ? r.error->describe() : ""));
  BOOST_TEST(r.config->web.device_broker == "mqtts://192.168.1.7:8883");
  BOOST_TEST(r.config->web.ca_file == "/data/ca.crt");
  BOOST_TEST(r.config->web.pair_command == "/usr/bin/meross-pair");
  BOOST_TEST(r.config->web.scan == "192.168.1.0/24");
  for (const char* bad : {"mqtt://192.168.1.7:1883", "192.168.1.7", "mqtts://u:p@h:8883"}) {
    const auto refused = parse(std::string("device_broker = \"") + bad + "\"\n");
    BOOST_REQUIRE_MESSAGE(!refused.config, bad);
    BOOST_TEST(refused.error->key == "web.device_broker", bad);
  }
}

BOOST_AUTO_TEST_SUITE_END()
