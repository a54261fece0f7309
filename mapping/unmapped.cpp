// unmapped_abilities (issue 17): every ability a device reports that no family reads, except the
// namespaces the bridge, the pairing tools or the protocol layer handle themselves. Those are the
// one list below, each with why it is no Home Assistant feature; anything else, known or not
// (`Appliance.Control.TimerX`, a namespace of next year's firmware), is a feature left unmapped
// and belongs in the note. Checked against the ability lists of every trace in
// tests/fixtures/traces (the goldens under tests/mapping/expected show each device's note).

#include <string_view>

#include "mapping/family.hpp"

namespace meross::mapping {
namespace {

// A name ending in '.' stands for every namespace it begins.
struct HandledElsewhere {
  std::string_view ns;
  std::string_view why;  // for people reading this table
};

constexpr HandledElsewhere kHandledElsewhere[] = {
    // The device's identity and state document: the bridge reads it for the profile and hands
    // each digest section to its family.
    {"Appliance.System.All", "the profile and the digest"},
    {"Appliance.System.Ability", "this list itself"},
    {"Appliance.System.Hardware", "identity, part of System.All (device model)"},
    {"Appliance.System.Firmware", "identity, part of System.All (sw_version)"},
    {"Appliance.Mcu.Firmware", "the second chip's version: identity, not a control"},
    {"Appliance.Mcu.Hp110.Firmware", "the hp110a's second chip's version"},
    // Connection and session: the bridge's session answers or consumes these.
    {"Appliance.System.Online", "connection state: Home Assistant's availability topic"},
    {"Appliance.System.Report", "what a device sends when it connects"},
    {"Appliance.System.Clock", "clock sync, answered by the session"},
    {"Appliance.System.Time", "time zone and clock, kept by the session"},
    {"Appliance.Config.NtpSite", "time servers: clock keeping"},
    {"Appliance.Hub.Mts100.TimeSync", "a hub valve's clock sync"},
    {"Appliance.Control.Multiple", "batching of other requests"},
    {"Appliance.Control.ConsumptionConfig", "a plug's boot PUSH the session echoes back"},
    {"Appliance.Control.Bind", "binding to a cloud: the session's handshake"},
    {"Appliance.Control.Unbind", "unbinding from a cloud: pairing"},
    {"Appliance.System.Bind", "binding to a cloud: pairing"},
    {"Appliance.Hub.Report", "a hub's connect report (never queried, §0 rule 3)"},
    {"Appliance.Encrypt.", "transport encryption (protocol/)"},
    // Onboarding: the pairing tools write these once; nothing to show or change afterwards.
    {"Appliance.Config.Key", "the MQTT server and key: pairing"},
    {"Appliance.Config.Wifi", "Wi-Fi credentials: pairing"},
    {"Appliance.Config.WifiX", "Wi-Fi credentials (encrypted): pairing"},
    {"Appliance.Config.WifiList", "Wi-Fi scan: pairing"},
    {"Appliance.Config.Trace", "the onboarding log"},
    {"Appliance.Config.Info", "onboarding information"},
    {"Appliance.System.Position", "the location the app stores at pairing"},
    {"Appliance.Hub.PairSubDev", "pairing a sub-device to a hub: the Meross app's job"},
    {"Appliance.Hub.SubdeviceList", "sub-devices come from the digest (never queried, §0)"},
    // Maintenance that must not be one click away in Home Assistant.
    {"Appliance.System.Factory", "factory reset: would unpair the device"},
    {"Appliance.Control.Upgrade", "firmware upgrade"},
    {"Appliance.Mcu.Upgrade", "the second chip's firmware upgrade (never queried, §0)"},
    {"Appliance.System.Debug", "firmware internals; the Wi-Fi signal comes from System.Runtime"},
    // Summaries of other namespaces (what System.All's digest carries): the namespace summarised
    // is the one that is mapped or listed.
    {"Appliance.Digest.", "a summary of another namespace"},
};

bool handled_elsewhere(std::string_view ns) {
  for (const auto& entry : kHandledElsewhere) {
    const bool prefix = entry.ns.back() == '.';
    if (prefix ? ns.substr(0, entry.ns.size()) == entry.ns : ns == entry.ns) return true;
  }
  return false;
}

}  // namespace

std::vector<std::string> unmapped_abilities(const DeviceProfile& profile) {
  std::vector<std::string> out;
  for (const auto& [ns, params] : profile.abilities) {
    if (!detail::family_reading(ns) && !handled_elsewhere(ns)) out.push_back(ns);
  }
  return out;  // std::map keeps them sorted
}

}  // namespace meross::mapping
