#include "pairing/broker_config.hpp"

#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <fstream>
#include <sstream>

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <toml++/toml.h>

#include "pairing/certs.hpp"
#include "pairing/crypto.hpp"
#include "pairing/private_file.hpp"
#include "protocol/signing.hpp"

namespace meross::pairing {
namespace {

using protocol::Error;
namespace fs = std::filesystem;

constexpr int kIterations = 101;  // mosquitto_passwd's default
constexpr std::string_view kBridgeUser = "meross-bridge";
constexpr std::string_view kHomeAssistantUser = "homeassistant";

std::string random_bytes(std::size_t count) {
  std::string bytes(count, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(count)) != 1) {
    throw std::runtime_error("OpenSSL random generator failed");
  }
  return bytes;
}

// The broker's queue bound per client (see mosquitto_conf): two messages for each device of a
// 10,000-device fleet.
constexpr int kMaxQueuedMessages = 20000;

// A token mosquitto.conf can hold without quoting: printable, no spaces, no '#'.
bool plain_token(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return std::isgraph(static_cast<unsigned char>(c)) != 0 && c != '#';
  });
}

// A topic root such as "homeassistant" or "meross/home": levels of plain characters.
bool plain_topic_root(std::string_view root) {
  if (!plain_token(root) || root.front() == '/' || root.back() == '/' || root.starts_with("$")) {
    return false;
  }
  return root.find_first_of("+,") == std::string_view::npos &&
         root.find("//") == std::string_view::npos;
}

// The first line of `path` without its line end; nullopt when the file does not exist.
std::optional<std::string> read_first_line(const fs::path& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::string line;
  std::getline(in, line);
  while (!line.empty() && (line.back() == '\r' || line.back() == ' '))
    line.pop_back();
  return line;
}

// A password kept in `path` (0600) across runs, created random when absent.
protocol::Result<std::string> kept_password(const fs::path& path) {
  std::error_code ec;
  if (fs::exists(path, ec)) {
    auto existing = read_first_line(path);
    if (!existing) return Error{"", "cannot read " + path.string()};
    if (!plain_token(*existing)) {
      return Error{"", path.string() + " must hold one password without spaces"};
    }
    return *existing;
  }
  std::string password = protocol::new_message_id();  // 128 random bits as 32 hex characters
  if (auto e = write_new_file(path, 0600, false, password + "\n")) return *e;
  return password;
}

// The address a local client dials for a listener bound to `bind`.
std::string dial_address(const std::string& bind) {
  if (bind.empty() || bind == "0.0.0.0") return "127.0.0.1";
  if (bind == "::") return "[::1]";
  if (bind.find(':') != std::string::npos) return "[" + bind + "]";
  return bind;
}

std::string this_host_name() {
  std::array<char, 256> name{};
  if (::gethostname(name.data(), name.size() - 1) != 0 || name[0] == '\0') return "localhost";
  return name.data();
}

std::string joined(const std::vector<std::string>& items, std::string_view separator) {
  std::string out;
  for (const auto& item : items)
    out += (out.empty() ? "" : std::string(separator)) + item;
  return out;
}

std::string mosquitto_conf(const BrokerConfigOptions& options, const BrokerConfigFiles& files,
                           const CertificateFiles& certs, const std::string& plugin) {
  std::vector<std::string> user_ids;
  for (const auto id : options.user_ids)
    user_ids.push_back(std::to_string(id));
  std::ostringstream out;
  out << "# mosquitto configuration written by `meross-bridge broker-config`; rewritten on every\n"
      << "# run (the certificates and passwords in this folder are kept).\n"
      << "per_listener_settings false\n"
      << "allow_anonymous false\n"
      << "# Small request/answer packets: without this each waits ~40 ms for a delayed ACK.\n"
      << "set_tcp_nodelay true\n"
      << "# mosquitto has one queue bound for every client. meross-bridge reads the devices at QoS "
         "0\n"
      << "# and has at most 256 requests out at once (its request window), so its queue holds "
         "those\n"
      << "# answers and what devices send by themselves while it is busy: after a restart, a Bind\n"
      << "# from every device of a fleet of thousands. Devices never wait for more than a few.\n"
      << "max_queued_messages " << kMaxQueuedMessages << "\n"
      << "\n"
      << "# Devices log in with their MAC and <userId>_md5(mac + key) for one of the keys, "
         "confined\n"
      << "# to /appliance/<their uuid>/; the bridge and Home Assistant with the logins in "
         "clients.\n"
      << "plugin " << plugin << "\n"
      << "plugin_opt_key_file " << files.keys.string() << "\n"
      << "plugin_opt_clients_file " << files.clients.string() << "\n"
      << "plugin_opt_topic_roots " << options.discovery_prefix << "," << options.base_topic << "\n";
  if (!user_ids.empty()) out << "plugin_opt_user_ids " << joined(user_ids, ",") << "\n";
  if (!options.log_file.empty()) {
    out << "log_dest file " << options.log_file << "\n";
  } else {
    out << "log_dest stderr\n";
  }
  out << "\n"
      << "# Meross devices: TLS 1.2 only, the RSA certificate in " << certs.server_cert.string()
      << ".\n"
      << "listener " << options.tls_port;
  if (!options.tls_bind.empty()) out << " " << options.tls_bind;
  out << "\n"
      << "cafile " << certs.ca_cert.string() << "\n"
      << "certfile " << certs.server_cert.string() << "\n"
      << "keyfile " << certs.server_key.string() << "\n"
      << "tls_version tlsv1.2\n"
      << "require_certificate false\n"
      << "\n"
      << "# meross-bridge" << (options.homeassistant_login ? " and Home Assistant" : "")
      << ", plain MQTT.\n"
      << "listener " << options.local_port;
  if (!options.local_bind.empty()) out << " " << options.local_bind;
  out << "\n";
  return out.str();
}

// bridge.toml: the connection and key set from this run; anything else a user added to an
// existing file (device names, polling) is kept. toml++ does not keep comments.
protocol::Result<std::string> bridge_toml(const BrokerConfigOptions& options,
                                          const BrokerConfigFiles& files) {
  toml::table root;
  std::error_code ec;
  if (fs::exists(files.bridge_toml, ec)) {
    try {
      root = toml::parse_file(files.bridge_toml.string());
    } catch (const toml::parse_error& e) {
      return Error{"", files.bridge_toml.string() + ":" + std::to_string(e.source().begin.line) +
                           ": not valid TOML; fix or remove it"};
    }
  }
  const auto section = [&root](std::string_view name) -> toml::table& {
    if (!root[name].is_table()) root.insert_or_assign(name, toml::table{});
    return *root[name].as_table();
  };
  auto& meross = section("meross");
  meross.insert_or_assign("key", options.keys.front());
  meross.insert_or_assign("user_id", static_cast<std::int64_t>(
                                         options.user_ids.empty() ? 0 : options.user_ids.front()));
  auto& mqtt = section("mqtt");
  mqtt.insert_or_assign("url", files.local_url);
  mqtt.insert_or_assign("username", files.bridge_username);
  mqtt.insert_or_assign("password", files.bridge_password);
  auto& homeassistant = section("homeassistant");
  homeassistant.insert_or_assign("discovery_prefix", options.discovery_prefix);
  homeassistant.insert_or_assign("base_topic", options.base_topic);
  std::ostringstream out;
  out << "# meross-bridge configuration for the broker in " << files.mosquitto_conf.string()
      << "\n# (written by `meross-bridge broker-config`; a later run updates the key and the\n"
      << "# connection and keeps the rest). Every option: config.toml.example,\n"
      << "# docs/configuration.md. Secret: keep it 0600.\n\n"
      << toml::toml_formatter(root) << "\n";
  return out.str();
}

std::optional<Error> check_options(const BrokerConfigOptions& options) {
  if (options.tls_port < 1 || options.tls_port > 65535 || options.local_port < 1 ||
      options.local_port > 65535 || options.tls_port == options.local_port) {
    return Error{"port", "expected two different ports from 1 to 65535"};
  }
  if (options.keys.empty()) return Error{"key", "at least one key is needed"};
  for (std::size_t i = 0; i < options.keys.size(); ++i) {
    // One a line in the plugin's key file, where '#' starts a comment.
    const auto& key = options.keys[i];
    const bool printable = std::all_of(key.begin(), key.end(), [](char c) {
      return std::isgraph(static_cast<unsigned char>(c)) != 0;
    });
    if (key.empty() || !printable || key.front() == '#') {
      return Error{"key", "key " + std::to_string(i + 1) +
                              " is empty, starts with '#' or holds spaces or control characters"};
    }
  }
  for (const auto* bind : {&options.tls_bind, &options.local_bind}) {
    if (!bind->empty() && !plain_token(*bind)) return Error{"bind", "expected an address"};
  }
  if (!plain_topic_root(options.discovery_prefix) || !plain_topic_root(options.base_topic)) {
    return Error{"topics", "expected topic roots such as homeassistant and meross"};
  }
  return std::nullopt;
}

// Reuses the certificates in `dir` when all four are there, writes a new set when none is.
protocol::Result<bool> ensure_certificates(const BrokerConfigOptions& options,
                                           const fs::path& dir) {
  const auto certs = certificate_paths(dir);
  int present = 0;
  for (const auto& path : {certs.ca_cert, certs.ca_key, certs.server_cert, certs.server_key}) {
    std::error_code ec;
    present += fs::exists(path, ec) ? 1 : 0;
  }
  if (present == 4) return false;
  if (present != 0) {
    return Error{"certs", dir.string() +
                              " holds part of a certificate set (ca.crt, ca.key, server.crt, "
                              "server.key): complete it or remove it"};
  }
  CertificateOptions cert_options;
  cert_options.out_dir = dir;
  if (options.certificate_hosts.empty()) {
    cert_options.host = this_host_name();
  } else {
    cert_options.host = options.certificate_hosts.front();
    cert_options.other_hosts.assign(options.certificate_hosts.begin() + 1,
                                    options.certificate_hosts.end());
  }
  auto written = generate_certificates(cert_options);
  if (!written) return written.error();
  return true;
}

// mosquitto started as root switches to the user "mosquitto" before it loads the plugin and the
// TLS key, so the 0600 files it reads must be that user's. Returns the user, or "" when not root
// or there is no such user (mosquitto then runs as whoever starts it).
protocol::Result<std::string> hand_to_broker_user(const std::vector<fs::path>& paths) {
  if (::geteuid() != 0) return std::string();
  const passwd* user = ::getpwnam("mosquitto");
  if (user == nullptr) return std::string();
  for (const auto& path : paths) {
    if (::chown(path.c_str(), user->pw_uid, user->pw_gid) != 0) {
      return Error{"", "cannot give " + path.string() + " to the user mosquitto"};
    }
  }
  return std::string("mosquitto");
}

// Creates `dir` (and its parents) if missing, 0755 whatever the umask: mosquitto, switched to its
// own user, must reach the files inside; the secrets in it are 0600 themselves.
std::optional<Error> create_traversable_directory(const fs::path& dir) {
  std::error_code ec;
  if (fs::is_directory(dir, ec)) return std::nullopt;
  fs::create_directories(dir, ec);
  if (!ec) {
    fs::permissions(dir,
                    fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                        fs::perms::others_read | fs::perms::others_exec,
                    ec);
  }
  if (ec) return Error{"out", "cannot create " + dir.string() + ": " + ec.message()};
  return std::nullopt;
}

}  // namespace

std::string password_hash(std::string_view password, std::string_view salt, int iterations) {
  unsigned char hash[64];
  if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                        reinterpret_cast<const unsigned char*>(salt.data()),
                        static_cast<int>(salt.size()), iterations, EVP_sha512(), sizeof(hash),
                        hash) != 1) {
    throw std::runtime_error("OpenSSL PBKDF2 failed");
  }
  return "$7$" + std::to_string(iterations) + "$" + base64_encode(salt) + "$" +
         base64_encode(std::string_view(reinterpret_cast<const char*>(hash), sizeof(hash)));
}

std::string find_auth_plugin() {
  std::vector<fs::path> candidates;
  std::error_code ec;
  const auto exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const auto prefix = exe.parent_path().parent_path();
    candidates.push_back(prefix / "broker/meross-auth.so");  // a build tree
    candidates.push_back(prefix / "lib/meross-bridge/meross-auth.so");
    for (const char* triplet : {"x86_64-linux-gnu", "aarch64-linux-gnu", "arm-linux-gnueabihf"})
      candidates.push_back(prefix / "lib" / triplet / "meross-bridge/meross-auth.so");
  }
  candidates.emplace_back("/usr/lib/meross-bridge/meross-auth.so");
  candidates.emplace_back("/usr/local/lib/meross-bridge/meross-auth.so");
  for (const auto& path : candidates) {
    if (::access(path.c_str(), R_OK) == 0) return path.lexically_normal().string();
  }
  return "";
}

protocol::Result<StoredAccount> stored_account(const fs::path& bridge_toml) {
  std::error_code ec;
  if (!fs::exists(bridge_toml, ec)) {
    return Error{"key", "no --key, and no " + bridge_toml.string() +
                            " to take it from (run `meross-bridge account --write-config` there, "
                            "or pass --key)"};
  }
  toml::table root;
  try {
    root = toml::parse_file(bridge_toml.string());
  } catch (const toml::parse_error& e) {
    return Error{"key", bridge_toml.string() + ":" + std::to_string(e.source().begin.line) +
                            ": not valid TOML"};
  }
  const auto key = root["meross"]["key"].value<std::string>();
  if (!key || key->empty()) {
    return Error{"key", "no --key, and " + bridge_toml.string() + " has no [meross] key"};
  }
  const auto user_id = root["meross"]["user_id"].value<std::int64_t>().value_or(0);
  if (user_id < 0) return Error{"user_id", bridge_toml.string() + ": [meross] user_id is negative"};
  return StoredAccount{*key, static_cast<std::uint64_t>(user_id)};
}

protocol::Result<BrokerConfigFiles> write_broker_config(const BrokerConfigOptions& options) {
  if (auto e = check_options(options)) return *e;
  const std::string plugin = options.plugin_path.empty() ? find_auth_plugin() : options.plugin_path;
  if (plugin.empty()) {
    return Error{"plugin",
                 "meross-auth.so (the broker's auth plugin) not found next to this program or "
                 "in /usr/lib/meross-bridge; build it or pass --plugin PATH"};
  }
  if (!plain_token(plugin)) return Error{"plugin", "the plugin path must not contain spaces"};
  if (::access(plugin.c_str(), R_OK) != 0) return Error{"plugin", plugin + " cannot be read"};

  std::error_code ec;
  const auto out_dir = fs::absolute(options.out_dir, ec);
  if (ec) return Error{"out", "cannot resolve the output directory"};
  const auto cert_dir =
      options.cert_dir.empty() ? out_dir / "certs" : fs::absolute(options.cert_dir, ec);
  if (ec) return Error{"certs", "cannot resolve the certificate directory"};
  if (!plain_token(out_dir.string()) || !plain_token(cert_dir.string()) ||
      (!options.log_file.empty() && !plain_token(options.log_file))) {
    return Error{"out", "mosquitto paths must not contain spaces or '#'"};
  }
  for (const auto& dir : {out_dir, cert_dir}) {
    if (auto e = create_traversable_directory(dir)) return *e;
  }

  auto created = ensure_certificates(options, cert_dir);
  if (!created) return created.error();

  BrokerConfigFiles files;
  files.mosquitto_conf = out_dir / "mosquitto.conf";
  files.keys = out_dir / "keys";
  files.clients = out_dir / "clients";
  files.bridge_toml = out_dir / "bridge.toml";
  files.ca_cert = certificate_paths(cert_dir).ca_cert;
  files.certificates_created = *created;
  files.bridge_username = std::string(kBridgeUser);
  files.local_url =
      "mqtt://" + dial_address(options.local_bind) + ":" + std::to_string(options.local_port);
  auto fingerprint = certificate_fingerprint(files.ca_cert);
  if (!fingerprint) return fingerprint.error();
  files.ca_fingerprint = *fingerprint;

  auto bridge_password = kept_password(out_dir / "bridge-password");
  if (!bridge_password) return bridge_password.error();
  files.bridge_password = *bridge_password;
  std::string clients = "# meross-bridge broker logins: USER ROLE HASH (mosquitto_passwd's $7$).\n";
  clients += files.bridge_username + " bridge " +
             password_hash(files.bridge_password, random_bytes(12), kIterations) + "\n";
  if (options.homeassistant_login) {
    files.homeassistant_password = out_dir / "homeassistant-password";
    auto password = kept_password(files.homeassistant_password);
    if (!password) return password.error();
    clients += std::string(kHomeAssistantUser) + " homeassistant " +
               password_hash(*password, random_bytes(12), kIterations) + "\n";
  }

  auto toml_text = bridge_toml(options, files);
  if (!toml_text) return toml_text.error();
  std::string keys = "# Meross keys devices may sign their MQTT password with, one a line.\n";
  for (const auto& key : options.keys)
    keys += key + "\n";
  if (auto e = write_new_file(files.keys, 0600, true, keys)) return *e;
  if (auto e = write_new_file(files.clients, 0600, true, clients)) return *e;
  if (auto e = write_new_file(files.bridge_toml, 0600, true, *toml_text)) return *e;
  if (auto e =
          write_new_file(files.mosquitto_conf, 0644, true,
                         mosquitto_conf(options, files, certificate_paths(cert_dir), plugin))) {
    return *e;
  }
  auto owner =
      hand_to_broker_user({files.keys, files.clients, certificate_paths(cert_dir).server_key});
  if (!owner) return owner.error();
  files.broker_user = *owner;
  return files;
}

}  // namespace meross::pairing
