#include "pairing/broker_config.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include "pairing/certs.hpp"
#include "pairing/crypto.hpp"
#include "pairing/private_file.hpp"
#include "pairing/requests.hpp"
#include "protocol/signing.hpp"

namespace meross::pairing {
namespace {

using protocol::Error;
using Writer = rapidjson::PrettyWriter<rapidjson::StringBuffer>;
constexpr int kIterations = 101;  // mosquitto_ctrl's default

std::string random_bytes(std::size_t count) {
  std::string bytes(count, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(count)) != 1) {
    throw std::runtime_error("OpenSSL random generator failed");
  }
  return bytes;
}

void put(Writer& w, std::string_view key, std::string_view value) {
  w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
  w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

void acl(Writer& w, std::string_view type, std::string_view topic) {
  w.StartObject();
  put(w, "acltype", type);
  put(w, "topic", topic);
  w.Key("priority");
  w.Int(0);
  w.Key("allow");
  w.Bool(true);
  w.EndObject();
}

void client(Writer& w, std::string_view username, std::string_view text_name,
            std::string_view password, std::string_view role,
            const std::function<std::string()>& salt_source) {
  const std::string salt = salt_source();
  w.StartObject();
  put(w, "username", username);
  put(w, "textName", text_name);
  put(w, "password", dynsec_password_hash(password, salt, kIterations));
  put(w, "salt", base64_encode(salt));
  w.Key("iterations");
  w.Int(kIterations);
  w.Key("roles");
  w.StartArray();
  w.StartObject();
  put(w, "rolename", role);
  w.EndObject();
  w.EndArray();
  w.EndObject();
}

bool plain_token(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return std::isgraph(static_cast<unsigned char>(c)) != 0 && c != '#';
  });
}

}  // namespace

protocol::Result<DeviceEntry> parse_device(std::string_view text, std::string_view key,
                                           std::uint64_t user_id) {
  const auto comma = text.find(',');
  const auto uuid = text.substr(0, comma);
  if (uuid.size() != 32 || !std::all_of(uuid.begin(), uuid.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0;
      })) {
    return Error{"device", "expected UUID[,MAC] with a 32-character uuid"};
  }
  DeviceEntry entry;
  entry.uuid = std::string(uuid);
  std::transform(entry.uuid.begin(), entry.uuid.end(), entry.uuid.begin(), [](char c) {
    return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  });
  std::optional<std::string> mac;
  if (comma == std::string_view::npos) {
    mac = mac_from_uuid(uuid);
    if (!mac)
      return Error{"device", "cannot derive a MAC from uuid " + entry.uuid + "; pass UUID,MAC"};
  } else {
    mac = normalize_mac(text.substr(comma + 1));
    if (!mac) return Error{"device", "expected UUID,MAC with a MAC like 48:e1:e9:c4:b2:96"};
  }
  entry.mac = *mac;
  entry.key = std::string(key);
  entry.user_id = user_id;
  return entry;
}

std::string dynsec_password_hash(std::string_view password, std::string_view salt, int iterations) {
  unsigned char hash[64];
  if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                        reinterpret_cast<const unsigned char*>(salt.data()),
                        static_cast<int>(salt.size()), iterations, EVP_sha512(), sizeof(hash),
                        hash) != 1) {
    throw std::runtime_error("OpenSSL PBKDF2 failed");
  }
  return base64_encode(std::string_view(reinterpret_cast<const char*>(hash), sizeof(hash)));
}

std::string dynsec_json(const BrokerConfigOptions& options, const std::string& bridge_password,
                        const std::function<std::string()>& salt_source) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.SetIndent(' ', 2);
  w.StartObject();
  w.Key("clients");
  w.StartArray();
  client(w, options.bridge_username, "meross-bridge and Home Assistant", bridge_password,
         "meross-bridge", salt_source);
  for (const auto& device : options.devices) {
    client(w, device.mac, "Meross device " + device.uuid,
           protocol::device_mqtt_password(device.mac, device.key, device.user_id),
           "device-" + device.uuid, salt_source);
  }
  w.EndArray();
  w.Key("groups");
  w.StartArray();
  w.EndArray();
  w.Key("roles");
  w.StartArray();
  // The bridge: every device's publish topic in, every device's subscribe topic out, and the
  // Home Assistant topics both ways.
  w.StartObject();
  put(w, "rolename", "meross-bridge");
  w.Key("acls");
  w.StartArray();
  acl(w, "subscribePattern", "/appliance/+/publish");
  acl(w, "publishClientReceive", "/appliance/+/publish");
  acl(w, "publishClientSend", "/appliance/+/subscribe");
  for (const char* topic : {"homeassistant/#", "meross/#"}) {
    acl(w, "subscribePattern", topic);
    acl(w, "publishClientReceive", topic);
    acl(w, "publishClientSend", topic);
  }
  acl(w, "unsubscribePattern", "#");
  w.EndArray();
  w.EndObject();
  for (const auto& device : options.devices) {
    const std::string base = "/appliance/" + device.uuid;
    w.StartObject();
    put(w, "rolename", "device-" + device.uuid);
    w.Key("acls");
    w.StartArray();
    acl(w, "subscribePattern", base + "/subscribe");
    acl(w, "publishClientReceive", base + "/subscribe");
    acl(w, "publishClientSend", base + "/publish");
    acl(w, "unsubscribePattern", base + "/subscribe");
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  w.Key("defaultACLAccess");
  w.StartObject();
  w.Key("publishClientSend");
  w.Bool(false);
  w.Key("publishClientReceive");
  w.Bool(false);
  w.Key("subscribe");
  w.Bool(false);
  w.Key("unsubscribe");
  w.Bool(false);
  w.EndObject();
  w.EndObject();
  return std::string(buffer.GetString()) + "\n";
}

std::string mosquitto_conf(const BrokerConfigOptions& options,
                           const std::filesystem::path& dynsec_path,
                           const std::string& plugin_path) {
  const auto certs = certificate_paths(options.cert_dir);
  std::ostringstream out;
  out << "# mosquitto configuration written by `meross-bridge broker-config`.\n"
      << "# Credentials and ACLs live in dynamic-security.json (one client per device, user = "
         "MAC).\n"
      << "allow_anonymous false\n"
      << "# Small request/answer packets: without this each waits ~40 ms for a delayed ACK.\n"
      << "set_tcp_nodelay true\n"
      << "plugin " << plugin_path << "\n"
      << "plugin_opt_config_file " << dynsec_path.string() << "\n"
      << "\n"
      << "# Meross devices: TLS only, RSA certificate from `meross-bridge certs`.\n"
      << "listener " << options.tls_port;
  if (!options.tls_bind.empty()) out << " " << options.tls_bind;
  out << "\n"
      << "cafile " << certs.ca_cert.string() << "\n"
      << "certfile " << certs.server_cert.string() << "\n"
      << "keyfile " << certs.server_key.string() << "\n"
      << "tls_version tlsv1.2\n"
      << "require_certificate false\n"
      << "\n"
      << "# meross-bridge and Home Assistant.\n"
      << "listener " << options.local_port;
  if (!options.local_bind.empty()) out << " " << options.local_bind;
  out << "\n";
  return out.str();
}

std::string find_dynsec_plugin() {
  for (const char* path :
       {"/usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so",
        "/usr/lib/aarch64-linux-gnu/mosquitto_dynamic_security.so",
        "/usr/lib/arm-linux-gnueabihf/mosquitto_dynamic_security.so",
        "/usr/lib/mosquitto_dynamic_security.so", "/usr/local/lib/mosquitto_dynamic_security.so"}) {
    if (::access(path, R_OK) == 0) return path;
  }
  return "";
}

protocol::Result<BrokerConfigFiles> write_broker_config(const BrokerConfigOptions& options) {
  if (options.tls_port < 1 || options.tls_port > 65535 || options.local_port < 1 ||
      options.local_port > 65535 || options.tls_port == options.local_port) {
    return Error{"port", "expected two different ports from 1 to 65535"};
  }
  if (!plain_token(options.bridge_username) ||
      options.bridge_username.find(':') != std::string::npos) {
    return Error{"bridge-user", "expected a user name without spaces, ':' or '#'"};
  }
  for (const auto* bind : {&options.tls_bind, &options.local_bind}) {
    if (!bind->empty() && !plain_token(*bind)) return Error{"bind", "expected an address"};
  }
  std::set<std::string> seen;
  for (const auto& device : options.devices) {
    if (!seen.insert(device.mac).second || !seen.insert(device.uuid).second) {
      return Error{"device", "device " + device.uuid + " (" + device.mac + ") is listed twice"};
    }
  }
  std::string plugin = options.plugin_path.empty() ? find_dynsec_plugin() : options.plugin_path;
  if (plugin.empty()) {
    return Error{"plugin",
                 "mosquitto_dynamic_security.so not found; install mosquitto 2.x and "
                 "pass --plugin PATH"};
  }
  if (!plain_token(plugin)) return Error{"plugin", "the plugin path must not contain spaces"};
  std::error_code ec;
  const auto out_dir = std::filesystem::absolute(options.out_dir, ec);
  const auto cert_dir = std::filesystem::absolute(options.cert_dir, ec);
  if (ec) return Error{"", "cannot resolve the output directory"};
  std::filesystem::create_directories(out_dir, ec);
  if (ec) return Error{"", "cannot create " + out_dir.string() + ": " + ec.message()};
  const auto certs = certificate_paths(cert_dir);
  for (const auto& path : {certs.ca_cert, certs.server_cert, certs.server_key}) {
    if (!std::filesystem::exists(path)) {
      return Error{"certs", path.string() + " is missing; run `meross-bridge certs` first"};
    }
  }
  if (!plain_token(out_dir.string()) || !plain_token(cert_dir.string())) {
    return Error{"out", "mosquitto paths must not contain spaces or '#'"};
  }

  BrokerConfigOptions resolved = options;
  resolved.out_dir = out_dir;
  resolved.cert_dir = cert_dir;
  BrokerConfigFiles files{out_dir / "mosquitto.conf", out_dir / "dynamic-security.json", {}};
  std::string bridge_password = options.bridge_password;
  if (bridge_password.empty()) {
    bridge_password = protocol::new_message_id();  // 128 random bits as 32 hex characters
    files.bridge_password = out_dir / "bridge-password";
  }
  if (!options.overwrite) {
    for (const auto& path : {files.mosquitto_conf, files.dynsec_json, files.bridge_password}) {
      if (!path.empty() && std::filesystem::exists(path)) {
        return Error{"", path.string() + " already exists (pass --force to replace it)"};
      }
    }
  }
  const std::string json = dynsec_json(resolved, bridge_password, [] { return random_bytes(12); });
  if (auto e = write_new_file(files.dynsec_json, 0600, options.overwrite, json)) return *e;
  if (!files.bridge_password.empty()) {
    if (auto e = write_new_file(files.bridge_password, 0600, options.overwrite,
                                bridge_password + "\n")) {
      return *e;
    }
  }
  if (auto e = write_new_file(files.mosquitto_conf, 0644, options.overwrite,
                              mosquitto_conf(resolved, files.dynsec_json, plugin))) {
    return *e;
  }
  return files;
}

}  // namespace meross::pairing
