#include "pairing/wifi_password.hpp"

#include <string>

#include "protocol/signing.hpp"

namespace meross::pairing {

std::string encrypt_wifix_password(std::string_view password, std::string_view hardware_type,
                                   std::string_view uuid, std::string_view mac) {
  std::string key_input;
  key_input.append(hardware_type).append(uuid).append(mac);
  return base64_encode(aes_zero_pad_encrypt(password, protocol::md5_hex(key_input)));
}

}  // namespace meross::pairing
