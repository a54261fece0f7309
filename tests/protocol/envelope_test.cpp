#include <string>

#include <boost/test/unit_test.hpp>

#include "protocol/envelope.hpp"
#include "protocol/signing.hpp"
#include "support/fixtures.hpp"

using namespace meross::protocol;

namespace {

// A real Bind from an msl120d (fw 2.1.5), as captured on a local broker (meross-protocol.md §3.2).
const std::string kBind = R"({"header":{"messageId":"a1b2c3d4e5f60718293a4b5c6d7e8f90",
 "namespace":"Appliance.Control.Bind","method":"SET","payloadVersion":1,
 "from":"/appliance/2301234567890123456748e1e9c4b296/subscribe","timestamp":1736629512,
 "timestampMs":312,"sign":"0a6a9e4c7f3c1d2b8e5f4a3b2c1d0e9f"},
 "payload":{"bind":{"bindTime":1736629512,"time":{"timestamp":1736629512,"timezone":"","timeRule":[]},
 "hardware":{"type":"msl120d","subType":"eu","version":"2.0.0","chipType":"mt7682",
 "uuid":"2301234567890123456748e1e9c4b296","macAddress":"48:e1:e9:c4:b2:96"},
 "firmware":{"version":"2.1.5","compileTime":"2021/10/12 10:00:00 GMT +08:00","encrypt":1,
 "wifiMac":"aa:bb:cc:dd:ee:ff","innerIp":"192.168.2.158","server":"192.168.2.30","port":8883,
 "userId":0}}}})";

std::string with_header(const std::string& header_fields, const std::string& payload = "{}") {
  return R"({"header":{)" + header_fields + R"(},"payload":)" + payload + "}";
}

const std::string kGoodHeader =
    R"("messageId":"abc","namespace":"Appliance.Control.ToggleX","method":"PUSH",)"
    R"("payloadVersion":1,"from":"/appliance/uuid1/publish","timestamp":1700000000,)"
    R"("timestampMs":5,"sign":"00")";

std::string error_of(const std::string& bytes) {
  auto parsed = parse_message(bytes);
  BOOST_REQUIRE(!parsed.ok());
  return parsed.error().describe();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(envelope)

BOOST_AUTO_TEST_CASE(parses_a_real_bind) {
  auto message = parse_message(kBind);
  BOOST_REQUIRE_MESSAGE(message.ok(), (message.ok() ? "" : message.error().describe()));
  const Header& h = message->header;
  BOOST_TEST(h.message_id == "a1b2c3d4e5f60718293a4b5c6d7e8f90");
  BOOST_TEST(h.ns == "Appliance.Control.Bind");
  BOOST_TEST((h.method == Method::Set));
  BOOST_TEST(h.timestamp == 1736629512);
  BOOST_TEST(h.timestamp_ms == 312);
  BOOST_TEST(message->payload_key() == "bind");
  BOOST_TEST(device_uuid_of(h) == "2301234567890123456748e1e9c4b296");
  BOOST_TEST(message->payload()["bind"]["hardware"]["type"].GetString() == std::string("msl120d"));
}

BOOST_AUTO_TEST_CASE(parses_real_device_payloads_from_the_traces) {
  // Every recorded device payload (ACKs, PUSHes), wrapped in a device header, parses and keeps
  // its payload byte for byte.
  int count = 0;
  const auto check = [&](const std::string& ns, const std::string& method,
                         const std::string& payload) {
    const auto bytes =
        with_header(R"("messageId":"m","namespace":")" + ns + R"(","method":")" + method +
                        R"(","payloadVersion":1,"from":"/appliance/u/publish",)"
                        R"("timestamp":1,"sign":"s")",
                    payload);
    auto message = parse_message(bytes);
    BOOST_REQUIRE_MESSAGE(message.ok(), ns);
    rapidjson::Document recorded;
    recorded.Parse(payload.c_str());
    BOOST_TEST((message->payload() == recorded), ns);
    ++count;
  };
  for (const auto& path : meross::test::trace_files()) {
    auto trace = parse_trace(path.filename().string(), meross::test::read_file(path));
    BOOST_REQUIRE(trace.ok());
    for (const auto& row : trace->rows) {
      if (row.rxtx != "TX" && row.method != "GET" && row.method != "SET") {
        check(row.ns, row.method, row.payload_json);
      }
    }
    for (const auto& [ns, payload] : trace->namespace_pushes)
      check(ns, "PUSH", payload);
  }
  BOOST_TEST(count > 500);
}

BOOST_AUTO_TEST_CASE(timestamp_may_be_a_decimal_string) {
  auto message = parse_message(with_header(
      R"("messageId":"x","namespace":"Appliance.System.Clock","method":"PUSH","timestamp":"1700000000","sign":"s","from":"/f")"));
  BOOST_REQUIRE(message.ok());
  BOOST_TEST(message->header.timestamp == 1700000000);
}

BOOST_AUTO_TEST_CASE(uuid_header_wins_over_from) {
  auto message = parse_message(with_header(
      R"("messageId":"x","namespace":"N.x","method":"PUSH","timestamp":1,"from":"/appliance/aaa/publish","uuid":"bbb")"));
  BOOST_REQUIRE(message.ok());
  BOOST_TEST(device_uuid_of(message->header) == "bbb");
  Header h;
  h.from = "/app/123-abc/subscribe";
  BOOST_TEST(device_uuid_of(h).empty());
}

BOOST_AUTO_TEST_CASE(errors_name_the_field_and_the_expectation) {
  BOOST_TEST(error_of("{not json").find("malformed JSON") != std::string::npos);
  BOOST_TEST(error_of("[1,2]") == "expected a JSON object, got array");
  BOOST_TEST(error_of(R"({"payload":{}})") == "header: expected an object, but it is missing");
  BOOST_TEST(error_of(with_header(kGoodHeader, "[]")) == "payload: expected an object, got array");
  BOOST_TEST(error_of(with_header(R"("namespace":"N.x","method":"GET","timestamp":1)")) ==
             "header.messageId: expected a string, but it is missing");
  BOOST_TEST(
      error_of(with_header(R"("messageId":1,"namespace":"N.x","method":"GET","timestamp":1)")) ==
      "header.messageId: expected a string, got integer");
  BOOST_TEST(
      error_of(with_header(R"("messageId":"a","namespace":"N.x","method":"DELETE","timestamp":1)"))
          .find("header.method: expected one of GET") == 0);
  BOOST_TEST(
      error_of(with_header(R"("messageId":"a","namespace":"N.x","method":"GET","timestamp":{})")) ==
      "header.timestamp: expected a non-negative integer (or decimal string), got object");
  BOOST_TEST(error_of(with_header(
                 R"("messageId":"a","namespace":"N.x","method":"GET","timestamp":"soon")")) ==
             "header.timestamp: expected a non-negative integer (or decimal string), got string");
  BOOST_TEST(
      error_of(with_header(R"("messageId":"a","namespace":"","method":"GET","timestamp":1)")) ==
      "header.namespace: expected a non-empty string");
  BOOST_TEST(error_of(with_header(
                 R"("messageId":"a","namespace":"N.x","method":"GET","timestamp":1,"from":7)")) ==
             "header.from: expected a string, got integer");
}

BOOST_AUTO_TEST_CASE(integers_survive_a_round_trip) {
  // Timestamps, mW readings, channel sentinels and negative offsets are written back exactly.
  const std::string payload =
      R"({"x":[0,-1,-14400,1700000000,4294967295,9223372036854775807,18446744073709551615]})";
  auto first = parse_message(with_header(kGoodHeader, payload));
  BOOST_REQUIRE(first.ok());
  auto second = parse_message(serialize(first->header, first->payload()));
  BOOST_REQUIRE(second.ok());
  BOOST_TEST(to_json(second->payload()) == payload);
}

BOOST_AUTO_TEST_CASE(deep_nesting_is_refused_before_parsing) {
  // RapidJSON parses recursively; 30,000 levels fit in 64 KiB and would exhaust the stack.
  const std::string deep = std::string(30000, '[') + std::string(30000, ']');
  BOOST_TEST(error_of(with_header(kGoodHeader, R"({"x":)" + deep + "}")) ==
             "JSON nested deeper than 64 levels");
  BOOST_TEST(parse_message(with_header(kGoodHeader, R"({"x":[[["a[[[[{{{{"]]]})")).ok());
}

BOOST_AUTO_TEST_CASE(oversized_messages_are_refused_before_parsing) {
  const std::string big =
      with_header(kGoodHeader, R"({"pad":")" + std::string(70000, 'x') + R"("})");
  BOOST_TEST(error_of(big).find("exceeds the limit of 65536") != std::string::npos);
  BOOST_TEST(parse_message(big, 100000).ok());
}

BOOST_AUTO_TEST_CASE(request_header_is_signed) {
  const Header h = make_request_header(Method::Get, "Appliance.System.All", "/meross/bridge/reply",
                                       "secret", 1700000000);
  BOOST_TEST(h.message_id.size() == 32u);
  BOOST_TEST((h.method == Method::Get));
  BOOST_TEST(h.sign == compute_sign(h.message_id, "secret", 1700000000));
  const Header fixed = make_request_header(Method::Set, "N.x", "/f", "meross", 1700000000,
                                           "0123456789abcdef0123456789abcdef");
  BOOST_TEST(fixed.sign == "6a8923778cfd1aeb95f603c33b999313");
}

BOOST_AUTO_TEST_CASE(ack_keeps_the_id_and_signs_fresh) {
  auto bind = parse_message(kBind);
  BOOST_REQUIRE(bind.ok());
  const Header ack = make_ack_header(bind->header, "devkey", 1736629600,
                                     "/appliance/2301234567890123456748e1e9c4b296/publish");
  BOOST_TEST(ack.message_id == bind->header.message_id);
  BOOST_TEST(ack.ns == "Appliance.Control.Bind");
  BOOST_TEST((ack.method == Method::SetAck));
  BOOST_TEST(ack.timestamp == 1736629600);
  BOOST_TEST(verify_sign(ack.message_id, "devkey", ack.timestamp, ack.sign));

  // The serialized ACK parses back to the same header.
  auto round = parse_message(serialize(ack, "{}"));
  BOOST_REQUIRE(round.ok());
  BOOST_TEST(round->header.message_id == ack.message_id);
  BOOST_TEST((round->header.method == Method::SetAck));
  BOOST_TEST(round->header.sign == ack.sign);
  BOOST_TEST(round->header.trigger_src == "CloudControl");
  BOOST_TEST(round->payload().ObjectEmpty());
  BOOST_TEST((ack_of(Method::Get) == Method::GetAck));
  BOOST_TEST((ack_of(Method::Push) == Method::Push));
}

BOOST_AUTO_TEST_CASE(push_reply_replays_the_device_header) {
  auto clock = parse_message(with_header(
      R"("messageId":"c0ffee","namespace":"Appliance.System.Clock","method":"PUSH","payloadVersion":1,)"
      R"("from":"/appliance/u1/publish","uuid":"u1","timestamp":1700000000,"timestampMs":77,"sign":"abcd")",
      R"({"clock":{"timestamp":1700000000}})"));
  BOOST_REQUIRE(clock.ok());
  const Header reply = make_push_reply_header(clock->header);
  BOOST_TEST(reply.message_id == "c0ffee");
  BOOST_TEST(reply.timestamp == 1700000000);
  BOOST_TEST(reply.timestamp_ms == 77);
  BOOST_TEST(reply.sign == "abcd");
  BOOST_TEST(reply.uuid.empty());
  BOOST_TEST(reply.trigger_src == "CloudControl");
  const std::string bytes = serialize(reply, R"({"clock":{"timestamp":1700000123}})");
  BOOST_TEST(bytes.find(R"("uuid")") == std::string::npos);
  auto round = parse_message(bytes);
  BOOST_REQUIRE(round.ok());
  BOOST_TEST(round->payload()["clock"]["timestamp"].GetInt64() == 1700000123);
}

BOOST_AUTO_TEST_SUITE_END()
