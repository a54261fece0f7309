#pragma once

// A Meross device's local HTTP API (POST /config) for tests, on loopback only. It answers
// System.All / System.Ability from a recorded trace, plays WifiList, Config.Key, Config.Wifi and
// WifiX, and, when the trace lists Appliance.Encrypt.ECDHE, does the device side of the key
// exchange and then only accepts AES-encrypted requests outside the plaintext namespaces (it drops
// the connection otherwise, like real firmware). Every request it receives is recorded, decrypted.

#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "pairing/loopback_server.hpp"

namespace meross::test {

class FakeDevice {
 public:
  struct Options {
    std::string trace;                        // fragment naming the trace, e.g. "mss310.csv"
    std::optional<std::string> required_key;  // when set, requests signed otherwise get ERROR 5001
    std::string wifi_list_json;               // the WifiList GETACK payload
  };

  struct Request {
    std::string method;
    std::string ns;
    std::string payload_json;
    std::string content_type;
    bool encrypted = false;
  };

  explicit FakeDevice(Options options);
  // Listens on `address` (any 127.0.0.0/8 address) and `port` (0 = a free one), so that several
  // devices can share a port on different addresses, as a LAN range scan expects.
  FakeDevice(Options options, const std::string& address, int port);
  FakeDevice(const FakeDevice&) = delete;
  FakeDevice& operator=(const FakeDevice&) = delete;

  std::string host() const { return server_->host(); }
  int port() const { return server_->port(); }
  std::vector<Request> requests() const;
  // From now on, records requests for `ns` and then drops the connection without an answer:
  // firmware that wants `ns` encrypted (System.All on some ECDHE firmware), or an answer lost
  // after the device got the request (Config.Key).
  void drop_requests_for(const std::string& ns);
  // Answers requests of `ns` with an ERROR (as firmware refusing a setting does).
  void refuse_requests_for(const std::string& ns);
  std::vector<std::string> namespaces() const;  // of the recorded requests, in order

  // The identity the device reports (uuid and MAC filled in from the trace name).
  const std::string& hardware_type() const { return type_; }
  const std::string& uuid() const { return uuid_; }
  const std::string& mac() const { return mac_; }
  bool ecdhe() const { return ecdhe_; }

 private:
  void handle(int fd);
  // The reply body, or nullopt to drop the connection.
  std::optional<std::string> answer(const std::string& body, const std::string& content_type);

  Options options_;
  std::string all_json_;
  std::string ability_json_;
  std::string type_, uuid_, mac_;
  bool ecdhe_ = false;
  std::optional<std::string> session_key_;
  mutable std::mutex mutex_;
  std::vector<Request> requests_;
  std::vector<std::string> dropped_namespaces_;
  std::vector<std::string> refused_namespaces_;
  std::optional<LoopbackServer> server_;  // last: its thread uses everything above
};

// AES-256-CBC, IV "0000000000000000", no padding, written here independently of pairing/.
std::string test_aes_decrypt(const std::string& cipher, const std::string& key);
std::string test_aes_encrypt_zero_padded(const std::string& plain, const std::string& key);
std::string test_base64_decode(const std::string& text);
std::string test_base64_encode(const std::string& bytes);

}  // namespace meross::test
