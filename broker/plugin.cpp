// The mosquitto 2.0 side of the auth plugin (plugin interface v5): reads the options at start-up,
// answers MOSQ_EVT_BASIC_AUTH and MOSQ_EVT_ACL_CHECK with AuthRules, and reads the files again on
// MOSQ_EVT_RELOAD (SIGHUP). The decisions themselves live in auth_rules.cpp.
//
// mosquitto runs every callback on its one main thread, so the state needs no lock. No exception
// may cross into mosquitto (C): each entry point catches them and refuses.

#include <chrono>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

// mosquitto.h first (sorting keeps it so): mosquitto_broker.h uses its types without including it.
#include <mosquitto.h>
#include <mosquitto_broker.h>
#include <mosquitto_plugin.h>

#include "broker/auth_config.hpp"
#include "broker/auth_rules.hpp"

namespace {

using meross::broker::Access;
using meross::broker::AuthRules;
using meross::broker::PluginOptions;

// Client ids, usernames and topics come from the network: bounded and printable in the log.
constexpr std::size_t kMaxPrinted = 64;
// ACL denials can come with every message; one notice per this period at most.
constexpr std::chrono::seconds kDenialNoticePeriod{10};

struct Plugin {
  mosquitto_plugin_id_t* id = nullptr;
  PluginOptions options;  // kept for MOSQ_EVT_RELOAD, which does not pass them again
  std::unique_ptr<AuthRules> rules;
  std::optional<std::chrono::steady_clock::time_point> last_denial_notice;
  std::uint64_t unlogged_denials = 0;
};

std::string printable(const char* text) {
  if (!text) return "<none>";
  std::string out;
  std::size_t i = 0;
  for (; text[i] != '\0' && i < kMaxPrinted; ++i) {
    const char c = text[i];
    out += (c >= ' ' && c < 0x7f) ? c : '?';
  }
  if (text[i] != '\0') out += "...";
  return out;
}

std::optional<std::string_view> optional_view(const char* text) {
  if (!text) return std::nullopt;
  return std::string_view(text);
}

std::optional<Access> access_of(int access) {
  switch (access) {
    case MOSQ_ACL_SUBSCRIBE:
      return Access::subscribe;
    case MOSQ_ACL_UNSUBSCRIBE:
      return Access::unsubscribe;
    case MOSQ_ACL_READ:
      return Access::read;
    case MOSQ_ACL_WRITE:
      return Access::write;
    default:
      return std::nullopt;
  }
}

const char* access_name(int access) {
  switch (access) {
    case MOSQ_ACL_SUBSCRIBE:
      return "subscribe to";
    case MOSQ_ACL_UNSUBSCRIBE:
      return "unsubscribe from";
    case MOSQ_ACL_READ:
      return "receive on";
    case MOSQ_ACL_WRITE:
      return "publish on";
    default:
      return "access";
  }
}

std::string join_roots(const AuthRules& rules) {
  std::string out;
  for (const std::string& root : rules.topic_roots()) {
    out += (out.empty() ? "" : ",") + root;
  }
  return out;
}

void log_loaded(const AuthRules& rules, const char* what) {
  std::string user_ids = "any";
  if (rules.user_ids()) {
    user_ids.clear();
    for (const std::uint64_t id : *rules.user_ids()) {
      user_ids += (user_ids.empty() ? "" : ",") + std::to_string(id);
    }
  }
  mosquitto_log_printf(MOSQ_LOG_INFO,
                       "meross-auth: %s %zu key(s), %zu internal login(s), userIds %s, topic "
                       "roots %s",
                       what, rules.key_count(), rules.client_count(), user_ids.c_str(),
                       join_roots(rules).c_str());
}

void note_denial(Plugin& plugin, const mosquitto_evt_acl_check& event) {
  const auto now = std::chrono::steady_clock::now();
  if (plugin.last_denial_notice && now - *plugin.last_denial_notice < kDenialNoticePeriod) {
    ++plugin.unlogged_denials;
    return;
  }
  mosquitto_log_printf(MOSQ_LOG_NOTICE,
                       "meross-auth: denied %s (user %s) to %s %s (%llu more denial(s) since the "
                       "last such line)",
                       printable(mosquitto_client_id(event.client)).c_str(),
                       printable(mosquitto_client_username(event.client)).c_str(),
                       access_name(event.access), printable(event.topic).c_str(),
                       static_cast<unsigned long long>(plugin.unlogged_denials));
  plugin.last_denial_notice = now;
  plugin.unlogged_denials = 0;
}

int on_basic_auth(int, void* event_data, void* userdata) {
  auto& plugin = *static_cast<Plugin*>(userdata);
  const auto& event = *static_cast<const mosquitto_evt_basic_auth*>(event_data);
  const char* client_id = mosquitto_client_id(event.client);
  try {
    const auto result = plugin.rules->authenticate(
        client_id ? client_id : "", optional_view(event.username), optional_view(event.password));
    if (result.accepted) {
      mosquitto_log_printf(MOSQ_LOG_DEBUG, "meross-auth: accepted %s (user %s) as %s",
                           printable(client_id).c_str(), printable(event.username).c_str(),
                           meross::broker::role_name(result.role));
      return MOSQ_ERR_SUCCESS;
    }
    mosquitto_log_printf(MOSQ_LOG_NOTICE, "meross-auth: refused %s (user %s): %s",
                         printable(client_id).c_str(), printable(event.username).c_str(),
                         result.reason);
  } catch (const std::exception& e) {
    mosquitto_log_printf(MOSQ_LOG_ERR, "meross-auth: refused %s: internal error (%s)",
                         printable(client_id).c_str(), e.what());
  }
  return MOSQ_ERR_AUTH;
}

int on_acl_check(int, void* event_data, void* userdata) {
  auto& plugin = *static_cast<Plugin*>(userdata);
  const auto& event = *static_cast<const mosquitto_evt_acl_check*>(event_data);
  try {
    const char* client_id = mosquitto_client_id(event.client);
    const auto access = access_of(event.access);
    const auto who = plugin.rules->identify(client_id ? client_id : "",
                                            optional_view(mosquitto_client_username(event.client)));
    if (access && who && event.topic && plugin.rules->allowed(*who, *access, event.topic)) {
      return MOSQ_ERR_SUCCESS;
    }
    note_denial(plugin, event);
  } catch (const std::exception& e) {
    mosquitto_log_printf(MOSQ_LOG_ERR, "meross-auth: denied: internal error (%s)", e.what());
  }
  return MOSQ_ERR_ACL_DENIED;
}

int on_reload(int, void*, void* userdata) {
  auto& plugin = *static_cast<Plugin*>(userdata);
  try {
    auto settings = meross::broker::load_settings(plugin.options);
    if (settings) {
      plugin.rules = std::make_unique<AuthRules>(std::move(*settings));
      log_loaded(*plugin.rules, "reloaded");
    } else {
      mosquitto_log_printf(MOSQ_LOG_ERR, "meross-auth: %s; keeping the previous configuration",
                           settings.error().message.c_str());
    }
  } catch (const std::exception& e) {
    mosquitto_log_printf(MOSQ_LOG_ERR,
                         "meross-auth: reload failed (%s); keeping the previous configuration",
                         e.what());
  }
  // Not "success": mosquitto 2.0 stops at the first reload callback that does not defer, and the
  // other plugins must hear about the reload too.
  return MOSQ_ERR_PLUGIN_DEFER;
}

struct Registration {
  int event;
  MOSQ_FUNC_generic_callback callback;
};
constexpr Registration kCallbacks[] = {{MOSQ_EVT_BASIC_AUTH, on_basic_auth},
                                       {MOSQ_EVT_ACL_CHECK, on_acl_check},
                                       {MOSQ_EVT_RELOAD, on_reload}};

void unregister_callbacks(mosquitto_plugin_id_t* id, std::size_t count) {
  for (std::size_t i = 0; i < count; ++i) {
    mosquitto_callback_unregister(id, kCallbacks[i].event, kCallbacks[i].callback, nullptr);
  }
}

}  // namespace

// The only symbols the library exports (plugin.map).
extern "C" {

int mosquitto_plugin_version(int supported_version_count, const int* supported_versions) {
  for (int i = 0; i < supported_version_count; ++i) {
    if (supported_versions[i] == 5) return 5;
  }
  return -1;
}

int mosquitto_plugin_init(mosquitto_plugin_id_t* identifier, void** userdata,
                          struct mosquitto_opt* options, int option_count) {
  try {
    auto plugin = std::make_unique<Plugin>();
    plugin->id = identifier;
    for (int i = 0; i < option_count; ++i) {
      plugin->options.emplace_back(options[i].key ? options[i].key : "",
                                   options[i].value ? options[i].value : "");
    }
    auto settings = meross::broker::load_settings(plugin->options);
    if (!settings) {
      mosquitto_log_printf(MOSQ_LOG_ERR, "meross-auth: %s", settings.error().message.c_str());
      return MOSQ_ERR_INVAL;
    }
    plugin->rules = std::make_unique<AuthRules>(std::move(*settings));
    for (std::size_t i = 0; i < std::size(kCallbacks); ++i) {
      const int rc = mosquitto_callback_register(identifier, kCallbacks[i].event,
                                                 kCallbacks[i].callback, nullptr, plugin.get());
      if (rc != MOSQ_ERR_SUCCESS) {
        mosquitto_log_printf(MOSQ_LOG_ERR, "meross-auth: cannot register a callback (error %d)",
                             rc);
        unregister_callbacks(identifier, i);
        return rc;
      }
    }
    log_loaded(*plugin->rules, "loaded");
    *userdata = plugin.release();
    return MOSQ_ERR_SUCCESS;
  } catch (const std::exception& e) {
    mosquitto_log_printf(MOSQ_LOG_ERR, "meross-auth: cannot start (%s)", e.what());
    return MOSQ_ERR_UNKNOWN;
  }
}

int mosquitto_plugin_cleanup(void* userdata, struct mosquitto_opt*, int) {
  const std::unique_ptr<Plugin> plugin(static_cast<Plugin*>(userdata));
  if (plugin) unregister_callbacks(plugin->id, std::size(kCallbacks));
  return MOSQ_ERR_SUCCESS;
}

}  // extern "C"
