#pragma once

// Who may log in to the broker and what each client may do (broker/README.md): the decisions of
// the mosquitto auth plugin, free of mosquitto and of I/O so that tests can drive every one.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/result.hpp"

namespace meross::broker {

enum class Role : std::uint8_t { device, bridge, homeassistant };

// The four questions mosquitto asks: for SUBSCRIBE and UNSUBSCRIBE the topic is the filter, for
// READ and WRITE it is a message's topic.
enum class Access : std::uint8_t { subscribe, unsubscribe, read, write };

const char* role_name(Role role);

// A mosquitto_passwd "$7$" hash: base64 PBKDF2-HMAC-SHA512 of the password with `salt`.
struct PasswordHash {
  std::uint32_t iterations = 0;
  std::vector<unsigned char> salt;
  std::vector<unsigned char> digest;  // 64 bytes
};

// "$7$<iterations>$<base64 salt>$<base64 digest>", as mosquitto_passwd writes it. The error never
// quotes the text.
protocol::Result<PasswordHash> parse_password_hash(std::string_view text);
// Constant-time comparison of the PBKDF2 of `password` with the hash's digest.
bool verify_password(const PasswordHash& hash, std::string_view password);

// A login of ours (not a device): meross-bridge or Home Assistant.
struct InternalClient {
  std::string username;
  Role role = Role::bridge;
  PasswordHash hash;
};

struct Settings {
  std::vector<std::string> keys;  // the Meross keys devices were paired with; secret
  std::vector<InternalClient> clients;
  std::optional<std::vector<std::uint64_t>> user_ids;  // nullopt = any userId
  std::vector<std::string> topic_roots{"homeassistant", "meross"};
};

// A userId as devices print it: a decimal number without sign or leading zero (0 alone is fine).
std::optional<std::uint64_t> parse_user_id(std::string_view text);

// "aa:bb:cc:dd:ee:ff" in any case, lowercased; nullopt for anything else.
std::optional<std::string> normalize_mac(std::string_view text);
// The uuid of a device client id "fmware:<32 [0-9A-Za-z]>_<[0-9A-Za-z]+>", as written (a view
// into `client_id`); nullopt for anything else.
std::optional<std::string_view> device_client_uuid(std::string_view client_id);
// Whether the uuid's last 12 characters are the hex digits of `mac` (aa:bb:cc:dd:ee:ff), both
// compared case-insensitively.
bool uuid_matches_mac(std::string_view uuid, std::string_view mac);

struct AuthResult {
  bool accepted = false;
  Role role = Role::device;  // when accepted
  const char* reason = "";   // when refused: a fixed text, never a secret
};

// The role a connected client holds. For a device, `uuid` views the client id it was
// identified from and is compared case-insensitively.
struct Identity {
  Role role = Role::device;
  std::string_view uuid;
};

class AuthRules {
 public:
  explicit AuthRules(Settings settings);

  // A CONNECT's credentials; nullopt for a username or password the client did not send.
  AuthResult authenticate(std::string_view client_id, std::optional<std::string_view> username,
                          std::optional<std::string_view> password) const;

  // The role of a client from its username and client id alone (the password was checked at
  // CONNECT); nullopt = no role, everything denied.
  std::optional<Identity> identify(std::string_view client_id,
                                   std::optional<std::string_view> username) const;
  bool allowed(const Identity& who, Access access, std::string_view topic) const;

  std::size_t key_count() const { return keys_.size(); }
  std::size_t client_count() const { return clients_.size(); }
  const std::optional<std::vector<std::uint64_t>>& user_ids() const { return user_ids_; }
  const std::vector<std::string>& topic_roots() const { return topic_roots_; }

 private:
  AuthResult authenticate_device(std::string_view client_id, std::string_view mac,
                                 std::string_view password) const;
  bool under_topic_root(std::string_view topic) const;

  std::vector<std::string> keys_;
  std::map<std::string, InternalClient, std::less<>> clients_;
  std::optional<std::vector<std::uint64_t>> user_ids_;
  std::vector<std::string> topic_roots_;
};

}  // namespace meross::broker
