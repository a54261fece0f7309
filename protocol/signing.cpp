#include "protocol/signing.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <memory>
#include <stdexcept>

// Before any OpenSSL header: the MD5 functions without their deprecation warnings (see Md5Digest).
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/evp.h>
#include <openssl/md5.h>
#include <openssl/rand.h>
#if !defined(OPENSSL_NO_DEPRECATED_3_0) && !defined(OPENSSL_NO_MD5)
#define MEROSS_MD5_LOW_LEVEL
#endif

namespace meross::protocol {
namespace {

constexpr std::size_t kMd5Bytes = 16;

void hex_into(const unsigned char* bytes, std::size_t size, char* out) {
  static constexpr char kDigits[] = "0123456789abcdef";
  for (std::size_t i = 0; i < size; ++i) {
    out[2 * i] = kDigits[bytes[i] >> 4];
    out[2 * i + 1] = kDigits[bytes[i] & 0x0f];
  }
}

// One MD5 computation, with OpenSSL's MD5 functions on a context on the stack. Every message is
// verified: through EVP each digest costs an implementation lookup and a context allocation, as
// much as hashing the ~60 bytes itself. OpenSSL 3 marks these functions deprecated in favour of
// EVP but keeps them; a build of OpenSSL without them takes the EVP path.
#if defined(MEROSS_MD5_LOW_LEVEL)
class Md5Digest {
 public:
  Md5Digest() { MD5_Init(&ctx_); }
  void add(std::string_view data) { MD5_Update(&ctx_, data.data(), data.size()); }
  // Writes the 32 lowercase hex digits (no terminator).
  void hex(char* out) {
    unsigned char digest[MD5_DIGEST_LENGTH];
    MD5_Final(digest, &ctx_);
    hex_into(digest, kMd5Bytes, out);
  }

 private:
  MD5_CTX ctx_;
};
#else
class Md5Digest {
 public:
  Md5Digest() : ctx_(thread_context()) {
    if (EVP_DigestInit_ex2(ctx_, md5(), nullptr) != 1) unavailable();
  }
  void add(std::string_view data) {
    if (EVP_DigestUpdate(ctx_, data.data(), data.size()) != 1) unavailable();
  }
  // Writes the 32 lowercase hex digits (no terminator).
  void hex(char* out) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (EVP_DigestFinal_ex(ctx_, digest, &length) != 1 || length != kMd5Bytes) unavailable();
    hex_into(digest, kMd5Bytes, out);
  }

 private:
  [[noreturn]] static void unavailable() { throw std::runtime_error("OpenSSL MD5 is unavailable"); }

  // Fetched once per process; one context per thread, reused.
  static const EVP_MD* md5() {
    static const std::unique_ptr<EVP_MD, decltype(&EVP_MD_free)> md(
        EVP_MD_fetch(nullptr, "MD5", nullptr), &EVP_MD_free);
    if (!md) unavailable();
    return md.get();
  }
  static EVP_MD_CTX* thread_context() {
    thread_local const std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(
        EVP_MD_CTX_new(), &EVP_MD_CTX_free);
    if (!ctx) unavailable();
    return ctx.get();
  }

  EVP_MD_CTX* ctx_;
};
#endif

// The 32 lowercase hex digits of `digest` as a string.
std::string hex_string(Md5Digest& digest) {
  std::string out(2 * kMd5Bytes, '0');
  digest.hex(out.data());
  return out;
}

// The signed text: messageId + key + decimal(timestamp), put together on the stack (one digest
// update) when it fits, as it does for every real message.
void add_sign_input(Md5Digest& digest, std::string_view message_id, std::string_view key,
                    std::int64_t timestamp) {
  char digits[24];
  const auto digits_end = std::to_chars(digits, digits + sizeof digits, timestamp).ptr;
  const std::string_view decimal(digits, static_cast<std::size_t>(digits_end - digits));
  char text[256];
  if (message_id.size() + key.size() + decimal.size() > sizeof text) {
    digest.add(message_id);
    digest.add(key);
    digest.add(decimal);
    return;
  }
  char* end = std::copy(message_id.begin(), message_id.end(), text);
  end = std::copy(key.begin(), key.end(), end);
  end = std::copy(decimal.begin(), decimal.end(), end);
  digest.add(std::string_view(text, static_cast<std::size_t>(end - text)));
}

char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

}  // namespace

std::string md5_hex(std::string_view data) {
  Md5Digest digest;
  digest.add(data);
  return hex_string(digest);
}

std::string compute_sign(std::string_view message_id, std::string_view key,
                         std::int64_t timestamp) {
  Md5Digest digest;
  add_sign_input(digest, message_id, key, timestamp);
  return hex_string(digest);
}

bool verify_sign(std::string_view message_id, std::string_view key, std::int64_t timestamp,
                 std::string_view received_sign) {
  Md5Digest digest;
  add_sign_input(digest, message_id, key, timestamp);
  char expected[2 * kMd5Bytes];
  digest.hex(expected);
  if (received_sign.size() != sizeof expected) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < sizeof expected; ++i) {
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
  std::string out(2 * bytes.size(), '0');
  hex_into(bytes.data(), bytes.size(), out.data());
  return out;
}

}  // namespace meross::protocol
