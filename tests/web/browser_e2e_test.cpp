#define BOOST_TEST_MODULE web_browser_e2e
// The web page in a real browser (issue 18): `broker-config` → mosquitto with our auth plugin and
// TLS → meross-sim running a plug and a hub with its sub-devices → the bridge with [web] listen
// on loopback → headless Chromium through chromedriver. The list shows the devices online; a
// press of the plug's button reaches the page without a reload; no key or password is ever in
// the page or the API. Screenshots go to build/artifacts/web/.
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
        << "\n[web]\nlisten = \"127.0.0.1:" << port << "\"\n";
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
