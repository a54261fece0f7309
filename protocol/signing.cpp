#include "protocol/signing.hpp"

#include <array>
#include <stdexcept>

#include <openssl/evp.h>
#include <openssl/rand.h>

namespace meross::protocol {
namespace {

std::string to_hex(const unsigned char* bytes, std::size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(size * 2, '0');
  for (std::size_t i = 0; i < size; ++i) {
    out[2 * i] = kDigits[bytes[i] >> 4];
    out[2 * i + 1] = kDigits[bytes[i] & 0x0f];
  }
  return out;
}

char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

}  // namespace

std::string md5_hex(std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  if (EVP_Digest(data.data(), data.size(), digest.data(), &length, EVP_md5(), nullptr) != 1) {
    throw std::runtime_error("OpenSSL MD5 is unavailable");
  }
  return to_hex(digest.data(), length);
}

std::string compute_sign(std::string_view message_id, std::string_view key,
                         std::int64_t timestamp) {
  std::string input;
  input.reserve(message_id.size() + key.size() + 20);
  input.append(message_id).append(key).append(std::to_string(timestamp));
  return md5_hex(input);
}

bool verify_sign(std::string_view message_id, std::string_view key, std::int64_t timestamp,
                 std::string_view received_sign) {
  const std::string expected = compute_sign(message_id, key, timestamp);
  if (received_sign.size() != expected.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    diff |= static_cast<unsigned char>(expected[i] ^ lower(received_sign[i]));
  }
  return diff == 0;
}

std::string device_mqtt_password(std::string_view mac, std::string_view key,
                                 std::uint64_t user_id) {
  std::string input;
  input.append(mac).append(key);
  return std::to_string(user_id) + "_" + md5_hex(input);
}

std::string new_message_id() {
  std::array<unsigned char, 16> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    throw std::runtime_error("OpenSSL RAND_bytes failed");
  }
  return to_hex(bytes.data(), bytes.size());
}

}  // namespace meross::protocol
