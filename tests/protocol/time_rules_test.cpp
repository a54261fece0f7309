#include <vector>

#include <rapidjson/document.h>
#include <boost/test/unit_test.hpp>

#include "protocol/device_profile.hpp"
#include "protocol/time_rules.hpp"
#include "support/fixtures.hpp"

using namespace meross::protocol;

namespace {

constexpr std::int64_t kJune2025 = 1750000000;

std::vector<TimeRule> rules_for(std::string_view zone, std::int64_t now) {
  auto rules = build_time_rules(zone, now);
  BOOST_REQUIRE_MESSAGE(rules.ok(), (rules.ok() ? "" : rules.error().describe()));
  return rules.value();
}

}  // namespace

BOOST_TEST_DONT_PRINT_LOG_VALUE(TimeRule)
BOOST_TEST_DONT_PRINT_LOG_VALUE(std::vector<TimeRule>)

BOOST_AUTO_TEST_SUITE(time_rules)

BOOST_AUTO_TEST_CASE(europe_rome_vector) {
  const auto rules = rules_for("Europe/Rome", kJune2025);
  BOOST_TEST(rules.size() == 20u);
  const std::vector<TimeRule> start{{1743296400, 7200, true},
                                    {1761440400, 3600, false},
                                    {1774746000, 7200, true},
                                    {1792890000, 3600, false}};
  BOOST_TEST((std::vector<TimeRule>(rules.begin(), rules.begin() + 4) == start));
}

BOOST_AUTO_TEST_CASE(america_new_york_vector_has_negative_offsets) {
  const auto rules = rules_for("America/New_York", kJune2025);
  BOOST_TEST(rules.size() == 20u);
  BOOST_TEST((rules[0] == TimeRule{1741503600, -14400, true}));
  BOOST_TEST((rules[1] == TimeRule{1762063200, -18000, false}));
}

BOOST_AUTO_TEST_CASE(australia_sydney_vector_southern_hemisphere) {
  const auto rules = rules_for("Australia/Sydney", kJune2025);
  BOOST_TEST(rules.size() == 20u);
  BOOST_TEST((rules[0] == TimeRule{1743868800, 36000, false}));
  BOOST_TEST((rules[1] == TimeRule{1759593600, 39600, true}));
}

BOOST_AUTO_TEST_CASE(entries_ascend_and_alternate) {
  const auto rules = rules_for("Europe/Berlin", kJune2025);
  for (std::size_t i = 1; i < rules.size(); ++i) {
    BOOST_TEST(rules[i].utc > rules[i - 1].utc);
    BOOST_TEST(rules[i].dst != rules[i - 1].dst);
  }
  BOOST_TEST(rules[0].utc <= kJune2025);
  BOOST_TEST(rules[1].utc > kJune2025);
}

BOOST_AUTO_TEST_CASE(zone_without_dst_gives_one_entry_at_now) {
  const auto tokyo = rules_for("Asia/Tokyo", kJune2025);
  BOOST_TEST(tokyo.size() == 1u);
  BOOST_TEST((tokyo[0] == TimeRule{kJune2025, 32400, false}));
  const auto utc = rules_for("UTC", kJune2025);
  BOOST_TEST((utc == std::vector<TimeRule>{{kJune2025, 0, false}}));
  // Negative fixed offset.
  const auto bogota = rules_for("America/Bogota", kJune2025);
  BOOST_TEST((bogota == std::vector<TimeRule>{{kJune2025, -18000, false}}));
}

BOOST_AUTO_TEST_CASE(short_tables_keep_their_flags) {
  // Reported by the bridge engineer: count 1 on a DST zone read before the start of the list.
  const auto one = build_time_rules("Europe/Rome", kJune2025, 1);
  BOOST_REQUIRE(one.ok());
  BOOST_TEST((one.value() == std::vector<TimeRule>{{1743296400, 7200, true}}));
  const auto winter = build_time_rules("Europe/Rome", 1735689600, 1);  // 2025-01-01
  BOOST_TEST((winter->front() == TimeRule{1729990800, 3600, false}));
  BOOST_TEST(build_time_rules("Europe/Rome", kJune2025, 0)->empty());
  const auto dublin = build_time_rules("Europe/Dublin", kJune2025, 1);
  BOOST_TEST(dublin->front().dst);
}

BOOST_AUTO_TEST_CASE(unknown_zone_is_a_clear_error) {
  auto rules = build_time_rules("Mars/Olympus_Mons", kJune2025);
  BOOST_REQUIRE(!rules.ok());
  BOOST_TEST(rules.error().describe() == "timezone: unknown time zone 'Mars/Olympus_Mons'");
  BOOST_TEST(!build_time_rules("", kJune2025).ok());
  BOOST_TEST(!check_time_rules("Nowhere/Land", "Nowhere/Land", {}, kJune2025).ok());
}

BOOST_AUTO_TEST_CASE(cloud_written_tables_in_the_traces_are_reproduced) {
  // The official app writes 20 entries starting at the transition in force when it wrote them.
  // Regenerating at that instant must give the device's table exactly (true UTC epochs).
  int checked = 0;
  for (const auto& path : meross::test::trace_files()) {
    auto trace = parse_trace(path.filename().string(), meross::test::read_file(path));
    BOOST_REQUIRE(trace.ok());
    rapidjson::Document all;
    all.Parse(trace->all_json.c_str());
    auto profile = profile_from_system_all(all);
    BOOST_REQUIRE(profile.ok());
    if (profile->time_rules.size() != 20) continue;
    const auto rebuilt = rules_for(profile->timezone, profile->time_rules.front().utc);
    BOOST_TEST((rebuilt == profile->time_rules), path.filename() << " " << profile->timezone);
    ++checked;
  }
  BOOST_TEST(checked >= 10);
}

BOOST_AUTO_TEST_CASE(dublin_summer_is_dst_as_the_app_writes_it) {
  // tzdata flags Irish winter as DST (negative save); the official app flags summer, as in the
  // real mss310 fw 1.1.18 trace: [1667091600,0,0],[1679792400,3600,1].
  const auto rules = rules_for("Europe/Dublin", kJune2025);
  BOOST_TEST((rules[0] == TimeRule{1743296400, 3600, true}));
  BOOST_TEST((rules[1] == TimeRule{1761440400, 0, false}));
  auto check = check_time_rules(
      "Europe/Dublin", "Europe/Dublin",
      std::vector<TimeRule>{{1743296400, 3600, true}, {1761440400, 0, false}}, kJune2025);
  BOOST_TEST(check->agrees, check->reason);
}

BOOST_AUTO_TEST_CASE(st_johns_negative_half_hour_offsets) {
  // America/St_Johns as set by the cloud on a real mss110 (meross-protocol.md §3.6).
  const auto rules = rules_for("America/St_Johns", 1647149400 + 1);
  BOOST_TEST((rules[0] == TimeRule{1647149400, -9000, true}));
  BOOST_TEST((rules[1] == TimeRule{1667709000, -12600, false}));
}

BOOST_AUTO_TEST_CASE(check_agrees_with_its_own_table) {
  for (const char* zone :
       {"Europe/Rome", "America/New_York", "Australia/Sydney", "Asia/Tokyo", "America/St_Johns"}) {
    const auto rules = rules_for(zone, kJune2025);
    auto check = check_time_rules(zone, zone, rules, kJune2025 + 3600);
    BOOST_REQUIRE(check.ok());
    BOOST_TEST(check->agrees, zone << ": " << check->reason);
  }
}

BOOST_AUTO_TEST_CASE(check_detects_what_differs) {
  const auto rome = rules_for("Europe/Rome", kJune2025);
  // Another zone name.
  auto check = check_time_rules("Europe/Rome", "Europe/Berlin", rome, kJune2025);
  BOOST_TEST(!check->agrees);
  BOOST_TEST(check->reason.find("Europe/Berlin") != std::string::npos);
  // Unset timezone, as on a fresh device.
  check = check_time_rules("Europe/Rome", "", {}, kJune2025);
  BOOST_TEST(!check->agrees);
  // Right name, stale table: the rules are from 2019 only.
  const auto stale = rules_for("Europe/Rome", 1553994000);  // 2019-03-31
  check = check_time_rules("Europe/Rome", "Europe/Rome",
                           std::vector<TimeRule>(stale.begin(), stale.begin() + 2), kJune2025);
  BOOST_TEST(!check->agrees);
  // meross_lan's bug: epochs shifted by the host's offset (00:00Z instead of 01:00Z).
  auto shifted = rome;
  for (auto& r : shifted)
    r.utc -= 3600;
  check = check_time_rules("Europe/Rome", "Europe/Rome", shifted, kJune2025);
  BOOST_TEST(!check->agrees);
  BOOST_TEST(check->reason.find("next transition") != std::string::npos);
  // Rule in force with the wrong offset.
  check = check_time_rules("Europe/Rome", "Europe/Rome",
                           std::vector<TimeRule>{{1743296400, 3600, true}, rome[1]}, kJune2025);
  BOOST_TEST(!check->agrees);
}

BOOST_AUTO_TEST_CASE(check_handles_negative_offsets) {
  // meross_lan's checker turned -14400 into 72000 and always failed for America/* zones.
  const std::vector<TimeRule> device{{1741503600, -14400, true}, {1762063200, -18000, false}};
  auto check = check_time_rules("America/New_York", "America/New_York", device, kJune2025);
  BOOST_TEST(check->agrees, check->reason);
  const std::vector<TimeRule> wrapped{{1741503600, 72000, true}, {1762063200, 68400, false}};
  check = check_time_rules("America/New_York", "America/New_York", wrapped, kJune2025);
  BOOST_TEST(!check->agrees);
}

BOOST_AUTO_TEST_CASE(fixed_zone_table_must_not_announce_a_transition) {
  auto check = check_time_rules("Asia/Tokyo", "Asia/Tokyo",
                                std::vector<TimeRule>{{1000, 32400, false}}, kJune2025);
  BOOST_TEST(check->agrees);
  check = check_time_rules(
      "Asia/Tokyo", "Asia/Tokyo",
      std::vector<TimeRule>{{1000, 32400, false}, {kJune2025 + 10, 36000, true}}, kJune2025);
  BOOST_TEST(!check->agrees);
}

BOOST_AUTO_TEST_CASE(parse_and_write_the_json_table) {
  rapidjson::Document doc;
  doc.Parse(R"([[1647149400,-9000,1],[1667709000,"-12600",0]])");
  auto rules = parse_time_rules(doc);
  BOOST_REQUIRE(rules.ok());
  BOOST_TEST((rules.value() ==
              std::vector<TimeRule>{{1647149400, -9000, true}, {1667709000, -12600, false}}));
  BOOST_TEST(
      time_set_payload("America/St_Johns", rules.value()) ==
      R"({"time":{"timezone":"America/St_Johns","timeRule":[[1647149400,-9000,1],[1667709000,-12600,0]]}})");
  doc.Parse(R"([[1,2]])");
  BOOST_TEST(parse_time_rules(doc).error().describe() ==
             "timeRule[0]: expected [epoch, offset, isdst]");
  doc.Parse(R"({"a":1})");
  BOOST_TEST(!parse_time_rules(doc).ok());
}

BOOST_AUTO_TEST_SUITE_END()
