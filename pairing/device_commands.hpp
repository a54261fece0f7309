#pragma once

// The subcommands that talk to a device or the Meross cloud over HTTP, through libcurl: their
// names and one-line summaries, spelled once for both programs' --help. meross-pair runs them;
// meross-bridge lists them and hands their command lines to meross-pair, so that the daemon never
// maps libcurl and its library tree (docs/architecture.md, "Memory").

#include <array>

namespace meross::pairing {

struct CommandSummary {
  const char* name;
  const char* summary;
};

inline constexpr CommandSummary kInfoCommand{
    "info", "show a device's type, firmware, MAC, uuid, broker and setup encryption"};
inline constexpr CommandSummary kWifiCommand{"wifi", "list the Wi-Fi networks the device sees"};
inline constexpr CommandSummary kPairCommand{
    "pair", "point a device in pairing mode at your broker and Wi-Fi (Config.Key, Wifi/WifiX)"};
inline constexpr CommandSummary kCallCommand{"call", "send one signed request and print the reply"};
inline constexpr CommandSummary kScanCommand{
    "scan", "find the Meross devices on the LAN: model, firmware, MAC, uuid, broker, key"};
inline constexpr CommandSummary kMoveCommand{
    "move",
    "re-point a device on the LAN at your broker (SET Appliance.Config.Key over HTTP); the "
    "Meross app loses it"};
inline constexpr CommandSummary kAccountCommand{
    "account",
    "sign in to your Meross account and print its userId and devices; --write-config stores the "
    "account's key and userId in the bridge's configuration"};

// In the order both programs list them.
inline constexpr std::array kDeviceCommands{kInfoCommand,   kWifiCommand, kPairCommand,
                                            kCallCommand,   kScanCommand, kMoveCommand,
                                            kAccountCommand};

}  // namespace meross::pairing
