#include "pairing/mqtt_call.hpp"

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include <mosquitto.h>

#include "pairing/unix_time.hpp"
#include "protocol/signing.hpp"

namespace meross::pairing {
namespace {

using protocol::Error;

struct CallState {
  std::string reply_topic;
  std::string request_topic;
  std::string request;
  std::string message_id;
  std::string ns;
  int subscribe_mid = -1;
  bool connected = false;
  bool published = false;
  std::optional<std::string> reply;
  std::optional<std::string> failure;
};

void on_connect(mosquitto* mosq, void* user, int rc) {
  auto* state = static_cast<CallState*>(user);
  if (rc != 0) {
    state->failure =
        std::string("the broker refused the connection: ") + mosquitto_connack_string(rc);
    return;
  }
  state->connected = true;
  if (mosquitto_subscribe(mosq, &state->subscribe_mid, state->reply_topic.c_str(), 1) !=
      MOSQ_ERR_SUCCESS) {
    state->failure = "cannot subscribe to " + state->reply_topic;
  }
}

void on_subscribe(mosquitto* mosq, void* user, int mid, int count, const int* granted) {
  auto* state = static_cast<CallState*>(user);
  if (mid != state->subscribe_mid) return;
  if (count < 1 || granted[0] > 2) {
    state->failure = "the broker refused the subscription to " + state->reply_topic +
                     " (check the ACLs of this user)";
    return;
  }
  if (mosquitto_publish(mosq, nullptr, state->request_topic.c_str(),
                        static_cast<int>(state->request.size()), state->request.data(), 1,
                        false) != MOSQ_ERR_SUCCESS) {
    state->failure = "cannot publish to " + state->request_topic;
    return;
  }
  state->published = true;
}

void on_message(mosquitto*, void* user, const mosquitto_message* message) {
  auto* state = static_cast<CallState*>(user);
  if (message->payloadlen <= 0 || state->reply) return;
  std::string text(static_cast<const char*>(message->payload),
                   static_cast<std::size_t>(message->payloadlen));
  auto parsed = protocol::parse_message(text);
  if (!parsed) return;  // other traffic on the device topic
  if (parsed->header.message_id == state->message_id && parsed->header.ns == state->ns &&
      parsed->header.method != protocol::Method::Get &&
      parsed->header.method != protocol::Method::Set) {
    state->reply = std::move(text);
  }
}

struct Endpoint {
  bool tls = false;
  std::string host;
  int port = 1883;
};

std::optional<Endpoint> parse_url(std::string_view url) {
  Endpoint endpoint;
  if (url.starts_with("mqtt://")) {
    url.remove_prefix(7);
  } else if (url.starts_with("mqtts://")) {
    url.remove_prefix(8);
    endpoint.tls = true;
    endpoint.port = 8883;
  } else {
    return std::nullopt;
  }
  const auto colon = url.rfind(':');
  endpoint.host = std::string(url.substr(0, colon));
  if (colon != std::string_view::npos) {
    try {
      std::size_t used = 0;
      const std::string port(url.substr(colon + 1));
      endpoint.port = std::stoi(port, &used);
      if (used != port.size() || endpoint.port < 1 || endpoint.port > 65535) return std::nullopt;
    } catch (const std::exception&) {
      return std::nullopt;
    }
  }
  if (endpoint.host.empty()) return std::nullopt;
  return endpoint;
}

}  // namespace

protocol::Result<std::string> mqtt_call(const MqttCallOptions& options) {
  const auto endpoint = parse_url(options.broker);
  if (!endpoint) return Error{"broker", "expected mqtt://HOST:PORT or mqtts://HOST:PORT"};
  if (options.uuid.size() != 32) return Error{"uuid", "expected the device's 32-character uuid"};
  if (options.timeout_s < 1) return Error{"timeout", "expected at least 1 second"};

  static std::once_flag once;
  std::call_once(once, [] { mosquitto_lib_init(); });

  CallState state;
  state.reply_topic = "/appliance/" + options.uuid + "/publish";
  state.request_topic = "/appliance/" + options.uuid + "/subscribe";
  state.ns = options.ns;
  const auto now = unix_seconds();
  const auto header = protocol::make_request_header(options.method, options.ns, state.reply_topic,
                                                    options.key, now);
  state.message_id = header.message_id;
  state.request = protocol::serialize(header, options.payload);

  const std::string client_id = "meross-call-" + protocol::new_message_id().substr(0, 12);
  std::unique_ptr<mosquitto, decltype(&mosquitto_destroy)> mosq(
      mosquitto_new(client_id.c_str(), true, &state), &mosquitto_destroy);
  if (!mosq) return Error{"", "libmosquitto could not start"};
  mosquitto_connect_callback_set(mosq.get(), &on_connect);
  mosquitto_subscribe_callback_set(mosq.get(), &on_subscribe);
  mosquitto_message_callback_set(mosq.get(), &on_message);
  if (!options.username.empty() &&
      mosquitto_username_pw_set(mosq.get(), options.username.c_str(),
                                options.password.empty() ? nullptr : options.password.c_str()) !=
          MOSQ_ERR_SUCCESS) {
    return Error{"", "libmosquitto rejected the credentials"};
  }
  if (endpoint->tls) {
    const char* cafile = options.cafile.empty() ? nullptr : options.cafile.c_str();
    const char* capath = cafile ? nullptr : "/etc/ssl/certs";
    if (mosquitto_tls_set(mosq.get(), cafile, capath, nullptr, nullptr, nullptr) !=
        MOSQ_ERR_SUCCESS) {
      return Error{"cafile", "cannot use the CA file " + options.cafile};
    }
    if (options.insecure) mosquitto_tls_insecure_set(mosq.get(), true);
  }
  const int rc = mosquitto_connect(mosq.get(), endpoint->host.c_str(), endpoint->port, 30);
  if (rc != MOSQ_ERR_SUCCESS) {
    return Error{"", "cannot connect to the broker at " + endpoint->host + ":" +
                         std::to_string(endpoint->port) + ": " + mosquitto_strerror(rc)};
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(options.timeout_s);
  while (!state.reply && !state.failure && std::chrono::steady_clock::now() < deadline) {
    const int loop = mosquitto_loop(mosq.get(), 100, 1);
    if (loop != MOSQ_ERR_SUCCESS && !state.failure) {
      state.failure =
          loop == MOSQ_ERR_CONN_LOST && !state.connected
              ? "the broker closed the connection (wrong user or password?)"
              : std::string("connection to the broker lost: ") + mosquitto_strerror(loop);
    }
  }
  mosquitto_disconnect(mosq.get());
  if (state.failure) return Error{"", *state.failure};
  if (state.reply) return *state.reply;
  if (!state.connected) return Error{"", "no answer from the broker within the timeout"};
  return Error{"", "device " + options.uuid + " did not answer within " +
                       std::to_string(options.timeout_s) + " s (is it connected to this broker?)"};
}

}  // namespace meross::pairing
