#pragma once

// The symmetric and key-agreement primitives of Meross pairing (meross-protocol.md §6.5, §6.6):
// AES-256-CBC with a 32-ASCII-character key, IV "0000000000000000" and zero padding; base64;
// P-256 ECDH whose shared secret becomes an AES key as md5hex(secret).

#include <memory>
#include <string>
#include <string_view>

#include "protocol/result.hpp"

typedef struct evp_pkey_st EVP_PKEY;

namespace meross::pairing {

// Standard base64 (with padding) and its inverse. Whitespace is not accepted.
std::string base64_encode(std::string_view bytes);
protocol::Result<std::string> base64_decode(std::string_view text);

// AES-256-CBC of `plain` zero-padded to a multiple of 16 (a whole zero block when already
// aligned), key = the 32 bytes of `key` (must be 32 characters), IV = sixteen ASCII '0'.
// Throws std::invalid_argument for a key of another length, std::runtime_error if OpenSSL fails.
std::string aes_zero_pad_encrypt(std::string_view plain, std::string_view key);

// The inverse: decrypts whole blocks (no padding check) and strips trailing NUL bytes.
// An Error when `cipher` is not a non-empty multiple of 16 bytes.
protocol::Result<std::string> aes_zero_pad_decrypt(std::string_view cipher, std::string_view key);

// The AES key of encrypted firmware that refuses the ECDHE exchange (meross_lan's
// compute_message_encryption_key): md5hex(uuid[3:22] + key[1:9] + mac + key[10:28]), the slices
// taken like Python's (by character, cut short by a short string) and `mac` as the device writes
// it, lowercase with colons ("48:e1:e9:c4:b2:96").
std::string static_encryption_key(std::string_view uuid, std::string_view key,
                                  std::string_view mac);

// An ephemeral P-256 key pair for the Appliance.Encrypt.ECDHE exchange.
class EcdhKey {
 public:
  // A fresh key from OpenSSL's CSPRNG. Throws std::runtime_error if OpenSSL fails.
  EcdhKey();
  ~EcdhKey();
  EcdhKey(EcdhKey&&) noexcept;
  EcdhKey& operator=(EcdhKey&&) noexcept;

  // Base64 of the 65-byte uncompressed public point (0x04 || X || Y).
  std::string public_key_base64() const;

  // The AES key both sides derive: md5hex(ECDH x-coordinate with the peer's base64 public point).
  // An Error when the peer key is not valid base64 or not a point on P-256.
  protocol::Result<std::string> session_key(std::string_view peer_public_base64) const;

 private:
  EVP_PKEY* key_ = nullptr;
};

}  // namespace meross::pairing
