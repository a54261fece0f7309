// Bad input never crashes a simulated device: random requests (a fixed seed, so every run is the
// same) built from the keys and fields the families read, with values of every wrong type, sent
// to the thermostats and hubs over MQTT and HTTP, and random stdin commands.

#include <random>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "device_support.hpp"

using namespace meross;
using namespace meross::sim_test;

namespace {

const std::vector<std::string> kKeys = {
    "mode",     "modeB",    "control",    "windowOpened", "summerMode", "calibration",
    "deadZone", "frost",    "overheat",   "holdAction",   "sensor",     "brightness",
    "lock",     "tempUnit", "latest",     "timer",        "ctlRange",   "alarm",
    "online",   "battery",  "togglex",    "version",      "all",        "temperature",
    "adjust",   "tempHum",  "doorWindow", "smokeAlarm",   "hub",        "delay"};
const std::vector<std::string> kFields = {
    "channel",     "id",       "onoff",     "mode",      "state",      "custom",     "comfort",
    "economy",     "away",     "room",      "heatTemp",  "manualTemp", "targetTemp", "working",
    "work",        "fan",      "fMode",     "speed",     "heat",       "cold",       "status",
    "temperature", "humidity", "value",     "operation", "standby",    "type",       "down",
    "cycle",       "tempUnit", "humiValue", "time"};
const std::vector<std::string> kAtoms = {"null",
                                         "true",
                                         "0",
                                         "1",
                                         "2",
                                         "4",
                                         "23",
                                         "27",
                                         "170",
                                         "-1",
                                         "350",
                                         "2150",
                                         "1e300",
                                         "-1e300",
                                         "12.5",
                                         "9223372036854775807",
                                         "-9223372036854775808",
                                         "18446744073709551615",
                                         "\"\"",
                                         "\"0\"",
                                         "\"0300DF01\"",
                                         "\"01008C11\"",
                                         "\"120027D21C19\"",
                                         "\"28004811B776\"",
                                         "\"160020100486\"",
                                         "{}",
                                         "[]"};

class Generator {
 public:
  explicit Generator(unsigned seed) : rng_(seed) {}

  std::string payload() {
    switch (pick(6)) {
      case 0:
        return "{}";
      case 1:
        return "{\"" + any(kKeys) + "\":" + value(2) + "}";
      default:
        return "{\"" + any(kKeys) + "\":[" + item() + (pick(3) == 0 ? "," + item() : "") + "]}";
    }
  }

  std::vector<std::string> command() {
    static const std::vector<std::string> verbs = {"room", "window", "door", "smoke", "subdevice"};
    static const std::vector<std::string> targets = {
        "0",           "1", "-1", "x", "0300DF01", "01008C11", "120027D21C19", "28004811B776",
        "160020100486"};
    static const std::vector<std::string> words = {
        "20",     "21.5",   "-41",     "101", "nan", "inf", "1e999", "open",
        "closed", "online", "offline", "23",  "25",  "170", "99",    ""};
    std::vector<std::string> out{any(verbs), any(targets), any(words)};
    out.resize(pick(4) + 1);
    return out;
  }

  Method method() {
    static const Method methods[] = {Method::Get, Method::Set, Method::Push};
    return methods[pick(3)];
  }

  template <class T>
  const T& any(const std::vector<T>& list) {
    return list[pick(list.size())];
  }

 private:
  std::size_t pick(std::size_t n) {
    return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng_);
  }

  std::string item() {
    std::string out = "{";
    const std::size_t n = pick(4);
    for (std::size_t i = 0; i < n; ++i) {
      if (i) out += ',';
      out += "\"" + any(kFields) + "\":" + value(1);
    }
    return out + "}";
  }

  std::string value(int depth) {
    if (depth <= 0 || pick(3) != 0) return any(kAtoms);
    if (pick(2) == 0) return "[" + value(depth - 1) + "," + item() + "]";
    return item();
  }

  std::mt19937 rng_;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(hostile_input)

BOOST_AUTO_TEST_CASE(random_requests_and_commands_never_crash_thermostats_or_hubs) {
  Generator gen(15);
  std::vector<std::unique_ptr<sim::Device>> devices;
  for (const char* trace : {"mts200b", "mts960", "msh300-2024", "msh300hk", "smokeAlarm"}) {
    devices.push_back(trace_device(trace));
  }
  devices.push_back(builtin_device("mts300"));
  for (auto& d : devices) {
    bind(*d);
    const auto ability = ask(*d, Method::Get, "Appliance.System.Ability", "{}");
    std::vector<std::string> namespaces;
    for (const auto& m : ability.payload()["ability"].GetObject())
      namespaces.emplace_back(m.name.GetString());
    std::int64_t now = kT0;
    for (int i = 0; i < 3000; ++i) {
      now += 250;
      const std::string ns = gen.any(namespaces);
      const std::string payload = gen.payload();
      BOOST_TEST_CONTEXT(d->type() << " " << ns << " " << payload) {
        const auto r = d->receive(request(gen.method(), ns, payload, now), now);
        for (const auto& o : r.messages)
          BOOST_TEST(parse_all({o}).size() == 1u);
        d->http_request(request(gen.method(), ns, payload, now), now);
      }
      if (i % 10 == 0) d->command(gen.command(), now);
      if (i % 50 == 0) parse_all(d->tick(now));
    }
    // Still a working device.
    BOOST_TEST(ask(*d, Method::Get, "Appliance.System.All", "{}").payload().HasMember("all"));
    BOOST_TEST(!state_of(*d, now).ObjectEmpty());
  }
}

BOOST_AUTO_TEST_SUITE_END()
