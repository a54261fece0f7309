#include <string>
#include <utility>
#include <vector>

#include <rapidjson/document.h>
#include <boost/test/unit_test.hpp>

#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "protocol/json.hpp"
#include "protocol/json_document.hpp"
#include "protocol/json_writer.hpp"

using namespace meross::protocol;

namespace {
rapidjson::Document parse(const char* text) {
  rapidjson::Document doc;
  doc.Parse(text);
  BOOST_REQUIRE(!doc.HasParseError());
  return doc;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(json)

BOOST_AUTO_TEST_CASE(numbers_as_strings_are_integers) {
  // System.Report sends type/value as strings (meross-protocol.md §3.1).
  auto doc = parse(R"({"report":[{"type":"1","value":"0","timestamp":1700000000}]})");
  const auto& item = doc["report"][0];
  BOOST_TEST(*int_member(item, "type") == 1);
  BOOST_TEST(*int_member(item, "value") == 0);
  BOOST_TEST(*int_member(item, "timestamp") == 1700000000);
  auto bad = parse(R"({"a":"@2","b":"","c":"12x","d":1.5,"e":null,"f":-7,"g":"-7"})");
  BOOST_TEST(!int_member(bad, "a"));
  BOOST_TEST(!int_member(bad, "b"));
  BOOST_TEST(!int_member(bad, "c"));
  BOOST_TEST(!int_member(bad, "d"));
  BOOST_TEST(!int_member(bad, "e"));
  BOOST_TEST(*int_member(bad, "f") == -7);
  BOOST_TEST(*int_member(bad, "g") == -7);
  BOOST_TEST(!int_member(bad, "missing"));
}

BOOST_AUTO_TEST_CASE(dict_or_list_visits_the_same_items) {
  // ToggleX GETACK: a dict on old firmware, a list on new firmware (§1.9).
  auto old_fw = parse(R"({"channel":0,"togglex":{"channel":0,"onoff":1,"lmTime":5}})");
  auto new_fw = parse(R"({"channel":4294967295,"togglex":[{"channel":0,"onoff":1,"lmTime":5}]})");
  for (const auto* doc : {&old_fw, &new_fw}) {
    std::vector<std::int64_t> onoff;
    for_each_object((*doc)["togglex"],
                    [&](const JsonValue& item) { onoff.push_back(*int_member(item, "onoff")); });
    BOOST_TEST(onoff == std::vector<std::int64_t>{1});
  }
  BOOST_TEST(is_all_channels(*int_member(new_fw, "channel")));
  BOOST_TEST(is_all_channels(65535));
  BOOST_TEST(!is_all_channels(0));
}

BOOST_AUTO_TEST_CASE(type_names_for_errors) {
  auto doc = parse(R"({"s":"x","i":1,"d":1.5,"o":{},"a":[],"n":null,"b":true})");
  BOOST_TEST(type_name(doc["s"]) == "string");
  BOOST_TEST(type_name(doc["i"]) == "integer");
  BOOST_TEST(type_name(doc["d"]) == "number");
  BOOST_TEST(type_name(doc["o"]) == "object");
  BOOST_TEST(type_name(doc["a"]) == "array");
  BOOST_TEST(type_name(doc["n"]) == "null");
  BOOST_TEST(type_name(doc["b"]) == "boolean");
}

// JsonDocument parses as rapidjson::Document::Parse(text, size) does: same values, same errors at
// the same offsets (a UTF-8 BOM is skipped, text after a NUL byte is not read).
BOOST_AUTO_TEST_CASE(json_document_parses_as_rapidjson_document) {
  const std::vector<std::string> texts = {
      R"({"header":{"messageId":"ab","timestamp":1700000000},"payload":{"togglex":[{"onoff":1}]}})",
      R"({"a":"esc\"aped\\ \u00e9 \n","b":[1,-2,3.5,1e3,true,false,null],"c":{}})",
      "\xef\xbb\xbf{\"bom\":1}",
      "\xef{\"half\":1}",
      std::string("{\"a\":1}\0[[[", 11),
      "",
      "   ",
      "{\"a\":}",
      "{\"a\":1,}",
      "[1,2",
      "{\"a\":\"\\x\"}",
      "{\"a\":1} 2",
      "\"\x01\"",
      "18446744073709551616",
  };
  for (const auto& text : texts) {
    rapidjson::Document expected;
    expected.Parse(text.data(), text.size());
    const auto doc = JsonDocument::parse(text);
    BOOST_TEST_CONTEXT(text) {
      BOOST_TEST(doc.ok() == !expected.HasParseError());
      if (expected.HasParseError()) {
        BOOST_TEST(doc.error_code() == expected.GetParseError());
        BOOST_TEST(doc.error_offset() == expected.GetErrorOffset());
      } else {
        BOOST_TEST(to_json(doc.root()) == to_json(expected));
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(json_document_nesting_limit_is_the_scan) {
  const auto nested = [](int depth, const std::string& inner = "") {
    return std::string(static_cast<std::size_t>(depth), '[') + inner +
           std::string(static_cast<std::size_t>(depth), ']');
  };
  BOOST_TEST(JsonDocument::parse(nested(64), 64).ok());
  BOOST_TEST((JsonDocument::parse(nested(65), 64).status() == JsonDocument::Status::TooDeep));
  // Too deep wins over malformed, as json_nesting_at_most is checked first; also after a NUL.
  BOOST_TEST((JsonDocument::parse(nested(65, "x"), 64).status() == JsonDocument::Status::TooDeep));
  BOOST_TEST((JsonDocument::parse("{\"a\":x," + nested(65), 64).status() ==
              JsonDocument::Status::TooDeep));
  BOOST_TEST((JsonDocument::parse(std::string("[]\0", 3) + nested(65), 64).status() ==
              JsonDocument::Status::TooDeep));
  BOOST_TEST((JsonDocument::parse("[\"" + nested(65) + "\"]", 64).ok()));
  BOOST_TEST(JsonDocument::parse(nested(200)).ok());  // no limit asked
}

BOOST_AUTO_TEST_CASE(json_document_values_survive_moves) {
  auto doc = JsonDocument::parse(R"({"payload":{"light":{"channel":0,"rgb":255}}})");
  const JsonValue* payload = find_member(doc.root(), "payload");
  BOOST_REQUIRE(payload);
  std::vector<JsonDocument> kept;
  kept.push_back(std::move(doc));
  kept.reserve(8);  // moves the document again
  BOOST_TEST(to_json(*payload) == R"({"light":{"channel":0,"rgb":255}})");
  BOOST_TEST(JsonDocument{}.root().IsNull());
}

// JsonStringWriter writes what Writer<StringBuffer> writes, also past its first buffer and
// beyond its inline nesting levels.
BOOST_AUTO_TEST_CASE(json_string_writer_writes_as_rapidjson_writer) {
  const auto write = [](auto& w) {
    w.StartObject();
    w.Key("state");
    w.String("ON");
    w.Key("escaped \"\\\n\x01/");
    w.String(std::string(300, 'x').c_str());
    w.Key("numbers");
    w.StartArray();
    w.Int(-5);
    w.Uint64(18446744073709551615u);
    w.Double(0.1);
    w.Null();
    w.Bool(true);
    w.EndArray();
    for (int i = 0; i < 20; ++i) {
      w.Key("deeper");
      w.StartObject();
    }
    w.Key("raw");
    w.RawValue("{\"a\":1}", 7, rapidjson::kObjectType);
    for (int i = 0; i < 20; ++i)
      w.EndObject();
    w.EndObject();
  };
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> expected(buffer);
  write(expected);
  for (const std::size_t room :
       {std::size_t{0}, std::size_t{1}, std::size_t{128}, std::size_t{4096}}) {
    JsonStringWriter w(room);
    write(w);
    BOOST_TEST(w.take() == std::string(buffer.GetString(), buffer.GetSize()));
  }
}

BOOST_AUTO_TEST_SUITE_END()
