#pragma once

// The device's local HTTP API: POST http://<host>/config (meross-protocol.md §6.1), through
// libcurl with timeouts, with the optional AES layer of ECDHE firmware (§6.6).

#include <optional>
#include <string>
#include <string_view>

#include "protocol/envelope.hpp"
#include "protocol/result.hpp"

namespace meross::pairing {

struct HttpTimeouts {
  long connect_ms = 5000;
  long total_ms = 15000;
};

// "10.10.10.1", "192.168.1.20:8080", "plug.lan": a host with an optional port, nothing else.
// An Error for anything that could make another URL (scheme, path, credentials, spaces).
std::optional<protocol::Error> check_host(std::string_view host);

// One POST of `body` to http://<host>/config; the response body on HTTP 200. Errors say whether
// the device was unreachable, silent, closed the connection, or answered another status.
protocol::Result<std::string> post_config(std::string_view host, std::string_view body,
                                          std::string_view content_type,
                                          const HttpTimeouts& timeouts);

// How a device's firmware wants its HTTP requests (meross-protocol.md §6.6).
enum class HttpEncryption {
  Plain,
  Ecdhe,      // AES with the key of an ECDHE exchange, outside the plaintext namespaces
  StaticKey,  // refuses the exchange: AES with static_encryption_key() on every request
};

// Signed requests to one device over HTTP. After exchange_keys(), requests outside the plaintext
// namespaces are AES-encrypted with the ECDHE session key and so are their replies; after
// use_static_key(), every request is, as meross_lan does for that kind of firmware.
class DeviceClient {
 public:
  DeviceClient(std::string host, std::string key, HttpTimeouts timeouts = {});

  // Sends one signed request and checks the reply (see check_reply).
  protocol::Result<protocol::Message> request(protocol::Method method, std::string_view ns,
                                              std::string_view payload_json = "{}");

  // SET Appliance.Encrypt.ECDHE step 1 with a fresh P-256 key; derives the session key.
  std::optional<protocol::Error> exchange_keys();
  // AES with static_encryption_key(uuid, key, mac) from now on; `mac` in any usual spelling, or
  // "" for the one in the uuid.
  void use_static_key(std::string_view uuid, std::string_view mac);
  // The one place that decides how to talk to firmware whose Ability lists
  // Appliance.Encrypt.ECDHE and whose System.All is not readable in plaintext: the ECDHE exchange,
  // or the static key when the device refuses the exchange. An Error only when neither applies:
  // ERROR 5001 (the static key is made from the same wrong key) or an unreachable device. The
  // static key is not checked here: the caller's next request tells.
  std::optional<protocol::Error> start_encryption(std::string_view uuid, std::string_view mac);
  bool encrypted() const { return session_key_.has_value(); }
  HttpEncryption encryption() const { return encryption_; }

  const std::string& host() const { return host_; }

 private:
  std::string host_;
  std::string key_;
  HttpTimeouts timeouts_;
  std::optional<std::string> session_key_;
  HttpEncryption encryption_ = HttpEncryption::Plain;
};

}  // namespace meross::pairing
