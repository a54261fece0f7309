#include "broker/auth_rules.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <utility>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "protocol/signing.hpp"

namespace meross::broker {
namespace {

constexpr std::string_view kDeviceIdPrefix = "fmware:";
constexpr std::size_t kUuidLength = 32;
constexpr std::size_t kMacDigits = 12;
constexpr std::size_t kMd5HexLength = 32;
constexpr std::size_t kPbkdf2Bytes = 64;  // mosquitto_passwd keeps a full SHA-512 block
// Each login costs this many HMAC-SHA512 rounds; mosquitto_passwd writes 101.
constexpr std::uint64_t kMaxIterations = 10'000'000;

char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}
bool is_alnum(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
bool all_alnum(std::string_view text) {
  return std::all_of(text.begin(), text.end(), is_alnum);
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

bool is_mac(std::string_view text) {
  if (text.size() != 17) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (i % 3 == 2 ? text[i] != ':' : !is_hex(text[i])) return false;
  }
  return true;
}

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// Standard alphabet; the '=' padding may be present or not, but not wrong.
std::optional<std::vector<unsigned char>> decode_base64(std::string_view text) {
  std::size_t padding = 0;
  while (padding < 2 && text.ends_with('=')) {
    text.remove_suffix(1);
    ++padding;
  }
  if ((padding > 0 && (text.size() + padding) % 4 != 0) || text.size() % 4 == 1) {
    return std::nullopt;
  }
  std::vector<unsigned char> out;
  out.reserve(text.size() * 3 / 4);
  unsigned bits = 0;
  unsigned count = 0;
  for (const char c : text) {
    const int value = base64_value(c);
    if (value < 0) return std::nullopt;
    bits = ((bits << 6) | static_cast<unsigned>(value)) & 0xffffffu;
    count += 6;
    if (count >= 8) {
      count -= 8;
      out.push_back(static_cast<unsigned char>((bits >> count) & 0xffu));
    }
  }
  // Leftover bits that encode nothing must be zero, or two texts would mean the same bytes.
  if ((bits & ((1u << count) - 1u)) != 0) return std::nullopt;
  return out;
}

std::optional<std::uint64_t> parse_canonical_decimal(std::string_view text) {
  if (text.empty() || (text.size() > 1 && text[0] == '0')) return std::nullopt;
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// Splits "/appliance/<middle>/<last>" where `middle` is one level; `last` may hold more levels.
bool split_appliance_topic(std::string_view topic, std::string_view& middle,
                           std::string_view& last) {
  constexpr std::string_view kPrefix = "/appliance/";
  if (!topic.starts_with(kPrefix)) return false;
  topic.remove_prefix(kPrefix.size());
  const auto slash = topic.find('/');
  if (slash == std::string_view::npos) return false;
  middle = topic.substr(0, slash);
  last = topic.substr(slash + 1);
  return true;
}

// One level naming something: not empty, no wildcard.
bool plain_level(std::string_view level) {
  return !level.empty() && level.find_first_of("+#") == std::string_view::npos;
}

bool device_allowed(std::string_view uuid, Access access, std::string_view topic) {
  std::string_view middle;
  std::string_view last;
  // Exact comparisons only: a filter with a wildcard never equals the device's own topics.
  if (!split_appliance_topic(topic, middle, last) || !iequals(middle, uuid)) return false;
  switch (access) {
    case Access::subscribe:
    case Access::unsubscribe:
    case Access::read:
      return last == "subscribe";
    case Access::write:
      return last == "publish";
  }
  return false;
}

bool bridge_appliance_allowed(Access access, std::string_view topic) {
  std::string_view middle;
  std::string_view last;
  if (!split_appliance_topic(topic, middle, last)) return false;
  switch (access) {
    case Access::subscribe:
    case Access::unsubscribe:
      return last == "publish" && (middle == "+" || plain_level(middle));
    case Access::read:
      return last == "publish" && plain_level(middle);
    case Access::write:
      return last == "subscribe" && plain_level(middle);
  }
  return false;
}

AuthResult refuse(const char* reason) {
  return AuthResult{false, Role::device, reason};
}

}  // namespace

const char* role_name(Role role) {
  switch (role) {
    case Role::device:
      return "device";
    case Role::bridge:
      return "bridge";
    case Role::homeassistant:
      return "homeassistant";
  }
  return "?";
}

protocol::Result<PasswordHash> parse_password_hash(std::string_view text) {
  const auto fail = [](const char* why) {
    return protocol::Error{"",
                           std::string("not a mosquitto_passwd PBKDF2-SHA512 hash ($7$): ") + why};
  };
  constexpr std::string_view kPrefix = "$7$";
  if (!text.starts_with(kPrefix)) return fail("it does not start with $7$");
  text.remove_prefix(kPrefix.size());
  const auto first = text.find('$');
  const auto second = first == std::string_view::npos ? first : text.find('$', first + 1);
  if (second == std::string_view::npos || text.find('$', second + 1) != std::string_view::npos) {
    return fail("expected $7$<iterations>$<salt>$<hash>");
  }
  const auto iterations = parse_canonical_decimal(text.substr(0, first));
  if (!iterations || *iterations == 0 || *iterations > kMaxIterations) {
    return fail("the iteration count is not a number from 1 to 10000000");
  }
  auto salt = decode_base64(text.substr(first + 1, second - first - 1));
  if (!salt || salt->empty()) return fail("the salt is not base64");
  auto digest = decode_base64(text.substr(second + 1));
  if (!digest || digest->size() != kPbkdf2Bytes) return fail("the hash is not 64 bytes of base64");
  return PasswordHash{static_cast<std::uint32_t>(*iterations), std::move(*salt),
                      std::move(*digest)};
}

bool verify_password(const PasswordHash& hash, std::string_view password) {
  if (hash.digest.size() != kPbkdf2Bytes || hash.iterations == 0) return false;
  std::array<unsigned char, kPbkdf2Bytes> computed{};
  if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()), hash.salt.data(),
                        static_cast<int>(hash.salt.size()), static_cast<int>(hash.iterations),
                        EVP_sha512(), static_cast<int>(computed.size()), computed.data()) != 1) {
    return false;
  }
  return CRYPTO_memcmp(computed.data(), hash.digest.data(), computed.size()) == 0;
}

std::optional<std::uint64_t> parse_user_id(std::string_view text) {
  return parse_canonical_decimal(text);
}

std::optional<std::string> normalize_mac(std::string_view text) {
  if (!is_mac(text)) return std::nullopt;
  std::string mac(text);
  std::transform(mac.begin(), mac.end(), mac.begin(), lower);
  return mac;
}

std::optional<std::string_view> device_client_uuid(std::string_view client_id) {
  if (!client_id.starts_with(kDeviceIdPrefix)) return std::nullopt;
  client_id.remove_prefix(kDeviceIdPrefix.size());
  if (client_id.size() < kUuidLength + 2 || client_id[kUuidLength] != '_') return std::nullopt;
  const std::string_view uuid = client_id.substr(0, kUuidLength);
  if (!all_alnum(uuid) || !all_alnum(client_id.substr(kUuidLength + 1))) return std::nullopt;
  return uuid;
}

bool uuid_matches_mac(std::string_view uuid, std::string_view mac) {
  if (uuid.size() != kUuidLength || !is_mac(mac)) return false;
  const std::string_view tail = uuid.substr(kUuidLength - kMacDigits);
  for (std::size_t i = 0; i < kMacDigits; ++i) {
    if (lower(tail[i]) != lower(mac[i / 2 * 3 + i % 2])) return false;
  }
  return true;
}

AuthRules::AuthRules(Settings settings)
    : keys_(std::move(settings.keys)),
      user_ids_(std::move(settings.user_ids)),
      topic_roots_(std::move(settings.topic_roots)) {
  for (auto& client : settings.clients) {
    std::string name = client.username;
    clients_.insert_or_assign(std::move(name), std::move(client));
  }
}

AuthResult AuthRules::authenticate(std::string_view client_id,
                                   std::optional<std::string_view> username,
                                   std::optional<std::string_view> password) const {
  if (!username || username->empty() || !password) return refuse("anonymous");
  if (is_mac(*username)) return authenticate_device(client_id, *username, *password);
  const auto client = clients_.find(*username);
  if (client == clients_.end()) return refuse("unknown user");
  // A device is kicked off when another client takes its client id.
  if (client_id.starts_with(kDeviceIdPrefix)) {
    return refuse("fmware: client ids are for devices (username = MAC) only");
  }
  if (!verify_password(client->second.hash, *password)) return refuse("wrong password");
  return AuthResult{true, client->second.role, ""};
}

AuthResult AuthRules::authenticate_device(std::string_view client_id, std::string_view username,
                                          std::string_view password) const {
  const auto uuid = device_client_uuid(client_id);
  if (!uuid) return refuse("malformed client id (expected fmware:<uuid>_<suffix>)");
  if (!uuid_matches_mac(*uuid, username)) return refuse("the MAC does not match the uuid");
  const auto separator = password.find('_');
  if (separator == std::string_view::npos) {
    return refuse("malformed password (expected <userId>_<md5>)");
  }
  const auto user_id = parse_user_id(password.substr(0, separator));
  if (!user_id) return refuse("the userId is not a decimal number");
  const std::string_view md5 = password.substr(separator + 1);
  if (md5.size() != kMd5HexLength || !std::all_of(md5.begin(), md5.end(), is_hex)) {
    return refuse("malformed password (expected <userId>_<md5>)");
  }
  if (user_ids_ && std::find(user_ids_->begin(), user_ids_->end(), *user_id) == user_ids_->end()) {
    return refuse("userId not allowed");
  }
  // The device hashes its MAC as lowercase "aa:bb:..", and prints lowercase hex.
  std::string mac(username);
  std::transform(mac.begin(), mac.end(), mac.begin(), lower);
  std::string received(password);
  std::transform(received.begin(), received.end(), received.begin(), lower);
  bool match = false;
  for (const std::string& key : keys_) {
    const std::string expected = protocol::device_mqtt_password(mac, key, *user_id);
    // Every key is tried, so the time taken does not tell which one matched.
    match |= expected.size() == received.size() &&
             CRYPTO_memcmp(expected.data(), received.data(), received.size()) == 0;
  }
  if (!match) return refuse("wrong password for every configured key");
  return AuthResult{true, Role::device, ""};
}

std::optional<Identity> AuthRules::identify(std::string_view client_id,
                                            std::optional<std::string_view> username) const {
  if (!username) return std::nullopt;
  if (is_mac(*username)) {
    const auto uuid = device_client_uuid(client_id);
    if (!uuid || !uuid_matches_mac(*uuid, *username)) return std::nullopt;
    return Identity{Role::device, *uuid};
  }
  if (client_id.starts_with(kDeviceIdPrefix)) return std::nullopt;
  const auto client = clients_.find(*username);
  if (client == clients_.end()) return std::nullopt;
  return Identity{client->second.role, {}};
}

bool AuthRules::allowed(const Identity& who, Access access, std::string_view topic) const {
  switch (who.role) {
    case Role::device:
      return device_allowed(who.uuid, access, topic);
    case Role::bridge:
      return bridge_appliance_allowed(access, topic) || under_topic_root(topic);
    case Role::homeassistant:
      return under_topic_root(topic);
  }
  return false;
}

bool AuthRules::under_topic_root(std::string_view topic) const {
  // Whole levels only: root "meross" covers "meross/..." but not "merossX/...".
  return std::any_of(topic_roots_.begin(), topic_roots_.end(), [&](const std::string& root) {
    return topic.size() > root.size() && topic.starts_with(root) && topic[root.size()] == '/';
  });
}

}  // namespace meross::broker
