#pragma once

// Shared by the mapping fuzz targets: device profiles of every mapped family, built from the
// fixture traces once at start-up, and the namespaces mapping::states_from handles.

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "discovery/inspect.hpp"
#include "protocol/device_profile.hpp"

namespace meross::fuzz {

// One trace per family: plug with metering (Electricity, ConsumptionX), multi-channel strip, RGB
// bulbs with effects, garage door openers, roller shutter, ElectricityX meter, legacy devices.
// The order is part of the corpus format; make_corpus.py reads this list from here.
inline constexpr std::array<std::string_view, 12> kTraceFiles = {
    "U0123456789012345678901234567891A-Kpippo-mss310.csv",
    "U0123456789012345678901234567890B-Kpippo-msl320.json.txt",
    "U0123456789012345678901234567890D-Kpippo-msl450-1672762073.csv",
    "U01234567890123456789012345678906-Kpippo-msg100-1637650619.csv",
    "U0123456789012345678901234567891C-Kpippo-msg200.json.txt",
    "U01234567890123456789012345678905-Kpippo-mrs100-1631368847.csv",
    "U01234567890123456789012345678921-Kpippo-em06.json.txt",
    "U01234567890123456789012345678907-Kpippo-mss210.json.txt",
    "U01234567890123456789012345678920-Kpippo-mss100.json.txt",
    "U01234567890123456789012345678924-Kpippo-mss305.json.txt",
    "U01234567890123456789012345678902-Kpippo-mod100-1644417922.csv",
    "U0123456789012345678901234567891B-Kpippo-mss310.2024-04-29_23-52-45.csv",
};

// Every namespace mapping::states_from dispatches on (make_corpus.py reads this list too).
inline constexpr std::array<std::string_view, 15> kNamespaces = {
    "Appliance.Control.ToggleX",      "Appliance.Control.Toggle",
    "Appliance.Control.Light",        "Appliance.Control.Light.Effect",
    "Appliance.Control.Electricity",  "Appliance.Control.ElectricityX",
    "Appliance.Control.ConsumptionX", "Appliance.Control.ConsumptionH",
    "Appliance.GarageDoor.State",     "Appliance.RollerShutter.Position",
    "Appliance.RollerShutter.State",  "Appliance.System.Runtime",
    "Appliance.System.DNDMode",       "Appliance.System.All",
    "Appliance.Control.Multiple",
};

inline const std::vector<protocol::DeviceProfile>& profiles() {
  static const std::vector<protocol::DeviceProfile> all = [] {
    std::vector<protocol::DeviceProfile> out;
    for (const auto name : kTraceFiles) {
      const std::string path = std::string(MEROSS_FIXTURES_DIR) + "/traces/" + std::string(name);
      std::ifstream in(path, std::ios::binary);
      std::ostringstream text;
      text << in.rdbuf();
      auto profile = discovery::profile_from_file(name, text.str());
      if (!in || !profile) {
        std::fprintf(stderr, "fuzz: cannot build a profile from %s\n", path.c_str());
        std::abort();
      }
      out.push_back(std::move(profile).value());
    }
    return out;
  }();
  return all;
}

}  // namespace meross::fuzz
