#include <boost/test/unit_test.hpp>

#include "mapping/units.hpp"

using namespace meross::mapping;

BOOST_AUTO_TEST_SUITE(units)

BOOST_AUTO_TEST_CASE(electricity_from_a_real_mts960_reading) {
  // current 7902 mA, voltage 2312 dV, power 1843753 mW (trace mts960.csv).
  BOOST_TEST(amperes_from_milliamperes(7902) == 7.902);
  BOOST_TEST(volts_from_decivolts(2312) == 231.2);
  BOOST_TEST(watts_from_milliwatts(1843753) == 1843.753);
  BOOST_TEST(volts_from_millivolts(233680) == 233.68);
  BOOST_TEST(kilowatt_hours_from_watt_hours(958) == 0.958);
}

BOOST_AUTO_TEST_CASE(colour_temperature_scale) {
  BOOST_TEST(kelvin_from_meross_temperature(1) == 2700);
  BOOST_TEST(kelvin_from_meross_temperature(100) == 6500);
  BOOST_TEST(kelvin_from_meross_temperature(0) == 2700);
  BOOST_TEST(kelvin_from_meross_temperature(250) == 6500);
  BOOST_TEST(meross_temperature_from_kelvin(2700) == 1);
  BOOST_TEST(meross_temperature_from_kelvin(6500) == 100);
  BOOST_TEST(meross_temperature_from_kelvin(1000) == 1);
  for (int t = 1; t <= 100; ++t) {
    BOOST_TEST(meross_temperature_from_kelvin(kelvin_from_meross_temperature(t)) == t);
  }
}

BOOST_AUTO_TEST_SUITE_END()
