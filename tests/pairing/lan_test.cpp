// Socket-free parts of `scan` and `move` (issue 14): ranges, tables, the Config.Key request,
// masking, broker URLs, what a failure leaves the device in, the bridge TOML's broker.
#define BOOST_TEST_MODULE pairing_lan
#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <rapidjson/document.h>

#include "pairing/lan_scan.hpp"
#include "pairing/move.hpp"
#include "pairing/requests.hpp"
#include "protocol/envelope.hpp"
#include "protocol/signing.hpp"

using namespace meross::pairing;
namespace protocol = meross::protocol;
namespace fs = std::filesystem;

namespace {

rapidjson::Document parse(const std::string& text) {
  rapidjson::Document doc;
  doc.Parse(text.c_str());
  BOOST_REQUIRE_MESSAGE(!doc.HasParseError(), text);
  return doc;
}

FoundDevice plug() {
  FoundDevice d;
  d.host = "192.168.1.23";
  d.uuid = "2304253613440052050a48e1e9c4b296";
  d.model = "mss310";
  d.firmware = "2.1.17";
  d.mac = "48:e1:e9:c4:b2:96";
  d.broker = "iot.meross.com:2001";
  return d;
}

}  // namespace

BOOST_TEST_DONT_PRINT_LOG_VALUE(meross::pairing::DeviceState)

BOOST_AUTO_TEST_SUITE(cidr)

BOOST_AUTO_TEST_CASE(a_slash_24_is_254_hosts_without_network_and_broadcast) {
  const auto hosts = expand_cidr("192.168.1.0/24");
  BOOST_REQUIRE(hosts.ok());
  BOOST_TEST(hosts->size() == 254u);
  BOOST_TEST(hosts->front() == "192.168.1.1");
  BOOST_TEST(hosts->back() == "192.168.1.254");
}

BOOST_AUTO_TEST_CASE(host_bits_are_ignored_and_small_ranges_kept_whole) {
  const auto thirty = expand_cidr("10.0.0.7/30");
  BOOST_REQUIRE(thirty.ok());
  BOOST_TEST(*thirty == (std::vector<std::string>{"10.0.0.5", "10.0.0.6"}),
             boost::test_tools::per_element());
  const auto thirty_one = expand_cidr("10.0.0.4/31");
  BOOST_REQUIRE(thirty_one.ok());
  BOOST_TEST(*thirty_one == (std::vector<std::string>{"10.0.0.4", "10.0.0.5"}),
             boost::test_tools::per_element());
  const auto single = expand_cidr("10.1.2.3");
  BOOST_REQUIRE(single.ok());
  BOOST_TEST(*single == std::vector<std::string>{"10.1.2.3"}, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_port_other_than_80_is_appended) {
  const auto hosts = expand_cidr("127.0.0.0/30", 8080);
  BOOST_REQUIRE(hosts.ok());
  BOOST_TEST(*hosts == (std::vector<std::string>{"127.0.0.1:8080", "127.0.0.2:8080"}),
             boost::test_tools::per_element());
  BOOST_TEST(!expand_cidr("127.0.0.0/30", 0).ok());
  BOOST_TEST(!expand_cidr("127.0.0.0/30", 65536).ok());
}

BOOST_AUTO_TEST_CASE(ranges_wider_than_22_need_force_and_16_is_the_limit) {
  BOOST_TEST(expand_cidr("192.168.0.0/22").ok());
  BOOST_TEST(expand_cidr("192.168.0.0/22")->size() == 1022u);
  const auto wide = expand_cidr("192.168.0.0/21");
  BOOST_REQUIRE(!wide.ok());
  BOOST_TEST(wide.error().message.find("--force") != std::string::npos);
  BOOST_TEST(expand_cidr("192.168.0.0/21", 80, true).ok());
  BOOST_TEST(expand_cidr("10.0.0.0/16", 80, true)->size() == 65534u);
  BOOST_TEST(!expand_cidr("10.0.0.0/15", 80, true).ok());
  BOOST_TEST(!expand_cidr("0.0.0.0/0", 80, true).ok());
}

BOOST_AUTO_TEST_CASE(malformed_ranges_are_refused) {
  for (const char* bad : {"", "192.168.1/24", "300.1.1.1/24", "1.2.3.4/33", "1.2.3.4/", "abc",
                          "01.2.3.4/24", "1.2.3.4/2x", "1.2.3.4.5", "1.2.3.4/-1", "1..3.4"}) {
    BOOST_TEST(!expand_cidr(bad).ok(), bad);
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(formatting)

BOOST_AUTO_TEST_CASE(the_table_lists_every_field_and_dashes_for_unknown_ones) {
  FoundDevice other;
  other.host = "192.168.1.40:8080";
  other.key = KeyCheck::OtherAccount;
  other.uuid = "0123456789abcdef0123456789abcdef";
  other.mac = "01:23:45:67:89:ab";
  FoundDevice encrypted = plug();
  encrypted.host = "192.168.1.24";
  encrypted.ecdhe = true;
  encrypted.note = "System.All unreadable";
  const std::string table = format_devices({plug(), other, encrypted});
  std::istringstream lines(table);
  std::string header, first, second, third, note;
  std::getline(lines, header);
  std::getline(lines, first);
  std::getline(lines, second);
  std::getline(lines, third);
  std::getline(lines, note);
  BOOST_TEST(header.starts_with("IP"));
  for (const char* column : {"MODEL", "FIRMWARE", "MAC", "UUID", "BROKER", "KEY", "HTTP"}) {
    BOOST_TEST(header.find(column) != std::string::npos, column);
  }
  for (const char* field :
       {"192.168.1.23", "mss310", "2.1.17", "48:e1:e9:c4:b2:96", "2304253613440052050a48e1e9c4b296",
        "iot.meross.com:2001", "ours", "plain"}) {
    BOOST_TEST(first.find(field) != std::string::npos, field);
  }
  BOOST_TEST(second.find("another account's key (ERROR 5001)") != std::string::npos);
  BOOST_TEST(second.find(" - ") != std::string::npos);
  BOOST_TEST(third.find("ECDHE") != std::string::npos);
  BOOST_TEST(note == "note: 192.168.1.24: System.All unreadable");
  // Columns line up: the MODEL column starts at the same offset on every row.
  BOOST_TEST(first.find("mss310") == header.find("MODEL"));
  BOOST_TEST(format_devices({}).empty());
}

BOOST_AUTO_TEST_CASE(the_http_column_tells_the_two_kinds_of_encrypted_firmware_apart) {
  FoundDevice exchange = plug();
  exchange.ecdhe = true;
  FoundDevice fixed = plug();
  fixed.ecdhe = true;
  fixed.static_key = true;
  std::istringstream lines(format_devices({exchange, fixed}));
  std::string header, first, second;
  std::getline(lines, header);
  std::getline(lines, first);
  std::getline(lines, second);
  BOOST_TEST(first.ends_with("ECDHE"), first);
  BOOST_TEST(second.ends_with("static key"), second);
}

BOOST_AUTO_TEST_CASE(the_summary_counts_both_kinds) {
  FoundDevice other = plug();
  other.key = KeyCheck::OtherAccount;
  BOOST_TEST(format_summary({plug(), plug(), other}, 254) ==
             "3 Meross devices among 254 addresses: 2 answer with this key, 1 with another "
             "account's key");
  BOOST_TEST(format_summary({}, 1) ==
             "0 Meross devices among 1 address: 0 answer with this key, 0 with another "
             "account's key");
}

BOOST_AUTO_TEST_CASE(scan_options_need_one_target_kind) {
  std::ostringstream err;
  ScanOptions none;
  BOOST_TEST(!scan_targets(none, err).has_value());
  ScanOptions both;
  both.cidr = "127.0.0.0/30";
  both.hosts = {"127.0.0.1"};
  BOOST_TEST(!scan_targets(both, err).has_value());
  ScanOptions bad_host;
  bad_host.hosts = {"http://127.0.0.1/"};
  BOOST_TEST(!scan_targets(bad_host, err).has_value());
  ScanOptions wide;
  wide.cidr = "127.0.0.0/20";
  BOOST_TEST(!scan_targets(wide, err).has_value());
  BOOST_TEST(err.str().find("need --force") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(move_request)

BOOST_AUTO_TEST_CASE(plain_mqtt_is_refused_unless_forced) {
  const auto plain = parse_move_broker("mqtt://192.168.1.7:1883", false);
  BOOST_REQUIRE(!plain.ok());
  BOOST_TEST(plain.error().message.find("TLS") != std::string::npos);
  BOOST_TEST(plain.error().message.find("--force-plain") != std::string::npos);
  const auto forced = parse_move_broker("mqtt://192.168.1.7:1883", true);
  BOOST_REQUIRE(forced.ok());
  BOOST_TEST(forced->host == "192.168.1.7");
  BOOST_TEST(forced->port == 1883);
  const auto tls = parse_move_broker("mqtts://broker.lan", false);
  BOOST_REQUIRE(tls.ok());
  BOOST_TEST(tls->host == "broker.lan");
  BOOST_TEST(tls->port == 8883);
  BOOST_TEST(!parse_move_broker("http://192.168.1.7", false).ok());
  BOOST_TEST(!parse_move_broker("mqtts://192.168.1.7:0", false).ok());
}

BOOST_AUTO_TEST_CASE(config_key_fills_both_slots_key_and_user_id) {
  const auto doc =
      parse(config_key_payload({"192.168.1.7", 8883}, {"192.168.1.7", 8883}, "k2", 42));
  const auto& key = doc["key"];
  BOOST_TEST(key["gateway"]["host"].GetString() == std::string("192.168.1.7"));
  BOOST_TEST(key["gateway"]["port"].GetInt() == 8883);
  BOOST_TEST(key["gateway"]["secondHost"].GetString() == std::string("192.168.1.7"));
  BOOST_TEST(key["gateway"]["secondPort"].GetInt() == 8883);
  BOOST_TEST(key["gateway"]["redirect"].GetInt() == 1);
  BOOST_TEST(key["key"].GetString() == std::string("k2"));
  BOOST_TEST(key["userId"].GetString() == std::string("42"));
}

BOOST_AUTO_TEST_CASE(the_dry_run_request_masks_key_and_signature) {
  const std::string text = masked_config_key_request("192.168.1.23", {"192.168.1.7", 8883}, 7);
  const auto doc = parse(text);
  BOOST_TEST(doc["header"]["namespace"].GetString() == std::string("Appliance.Config.Key"));
  BOOST_TEST(doc["header"]["method"].GetString() == std::string("SET"));
  BOOST_TEST(doc["header"]["sign"].GetString() == std::string("***"));
  BOOST_TEST(doc["header"]["from"].GetString() == std::string("http://192.168.1.23/config"));
  const auto& key = doc["payload"]["key"];
  BOOST_TEST(key["key"].GetString() == std::string("***"));
  BOOST_TEST(key["userId"].GetString() == std::string("7"));
  BOOST_TEST(key["gateway"]["secondHost"].GetString() == std::string("192.168.1.7"));
  // The signature of an empty key would let the key be told apart; it is masked too.
  BOOST_TEST(text.find(protocol::md5_hex("")) == std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_refusal_leaves_the_device_unchanged_a_lost_answer_does_not) {
  // The exact texts check_reply and post_config produce.
  const auto request = protocol::make_request_header(protocol::Method::Set, "Appliance.Config.Key",
                                                     "http://x/config", "k", 1700000000);
  auto error_header = protocol::make_ack_header(request, "", 1700000000, "/appliance/u/publish");
  error_header.method = protocol::Method::Error;
  const auto refused = check_reply(
      protocol::serialize(error_header, R"({"error":{"code":5001,"detail":"sign error"}})"),
      request);
  BOOST_REQUIRE(!refused.ok());
  BOOST_TEST(state_after_failure(refused.error()) == DeviceState::Unchanged);

  // A port nobody listens on: the request never left.
  HttpTimeouts quick{500, 1000};
  const auto unreachable = post_config("127.0.0.1:1", "{}", "application/json", quick);
  BOOST_REQUIRE(!unreachable.ok());
  BOOST_TEST(state_after_failure(unreachable.error()) == DeviceState::Unchanged);

  BOOST_TEST(state_after_failure({"", "the device at 1.2.3.4 did not answer within 5 s"}) ==
             DeviceState::Unknown);
  BOOST_TEST(state_after_failure({"",
                                  "the device at 1.2.3.4 closed the connection without an "
                                  "answer; firmware does this"}) == DeviceState::Unknown);
  BOOST_TEST(state_after_failure({"header.messageId", "the reply answers another request"}) ==
             DeviceState::Unknown);
  BOOST_TEST(describe_state(DeviceState::Unchanged).starts_with("unchanged"));
  BOOST_TEST(describe_state(DeviceState::Unknown).starts_with("unknown: it may have applied"));
}

BOOST_AUTO_TEST_CASE(the_watched_broker_is_device_broker_else_mqtt) {
  const fs::path dir = fs::temp_directory_path() / ("lan_test_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const auto write = [&](const std::string& name, const std::string& text) {
    std::ofstream(dir / name) << text;
    return (dir / name).string();
  };
  const auto one =
      read_watch_broker(write("one.toml",
                              "[meross]\nkey = \"k\"\n[mqtt]\nurl = \"mqtt://127.0.0.1:1883\"\n"
                              "username = \"meross-bridge\"\npassword = \"p\"\n"));
  BOOST_REQUIRE(one.ok());
  BOOST_TEST(one->section == "mqtt");
  BOOST_TEST(one->url == "mqtt://127.0.0.1:1883");
  BOOST_TEST(one->username == "meross-bridge");
  BOOST_TEST(one->password == "p");
  const auto two = read_watch_broker(
      write("two.toml",
            "[mqtt]\nurl = \"mqtt://ha:1883\"\n[device_broker]\nurl = \"mqtts://dev:8883\"\n"
            "ca_file = \"/x/ca.crt\"\ninsecure = true\n"));
  BOOST_REQUIRE(two.ok());
  BOOST_TEST(two->section == "device_broker");
  BOOST_TEST(two->url == "mqtts://dev:8883");
  BOOST_TEST(two->ca_file == "/x/ca.crt");
  BOOST_TEST(two->insecure);
  BOOST_TEST(!read_watch_broker(write("bad.toml", "[mqtt\n")).ok());
  BOOST_TEST(!read_watch_broker(write("none.toml", "[meross]\nkey = \"k\"\n")).ok());
  BOOST_TEST(!read_watch_broker((dir / "missing.toml").string()).ok());
  fs::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(move_checks_its_options_before_any_request) {
  std::ostringstream out, err;
  MoveOptions plain;
  plain.hosts = {"127.0.0.1:1"};
  plain.key = "Sup3rS3cretKey";
  plain.broker = "mqtt://127.0.0.1:1883";
  BOOST_TEST(run_move(plain, out, err) == 2);
  BOOST_TEST(err.str().find("--force-plain") != std::string::npos);

  MoveOptions dry = plain;
  dry.broker = "mqtts://192.168.1.7:8883";
  dry.new_key = "N3wS3cretKey";
  dry.dry_run = true;
  BOOST_TEST(run_move(dry, out, err) == 0);
  BOOST_TEST(out.str().find("***") != std::string::npos);
  BOOST_TEST(out.str().find("Sup3rS3cretKey") == std::string::npos);
  BOOST_TEST(out.str().find("N3wS3cretKey") == std::string::npos);
  BOOST_TEST(err.str().find("Sup3rS3cretKey") == std::string::npos);

  MoveOptions two_hosts = dry;
  two_hosts.hosts.push_back("127.0.0.2:1");
  BOOST_TEST(run_move(two_hosts, out, err) == 2);
}

BOOST_AUTO_TEST_SUITE_END()
