#pragma once

// Shared by the broker/ tests: random devices as they log in (meross-protocol.md §2.3), password
// hashes made the way mosquitto_passwd makes them (but with OpenSSL directly, independently of
// the plugin), and scratch files with a chosen mode.

#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include <openssl/evp.h>

#include "protocol/signing.hpp"

namespace meross::test::broker {

// The two account keys of the tests. Both hold "s3cr3t", which no log or error may show; the
// second has the '/' and '+' of a base64 key.
inline const std::string kKey1 = "Key-A-s3cr3t-e81f";
inline const std::string kKey2 = "Key_B/s3cr3t+9c";

inline std::mt19937_64& random_engine() {
  static std::mt19937_64 engine{std::random_device{}()};
  return engine;
}

inline std::string random_from(const std::string& alphabet, std::size_t length) {
  std::uniform_int_distribution<std::size_t> pick(0, alphabet.size() - 1);
  std::string out;
  for (std::size_t i = 0; i < length; ++i)
    out += alphabet[pick(random_engine())];
  return out;
}

inline std::string random_alnum(std::size_t length) {
  return random_from("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", length);
}

inline std::string random_hex(std::size_t length) {
  return random_from("0123456789abcdef", length);
}

// A device nobody registered anywhere: a random MAC, a uuid ending with it, a fresh client id.
struct Device {
  std::string mac;  // aa:bb:cc:dd:ee:ff
  std::string uuid;
  std::string client_id;

  static Device random() {
    Device d;
    const std::string hex = random_hex(12);
    for (std::size_t i = 0; i < 12; i += 2) {
      d.mac += (i ? ":" : "") + hex.substr(i, 2);
    }
    d.uuid = random_from("0123456789abcdefghijklmnopqrstuvwxyz", 20) + hex;
    d.client_id = "fmware:" + d.uuid + "_" + random_alnum(16);
    return d;
  }
  std::string password(const std::string& key, std::uint64_t user_id) const {
    return protocol::device_mqtt_password(mac, key, user_id);
  }
  std::string publish_topic() const { return "/appliance/" + uuid + "/publish"; }
  std::string subscribe_topic() const { return "/appliance/" + uuid + "/subscribe"; }
};

inline std::string base64(const std::vector<unsigned char>& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes.data(),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

// "$7$<iterations>$<salt>$<PBKDF2-HMAC-SHA512>", as mosquitto_passwd writes it.
inline std::string pbkdf2_hash(const std::string& password, int iterations = 101,
                               std::size_t salt_bytes = 12) {
  std::vector<unsigned char> salt(salt_bytes);
  for (auto& b : salt)
    b = static_cast<unsigned char>(random_engine()());
  std::vector<unsigned char> digest(64);
  if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()), salt.data(),
                        static_cast<int>(salt.size()), iterations, EVP_sha512(),
                        static_cast<int>(digest.size()), digest.data()) != 1) {
    throw std::runtime_error("PKCS5_PBKDF2_HMAC failed");
  }
  return "$7$" + std::to_string(iterations) + "$" + base64(salt) + "$" + base64(digest);
}

// A line Debian's `mosquitto_passwd -b FILE meross-bridge 'secret pass'` wrote.
constexpr const char* kMosquittoPasswdUser = "meross-bridge";
constexpr const char* kMosquittoPasswdPassword = "secret pass";
constexpr const char* kMosquittoPasswdHash =
    "$7$101$FijjEZ2q21eK2ip7$H/0h1uLXzQCLPhhnIWG0Z4k9HJa6FdM6zCU0qbzZjBsdtuCBonsITwDi065DA/"
    "vj6c7YQqHHxQu7Yn7eonU9BQ==";

// A fresh directory under /tmp, removed with everything in it.
class ScratchDir {
 public:
  ScratchDir() {
    char pattern[] = "/tmp/meross-broker-test-XXXXXX";
    if (!::mkdtemp(pattern)) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
    // mosquitto started as root reads its files as the `mosquitto` user (it drops privileges
    // before loading plugins).
    ::chmod(path_.c_str(), 0755);
  }
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

  // Writes `name` with exactly `mode` (whatever the umask) and returns its path.
  std::string write(const std::string& name, const std::string& text, mode_t mode = 0600) const {
    const std::string path = file(name);
    std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
    if (::chmod(path.c_str(), mode) != 0) throw std::runtime_error("chmod failed: " + path);
    return path;
  }

 private:
  std::filesystem::path path_;
};

}  // namespace meross::test::broker
