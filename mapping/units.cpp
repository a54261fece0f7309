#include "mapping/units.hpp"

#include <algorithm>
#include <cmath>

namespace meross::mapping {

int kelvin_from_meross_temperature(int temperature) {
  const int t = std::clamp(temperature, 1, 100);
  return kMinKelvin + static_cast<int>(std::lround((t - 1) * (kMaxKelvin - kMinKelvin) / 99.0));
}

int meross_temperature_from_kelvin(int kelvin) {
  const int k = std::clamp(kelvin, kMinKelvin, kMaxKelvin);
  return 1 + static_cast<int>(std::lround((k - kMinKelvin) * 99.0 / (kMaxKelvin - kMinKelvin)));
}

}  // namespace meross::mapping
