#include <vector>

#include <rapidjson/document.h>
#include <boost/test/unit_test.hpp>

#include "protocol/json.hpp"

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

BOOST_AUTO_TEST_SUITE_END()
