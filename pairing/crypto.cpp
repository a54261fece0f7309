#include "pairing/crypto.hpp"

#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "protocol/signing.hpp"

namespace meross::pairing {
namespace {

using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;
using PkeyCtx = std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)>;
using Pkey = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;

constexpr unsigned char kIv[16] = {'0', '0', '0', '0', '0', '0', '0', '0',
                                   '0', '0', '0', '0', '0', '0', '0', '0'};

const unsigned char* bytes_of(std::string_view text) {
  return reinterpret_cast<const unsigned char*>(text.data());
}

std::string run_cipher(bool encrypt, std::string_view input, std::string_view key) {
  if (key.size() != 32) throw std::invalid_argument("AES-256 key must be 32 bytes");
  CipherCtx ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
  std::string out(input.size() + 16, '\0');
  auto* out_bytes = reinterpret_cast<unsigned char*>(out.data());
  int length = 0;
  int final_length = 0;
  if (!ctx ||
      EVP_CipherInit_ex(ctx.get(), EVP_aes_256_cbc(), nullptr, bytes_of(key), kIv,
                        encrypt ? 1 : 0) != 1 ||
      EVP_CIPHER_CTX_set_padding(ctx.get(), 0) != 1 ||
      EVP_CipherUpdate(ctx.get(), out_bytes, &length, bytes_of(input),
                       static_cast<int>(input.size())) != 1 ||
      EVP_CipherFinal_ex(ctx.get(), out_bytes + length, &final_length) != 1) {
    throw std::runtime_error("OpenSSL AES-256-CBC failed");
  }
  out.resize(static_cast<std::size_t>(length + final_length));
  return out;
}

// text[begin:end] as Python slices a str: by code point, clamped to the text. Keys are usually
// ASCII, but a key with UTF-8 in it must still give the firmware's (and meross_lan's) AES key.
std::string_view python_slice(std::string_view text, std::size_t begin, std::size_t end) {
  std::size_t index = 0;
  std::size_t from = text.size();
  std::size_t to = text.size();
  for (std::size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) continue;  // continuation byte
    if (index == begin) from = i;
    if (index == end) {
      to = i;
      break;
    }
    ++index;
  }
  return from >= to ? std::string_view{} : text.substr(from, to - from);
}

}  // namespace

std::string base64_encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes_of(bytes),
                                      static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(written));
  return out;
}

protocol::Result<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) {
    return protocol::Error{"", "not base64: length is not a multiple of 4"};
  }
  for (const char c : text) {
    const bool valid = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                       c == '+' || c == '/' || c == '=';
    if (!valid) return protocol::Error{"", "not base64: unexpected character"};
  }
  std::string out(text.size() / 4 * 3 + 1, '\0');
  const int written = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes_of(text),
                                      static_cast<int>(text.size()));
  if (written < 0) return protocol::Error{"", "not base64"};
  std::size_t size = static_cast<std::size_t>(written);
  // EVP_DecodeBlock keeps the bytes that stand for '=' padding; drop them.
  if (!text.empty() && text.back() == '=') --size;
  if (text.size() >= 2 && text[text.size() - 2] == '=') --size;
  out.resize(size);
  return out;
}

std::string aes_zero_pad_encrypt(std::string_view plain, std::string_view key) {
  std::string padded(plain);
  padded.resize((plain.size() / 16 + 1) * 16, '\0');
  return run_cipher(true, padded, key);
}

protocol::Result<std::string> aes_zero_pad_decrypt(std::string_view cipher, std::string_view key) {
  if (cipher.empty() || cipher.size() % 16 != 0) {
    return protocol::Error{"", "encrypted body is not a whole number of AES blocks"};
  }
  std::string plain = run_cipher(false, cipher, key);
  while (!plain.empty() && plain.back() == '\0')
    plain.pop_back();
  return plain;
}

std::string static_encryption_key(std::string_view uuid, std::string_view key,
                                  std::string_view mac) {
  std::string material;
  material.append(python_slice(uuid, 3, 22));
  material.append(python_slice(key, 1, 9));
  material.append(mac);
  material.append(python_slice(key, 10, 28));
  return protocol::md5_hex(material);
}

EcdhKey::EcdhKey() {
  key_ = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  if (!key_) throw std::runtime_error("OpenSSL could not generate a P-256 key");
}

EcdhKey::~EcdhKey() {
  EVP_PKEY_free(key_);
}

EcdhKey::EcdhKey(EcdhKey&& other) noexcept : key_(other.key_) {
  other.key_ = nullptr;
}

EcdhKey& EcdhKey::operator=(EcdhKey&& other) noexcept {
  if (this != &other) {
    EVP_PKEY_free(key_);
    key_ = other.key_;
    other.key_ = nullptr;
  }
  return *this;
}

std::string EcdhKey::public_key_base64() const {
  unsigned char* point = nullptr;
  const std::size_t size = EVP_PKEY_get1_encoded_public_key(key_, &point);
  if (size == 0 || !point) throw std::runtime_error("OpenSSL could not encode the public key");
  std::string encoded = base64_encode(std::string_view(reinterpret_cast<char*>(point), size));
  OPENSSL_free(point);
  return encoded;
}

protocol::Result<std::string> EcdhKey::session_key(std::string_view peer_public_base64) const {
  auto point = base64_decode(peer_public_base64);
  if (!point) return protocol::Error{"ecdhe.pubkey", "the device's public key is not base64"};
  Pkey peer(EVP_PKEY_new(), &EVP_PKEY_free);
  if (!peer || EVP_PKEY_copy_parameters(peer.get(), key_) != 1 ||
      EVP_PKEY_set1_encoded_public_key(peer.get(), bytes_of(*point), point->size()) != 1) {
    return protocol::Error{"ecdhe.pubkey", "the device's public key is not a P-256 point"};
  }
  PkeyCtx ctx(EVP_PKEY_CTX_new(key_, nullptr), &EVP_PKEY_CTX_free);
  std::size_t secret_size = 0;
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1 ||
      EVP_PKEY_derive_set_peer(ctx.get(), peer.get()) != 1 ||
      EVP_PKEY_derive(ctx.get(), nullptr, &secret_size) != 1) {
    return protocol::Error{"ecdhe.pubkey", "ECDH with the device's public key failed"};
  }
  std::string secret(secret_size, '\0');
  if (EVP_PKEY_derive(ctx.get(), reinterpret_cast<unsigned char*>(secret.data()), &secret_size) !=
      1) {
    return protocol::Error{"ecdhe.pubkey", "ECDH with the device's public key failed"};
  }
  secret.resize(secret_size);
  return protocol::md5_hex(secret);
}

}  // namespace meross::pairing
