#include "bridge/mqtt_url.hpp"

#include <charconv>

namespace meross::bridge {
namespace {

std::optional<MqttUrl> fail(std::string* error, std::string message) {
  if (error) *error = std::move(message);
  return std::nullopt;
}

}  // namespace

std::optional<MqttUrl> parse_mqtt_url(std::string_view url, std::string* error) {
  MqttUrl out;
  std::string_view rest;
  if (url.starts_with("mqtt://")) {
    rest = url.substr(7);
  } else if (url.starts_with("mqtts://")) {
    out.tls = true;
    rest = url.substr(8);
  } else {
    return fail(error, "expected a URL starting with mqtt:// or mqtts://");
  }
  out.port = out.tls ? 8883 : 1883;
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  if (rest.find('@') != std::string_view::npos) {
    return fail(error, "credentials do not belong in the URL; use username and password");
  }
  if (rest.find('/') != std::string_view::npos) return fail(error, "a broker URL has no path");
  std::string_view host = rest;
  if (!rest.empty() && rest.front() == '[') {  // [::1]:1883
    const auto close = rest.find(']');
    if (close == std::string_view::npos) return fail(error, "unterminated [ in the host");
    host = rest.substr(1, close - 1);
    rest.remove_prefix(close + 1);
    if (!rest.empty() && rest.front() != ':') return fail(error, "unexpected text after ]");
  } else {
    const auto colon = rest.rfind(':');
    host = rest.substr(0, colon);
    rest = colon == std::string_view::npos ? std::string_view{} : rest.substr(colon);
  }
  if (host.empty()) return fail(error, "the URL has no host");
  if (!rest.empty()) {
    rest.remove_prefix(1);  // ':'
    int port = 0;
    const auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), port);
    if (ec != std::errc{} || end != rest.data() + rest.size() || port < 1 || port > 65535) {
      return fail(error, "the port must be a number from 1 to 65535");
    }
    out.port = port;
  }
  out.host = std::string(host);
  return out;
}

std::string to_string(const MqttUrl& url) {
  const bool v6 = url.host.find(':') != std::string::npos;
  return std::string(url.tls ? "mqtts://" : "mqtt://") + (v6 ? "[" : "") + url.host +
         (v6 ? "]" : "") + ":" + std::to_string(url.port);
}

}  // namespace meross::bridge
