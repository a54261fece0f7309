#pragma once

// Meross device units → Home Assistant units (meross-protocol.md §5.3–§5.6).

#include <cstdint>

namespace meross::mapping {

// Meross units per Home Assistant unit: mW per W, mV per V, mA per A, Wh per kWh; 0.1 V per V.
inline constexpr int kMilliPerUnit = 1000;
inline constexpr int kDecivoltsPerVolt = 10;

// Electricity: power mW, voltage 0.1 V, current mA.
constexpr double watts_from_milliwatts(std::int64_t mw) {
  return static_cast<double>(mw) / kMilliPerUnit;
}
constexpr double volts_from_decivolts(std::int64_t dv) {
  return static_cast<double>(dv) / kDecivoltsPerVolt;
}
// ElectricityX (em06) reports voltage in mV.
constexpr double volts_from_millivolts(std::int64_t mv) {
  return static_cast<double>(mv) / kMilliPerUnit;
}
constexpr double amperes_from_milliamperes(std::int64_t ma) {
  return static_cast<double>(ma) / kMilliPerUnit;
}
// ConsumptionX/H: Wh.
constexpr double kilowatt_hours_from_watt_hours(std::int64_t wh) {
  return static_cast<double>(wh) / kMilliPerUnit;
}

// Light colour temperature: Meross 1 (warm) .. 100 (cold) ↔ 2700 .. 6500 K, linear.
inline constexpr int kMinKelvin = 2700;
inline constexpr int kMaxKelvin = 6500;
int kelvin_from_meross_temperature(int temperature);
int meross_temperature_from_kelvin(int kelvin);

}  // namespace meross::mapping
