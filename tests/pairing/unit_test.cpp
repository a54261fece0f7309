#define BOOST_TEST_MODULE pairing_unit
#include <boost/test/unit_test.hpp>

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <rapidjson/document.h>
#include <CLI/CLI.hpp>

#include "pairing/broker_config.hpp"
#include "pairing/certs.hpp"
#include "pairing/commands.hpp"
#include "pairing/crypto.hpp"
#include "pairing/requests.hpp"
#include "pairing/wifi_password.hpp"
#include "protocol/device_profile.hpp"
#include "protocol/signing.hpp"
#include "support/fixtures.hpp"
#include "support/temp_dir.hpp"

using namespace meross::pairing;
namespace protocol = meross::protocol;
namespace fs = std::filesystem;

using meross::test::TempDir;

namespace {

rapidjson::Document parse(const std::string& text) {
  rapidjson::Document doc;
  doc.Parse(text.c_str());
  BOOST_REQUIRE(!doc.HasParseError());
  return doc;
}

protocol::DeviceProfile profile_of(const std::string& trace_fragment) {
  const auto trace = meross::test::load_trace(trace_fragment);
  auto all = parse(trace.all_json);
  auto profile = protocol::profile_from_system_all(all);
  BOOST_REQUIRE(profile.ok());
  auto ability = parse(trace.ability_json);
  BOOST_REQUIRE(!protocol::apply_abilities(*profile, ability));
  return *profile;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(crypto)

BOOST_AUTO_TEST_CASE(base64_round_trip_and_rejects) {
  for (const std::string& text :
       std::vector<std::string>{"", "f", "fo", "foo", "foob", std::string("\0\xff\x10", 3)}) {
    auto decoded = base64_decode(base64_encode(text));
    BOOST_REQUIRE(decoded.ok());
    BOOST_TEST(*decoded == text);
  }
  BOOST_TEST(*base64_decode("TXlIb21lV2lGaQ==") == "MyHomeWiFi");
  BOOST_TEST(!base64_decode("abc").ok());
  BOOST_TEST(!base64_decode("ab c").ok());
  BOOST_TEST(!base64_decode("ab\"=").ok());
}

BOOST_AUTO_TEST_CASE(aes_zero_padding_round_trip) {
  const std::string key = protocol::md5_hex("k");
  for (std::size_t size : {0u, 1u, 15u, 16u, 17u, 100u}) {
    const std::string plain(size, 'x');
    const std::string cipher = aes_zero_pad_encrypt(plain, key);
    BOOST_TEST(cipher.size() == (size / 16 + 1) * 16);
    BOOST_TEST(*aes_zero_pad_decrypt(cipher, key) == plain);
  }
  BOOST_TEST(!aes_zero_pad_decrypt("short", key).ok());
  BOOST_TEST(!aes_zero_pad_decrypt("", key).ok());
  BOOST_CHECK_THROW(aes_zero_pad_encrypt("x", "short key"), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(wifix_vector_still_holds) {
  // meross-protocol.md §6.5, now through the shared AES helper.
  BOOST_TEST(encrypt_wifix_password("password123", "mss310", "2304253613440052050a48e1e9c4b296",
                                    "48:e1:e9:c4:b2:96") == "Bm65HOPt+5PLce/V3Ns3Aw==");
}

BOOST_AUTO_TEST_CASE(static_key_matches_meross_lan) {
  // Computed with meross_lan's compute_message_encryption_key (commit 111c5e9) on these inputs,
  // the MAC from its get_macaddress_from_uuid.
  const std::string uuid = "2304253613440052050a48e1e9c4b296";
  const std::string mac = "48:e1:e9:c4:b2:96";
  BOOST_TEST(static_encryption_key(uuid, "0123456789abcdef0123456789abcdef", mac) ==
             "ecf2cf15f1e342e288887cc9cdb17cce");
  // The same material spelled out: uuid[3:22] + key[1:9] + mac + key[10:28].
  BOOST_TEST(static_encryption_key(uuid, "0123456789abcdef0123456789abcdef", mac) ==
             protocol::md5_hex("4253613440052050a48" + std::string("12345678") + mac +
                               "abcdef0123456789ab"));
  // Python slices of a short key are short or empty, not an error.
  BOOST_TEST(static_encryption_key(uuid, "demo", mac) == "d5c768e2852961519bf5d04d9264f2c4");
  BOOST_TEST(static_encryption_key(uuid, "", mac) == "5b0b70c6d7c9d3f6bc71d5529f3616f7");
  BOOST_TEST(static_encryption_key(uuid, "k", "48:E1:E9:C4:B2:96") !=
             static_encryption_key(uuid, "k", mac));
}

BOOST_AUTO_TEST_CASE(ecdh_both_sides_derive_the_same_key) {
  EcdhKey a;
  EcdhKey b;
  const auto a_pub = a.public_key_base64();
  BOOST_TEST(base64_decode(a_pub)->size() == 65u);
  BOOST_TEST(static_cast<int>((*base64_decode(a_pub))[0]) == 4);
  const auto ab = a.session_key(b.public_key_base64());
  const auto ba = b.session_key(a_pub);
  BOOST_REQUIRE(ab.ok());
  BOOST_REQUIRE(ba.ok());
  BOOST_TEST(*ab == *ba);
  BOOST_TEST(ab->size() == 32u);
  EcdhKey c;
  BOOST_TEST(*a.session_key(c.public_key_base64()) != *ab);
}

BOOST_AUTO_TEST_CASE(ecdh_rejects_bad_peer_keys) {
  EcdhKey a;
  BOOST_TEST(!a.session_key("not base64!").ok());
  BOOST_TEST(!a.session_key(base64_encode(std::string(65, '\x04'))).ok());
  BOOST_TEST(!a.session_key(base64_encode("short")).ok());
  BOOST_TEST(!a.session_key("").ok());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(requests)

BOOST_AUTO_TEST_CASE(broker_addresses) {
  auto a = parse_broker("mqtts://192.168.1.7:8883");
  BOOST_REQUIRE(a.ok());
  BOOST_TEST(a->host == "192.168.1.7");
  BOOST_TEST(a->port == 8883);
  BOOST_TEST(parse_broker("broker.lan")->port == 8883);
  BOOST_TEST(parse_broker("broker.lan:443")->port == 443);
  BOOST_TEST(parse_broker("mqtts://10.0.0.2:8883/")->host == "10.0.0.2");
  const auto plain = parse_broker("mqtt://192.168.1.7:1883");
  BOOST_REQUIRE(!plain.ok());
  BOOST_TEST(plain.error().message.find("TLS") != std::string::npos);
  for (const char* bad :
       {"", "mqtts://", "h:0", "h:65536", "h:x", "http://h", "a b", "h:1:2x", "user@host"}) {
    BOOST_TEST(!parse_broker(bad).ok(), bad);
  }
}

BOOST_AUTO_TEST_CASE(config_key_payload_matches_the_protocol) {
  const auto json = config_key_payload({"192.168.1.7", 8883}, {"192.168.1.8", 8884}, "s3cret", 42);
  BOOST_TEST(json ==
             R"({"key":{"gateway":{"host":"192.168.1.7","port":8883,"secondHost":"192.168.1.8",)"
             R"("secondPort":8884,"redirect":1},"key":"s3cret","userId":"42"}})");
}

BOOST_AUTO_TEST_CASE(wifi_list_is_decoded) {
  auto doc = parse(
      R"({"wifiList":[{"ssid":"TXlIb21lV2lGaQ==","bssid":"2c:6e:a4:55:c6:47","signal":60,"channel":3,"encryption":6,"cipher":3},)"
      R"({"ssid":"TXlIb21lV2lGaQ==","bssid":"2c-6e-a4-55-c6-48","signal":"90","channel":11,"encryption":8,"cipher":4},)"
      R"({"ssid":"T3RoZXI=","signal":10},{"nossid":1},"junk"]})");
  auto list = parse_wifi_list(doc);
  BOOST_REQUIRE(list.ok());
  BOOST_REQUIRE(list->size() == 3u);
  BOOST_TEST((*list)[0].ssid == "MyHomeWiFi");
  BOOST_TEST((*list)[2].ssid == "Other");
  const auto* best = find_network(*list, "MyHomeWiFi");
  BOOST_REQUIRE(best != nullptr);
  BOOST_TEST(best->bssid == "2c-6e-a4-55-c6-48");  // exactly as reported
  BOOST_TEST(best->channel == 11);
  BOOST_TEST(find_network(*list, "Missing") == nullptr);
  BOOST_TEST(encryption_name(6) == "WPA2PSK");
  BOOST_TEST(cipher_name(3) == "AES");
  BOOST_TEST(encryption_name(99) == "unknown(99)");
  BOOST_TEST(cipher_name(-1) == "unknown(-1)");
  auto bad = parse(R"({"wifiList":{}})");
  BOOST_TEST(!parse_wifi_list(bad).ok());
  auto none = parse(R"({})");
  BOOST_TEST(!parse_wifi_list(none).ok());
}

BOOST_AUTO_TEST_CASE(wifi_and_wifix_payloads) {
  WifiNetwork network{"MyHomeWiFi", "", "2c:6e:a4:55:c6:47", 60, 3, 6, 3};
  BOOST_TEST(wifi_payload(network, "password123", std::nullopt) ==
             R"({"wifi":{"ssid":"TXlIb21lV2lGaQ==","password":"cGFzc3dvcmQxMjM=",)"
             R"("bssid":"2c:6e:a4:55:c6:47","channel":3,"encryption":6,"cipher":3}})");
  const auto wifix = wifi_payload(
      network, "password123",
      WifiXIdentity{"mss310", "2304253613440052050a48e1e9c4b296", "48:e1:e9:c4:b2:96"});
  BOOST_TEST(wifix.find(R"("password":"Bm65HOPt+5PLce/V3Ns3Aw==")") != std::string::npos);
  BOOST_TEST(wifix.find("password123") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(wifi_credentials_are_checked_without_quoting_them) {
  BOOST_TEST(!check_wifi_credentials("Home", "longenough"));
  BOOST_TEST(!check_wifi_credentials("Home", ""));
  BOOST_TEST(check_wifi_credentials("", "longenough").has_value());
  BOOST_TEST(check_wifi_credentials(std::string(33, 'a'), "longenough").has_value());
  const auto short_password = check_wifi_credentials("Home", "secr3t!");
  BOOST_REQUIRE(short_password.has_value());
  BOOST_TEST(short_password->describe().find("secr3t!") == std::string::npos);
  BOOST_TEST(check_wifi_credentials("Home", std::string(65, 'p')).has_value());
}

BOOST_AUTO_TEST_CASE(replies_are_checked) {
  const auto request = protocol::make_request_header(protocol::Method::Get, "Appliance.System.All",
                                                     "x", "key", 1700000000);
  auto ack = protocol::make_ack_header(request, "key", 1700000001, "/appliance/u/publish");
  BOOST_TEST(check_reply(protocol::serialize(ack, "{\"all\":{}}"), request).ok());

  auto error = ack;
  error.method = protocol::Method::Error;
  const auto wrong_key = check_reply(
      protocol::serialize(error, R"({"error":{"code":5001,"detail":"sign error"}})"), request);
  BOOST_REQUIRE(!wrong_key.ok());
  BOOST_TEST(wrong_key.error().message.find("5001") != std::string::npos);
  BOOST_TEST(wrong_key.error().message.find("key is wrong") != std::string::npos);
  const auto unsupported =
      check_reply(protocol::serialize(error, R"({"error":{"code":5000}})"), request);
  BOOST_TEST(unsupported.error().message.find("5000") != std::string::npos);

  auto other = ack;
  other.message_id = "00000000000000000000000000000000";
  BOOST_TEST(!check_reply(protocol::serialize(other, "{}"), request).ok());
  auto other_ns = ack;
  other_ns.ns = "Appliance.System.Ability";
  BOOST_TEST(!check_reply(protocol::serialize(other_ns, "{}"), request).ok());
  for (const char* junk : {"", "{", "null", "[]", "{\"header\":1}", "\xff\xfe"}) {
    BOOST_TEST(!check_reply(junk, request).ok());
  }
}

BOOST_AUTO_TEST_CASE(device_description_from_traces) {
  const auto plain = describe_device(profile_of("mss310.csv"));
  BOOST_TEST(plain.find("mss310") != std::string::npos);
  BOOST_TEST(plain.find("2.1.17") != std::string::npos);
  BOOST_TEST(plain.find("plain HTTP") != std::string::npos);
  BOOST_TEST(plain.find("Appliance.Config.Wifi)") != std::string::npos);
  const auto encrypted = describe_device(profile_of("mss100.json.txt"));
  BOOST_TEST(encrypted.find("mss110") != std::string::npos);
  BOOST_TEST(encrypted.find("7.3.37") != std::string::npos);
  BOOST_TEST(encrypted.find("Appliance.Encrypt.ECDHE") != std::string::npos);
  BOOST_TEST(encrypted.find("WifiX") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(macs) {
  BOOST_TEST(*normalize_mac("48E1E9C4B296") == "48:e1:e9:c4:b2:96");
  BOOST_TEST(*normalize_mac("48-e1-e9-c4-b2-96") == "48:e1:e9:c4:b2:96");
  BOOST_TEST(!normalize_mac("48:e1:e9:c4:b2").has_value());
  BOOST_TEST(!normalize_mac("48:e1:e9:c4:b2:9g").has_value());
  BOOST_TEST(!normalize_mac("4:8e1:e9:c4:b2:96:").has_value());
  BOOST_TEST(*mac_from_uuid("2304253613440052050a48e1e9c4b296") == "48:e1:e9:c4:b2:96");
  BOOST_TEST(!mac_from_uuid("short").has_value());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(broker_config)

BOOST_AUTO_TEST_CASE(password_hash_matches_mosquitto_passwd) {
  // Written by `mosquitto_passwd -b -c FILE someone s3cret` (mosquitto 2.0.11).
  const std::string line =
      "$7$101$2vFCnbng1j9/"
      "Sg80$57d0Zl3N+sqTyOeQ3eEA2Yotot5rz0Kox8uMCCj+JZG1fk2wcrltZQf8WKtctgH7UTkDz3"
      "gnE5H9MM1sVGwRyQ==";
  const auto salt = base64_decode("2vFCnbng1j9/Sg80");
  BOOST_REQUIRE(salt.ok());
  BOOST_TEST(password_hash("s3cret", *salt, 101) == line);
}

namespace {

// A readable stand-in for meross-auth.so: write_broker_config only names the plugin.
struct BrokerFolder {
  TempDir dir{"meross-pairing"};
  BrokerConfigOptions options;
  BrokerFolder() {
    const auto plugin = dir.path / "meross-auth.so";
    std::ofstream(plugin) << "not loaded by these tests";
    options.out_dir = dir.path / "broker";
    options.keys = {"topsecretkey"};
    options.certificate_hosts = {"broker.lan", "192.168.1.7"};
    options.plugin_path = plugin.string();
  }
  fs::path file(const char* name) const { return options.out_dir / name; }
};

mode_t mode_of(const fs::path& path) {
  struct stat st {};
  BOOST_REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 0777;
}

}  // namespace

BOOST_AUTO_TEST_CASE(writes_a_confined_broker_and_a_ready_bridge_configuration) {
  BrokerFolder folder;
  folder.options.keys.push_back("secondkey");
  folder.options.user_ids = {1234, 0};
  auto files = write_broker_config(folder.options);
  BOOST_REQUIRE_MESSAGE(files.ok(), (files.ok() ? std::string() : files.error().describe()));
  BOOST_TEST(files->certificates_created);
  BOOST_TEST(files->local_url == "mqtt://127.0.0.1:1883");
  BOOST_TEST(files->ca_fingerprint.size() == 95u);  // 32 bytes as AB:CD:…

  const auto conf = meross::test::read_file(files->mosquitto_conf);
  const auto certs = folder.options.out_dir / "certs";
  for (const std::string& expected : std::vector<std::string>{
           "allow_anonymous false\n", "plugin " + folder.options.plugin_path + "\n",
           "plugin_opt_key_file " + folder.file("keys").string() + "\n",
           "plugin_opt_clients_file " + folder.file("clients").string() + "\n",
           std::string("plugin_opt_topic_roots homeassistant,meross\n"),
           std::string("plugin_opt_user_ids 1234,0\n"), std::string("listener 8883\n"),
           "certfile " + (certs / "server.crt").string() + "\n",
           std::string("tls_version tlsv1.2\n"), std::string("listener 1883 127.0.0.1\n")}) {
    BOOST_TEST(conf.find(expected) != std::string::npos, expected);
  }
  BOOST_TEST(conf.find("topsecretkey") == std::string::npos);

  const auto keys = meross::test::read_file(folder.file("keys"));
  BOOST_TEST(keys.find("\ntopsecretkey\nsecondkey\n") != std::string::npos);
  const auto clients = meross::test::read_file(folder.file("clients"));
  BOOST_TEST(clients.find("\nmeross-bridge bridge $7$101$") != std::string::npos);
  BOOST_TEST(clients.find("\nhomeassistant homeassistant $7$101$") != std::string::npos);
  BOOST_TEST(clients.find(files->bridge_password) == std::string::npos);
  for (const char* name : {"keys", "clients", "bridge.toml", "bridge-password",
                           "homeassistant-password", "certs/ca.key", "certs/server.key"}) {
    BOOST_TEST(mode_of(folder.file(name)) == 0600u, name);
  }

  const auto toml = meross::test::read_file(files->bridge_toml);
  BOOST_TEST(toml.find("key = 'topsecretkey'") != std::string::npos, toml);
  BOOST_TEST(toml.find("user_id = 1234") != std::string::npos);
  BOOST_TEST(toml.find("url = 'mqtt://127.0.0.1:1883'") != std::string::npos);
  BOOST_TEST(toml.find("username = 'meross-bridge'") != std::string::npos);
  BOOST_TEST(toml.find("password = '" + files->bridge_password + "'") != std::string::npos);

  // The server certificate names every host it was asked for.
  const auto server = meross::test::read_file(certs / "server.crt");
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(server.data(), -1), &BIO_free);
  std::unique_ptr<X509, decltype(&X509_free)> cert(
      PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr), &X509_free);
  BOOST_REQUIRE(cert);
  BOOST_TEST(X509_check_host(cert.get(), "broker.lan", 0, 0, nullptr) == 1);
  BOOST_TEST(X509_check_ip_asc(cert.get(), "192.168.1.7", 0) == 1);
}

BOOST_AUTO_TEST_CASE(a_second_run_keeps_certificates_passwords_and_user_settings) {
  BrokerFolder folder;
  auto first = write_broker_config(folder.options);
  BOOST_REQUIRE(first.ok());
  const auto ca = meross::test::read_file(folder.file("certs/ca.crt"));
  const auto ha = meross::test::read_file(folder.file("homeassistant-password"));
  // A user names a device in bridge.toml; the next run changes the key and keeps the name.
  std::ofstream(folder.file("bridge.toml"), std::ios::app)
      << "\n[[devices]]\nuuid = \"2304253613440052050a48e1e9c4b296\"\nname = \"Desk plug\"\n";
  folder.options.keys = {"newkey"};
  auto second = write_broker_config(folder.options);
  BOOST_REQUIRE_MESSAGE(second.ok(), (second.ok() ? std::string() : second.error().describe()));
  BOOST_TEST(!second->certificates_created);
  BOOST_TEST(second->ca_fingerprint == first->ca_fingerprint);
  BOOST_TEST(meross::test::read_file(folder.file("certs/ca.crt")) == ca);
  BOOST_TEST(second->bridge_password == first->bridge_password);
  BOOST_TEST(meross::test::read_file(folder.file("homeassistant-password")) == ha);
  const auto toml = meross::test::read_file(folder.file("bridge.toml"));
  BOOST_TEST(toml.find("key = 'newkey'") != std::string::npos, toml);
  BOOST_TEST(toml.find("Desk plug") != std::string::npos);
  BOOST_TEST(meross::test::read_file(folder.file("keys")).find("topsecretkey") ==
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(bad_options_are_refused_without_quoting_a_key) {
  const auto refused = [](const BrokerConfigOptions& options, const std::string& what) {
    const auto result = write_broker_config(options);
    BOOST_TEST(!result.ok(), what);
    if (!result.ok()) {
      BOOST_TEST(result.error().describe().find("topsecretkey") == std::string::npos);
      BOOST_TEST(result.error().describe().find("bad key") == std::string::npos);
    }
    return result.ok() ? std::string() : result.error().describe();
  };
  BrokerFolder folder;
  auto options = folder.options;
  options.keys.clear();
  BOOST_TEST(refused(options, "no key").find("key") != std::string::npos);
  options.keys = {"topsecretkey", "bad key"};
  BOOST_TEST(refused(options, "space").find("key 2") != std::string::npos);
  options.keys = {"#topsecretkey"};
  refused(options, "comment");
  options = folder.options;
  options.local_port = options.tls_port;
  refused(options, "same ports");
  options = folder.options;
  options.plugin_path = (folder.dir.path / "missing.so").string();
  BOOST_TEST(refused(options, "plugin").find("missing.so") != std::string::npos);
  options = folder.options;
  options.base_topic = "meross/#";
  refused(options, "topic root");
  // Part of a certificate set is not silently replaced.
  options = folder.options;
  fs::create_directories(folder.file("certs"));
  std::ofstream(folder.file("certs/ca.crt")) << "half a set";
  BOOST_TEST(refused(options, "half certs").find("part of a certificate set") != std::string::npos);
  BOOST_TEST(!fs::exists(folder.file("mosquitto.conf")));
}

BOOST_AUTO_TEST_CASE(without_key_the_command_takes_the_one_account_stored) {
  BrokerFolder folder;
  BrokerConfigCommandOptions options;
  options.out_dir = folder.options.out_dir.string();
  options.plugin = folder.options.plugin_path;
  std::ostringstream out;
  std::ostringstream err;
  BOOST_TEST(run_broker_config(options, out, err) == 1);
  BOOST_TEST(err.str().find("account --write-config") != std::string::npos, err.str());
  fs::create_directories(folder.options.out_dir);
  std::ofstream(folder.file("bridge.toml"))
      << "[meross]\nkey = \"accountkey123\"\nuser_id = 4242\n\n[[devices]]\n"
      << "uuid = \"2304253613440052050a48e1e9c4b296\"\nname = \"Kitchen plug\"\n";
  BOOST_REQUIRE_MESSAGE(run_broker_config(options, out, err) == 0, err.str());
  BOOST_TEST(meross::test::read_file(folder.file("keys")).find("\naccountkey123\n") !=
             std::string::npos);
  BOOST_TEST(
      meross::test::read_file(folder.file("mosquitto.conf")).find("plugin_opt_user_ids 4242") !=
      std::string::npos);
  BOOST_TEST(meross::test::read_file(folder.file("bridge.toml")).find("Kitchen plug") !=
             std::string::npos);
  BOOST_TEST((out.str() + err.str()).find("accountkey123") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(command_prints_what_to_do_and_no_secret) {
  BrokerFolder folder;
  BrokerConfigCommandOptions options;
  options.out_dir = folder.options.out_dir.string();
  options.keys = {"topsecretkey"};
  options.hosts = {"192.168.1.7"};
  options.plugin = folder.options.plugin_path;
  std::ostringstream out;
  std::ostringstream err;
  BOOST_REQUIRE_MESSAGE(run_broker_config(options, out, err) == 0, err.str());
  BOOST_TEST(out.str().find("mqtts://192.168.1.7:8883") != std::string::npos, out.str());
  BOOST_TEST(out.str().find("CA SHA-256 fingerprint:") != std::string::npos);
  const auto bridge_password = meross::test::read_file(folder.file("bridge-password"));
  const auto ha_password = meross::test::read_file(folder.file("homeassistant-password"));
  for (const auto& secret :
       {std::string("topsecretkey"), bridge_password.substr(0, 32), ha_password.substr(0, 32)}) {
    BOOST_TEST((out.str() + err.str()).find(secret) == std::string::npos);
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(certificates)

namespace {
using X509Ptr = std::unique_ptr<X509, decltype(&X509_free)>;
using KeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;

// The first PEM object of a file, read by `read` (PEM_read_X509, PEM_read_PrivateKey).
template <class T>
std::unique_ptr<T, void (*)(T*)> read_pem(const fs::path& path,
                                          T* (*read)(FILE*, T**, pem_password_cb*, void*),
                                          void (*free)(T*)) {
  FILE* f = std::fopen(path.c_str(), "r");
  BOOST_REQUIRE(f != nullptr);
  std::unique_ptr<T, void (*)(T*)> object(read(f, nullptr, nullptr, nullptr), free);
  std::fclose(f);
  BOOST_REQUIRE(object != nullptr);
  return object;
}

X509Ptr read_cert(const fs::path& path) {
  return read_pem<X509>(path, PEM_read_X509, X509_free);
}

KeyPtr read_key(const fs::path& path) {
  return read_pem<EVP_PKEY>(path, PEM_read_PrivateKey, EVP_PKEY_free);
}

std::string common_name(X509* cert) {
  char buffer[256] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, buffer, sizeof(buffer));
  return buffer;
}

bool verifies(X509* ca, X509* server, const std::string& host, bool ip) {
  std::unique_ptr<X509_STORE, decltype(&X509_STORE_free)> store(X509_STORE_new(), &X509_STORE_free);
  X509_STORE_add_cert(store.get(), ca);
  std::unique_ptr<X509_STORE_CTX, decltype(&X509_STORE_CTX_free)> ctx(X509_STORE_CTX_new(),
                                                                      &X509_STORE_CTX_free);
  X509_STORE_CTX_init(ctx.get(), store.get(), server, nullptr);
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
  X509_VERIFY_PARAM_set_purpose(param, X509_PURPOSE_SSL_SERVER);
  if (ip)
    X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str());
  else
    X509_VERIFY_PARAM_set1_host(param, host.c_str(), 0);
  return X509_verify_cert(ctx.get()) == 1;
}
}  // namespace

BOOST_AUTO_TEST_CASE(ip_certificates_chain_name_and_rsa_keys) {
  TempDir dir{"meross-pairing"};
  const auto files = generate_certificates({"192.168.1.7", dir.path, 3650, false, {}});
  BOOST_REQUIRE(files.ok());
  auto ca = read_cert(files->ca_cert);
  auto server = read_cert(files->server_cert);
  auto server_key = read_key(files->server_key);
  auto ca_key = read_key(files->ca_key);

  BOOST_TEST(verifies(ca.get(), server.get(), "192.168.1.7", true));
  BOOST_TEST(!verifies(ca.get(), server.get(), "192.168.1.8", true));
  BOOST_TEST(common_name(server.get()) == "192.168.1.7");
  BOOST_TEST(common_name(ca.get()) != common_name(server.get()));
  BOOST_TEST(X509_check_ca(ca.get()) >= 1);
  BOOST_TEST(X509_check_ca(server.get()) == 0);

  BOOST_TEST(EVP_PKEY_get_base_id(server_key.get()) == EVP_PKEY_RSA);
  BOOST_TEST(EVP_PKEY_get_bits(server_key.get()) == 2048);
  BOOST_TEST(EVP_PKEY_get_base_id(X509_get0_pubkey(server.get())) == EVP_PKEY_RSA);
  BOOST_TEST(X509_check_private_key(server.get(), server_key.get()) == 1);
  BOOST_TEST(X509_check_private_key(ca.get(), ca_key.get()) == 1);

  // subjectAltName holds the IP.
  auto* names = static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(server.get(), NID_subject_alt_name, nullptr, nullptr));
  BOOST_REQUIRE(names != nullptr);
  BOOST_REQUIRE(sk_GENERAL_NAME_num(names) == 1);
  const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, 0);
  BOOST_TEST(name->type == GEN_IPADD);
  const unsigned char expected[] = {192, 168, 1, 7};
  BOOST_TEST(ASN1_STRING_length(name->d.iPAddress) == 4);
  BOOST_TEST(std::memcmp(ASN1_STRING_get0_data(name->d.iPAddress), expected, 4) == 0);
  GENERAL_NAMES_free(names);

  struct stat st {};
  BOOST_REQUIRE(::stat(files->server_key.c_str(), &st) == 0);
  BOOST_TEST((st.st_mode & 0777) == 0600u);
  BOOST_REQUIRE(::stat(files->ca_key.c_str(), &st) == 0);
  BOOST_TEST((st.st_mode & 0777) == 0600u);
}

BOOST_AUTO_TEST_CASE(dns_certificates_and_no_overwrite) {
  TempDir dir{"meross-pairing"};
  BOOST_REQUIRE(generate_certificates({"broker.lan", dir.path, 30, false, {}}).ok());
  auto ca = read_cert(dir.path / "ca.crt");
  auto server = read_cert(dir.path / "server.crt");
  BOOST_TEST(verifies(ca.get(), server.get(), "broker.lan", false));
  BOOST_TEST(!verifies(ca.get(), server.get(), "other.lan", false));
  const auto before = meross::test::read_file(dir.path / "server.crt");
  const auto again = generate_certificates({"broker.lan", dir.path, 30, false, {}});
  BOOST_REQUIRE(!again.ok());
  BOOST_TEST(again.error().message.find("--force") != std::string::npos);
  BOOST_TEST(meross::test::read_file(dir.path / "server.crt") == before);
  BOOST_TEST(generate_certificates({"broker.lan", dir.path, 30, true, {}}).ok());
  BOOST_TEST(meross::test::read_file(dir.path / "server.crt") != before);
  BOOST_TEST(!generate_certificates({"", dir.path, 30, true, {}}).ok());
  BOOST_TEST(!generate_certificates({"bad host/x", dir.path, 30, true, {}}).ok());
  BOOST_TEST(!generate_certificates({"h", dir.path, 0, true, {}}).ok());
}

BOOST_AUTO_TEST_SUITE_END()

namespace {

struct CliRun {
  int code = 0;  // CLI::Error's exit code; 0 when parsing threw none
  std::string out;
  std::string err;
};

// Parses `line` with meross-pair's commands added to `app`, capturing what they print.
CliRun run_cli(CLI::App& app, const std::string& line) {
  struct Capture {
    explicit Capture(std::ostream& s) : stream(s), old(s.rdbuf(text.rdbuf())) {}
    ~Capture() { stream.rdbuf(old); }
    std::ostream& stream;
    std::ostringstream text;
    std::streambuf* old;
  };
  add_commands(app);
  Capture out(std::cout);
  Capture err(std::cerr);
  CliRun run;
  try {
    app.parse(line, false);
  } catch (const CLI::Error& e) {
    run.code = e.get_exit_code();
  }
  run.out = out.text.str();
  run.err = err.text.str();
  return run;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(commands)

BOOST_AUTO_TEST_CASE(password_command_through_cli) {
  CLI::App app;
  const auto run = run_cli(app, "password --mac 34:29:8F:FF:FF:FF --key testkey --user-id 1234");
  BOOST_TEST(run.code == 0);
  // meross-protocol.md §2.3 vector.
  BOOST_TEST(run.out == "1234_5ac868a81f2f21b4a87f7d2bb3467cb5\n");
}

BOOST_AUTO_TEST_CASE(cli_rejects_bad_input_with_exit_codes) {
  CLI::App app;
  const auto run = run_cli(app, "password --key topsecretkey --mac nonsense");
  BOOST_TEST(run.code == 1);
  BOOST_TEST(run.err.find("--mac") != std::string::npos);
  BOOST_TEST((run.out + run.err).find("topsecretkey") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(pair_takes_two_brokers_and_hides_secrets) {
  CLI::App app;
  // The short Wi-Fi password stops the command before it contacts anything.
  const auto run = run_cli(app,
                           "pair --host 127.0.0.1:1 --ssid Home --password shortpw --key "
                           "topsecretkey --broker mqtts://10.0.0.1:8883 --broker "
                           "mqtts://10.0.0.2:8884");
  BOOST_TEST(run.code == 1);
  const auto brokers = app.get_subcommand("pair")->get_option("--broker")->results();
  BOOST_REQUIRE(brokers.size() == 2u);
  BOOST_TEST(brokers[0] == "mqtts://10.0.0.1:8883");
  BOOST_TEST(brokers[1] == "mqtts://10.0.0.2:8884");
  BOOST_TEST(run.err.find("8 to 64") != std::string::npos);
  BOOST_TEST((run.out + run.err).find("topsecretkey") == std::string::npos);
  BOOST_TEST((run.out + run.err).find("shortpw") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(pair_refuses_bad_arguments_before_contacting_anything) {
  std::ostringstream out;
  std::ostringstream err;
  PairOptions options;
  options.target.host = "127.0.0.1:1";
  options.ssid = "Home";
  options.wifi_password = "short";
  options.brokers = {"mqtts://192.168.1.7:8883"};
  options.key = "topsecretkey";
  BOOST_TEST(run_pair(options, out, err) == 1);
  BOOST_TEST(err.str().find("8 to 64") != std::string::npos);
  options.wifi_password = "long enough password";
  options.brokers = {"mqtt://192.168.1.7:1883"};
  BOOST_TEST(run_pair(options, out, err) == 1);
  BOOST_TEST(err.str().find("TLS") != std::string::npos);
  options.brokers = {"a", "b", "c"};
  BOOST_TEST(run_pair(options, out, err) == 1);
  options.brokers = {"a"};
  options.target.host = "http://evil/x";
  BOOST_TEST(run_pair(options, out, err) == 1);
  const auto all = out.str() + err.str();
  BOOST_TEST(all.find("topsecretkey") == std::string::npos);
  BOOST_TEST(all.find("long enough password") == std::string::npos);
  BOOST_TEST(all.find("short") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(call_rejects_bad_method_and_payload) {
  std::ostringstream out;
  std::ostringstream err;
  CallOptions options;
  options.host = "127.0.0.1:1";
  options.method = "FETCH";
  options.ns = "Appliance.System.All";
  BOOST_TEST(run_call(options, out, err) == 1);
  options.method = "GET";
  options.payload = "[1,2";
  BOOST_TEST(run_call(options, out, err) == 1);
  options.payload = "{}";
  options.uuid = "2304253613440052050a48e1e9c4b296";
  BOOST_TEST(run_call(options, out, err) == 1);  // both --host and --uuid
  BOOST_TEST(err.str().find("either --host") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
