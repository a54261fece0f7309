#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <initializer_list>
#include <limits>
#include <utility>

#include "mapping/families.hpp"
#include "mapping/units.hpp"

using namespace meross::mapping;

BOOST_AUTO_TEST_SUITE(units)

BOOST_AUTO_TEST_CASE(electricity_from_a_real_mts960_reading) {
  // current 7902 mA, voltage 2312 dV, power 1843753 mW (trace mts960.csv).
  const struct {
    double (*convert)(std::int64_t);
    std::int64_t raw;
    double expected;
  } readings[] = {{amperes_from_milliamperes, 7902, 7.902},
                  {volts_from_decivolts, 2312, 231.2},
                  {watts_from_milliwatts, 1843753, 1843.753},
                  {volts_from_millivolts, 233680, 233.68},
                  {kilowatt_hours_from_watt_hours, 958, 0.958}};
  for (const auto& r : readings) {
    BOOST_TEST_CONTEXT(r.raw) {
      BOOST_TEST(r.convert(r.raw) == r.expected);
    }
  }
}

BOOST_AUTO_TEST_CASE(colour_temperature_scale) {
  // {Meross temperature, kelvin}: the ends of the scale, and what lies beyond them clamped.
  for (const auto& [temperature, kelvin] :
       {std::pair{1, 2700}, {100, 6500}, {0, 2700}, {250, 6500}}) {
    BOOST_TEST_CONTEXT(temperature) {
      BOOST_TEST(kelvin_from_meross_temperature(temperature) == kelvin);
    }
  }
  for (const auto& [kelvin, temperature] : {std::pair{2700, 1}, {6500, 100}, {1000, 1}}) {
    BOOST_TEST_CONTEXT(kelvin) {
      BOOST_TEST(meross_temperature_from_kelvin(kelvin) == temperature);
    }
  }
  for (int t = 1; t <= 100; ++t) {
    BOOST_TEST(meross_temperature_from_kelvin(kelvin_from_meross_temperature(t)) == t);
  }
}

// States print converted readings from the integer (format_scaled); they must read exactly as
// the converted double printed by format_number.
BOOST_AUTO_TEST_CASE(scaled_readings_print_as_the_converted_double) {
  using detail::format_number;
  using detail::format_scaled;
  BOOST_TEST(format_scaled(1843753, kMilliPerUnit) == "1843.753");
  BOOST_TEST(format_scaled(2312, kDecivoltsPerVolt) == "231.2");
  BOOST_TEST(format_scaled(-5, kMilliPerUnit) == "-0.005");
  BOOST_TEST(format_scaled(0, kMilliPerUnit) == "0");
  BOOST_TEST(format_scaled(120000, kMilliPerUnit) == "120");
  const auto same = [&](std::int64_t value) {
    for (int divisor : {kMilliPerUnit, kDecivoltsPerVolt}) {
      BOOST_TEST(format_scaled(value, divisor) ==
                 format_number(static_cast<double>(value) / divisor));
    }
  };
  for (std::int64_t v = -20000; v <= 20000; ++v)
    same(v);
  constexpr std::int64_t kEdge = std::int64_t{1} << 42;
  for (std::int64_t v : {kEdge - 1, kEdge, kEdge + 1, -kEdge + 1, -kEdge, -kEdge - 1,
                         std::numeric_limits<std::int64_t>::max(),
                         std::numeric_limits<std::int64_t>::min(), std::int64_t{123456789012345}}) {
    same(v);
  }
}

BOOST_AUTO_TEST_SUITE_END()
