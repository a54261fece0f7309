#include "pairing/wifi_password.hpp"

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <openssl/evp.h>

#include "protocol/signing.hpp"

namespace meross::pairing {

std::string base64_encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                      reinterpret_cast<const unsigned char*>(bytes.data()),
                                      static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(written));
  return out;
}

std::string encrypt_wifix_password(std::string_view password, std::string_view hardware_type,
                                   std::string_view uuid, std::string_view mac) {
  std::string key_input;
  key_input.append(hardware_type).append(uuid).append(mac);
  const std::string key = protocol::md5_hex(key_input);  // 32 ASCII chars = AES-256 key
  static constexpr unsigned char kIv[16] = {'0', '0', '0', '0', '0', '0', '0', '0',
                                            '0', '0', '0', '0', '0', '0', '0', '0'};

  std::vector<unsigned char> plain(password.begin(), password.end());
  plain.resize((password.size() / 16 + 1) * 16, 0);

  std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)> ctx(EVP_CIPHER_CTX_new(),
                                                                      &EVP_CIPHER_CTX_free);
  std::vector<unsigned char> cipher(plain.size() + 16);
  int length = 0;
  int final_length = 0;
  if (!ctx ||
      EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_cbc(), nullptr,
                         reinterpret_cast<const unsigned char*>(key.data()), kIv) != 1 ||
      EVP_CIPHER_CTX_set_padding(ctx.get(), 0) != 1 ||
      EVP_EncryptUpdate(ctx.get(), cipher.data(), &length, plain.data(),
                        static_cast<int>(plain.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), cipher.data() + length, &final_length) != 1) {
    throw std::runtime_error("OpenSSL AES-256-CBC encryption failed");
  }
  return base64_encode(std::string_view(reinterpret_cast<const char*>(cipher.data()),
                                        static_cast<std::size_t>(length + final_length)));
}

}  // namespace meross::pairing
