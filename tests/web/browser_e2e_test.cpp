#define BOOST_TEST_MODULE web_browser_e2e
// The web page in a real browser (issue 18): `broker-config` → mosquitto with our auth plugin and
// TLS → meross-sim running a plug and a hub with its sub-devices → the bridge with [web] listen
// on loopback → headless Chromium through chromedriver. The list shows the devices online; a
// press of the plug's button reaches the page without a reload; no key or password is ever in
// the page or the API. Screenshots go to build/artifacts/web/.
#include <algorithm>
#include <fstream>

#include <boost/test/unit_test.hpp>

#include "bridge/sim_cloud.hpp"
#include "webdriver.hpp"

using namespace meross;
using namespace meross::test;

namespace {

constexpr const char* kSensorHub = "msh300-2024-02-23_06-57-23.csv";  // ms100, 2× mts100v3
constexpr const char* kTemperatureSensor = "120027D21C19";            // ms100 behind that hub

const std::filesystem::path kArtifacts = MEROSS_WEB_ARTIFACTS;

// The local cloud with the bridge started again with its web page on.
struct WebCloud : SimulatedCloud {
  int port = free_loopback_port();
  std::string url = "http://127.0.0.1:" + std::to_string(port) + "/";

  WebCloud() {
    cloud.bridge.reset();
    std::ofstream(cloud.out / "bridge.toml", std::ios::app)
        << "\n[web]\nlisten = \"127.0.0.1:" << port << "\"\n"
        << "ca_file = \"" << (cloud.out / "certs" / "ca.crt").string() << "\"\n";
    cloud.bridge = std::make_unique<ChildProcess>(std::vector<std::string>{
        MEROSS_BRIDGE_BIN, "--config", (cloud.out / "bridge.toml").string()});
    BOOST_REQUIRE_MESSAGE(cloud.bridge->wait_for_output(
                              "web page on http://127.0.0.1:" + std::to_string(port), kWait),
                          cloud.bridge->output());
  }

  std::vector<std::string> secrets() const {
    return {kKey, trimmed(read_all(cloud.out / "bridge-password")),
            trimmed(read_all(cloud.out / "homeassistant-password"))};
  }
};

// A script reading the row of `uuid`: `expression` over `r`, the row ("missing" without one).
std::string row_script(const std::string& uuid, const std::string& expression) {
  return "const r = document.querySelector('tr[data-uuid=\"" + uuid + "\"]');" +
         "return r ? String(" + expression + ") : 'missing';";
}

}  // namespace

BOOST_AUTO_TEST_CASE(the_device_list_shows_the_devices_live_and_never_a_key) {
  WebCloud w;
  w.start_sim({kSensorHub}, {"--profile", "mss310"});
  const std::string plug = w.uuid_of("mss310");
  const std::string hub = w.uuid_of("msh300");

  WebDriver browser(w.cloud.dir.path / "chromium");
  browser.navigate(w.url);
  const auto online = [&](const std::string& uuid) {
    return browser.execute(row_script(uuid, "r.dataset.online")) == "true";
  };
  BOOST_TEST(wait_until([&] { return online(plug) && online(hub) && online(kTemperatureSensor); }),
             browser.source());
  const auto switch_text = [&] {
    return browser.execute(row_script(plug, "r.querySelector('td.state span')?.textContent"));
  };
  BOOST_REQUIRE(wait_until([&] { return switch_text() == "on" || switch_text() == "off"; }));
  BOOST_TEST(browser.execute(row_script(plug, "r.querySelector('td.name').textContent")) ==
             "mss310");
  BOOST_TEST(browser.execute("return document.getElementById('live-text').textContent") == "live");
  browser.screenshot(kArtifacts / "devices.png");

  // The plug's button: the page follows without a reload (the marker survives).
  const std::string before = switch_text();
  const std::string after = before == "on" ? "off" : "on";
  browser.execute("window.notReloaded = true; return 'set';");
  w.sim->write_stdin("press " + plug + "\n");
  BOOST_TEST(wait_until([&] { return switch_text() == after; }), browser.source());
  BOOST_TEST(browser.execute("return String(window.notReloaded === true)") == "true");
  browser.screenshot(kArtifacts / "devices-after-press.png");

  // "Read again" goes to the daemon, which reads the plug as after a broker outage.
  browser.execute(row_script(plug, "r.querySelector('button').click()"));
  BOOST_TEST(
      w.cloud.bridge->wait_for_output(plug + ": read again, as asked on the web page", kWait));

  // Nothing the page or its API shows holds a secret.
  const std::vector<std::string> shown{browser.source(), http_get(w.url),
                                       http_get(w.url + "app.js"), http_get(w.url + "api/devices"),
                                       http_get(w.url + "api/bridge")};
  for (const auto& secret : w.secrets()) {
    BOOST_REQUIRE(!secret.empty());
    for (const auto& text : shown)
      BOOST_TEST(text.find(secret) == std::string::npos);
  }
  BOOST_TEST(http_get(w.url + "api/devices").find(plug) != std::string::npos);
}

// The device page (issue 18): the plug's entities, abilities and the messages of a "read again",
// masked; a rename from the page reaches Home Assistant's discovery and the configuration file;
// the bridge panel's log tail filters by level; the CA download is the certificate only.
BOOST_AUTO_TEST_CASE(the_device_page_renames_and_the_log_tail_filters) {
  WebCloud w;
  w.start_sim({}, {"--profile", "mss310"});
  const std::string plug = w.uuid_of("mss310");
  std::string lower = plug;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });

  WebDriver browser(w.cloud.dir.path / "chromium");
  browser.navigate(w.url);
  BOOST_REQUIRE(
      wait_until([&] { return browser.execute(row_script(plug, "r.dataset.online")) == "true"; }));
  // From the list to the device's page, by its link (relative: ingress).
  browser.execute(row_script(plug, "r.querySelector('td.name a').click()"));
  const auto count = [&](const std::string& selector) {
    return browser.execute("return String(document.querySelectorAll('" + selector + "').length)");
  };
  BOOST_TEST(wait_until([&] { return count("#entities tbody tr[data-key=\"switch_0\"]") == "1"; }),
             browser.source());
  BOOST_TEST(browser.execute("return location.search") == "?uuid=" + plug);
  BOOST_TEST(count("#abilities tbody tr[data-namespace=\"Appliance.System.All\"]") == "1");
  const auto state = browser.execute(
      "return document.querySelector('#entities tr[data-key=\"switch_0\"] td:last-child')"
      ".textContent");
  BOOST_TEST((state == "ON" || state == "OFF"), state);

  // Read again: the requests and their answers show up, in both directions.
  browser.execute("document.getElementById('reread').click(); return 'ok';");
  BOOST_TEST(wait_until([&] {
               return count("#messages tr[data-direction=\"out\"]") != "0" &&
                      count("#messages tr[data-direction=\"in\"]") != "0";
             }),
             browser.source());
  browser.screenshot(kArtifacts / "device.png");

  // Rename from the page.
  const std::string name = "Kettle e2e";
  w.cloud.ha->clear();
  browser.execute("document.getElementById('rename-name').value = '" + name +
                  "'; document.getElementById('rename-save').click(); return 'ok';");
  const auto saved = [&] {
    return browser.execute("return document.getElementById('rename-status').dataset.saved || ''");
  };
  BOOST_TEST(wait_until([&] { return saved() == "true"; }), browser.source());
  const auto discovery = w.cloud.ha->wait_for(
      [&](const MqttTestClient::Message& m) {
        return m.topic.starts_with("homeassistant/") && m.topic.find(lower) != std::string::npos &&
               m.topic.ends_with("/config") &&
               m.payload.find("\"name\":\"" + name + "\"") != std::string::npos;
      },
      kWait);
  BOOST_TEST(discovery.has_value());
  BOOST_TEST(read_all(w.cloud.out / "bridge.toml").find("name = \"" + name + "\"") !=
             std::string::npos);
  BOOST_TEST(wait_until([&] {
    return browser.execute("return document.getElementById('device-title').textContent") == name;
  }));
  browser.screenshot(kArtifacts / "rename.png");

  // Nothing the device page or its API shows holds a secret.
  const std::vector<std::string> shown{browser.source(), http_get(w.url + "api/devices/" + plug),
                                       http_get(w.url + "device.js")};
  for (const auto& secret : w.secrets()) {
    for (const auto& text : shown)
      BOOST_TEST(text.find(secret) == std::string::npos);
  }

  // The log tail: the rename's line at info; a refused request's warning; warnings only when
  // asked for.
  BOOST_TEST(http_get(w.url + "api/devices/not-a-device").find("not a device uuid") !=
             std::string::npos);
  browser.navigate(w.url);
  const auto log_has = [&](const std::string& text) {
    return browser.execute(
               "return String([...document.querySelectorAll('#log tbody tr')]"
               ".some((r) => r.textContent.includes('" +
               text + "')))") == "true";
  };
  BOOST_TEST(wait_until([&] { return log_has("renamed on the web page") && log_has("web: 400"); }),
             browser.source());
  browser.execute(
      "const s = document.getElementById('log-level'); s.value = 'warning';"
      "window.merossLogUpdates = 0; s.dispatchEvent(new Event('change')); return 'ok';");
  BOOST_TEST(wait_until([&] {
    return browser.execute("return String(window.merossLogUpdates > 0)") == "true" &&
           !log_has("renamed on the web page");
  }));
  BOOST_TEST(log_has("web: 400"));
  BOOST_TEST(browser.execute("return String([...document.querySelectorAll('#log tbody tr')]"
                             ".every((r) => r.dataset.level !== 'info' && "
                             "r.dataset.level !== 'debug'))") == "true");
  browser.screenshot(kArtifacts / "log.png");

  // The CA download: the broker's CA certificate, never its key.
  BOOST_TEST(browser.execute("return String(document.getElementById('ca-download').hidden)") ==
             "false");
  const auto pem = http_get(w.url + "api/ca.pem");
  BOOST_TEST(pem.find("-----BEGIN CERTIFICATE-----") == 0u);
  BOOST_TEST(pem.find("PRIVATE") == std::string::npos);
  BOOST_TEST(pem == read_all(w.cloud.out / "certs" / "ca.crt"));
}
