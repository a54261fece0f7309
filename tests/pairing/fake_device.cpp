#include "pairing/fake_device.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <memory>
#include <stdexcept>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <rapidjson/document.h>

#include "protocol/envelope.hpp"
#include "protocol/json.hpp"
#include "protocol/signing.hpp"
#include "support/fixtures.hpp"

namespace meross::test {
namespace {

constexpr unsigned char kIv[17] = "0000000000000000";

std::string cipher(bool encrypt, const std::string& input, const std::string& key) {
  if (key.size() != 32 || input.size() % 16 != 0) throw std::runtime_error("bad AES input");
  std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)> ctx(EVP_CIPHER_CTX_new(),
                                                                      &EVP_CIPHER_CTX_free);
  std::string out(input.size() + 16, '\0');
  int n = 0;
  int m = 0;
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  if (EVP_CipherInit_ex(ctx.get(), EVP_aes_256_cbc(), nullptr,
                        reinterpret_cast<const unsigned char*>(key.data()), kIv,
                        encrypt ? 1 : 0) != 1 ||
      EVP_CIPHER_CTX_set_padding(ctx.get(), 0) != 1 ||
      EVP_CipherUpdate(ctx.get(), o, &n, reinterpret_cast<const unsigned char*>(input.data()),
                       static_cast<int>(input.size())) != 1 ||
      EVP_CipherFinal_ex(ctx.get(), o + n, &m) != 1) {
    throw std::runtime_error("AES failed");
  }
  out.resize(static_cast<std::size_t>(n + m));
  return out;
}

// The device side of ECDHE: its own P-256 key, the peer point imported from raw parameters.
struct DeviceEcdh {
  std::string public_base64;
  std::string session_key;
};

DeviceEcdh device_ecdh(const std::string& peer_base64) {
  const std::string peer_point = test_base64_decode(peer_base64);
  if (peer_point.size() != 65 || peer_point[0] != 0x04) throw std::runtime_error("bad pubkey");
  EVP_PKEY* own = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> own_key(own, &EVP_PKEY_free);

  std::unique_ptr<OSSL_PARAM_BLD, decltype(&OSSL_PARAM_BLD_free)> build(OSSL_PARAM_BLD_new(),
                                                                        &OSSL_PARAM_BLD_free);
  OSSL_PARAM_BLD_push_utf8_string(build.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0);
  OSSL_PARAM_BLD_push_octet_string(build.get(), OSSL_PKEY_PARAM_PUB_KEY, peer_point.data(),
                                   peer_point.size());
  std::unique_ptr<OSSL_PARAM, decltype(&OSSL_PARAM_free)> params(
      OSSL_PARAM_BLD_to_param(build.get()), &OSSL_PARAM_free);
  std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> from(
      EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr), &EVP_PKEY_CTX_free);
  EVP_PKEY* peer_raw = nullptr;
  if (!own || !params || EVP_PKEY_fromdata_init(from.get()) != 1 ||
      EVP_PKEY_fromdata(from.get(), &peer_raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    throw std::runtime_error("cannot import the client's public key");
  }
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> peer(peer_raw, &EVP_PKEY_free);
  std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> derive(EVP_PKEY_CTX_new(own, nullptr),
                                                                     &EVP_PKEY_CTX_free);
  std::size_t size = 0;
  if (EVP_PKEY_derive_init(derive.get()) != 1 ||
      EVP_PKEY_derive_set_peer(derive.get(), peer.get()) != 1 ||
      EVP_PKEY_derive(derive.get(), nullptr, &size) != 1) {
    throw std::runtime_error("ECDH failed");
  }
  std::string secret(size, '\0');
  EVP_PKEY_derive(derive.get(), reinterpret_cast<unsigned char*>(secret.data()), &size);
  secret.resize(size);

  std::size_t point_size = 0;
  unsigned char point[65];
  if (EVP_PKEY_get_octet_string_param(own, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, point, sizeof(point),
                                      &point_size) != 1) {
    throw std::runtime_error("cannot export the device key");
  }
  return {test_base64_encode(std::string(reinterpret_cast<char*>(point), point_size)),
          protocol::md5_hex(secret)};
}

bool plaintext_namespace(const std::string& ns) {
  return ns == "Appliance.System.All" || ns == "Appliance.System.Ability" ||
         ns == "Appliance.System.Firmware" || ns == "Appliance.Encrypt.ECDHE" ||
         ns == "Appliance.Encrypt.Suite";
}

std::string error_payload(int code, const char* detail) {
  return "{\"error\":{\"code\":" + std::to_string(code) + ",\"detail\":\"" + detail + "\"}}";
}

}  // namespace

std::string test_base64_encode(const std::string& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::string test_base64_decode(const std::string& text) {
  std::string out(text.size() / 4 * 3 + 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0 || text.size() % 4 != 0) throw std::runtime_error("bad base64");
  std::size_t size = static_cast<std::size_t>(n);
  if (!text.empty() && text.back() == '=') --size;
  if (text.size() > 1 && text[text.size() - 2] == '=') --size;
  out.resize(size);
  return out;
}

std::string test_aes_decrypt(const std::string& input, const std::string& key) {
  return cipher(false, input, key);
}

std::string test_aes_encrypt_zero_padded(const std::string& plain, const std::string& key) {
  std::string padded = plain;
  padded.resize((plain.size() / 16 + 1) * 16, '\0');
  return cipher(true, padded, key);
}

FakeDevice::FakeDevice(Options options) : FakeDevice(std::move(options), "127.0.0.1", 0) {}

FakeDevice::FakeDevice(Options options, const std::string& address, int port)
    : options_(std::move(options)) {
  const protocol::Trace trace = load_trace(options_.trace);
  // Traces are obfuscated ("####0"); give the device the uuid of the file name and its MAC.
  uuid_ = trace.uuid;
  for (auto& c : uuid_)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (std::size_t i = 20; i < 32; i += 2) {
    if (!mac_.empty()) mac_ += ':';
    mac_ += uuid_.substr(i, 2);
  }
  rapidjson::Document all;
  all.Parse(trace.all_json.c_str());
  auto& hardware = all["all"]["system"]["hardware"];
  type_ = hardware["type"].GetString();
  hardware["uuid"].SetString(uuid_.c_str(), all.GetAllocator());
  hardware["macAddress"].SetString(mac_.c_str(), all.GetAllocator());
  all_json_ = protocol::to_json(all);
  ability_json_ = trace.ability_json;
  ecdhe_ = ability_json_.find("\"Appliance.Encrypt.ECDHE\"") != std::string::npos;

  server_.emplace(address, port, [this](int fd) {
    handle(fd);
    return LoopbackServer::After::Close;
  });
}

std::vector<FakeDevice::Request> FakeDevice::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

void FakeDevice::drop_requests_for(const std::string& ns) {
  std::lock_guard lock(mutex_);
  dropped_namespaces_.push_back(ns);
}

void FakeDevice::refuse_requests_for(const std::string& ns) {
  std::lock_guard lock(mutex_);
  refused_namespaces_.push_back(ns);
}

std::vector<std::string> FakeDevice::namespaces() const {
  std::vector<std::string> result;
  for (const auto& r : requests())
    result.push_back(r.ns);
  return result;
}

void FakeDevice::handle(int fd) {
  const auto request = read_http_request(fd, ExpectContinue::Ignore);
  if (!request || request->request_line.compare(0, 13, "POST /config ") != 0) return;
  std::string content_type;
  if (const auto it = request->headers.find("content-type"); it != request->headers.end()) {
    content_type = it->second;
    for (auto& c : content_type)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  const auto reply = answer(request->body, content_type);
  if (!reply) return;  // drop the connection, like firmware does
  // Real firmware ends its header lines with LF only (field-notes.md: bytespider needed Node's
  // --insecure-http-parser); libcurl must cope with that.
  send_all(fd,
           "HTTP/1.1 200 OK\nContent-Type: application/json\n"
           "Content-Length: " +
               std::to_string(reply->size()) + "\nConnection: close\n\n" + *reply);
}

std::optional<std::string> FakeDevice::answer(const std::string& body,
                                              const std::string& content_type) {
  const bool encrypted = !body.empty() && body.front() != '{';
  std::string json = body;
  if (encrypted) {
    if (!session_key_) return std::nullopt;
    json = test_aes_decrypt(test_base64_decode(body), *session_key_);
    while (!json.empty() && json.back() == '\0')
      json.pop_back();
  }
  auto message = protocol::parse_message(json);
  if (!message) return std::nullopt;
  const auto& header = message->header;
  bool refused = false;
  {
    std::lock_guard lock(mutex_);
    requests_.push_back({std::string(protocol::to_string(header.method)), header.ns,
                         protocol::to_json(message->payload()), content_type, encrypted});
    if (std::find(dropped_namespaces_.begin(), dropped_namespaces_.end(), header.ns) !=
        dropped_namespaces_.end()) {
      return std::nullopt;
    }
    refused = std::find(refused_namespaces_.begin(), refused_namespaces_.end(), header.ns) !=
              refused_namespaces_.end();
  }
  if (ecdhe_ && !encrypted && !plaintext_namespace(header.ns)) return std::nullopt;

  const std::string key = options_.required_key.value_or("");
  std::string payload = "{}";
  bool error = false;
  if (options_.required_key &&
      !protocol::verify_sign(header.message_id, key, header.timestamp, header.sign)) {
    payload = error_payload(5001, "sign error");
    error = true;
  } else if (refused) {
    payload = error_payload(5000, "refused");
    error = true;
  } else if (header.method == protocol::Method::Get && header.ns == "Appliance.System.All") {
    payload = all_json_;
  } else if (header.method == protocol::Method::Get && header.ns == "Appliance.System.Ability") {
    payload = ability_json_;  // {"ability":{...}}
  } else if (header.method == protocol::Method::Set && header.ns == "Appliance.Encrypt.ECDHE" &&
             ecdhe_) {
    const auto* ecdhe = protocol::find_member(message->payload(), "ecdhe");
    const auto pubkey = ecdhe ? protocol::string_member(*ecdhe, "pubkey") : std::nullopt;
    if (!pubkey) return std::nullopt;
    const auto exchange = device_ecdh(std::string(*pubkey));
    session_key_ = exchange.session_key;
    payload = "{\"ecdhe\":{\"pubkey\":\"" + exchange.public_base64 + "\"}}";
  } else if (header.method == protocol::Method::Get && header.ns == "Appliance.Config.WifiList") {
    payload = options_.wifi_list_json;
  } else if (header.method == protocol::Method::Set &&
             (header.ns == "Appliance.Config.Key" || header.ns == "Appliance.Config.Wifi" ||
              (header.ns == "Appliance.Config.WifiX" &&
               ability_json_.find("Appliance.Config.WifiX") != std::string::npos))) {
    payload = "{}";
  } else if (header.method == protocol::Method::Get &&
             ability_json_.find("\"" + header.ns + "\"") != std::string::npos) {
    payload = "{}";
  } else {
    payload = error_payload(5000, "unsupported");
    error = true;
  }
  auto reply_header =
      protocol::make_ack_header(header, key, 1700000000, "/appliance/" + uuid_ + "/publish");
  if (error) reply_header.method = protocol::Method::Error;
  const std::string reply = protocol::serialize(reply_header, payload);
  if (!encrypted) return reply;
  return test_base64_encode(test_aes_encrypt_zero_padded(reply, *session_key_));
}

}  // namespace meross::test
