#include <string>

#include <rapidjson/document.h>
#include <boost/test/unit_test.hpp>

#include "protocol/abilities.hpp"
#include "protocol/device_profile.hpp"
#include "support/fixtures.hpp"

using namespace meross::protocol;

namespace {

DeviceProfile with_abilities_of(const char* trace_name) {
  const Trace trace = meross::test::load_trace(trace_name);
  rapidjson::Document doc;
  doc.Parse(trace.ability_json.c_str());
  DeviceProfile p;
  BOOST_REQUIRE(!apply_abilities(p, doc).has_value());
  return p;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(abilities)

BOOST_AUTO_TEST_CASE(copies_of_a_profile_share_one_list) {
  const DeviceProfile a = with_abilities_of("Kpippo-mss310.csv");
  const DeviceProfile b = a;  // NOLINT(performance-unnecessary-copy-initialization): the point
  BOOST_TEST(a.abilities.size() > 10u);
  BOOST_TEST(a.abilities.shares_with(b.abilities));
  BOOST_TEST(b.has_ability("Appliance.Control.Electricity"));
}

BOOST_AUTO_TEST_CASE(set_copies_a_shared_list_first) {
  const DeviceProfile a = with_abilities_of("Kpippo-mss310.csv");
  DeviceProfile b = a;
  b.abilities.set("Appliance.Control.Fan", "{}");
  BOOST_TEST(!a.abilities.shares_with(b.abilities));
  BOOST_TEST(!a.has_ability("Appliance.Control.Fan"));
  BOOST_TEST(b.has_ability("Appliance.Control.Fan"));
  BOOST_TEST(b.abilities.size() == a.abilities.size() + 1);
}

BOOST_AUTO_TEST_CASE(the_pool_gives_equal_lists_one_copy) {
  AbilityPool pool;
  // Two devices of one model, parsed separately: equal content, two lists until interned.
  const Abilities first = pool.intern(with_abilities_of("Kpippo-mss310.csv").abilities);
  const Abilities parsed_again = with_abilities_of("Kpippo-mss310.csv").abilities;
  BOOST_TEST(!first.shares_with(parsed_again));
  const Abilities second = pool.intern(parsed_again);
  BOOST_TEST(first.shares_with(second));
  BOOST_TEST(pool.distinct() == 1u);

  // Another model gets its own list.
  const Abilities bulb = pool.intern(with_abilities_of("msl320").abilities);
  BOOST_TEST(!bulb.shares_with(first));
  BOOST_TEST(!(bulb == first));
  BOOST_TEST(pool.distinct() == 2u);
}

BOOST_AUTO_TEST_CASE(the_pool_forgets_lists_no_device_holds) {
  AbilityPool pool;
  { pool.intern(with_abilities_of("msl320").abilities); }  // held by nobody afterwards
  const Abilities plug = pool.intern(with_abilities_of("Kpippo-mss310.csv").abilities);
  BOOST_TEST(pool.distinct() == 1u);
  BOOST_TEST(!pool.intern(Abilities{}).shares_with(plug));  // no abilities: nothing to share
  BOOST_TEST(pool.intern(Abilities{}).empty());
}

BOOST_AUTO_TEST_SUITE_END()
