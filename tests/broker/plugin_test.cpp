// The built meross-auth.so, loaded the way mosquitto loads it (dlopen RTLD_NOW) into this test,
// which plays the broker: it provides the mosquitto_* functions the plugin calls, records the
// callbacks and log lines, and fires events at the plugin without any socket.

#include <boost/test/unit_test.hpp>

#include <dlfcn.h>

#include <cstdarg>
#include <cstdio>
#include <string>
#include <vector>

// mosquitto.h first (sorting keeps it so): mosquitto_broker.h uses its types without including it.
#include <mosquitto.h>
#include <mosquitto_broker.h>
#include <mosquitto_plugin.h>

#include "broker_test_support.hpp"

using meross::test::broker::Device;
using meross::test::broker::ScratchDir;

// What the fake broker hands out as `struct mosquitto *`.
struct mosquitto {
  const char* id;
  const char* username;
};

namespace {

struct Callback {
  int event;
  MOSQ_FUNC_generic_callback function;
  void* userdata;
};

struct FakeBroker {
  std::vector<Callback> callbacks;
  std::vector<std::pair<int, std::string>> log;
};
FakeBroker broker;

}  // namespace

// The broker's side of the plugin API, as far as the plugin uses it.
extern "C" {

int mosquitto_callback_register(mosquitto_plugin_id_t*, int event, MOSQ_FUNC_generic_callback cb,
                                const void*, void* userdata) {
  broker.callbacks.push_back(Callback{event, cb, userdata});
  return MOSQ_ERR_SUCCESS;
}

int mosquitto_callback_unregister(mosquitto_plugin_id_t*, int event, MOSQ_FUNC_generic_callback cb,
                                  const void*) {
  std::erase_if(broker.callbacks,
                [&](const Callback& c) { return c.event == event && c.function == cb; });
  return MOSQ_ERR_SUCCESS;
}

void mosquitto_log_printf(int level, const char* fmt, ...) {
  char line[2048];
  va_list args;
  va_start(args, fmt);
  std::vsnprintf(line, sizeof line, fmt, args);
  va_end(args);
  broker.log.emplace_back(level, line);
}

const char* mosquitto_client_id(const struct mosquitto* client) {
  return client->id;
}
const char* mosquitto_client_username(const struct mosquitto* client) {
  return client->username;
}

}  // extern "C"

namespace {

using VersionFunction = int (*)(int, const int*);
using InitFunction = int (*)(mosquitto_plugin_id_t*, void**, mosquitto_opt*, int);
using CleanupFunction = int (*)(void*, mosquitto_opt*, int);

const std::string kKey = "plugin-test-key-4f0e";
constexpr std::uint64_t kUserId = 4242;

struct LoadedPlugin {
  void* handle = nullptr;
  VersionFunction version = nullptr;
  InitFunction init = nullptr;
  CleanupFunction cleanup = nullptr;
  void* userdata = nullptr;
  bool started = false;

  LoadedPlugin() {
    handle = ::dlopen(MEROSS_AUTH_PLUGIN, RTLD_NOW | RTLD_LOCAL);
    BOOST_REQUIRE_MESSAGE(handle != nullptr, ::dlerror());
    version = reinterpret_cast<VersionFunction>(::dlsym(handle, "mosquitto_plugin_version"));
    init = reinterpret_cast<InitFunction>(::dlsym(handle, "mosquitto_plugin_init"));
    cleanup = reinterpret_cast<CleanupFunction>(::dlsym(handle, "mosquitto_plugin_cleanup"));
    BOOST_REQUIRE(version && init && cleanup);
    broker = FakeBroker{};
  }
  ~LoadedPlugin() {
    if (started) cleanup(userdata, nullptr, 0);
    ::dlclose(handle);
  }

  int start(std::vector<std::pair<std::string, std::string>> options) {
    std::vector<mosquitto_opt> opts;
    for (auto& [key, value] : options)
      opts.push_back(mosquitto_opt{key.data(), value.data()});
    auto* id = reinterpret_cast<mosquitto_plugin_id_t*>(this);
    const int rc = init(id, &userdata, opts.data(), static_cast<int>(opts.size()));
    started = rc == MOSQ_ERR_SUCCESS;
    return rc;
  }

  int fire(int event, void* data) {
    for (const Callback& c : broker.callbacks) {
      if (c.event == event) return c.function(event, data, c.userdata);
    }
    BOOST_FAIL("no callback for event " << event);
    return -1;
  }
  int login(const char* id, const char* username, const char* password) {
    mosquitto client{id, username};
    mosquitto_evt_basic_auth event{};
    event.client = &client;
    event.username = const_cast<char*>(username);
    event.password = const_cast<char*>(password);
    return fire(MOSQ_EVT_BASIC_AUTH, &event);
  }
  int acl(const char* id, const char* username, int access, const char* topic) {
    mosquitto client{id, username};
    mosquitto_evt_acl_check event{};
    event.client = &client;
    event.access = access;
    event.topic = topic;
    return fire(MOSQ_EVT_ACL_CHECK, &event);
  }
};

std::string all_log() {
  std::string out;
  for (const auto& [level, line] : broker.log)
    out += line + "\n";
  return out;
}

bool logged(int level, const std::string& text) {
  for (const auto& [l, line] : broker.log) {
    if (l == level && line.find(text) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(plugin)

BOOST_AUTO_TEST_CASE(exports_interface_version_5) {
  LoadedPlugin p;
  const int both[] = {4, 5};
  const int old[] = {2, 3, 4};
  BOOST_TEST(p.version(2, both) == 5);
  BOOST_TEST(p.version(3, old) == -1);
  // Nothing of ours leaks into mosquitto's global symbol namespace (RTLD_GLOBAL).
  BOOST_TEST(::dlsym(p.handle, "_ZN6meross6broker9AuthRulesC1ENS0_8SettingsE") == nullptr);
}

BOOST_AUTO_TEST_CASE(refuses_to_start_without_a_key_file) {
  ScratchDir dir;
  LoadedPlugin p;
  BOOST_TEST(p.start({}) != MOSQ_ERR_SUCCESS);
  BOOST_TEST(logged(MOSQ_LOG_ERR, "meross-auth: plugin_opt_key_file is required"), all_log());
  BOOST_TEST(broker.callbacks.empty());

  broker.log.clear();
  const auto path = dir.write("keys", kKey + "\n", 0644);
  BOOST_TEST(p.start({{"key_file", path}}) != MOSQ_ERR_SUCCESS);
  BOOST_TEST(logged(MOSQ_LOG_ERR, "meross-auth: key file " + path + ": must be 0600"), all_log());
  BOOST_TEST(all_log().find(kKey) == std::string::npos);
  BOOST_TEST(broker.callbacks.empty());
}

BOOST_AUTO_TEST_CASE(device_login_and_refusal_lines) {
  ScratchDir dir;
  LoadedPlugin p;
  const auto keys = dir.write("keys", kKey + "\n");
  BOOST_REQUIRE(p.start({{"key_file", keys}, {"user_ids", "0,4242"}}) == MOSQ_ERR_SUCCESS);
  BOOST_TEST(broker.callbacks.size() == 3u);
  BOOST_TEST(logged(MOSQ_LOG_INFO,
                    "meross-auth: loaded 1 key(s), 0 internal login(s), userIds "
                    "0,4242, topic roots homeassistant,meross"),
             all_log());

  const Device d = Device::random();
  const std::string good = d.password(kKey, kUserId);
  BOOST_TEST(p.login(d.client_id.c_str(), d.mac.c_str(), good.c_str()) == MOSQ_ERR_SUCCESS);

  broker.log.clear();
  const std::string wrong = d.password("not-the-key", kUserId);
  BOOST_TEST(p.login(d.client_id.c_str(), d.mac.c_str(), wrong.c_str()) == MOSQ_ERR_AUTH);
  BOOST_REQUIRE(broker.log.size() == 1u);
  BOOST_TEST(broker.log[0].first == MOSQ_LOG_NOTICE);
  BOOST_TEST(broker.log[0].second == "meross-auth: refused " + d.client_id + " (user " + d.mac +
                                         "): wrong password for every configured key");

  broker.log.clear();
  BOOST_TEST(p.login(d.client_id.c_str(), nullptr, nullptr) == MOSQ_ERR_AUTH);
  BOOST_TEST(broker.log.at(0).second ==
             "meross-auth: refused " + d.client_id + " (user <none>): anonymous");

  const std::string other_user = d.password(kKey, 7);
  BOOST_TEST(p.login(d.client_id.c_str(), d.mac.c_str(), other_user.c_str()) == MOSQ_ERR_AUTH);
  BOOST_TEST(p.login("meross-bridge", "meross-bridge", "pw") == MOSQ_ERR_AUTH);
  BOOST_TEST(logged(MOSQ_LOG_NOTICE, "): userId not allowed"));
  BOOST_TEST(logged(MOSQ_LOG_NOTICE,
                    "meross-auth: refused meross-bridge (user meross-bridge): unknown user"));
  // Never a password or a key.
  const std::string log = all_log();
  for (const std::string& secret :
       std::vector<std::string>{kKey, good.substr(5), wrong.substr(5), std::string("pw)")}) {
    BOOST_TEST(log.find(secret) == std::string::npos, secret);
  }
}

BOOST_AUTO_TEST_CASE(attacker_text_is_bounded_in_the_log) {
  ScratchDir dir;
  LoadedPlugin p;
  BOOST_REQUIRE(p.start({{"key_file", dir.write("keys", kKey + "\n")}}) == MOSQ_ERR_SUCCESS);
  const std::string id = "evil\n\x1b[31m" + std::string(300, 'A');
  const std::string user = "u\r\nmeross-auth: accepted everyone" + std::string(100, 'B');
  broker.log.clear();
  BOOST_TEST(p.login(id.c_str(), user.c_str(), "x") == MOSQ_ERR_AUTH);
  BOOST_REQUIRE(broker.log.size() == 1u);
  // 64 printable characters at most, each control character a '?'.
  const std::string shown_id = "evil??[31m" + std::string(64 - 10, 'A') + "...";
  const std::string shown_user_head = "u??meross-auth: accepted everyone";
  const std::string shown_user =
      shown_user_head + std::string(64 - shown_user_head.size(), 'B') + "...";
  BOOST_TEST(broker.log[0].second ==
             "meross-auth: refused " + shown_id + " (user " + shown_user + "): unknown user");
}

BOOST_AUTO_TEST_CASE(acl_decisions_and_rate_limited_notice) {
  ScratchDir dir;
  LoadedPlugin p;
  BOOST_REQUIRE(p.start({{"key_file", dir.write("keys", kKey + "\n")}}) == MOSQ_ERR_SUCCESS);
  const Device d = Device::random();
  const char* id = d.client_id.c_str();
  const char* mac = d.mac.c_str();
  BOOST_TEST(p.acl(id, mac, MOSQ_ACL_SUBSCRIBE, d.subscribe_topic().c_str()) == MOSQ_ERR_SUCCESS);
  BOOST_TEST(p.acl(id, mac, MOSQ_ACL_UNSUBSCRIBE, d.subscribe_topic().c_str()) == MOSQ_ERR_SUCCESS);
  BOOST_TEST(p.acl(id, mac, MOSQ_ACL_READ, d.subscribe_topic().c_str()) == MOSQ_ERR_SUCCESS);
  BOOST_TEST(p.acl(id, mac, MOSQ_ACL_WRITE, d.publish_topic().c_str()) == MOSQ_ERR_SUCCESS);
  BOOST_TEST(broker.log.size() == 1u);  // the "loaded" line

  broker.log.clear();
  BOOST_TEST(p.acl(id, mac, MOSQ_ACL_SUBSCRIBE, "#") == MOSQ_ERR_ACL_DENIED);
  BOOST_TEST(p.acl(id, mac, MOSQ_ACL_WRITE, "homeassistant/x") == MOSQ_ERR_ACL_DENIED);
  BOOST_TEST(p.acl(id, mac, MOSQ_ACL_NONE, d.subscribe_topic().c_str()) == MOSQ_ERR_ACL_DENIED);
  BOOST_TEST(p.acl(id, "meross-bridge", MOSQ_ACL_WRITE, d.publish_topic().c_str()) ==
             MOSQ_ERR_ACL_DENIED);
  // One notice for the first denial; the next ones within 10 s are only counted.
  BOOST_REQUIRE(broker.log.size() == 1u);
  BOOST_TEST(broker.log[0].first == MOSQ_LOG_NOTICE);
  BOOST_TEST(broker.log[0].second == "meross-auth: denied " + d.client_id + " (user " + d.mac +
                                         ") to subscribe to # (0 more denial(s) since the last "
                                         "such line)");
}

BOOST_AUTO_TEST_CASE(internal_logins_and_roles) {
  ScratchDir dir;
  LoadedPlugin p;
  const auto clients =
      dir.write("clients", "meross-bridge bridge " + meross::test::broker::pbkdf2_hash("b-pw") +
                               "\nhomeassistant homeassistant " +
                               meross::test::broker::pbkdf2_hash("h-pw") + "\n");
  BOOST_REQUIRE(p.start({{"key_file", dir.write("keys", kKey + "\n")},
                         {"clients_file", clients},
                         {"topic_roots", "ha"}}) == MOSQ_ERR_SUCCESS);
  BOOST_TEST(p.login("bridge-1", "meross-bridge", "b-pw") == MOSQ_ERR_SUCCESS);
  BOOST_TEST(p.login("ha-1", "homeassistant", "h-pw") == MOSQ_ERR_SUCCESS);
  BOOST_TEST(p.login("ha-1", "homeassistant", "b-pw") == MOSQ_ERR_AUTH);
  BOOST_TEST(p.acl("bridge-1", "meross-bridge", MOSQ_ACL_SUBSCRIBE, "/appliance/+/publish") ==
             MOSQ_ERR_SUCCESS);
  BOOST_TEST(p.acl("ha-1", "homeassistant", MOSQ_ACL_SUBSCRIBE, "ha/#") == MOSQ_ERR_SUCCESS);
  BOOST_TEST(p.acl("ha-1", "homeassistant", MOSQ_ACL_SUBSCRIBE, "homeassistant/#") ==
             MOSQ_ERR_ACL_DENIED);
  BOOST_TEST(p.acl("ha-1", "homeassistant", MOSQ_ACL_SUBSCRIBE, "/appliance/+/publish") ==
             MOSQ_ERR_ACL_DENIED);
}

BOOST_AUTO_TEST_CASE(reload_reads_the_files_again) {
  ScratchDir dir;
  LoadedPlugin p;
  const auto keys = dir.write("keys", kKey + "\n");
  BOOST_REQUIRE(p.start({{"key_file", keys}}) == MOSQ_ERR_SUCCESS);
  const Device d = Device::random();
  const std::string old_password = d.password(kKey, 0);
  const std::string new_password = d.password("added-key", 0);
  BOOST_TEST(p.login(d.client_id.c_str(), d.mac.c_str(), new_password.c_str()) == MOSQ_ERR_AUTH);

  dir.write("keys", "added-key\n");
  mosquitto_evt_reload reload{};
  BOOST_TEST(p.fire(MOSQ_EVT_RELOAD, &reload) == MOSQ_ERR_PLUGIN_DEFER);
  BOOST_TEST(logged(MOSQ_LOG_INFO, "meross-auth: reloaded 1 key(s)"), all_log());
  BOOST_TEST(p.login(d.client_id.c_str(), d.mac.c_str(), new_password.c_str()) == MOSQ_ERR_SUCCESS);
  BOOST_TEST(p.login(d.client_id.c_str(), d.mac.c_str(), old_password.c_str()) == MOSQ_ERR_AUTH);

  // A broken file on reload keeps what was loaded before.
  dir.write("keys", "bad key\n");
  BOOST_TEST(p.fire(MOSQ_EVT_RELOAD, &reload) == MOSQ_ERR_PLUGIN_DEFER);
  BOOST_TEST(logged(MOSQ_LOG_ERR,
                    "line 1: a key is printable ASCII without spaces; keeping the "
                    "previous configuration"),
             all_log());
  BOOST_TEST(p.login(d.client_id.c_str(), d.mac.c_str(), new_password.c_str()) == MOSQ_ERR_SUCCESS);
}

BOOST_AUTO_TEST_CASE(cleanup_unregisters_everything) {
  ScratchDir dir;
  LoadedPlugin p;
  BOOST_REQUIRE(p.start({{"key_file", dir.write("keys", kKey + "\n")}}) == MOSQ_ERR_SUCCESS);
  BOOST_TEST(broker.callbacks.size() == 3u);
  BOOST_TEST(p.cleanup(p.userdata, nullptr, 0) == MOSQ_ERR_SUCCESS);
  p.started = false;
  BOOST_TEST(broker.callbacks.empty());
}

BOOST_AUTO_TEST_SUITE_END()
