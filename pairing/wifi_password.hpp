#pragma once

// Wi-Fi credentials for Appliance.Config.Wifi / WifiX (meross-protocol.md §6.4, §6.5).

#include <string>
#include <string_view>

#include "pairing/crypto.hpp"

namespace meross::pairing {

// The WifiX password field: base64(AES-256-CBC(password zero-padded to a multiple of 16, with a
// whole zero block when already aligned)), key = md5hex(type + uuid + mac) as 32 ASCII bytes,
// IV = sixteen ASCII '0'. Throws std::runtime_error only if OpenSSL itself fails.
std::string encrypt_wifix_password(std::string_view password, std::string_view hardware_type,
                                   std::string_view uuid, std::string_view mac);

}  // namespace meross::pairing
