#include "pairing/requests.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <sstream>

#include "pairing/crypto.hpp"
#include "pairing/wifi_password.hpp"
#include "protocol/json.hpp"
#include "protocol/json_writer.hpp"

namespace meross::pairing {
namespace {

using protocol::Error;
using Writer = protocol::JsonStringWriter;

void put_string(Writer& w, std::string_view key, std::string_view value) {
  w.key(key);
  w.string(value);
}

void put_int(Writer& w, std::string_view key, std::int64_t value) {
  w.key(key);
  w.Int64(value);
}

bool is_hex(char c) {
  return std::isxdigit(static_cast<unsigned char>(c)) != 0;
}

}  // namespace

bool plaintext_namespace(std::string_view ns) {
  static constexpr std::array<std::string_view, 5> kPlain = {
      "Appliance.System.All", "Appliance.System.Firmware", "Appliance.System.Ability",
      "Appliance.Encrypt.ECDHE", "Appliance.Encrypt.Suite"};
  return std::find(kPlain.begin(), kPlain.end(), ns) != kPlain.end();
}

protocol::Result<BrokerAddress> parse_broker(std::string_view text) {
  if (text.starts_with("mqtt://") || text.starts_with("tcp://")) {
    return Error{"broker", "devices only connect over TLS: use mqtts://HOST:8883"};
  }
  if (text.starts_with("mqtts://"))
    text.remove_prefix(8);
  else if (text.starts_with("ssl://"))
    text.remove_prefix(6);
  if (text.find("://") != std::string_view::npos) {
    return Error{"broker", "expected mqtts://HOST:PORT, HOST:PORT or HOST"};
  }
  while (!text.empty() && text.back() == '/')
    text.remove_suffix(1);
  BrokerAddress address;
  const auto colon = text.rfind(':');
  std::string_view host = text;
  if (colon != std::string_view::npos) {
    host = text.substr(0, colon);
    const auto port_text = text.substr(colon + 1);
    int port = 0;
    const auto [end, ec] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc{} || end != port_text.data() + port_text.size() || port < 1 ||
        port > 65535) {
      return Error{"broker", "the port must be a number from 1 to 65535"};
    }
    address.port = port;
  }
  if (host.empty() || host.size() > 63 || !std::all_of(host.begin(), host.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '-' || c == '_';
      })) {
    return Error{"broker",
                 "the host must be an IPv4 address or a host name (at most 63 characters)"};
  }
  address.host = std::string(host);
  return address;
}

std::string config_key_payload(const BrokerAddress& first, const BrokerAddress& second,
                               std::string_view key, std::uint64_t user_id) {
  Writer w;
  w.StartObject();
  w.Key("key");
  w.StartObject();
  w.Key("gateway");
  w.StartObject();
  put_string(w, "host", first.host);
  put_int(w, "port", first.port);
  put_string(w, "secondHost", second.host);
  put_int(w, "secondPort", second.port);
  put_int(w, "redirect", 1);
  w.EndObject();
  put_string(w, "key", key);
  put_string(w, "userId", std::to_string(user_id));
  w.EndObject();
  w.EndObject();
  return w.take();
}

protocol::Result<std::vector<WifiNetwork>> parse_wifi_list(const protocol::JsonValue& payload) {
  const auto* list = protocol::find_member(payload, "wifiList");
  if (!list || !list->IsArray()) {
    return Error{"wifiList", std::string("expected an array, got ") +
                                 std::string(list ? protocol::type_name(*list) : "nothing")};
  }
  std::vector<WifiNetwork> networks;
  for (const auto& item : list->GetArray()) {
    if (!item.IsObject()) continue;
    WifiNetwork network;
    const auto ssid = protocol::string_member(item, "ssid");
    if (!ssid) continue;
    network.ssid_base64 = std::string(*ssid);
    auto decoded = base64_decode(*ssid);
    // Some firmware may send the SSID in clear; keep it when it is not base64.
    network.ssid = decoded ? *decoded : network.ssid_base64;
    network.bssid = std::string(protocol::string_member(item, "bssid").value_or(""));
    network.signal = protocol::int_member(item, "signal").value_or(0);
    network.channel = protocol::int_member(item, "channel").value_or(0);
    network.encryption = protocol::int_member(item, "encryption").value_or(0);
    network.cipher = protocol::int_member(item, "cipher").value_or(0);
    networks.push_back(std::move(network));
  }
  return networks;
}

std::string encryption_name(std::int64_t encryption) {
  static constexpr std::array<std::string_view, 9> kNames = {
      "OPEN", "SHARE",   "WEPAUTO",  "WPA1",          "WPA1PSK",
      "WPA2", "WPA2PSK", "WPA1WPA2", "WPA1PSKWPA2PSK"};
  if (encryption >= 0 && encryption < static_cast<std::int64_t>(kNames.size())) {
    return std::string(kNames[static_cast<std::size_t>(encryption)]);
  }
  return "unknown(" + std::to_string(encryption) + ")";
}

std::string cipher_name(std::int64_t cipher) {
  static constexpr std::array<std::string_view, 5> kNames = {"NONE", "WEP", "TKIP", "AES",
                                                             "TKIPAES"};
  if (cipher >= 0 && cipher < static_cast<std::int64_t>(kNames.size())) {
    return std::string(kNames[static_cast<std::size_t>(cipher)]);
  }
  return "unknown(" + std::to_string(cipher) + ")";
}

const WifiNetwork* find_network(const std::vector<WifiNetwork>& networks, std::string_view ssid) {
  const WifiNetwork* best = nullptr;
  for (const auto& network : networks) {
    if (network.ssid == ssid && (!best || network.signal > best->signal)) best = &network;
  }
  return best;
}

std::string wifi_payload(const WifiNetwork& network, std::string_view password,
                         const std::optional<WifiXIdentity>& wifix) {
  const std::string encoded_password =
      wifix ? encrypt_wifix_password(password, wifix->hardware_type, wifix->uuid, wifix->mac)
            : base64_encode(password);
  Writer w;
  w.StartObject();
  w.Key("wifi");
  w.StartObject();
  put_string(w, "ssid", base64_encode(network.ssid));
  put_string(w, "password", encoded_password);
  put_string(w, "bssid", network.bssid);
  put_int(w, "channel", network.channel);
  put_int(w, "encryption", network.encryption);
  put_int(w, "cipher", network.cipher);
  w.EndObject();
  w.EndObject();
  return w.take();
}

std::optional<Error> check_wifi_credentials(std::string_view ssid, std::string_view password) {
  if (ssid.empty() || ssid.size() > 32) return Error{"ssid", "must be 1 to 32 bytes long"};
  if (!password.empty() && (password.size() < 8 || password.size() > 64)) {
    return Error{"password",
                 "a Wi-Fi password must be 8 to 64 bytes long (or empty for an open "
                 "network)"};
  }
  return std::nullopt;
}

protocol::Result<protocol::Message> check_reply(std::string_view body,
                                                const protocol::Header& request) {
  auto reply = protocol::parse_message(body);
  if (!reply) {
    return Error{"", "the device answered with something that is not a Meross message (" +
                         reply.error().describe() + ")"};
  }
  const auto& header = reply->header;
  if (header.method == protocol::Method::Error) {
    const auto* error = protocol::find_member(reply->payload(), "error");
    std::int64_t code = -1;
    std::string detail;
    if (error) {
      if (const auto value = protocol::int_member(*error, "code")) code = *value;
      if (const auto value = protocol::string_member(*error, "detail")) detail = *value;
    }
    std::string message = "the device answered ERROR";
    if (code >= 0) message += " " + std::to_string(code);
    if (!detail.empty()) message += " (" + detail + ")";
    if (code == 5001) {
      message +=
          ": the signature was rejected, the key is wrong; pass the key the device was "
          "paired with (--key)";
    } else if (code == 5000) {
      message += ": the device does not support this request or its payload";
    }
    return Error{"", message};
  }
  if (header.ns != request.ns) {
    return Error{"header.namespace", "the reply is for " + header.ns + ", not " + request.ns};
  }
  if (header.message_id != request.message_id) {
    return Error{"header.messageId", "the reply answers another request"};
  }
  if (header.method != protocol::ack_of(request.method)) {
    return Error{"header.method",
                 "expected " + std::string(protocol::to_string(protocol::ack_of(request.method))) +
                     ", got " + std::string(protocol::to_string(header.method))};
  }
  return reply;
}

std::string describe_device(const protocol::DeviceProfile& p) {
  std::ostringstream out;
  const auto show = [](const std::string& text) { return text.empty() ? "-" : text; };
  out << "type:        " << show(p.type) << (p.sub_type.empty() ? "" : " (" + p.sub_type + ")")
      << "\n"
      << "hardware:    " << show(p.hardware_version)
      << (p.chip_type.empty() ? "" : ", chip " + p.chip_type) << "\n"
      << "firmware:    " << show(p.firmware_version) << "\n"
      << "mac:         " << show(p.mac) << "\n"
      << "uuid:        " << show(p.uuid) << "\n"
      << "ip:          " << show(p.inner_ip) << "\n"
      << "broker:      " << show(p.server);
  if (p.port) out << ":" << *p.port;
  out << "\n";
  if (p.user_id) out << "userId:      " << *p.user_id << "\n";
  if (!p.abilities.empty()) {
    const bool ecdhe = p.has_ability("Appliance.Encrypt.ECDHE");
    const bool wifix = p.has_ability("Appliance.Config.WifiX");
    out << "setup:       "
        << (ecdhe ? "encrypted (Appliance.Encrypt.ECDHE: key exchange, then AES requests)"
                  : "plain HTTP")
        << "; Wi-Fi password "
        << (wifix ? "encrypted (Appliance.Config.WifiX)" : "base64 (Appliance.Config.Wifi)")
        << "\n";
  } else {
    out << "setup:       unknown (System.Ability not available)\n";
  }
  return out.str();
}

std::optional<std::string> normalize_mac(std::string_view text) {
  std::string digits;
  for (const char c : text) {
    if (c == ':' || c == '-') continue;
    if (!is_hex(c)) return std::nullopt;
    digits.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  if (digits.size() != 12) return std::nullopt;
  if (text.size() != 12 && text.size() != 17) return std::nullopt;
  std::string mac;
  for (std::size_t i = 0; i < 12; i += 2) {
    if (!mac.empty()) mac.push_back(':');
    mac.append(digits, i, 2);
  }
  return mac;
}

std::optional<std::string> mac_from_uuid(std::string_view uuid) {
  if (uuid.size() != 32 || !std::all_of(uuid.begin(), uuid.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0;
      })) {
    return std::nullopt;
  }
  return normalize_mac(uuid.substr(20));
}

}  // namespace meross::pairing
