// The last published state of each entity of a device, kept compact (issue 19).

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <map>
#include <string>
#include <vector>

#include "bridge/state_table.hpp"

using namespace meross::bridge;

namespace {

std::map<std::string, std::string> contents(const StateTable& table) {
  std::map<std::string, std::string> out;
  std::vector<std::string> order;
  table.for_each([&](std::string_view key, std::string_view payload) {
    order.emplace_back(key);
    out.emplace(std::string(key), std::string(payload));
  });
  BOOST_TEST(std::is_sorted(order.begin(), order.end()));
  BOOST_TEST(order.size() == out.size());  // every key once
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(state_table)

BOOST_AUTO_TEST_CASE(behaves_like_a_map_of_key_to_last_payload) {
  StateTable table;
  std::map<std::string, std::string> expected;
  BOOST_TEST(table.empty());
  // Keys out of order, payloads replaced by longer and shorter ones, an empty payload, bytes a
  // text format would trip on, and lengths past one byte of length prefix.
  const std::vector<std::pair<std::string, std::string>> sets = {
      {"switch_0", "ON"},
      {"power_0", "12.5"},
      {"led", "OFF"},
      {"power_0", "1234.75"},
      {"energy_0", ""},
      {"switch_0", "OFF"},
      {"firmware", std::string("6.1\0\x80\xff", 6)},
      {std::string(200, 'k'), std::string(70000, 'p')},
      {"a", "{\"x\":1}"},
      {"power_0", "3"},
      {std::string(200, 'k'), "short"},
  };
  for (const auto& [key, payload] : sets) {
    table.set(key, payload);
    expected[key] = payload;
    BOOST_TEST((contents(table) == expected));
  }
  BOOST_TEST(table.size() == expected.size());
  BOOST_TEST(*table.get("power_0") == "3");
  BOOST_TEST(*table.get("energy_0") == "");
  BOOST_TEST(!table.get("energy"));
  BOOST_TEST(!table.get("zzz"));
}

BOOST_AUTO_TEST_SUITE_END()
