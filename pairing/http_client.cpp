#include "pairing/http_client.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <string>

#include "pairing/crypto.hpp"
#include "pairing/curl_post.hpp"
#include "pairing/requests.hpp"
#include "pairing/unix_time.hpp"
#include "protocol/json.hpp"
#include "protocol/signing.hpp"

namespace meross::pairing {
namespace {

using protocol::Error;

// Bounds what a host that never stops answering makes us hold.
constexpr std::size_t kMaxAnswer = 256 * 1024;

std::string seconds(long ms) {
  return std::to_string(ms / 1000) + (ms % 1000 ? "." + std::to_string(ms % 1000 / 100) : "") +
         " s";
}

}  // namespace

std::optional<Error> check_host(std::string_view host) {
  if (host.empty() || host.size() > 253) return Error{"host", "expected an IP address or name"};
  for (const char c : host) {
    const bool ok = std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '-' ||
                    c == '_' || c == ':' || c == '[' || c == ']';
    if (!ok) return Error{"host", "expected HOST or HOST:PORT (no scheme, path or spaces)"};
  }
  return std::nullopt;
}

protocol::Result<std::string> post_config(std::string_view host, std::string_view body,
                                          std::string_view content_type,
                                          const HttpTimeouts& timeouts) {
  if (auto error = check_host(host)) return *error;
  auto answer = curl_post_once({"http://" + std::string(host) + "/config",
                                body,
                                {"Content-Type: " + std::string(content_type)},
                                "http",
                                "*",  // the device is on the local network
                                timeouts.connect_ms,
                                timeouts.total_ms,
                                kMaxAnswer});
  if (!answer) return answer.error();
  const CURLcode code = answer->code;
  const std::string where = "the device at " + std::string(host);
  switch (code) {
    case CURLE_OK:
      break;
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
      return Error{"", "cannot reach " + where + " (" + curl_easy_strerror(code) +
                           "). In pairing mode, join the device's access point (Meross_XX_XXXX) "
                           "and use --host 10.10.10.1"};
    case CURLE_OPERATION_TIMEDOUT:
      return Error{"", where + " did not answer within " + seconds(timeouts.total_ms) + " (" +
                           answer->error + ")"};
    case CURLE_GOT_NOTHING:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_PARTIAL_FILE:
      return Error{"", where +
                           " closed the connection without an answer; firmware does this for "
                           "requests it does not support or that are not encrypted as it expects"};
    default:
      return Error{"", "HTTP request to " + where + " failed: " + curl_easy_strerror(code)};
  }
  return body_if_ok(std::move(*answer), where);
}

DeviceClient::DeviceClient(std::string host, std::string key, HttpTimeouts timeouts)
    : host_(std::move(host)), key_(std::move(key)), timeouts_(timeouts) {}

protocol::Result<protocol::Message> DeviceClient::request(protocol::Method method,
                                                          std::string_view ns,
                                                          std::string_view payload_json) {
  const auto header = protocol::make_request_header(method, ns, "http://" + host_ + "/config", key_,
                                                    unix_seconds());
  const std::string message = protocol::serialize(header, payload_json);
  const bool encrypt =
      session_key_ && (encryption_ == HttpEncryption::StaticKey || !plaintext_namespace(ns));
  auto body = encrypt
                  ? post_config(host_, base64_encode(aes_zero_pad_encrypt(message, *session_key_)),
                                "application/octet-stream", timeouts_)
                  : post_config(host_, message, "application/json", timeouts_);
  if (!body) return body.error();
  std::string reply = std::move(*body);
  const auto first = std::find_if(reply.begin(), reply.end(), [](char c) {
    return !std::isspace(static_cast<unsigned char>(c));
  });
  if (session_key_ && first != reply.end() && *first != '{') {
    std::string compact;
    std::copy_if(reply.begin(), reply.end(), std::back_inserter(compact),
                 [](char c) { return !std::isspace(static_cast<unsigned char>(c)); });
    auto cipher = base64_decode(compact);
    if (!cipher) return Error{"", "the encrypted reply is not base64"};
    auto plain = aes_zero_pad_decrypt(*cipher, *session_key_);
    if (!plain) return Error{"", "the encrypted reply could not be decrypted"};
    reply = std::move(*plain);
  }
  auto checked = check_reply(reply, header);
  return checked;
}

std::optional<protocol::Error> DeviceClient::exchange_keys() {
  EcdhKey key;
  const std::string payload =
      R"({"ecdhe":{"step":1,"pubkey":")" + key.public_key_base64() + R"("}})";
  session_key_.reset();
  encryption_ = HttpEncryption::Plain;
  auto reply = request(protocol::Method::Set, "Appliance.Encrypt.ECDHE", payload);
  if (!reply) return reply.error();
  const auto* ecdhe = protocol::find_member(reply->payload(), "ecdhe");
  const auto pubkey = ecdhe ? protocol::string_member(*ecdhe, "pubkey") : std::nullopt;
  if (!pubkey) return Error{"ecdhe.pubkey", "the device's ECDHE answer has no public key"};
  auto session = key.session_key(*pubkey);
  if (!session) return session.error();
  session_key_ = std::move(*session);
  encryption_ = HttpEncryption::Ecdhe;
  return std::nullopt;
}

void DeviceClient::use_static_key(std::string_view uuid, std::string_view mac) {
  auto normalized = mac.empty() ? mac_from_uuid(uuid) : normalize_mac(mac);
  session_key_ = static_encryption_key(uuid, key_, normalized ? *normalized : std::string(mac));
  encryption_ = HttpEncryption::StaticKey;
}

std::optional<protocol::Error> DeviceClient::start_encryption(std::string_view uuid,
                                                              std::string_view mac) {
  auto refused = exchange_keys();
  if (!refused) return std::nullopt;
  const std::string& why = refused->message;
  if (why.find("ERROR 5001") != std::string::npos || why.starts_with("cannot reach") ||
      uuid.empty()) {
    return refused;
  }
  use_static_key(uuid, mac);
  return std::nullopt;
}

}  // namespace meross::pairing
