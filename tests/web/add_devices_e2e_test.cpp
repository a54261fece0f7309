#define BOOST_TEST_MODULE web_add_devices_e2e
// Add devices from the page (issue 18), in a real browser: `broker-config` → mosquitto with our
// auth plugin and TLS → the bridge with [web] listen on loopback; devices still "on the Meross
// cloud" (meross-sim on a stand-in cloud broker with the account's key, each answering its local
// HTTP API on loopback: the plug is the account's, the second plug another account's) and a fake
// Meross cloud holding the account. Headless Chromium signs in, scans, ticks the plug and moves it;
// the plug then shows online in the list. meross-pair runs through a wrapper that records the
// command line and environment each step ran with: neither holds the password or a key, nor does
// any response or log line. Screenshots of each step go to build/artifacts/web/.
#include <sys/stat.h>

#include <fstream>

#include <boost/test/unit_test.hpp>

#include "bridge/local_cloud.hpp"
#include "pairing/fake_account.hpp"
#include "pairing/fake_cloud.hpp"
#include "webdriver.hpp"

using namespace meross::test;
namespace account = meross::test::fake_account;

namespace {

const std::filesystem::path kArtifacts = MEROSS_WEB_ARTIFACTS;

// Runs meross-pair after writing its own command line and environment to DIR/cmdline.N and
// DIR/environ.N: what /proc/<child>/ showed to every user of the machine while the step ran.
std::filesystem::path write_recording_wrapper(const std::filesystem::path& dir) {
  const auto path = dir / "pair-wrapper";
  std::ofstream(path) << "#!/bin/sh\n"
                      << "dir='" << dir.string() << "'\n"
                      << "n=$(ls \"$dir\" | grep -c '^cmdline\\.')\n"
                      << "tr '\\0' ' ' </proc/$$/cmdline >\"$dir/cmdline.$n\"\n"
                      << "tr '\\0' '\\n' </proc/$$/environ >\"$dir/environ.$n\"\n"
                      << "exec '" << MEROSS_PAIR_BIN << "' \"$@\"\n";
  ::chmod(path.c_str(), 0755);
  return path;
}

std::string by_id(const std::string& id, const std::string& what) {
  return "return String(document.getElementById('" + id + "')." + what + ");";
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_device_on_the_meross_cloud_is_moved_from_the_page_and_shows_online) {
  LocalCloud cloud;
  const auto records = cloud.dir.path / "records";
  std::filesystem::create_directories(records);
  const auto wrapper = write_recording_wrapper(records);

  // The devices on "the Meross cloud"; moved, they trust our CA.
  MosquittoBroker meross_cloud_broker;
  ChildProcess sim({MEROSS_SIM_BIN, "--broker", meross_cloud_broker.url(), "--key", account::kKey,
                    "--user-id", account::kUserId, "--http", "0", "--cafile",
                    (cloud.out / "certs" / "ca.crt").string(), "--bind-interval", "1s", "--profile",
                    "mss310", "--profile", "mss310+key=another-accounts-key"});
  BOOST_REQUIRE_MESSAGE(sim.wait_for_output("ready", kWait), sim.output());
  const auto devices = account::sim_http_devices(sim.output());  // uuid, HTTP host
  BOOST_REQUIRE_EQUAL(devices.size(), 2u);
  const std::string uuid = devices[0].first;  // the account's plug; [1] is another account's

  auto options = account::cloud_options();
  options.devices_json = R"([{"uuid":")" + uuid +
                         R"(","devName":"Kitchen plug","deviceType":"mss310",)"
                         R"("fmwareVersion":"6.1.8","onlineStatus":1}])";
  FakeCloud meross_cloud(options);

  // The bridge again, with its page; meross-pair through the wrapper, the fake cloud's API.
  const int port = free_loopback_port();
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/";
  cloud.bridge.reset();
  std::ofstream(cloud.out / "bridge.toml", std::ios::app)
      << "\n[web]\nlisten = \"127.0.0.1:" << port << "\"\n"
      << "pair_command = \"" << wrapper.string() << "\"\n"
      << "device_broker = \"mqtts://127.0.0.1:" << cloud.tls_port << "\"\n"
      << "ca_file = \"" << (cloud.out / "certs" / "ca.crt").string() << "\"\n"
      << "scan = \"" << devices[0].second << " " << devices[1].second << "\"\n";
  cloud.bridge = std::make_unique<ChildProcess>(std::vector<std::string>{
      MEROSS_BRIDGE_BIN, "--config", (cloud.out / "bridge.toml").string()});
  BOOST_REQUIRE_MESSAGE(
      cloud.bridge->wait_for_output("web page on http://127.0.0.1:" + std::to_string(port), kWait),
      cloud.bridge->output());

  WebDriver browser(cloud.dir.path / "chromium");
  const auto status_is = [&](const std::string& step, const std::string& status) {
    return wait_until([&] {
      return browser.execute(
                 "return document.body.dataset.step + '/' + "
                 "document.body.dataset.status") == step + "/" + status;
    });
  };
  browser.navigate(url);
  BOOST_TEST(browser.execute(by_id("add-devices-link", "getAttribute('href')")) == "add.html");
  browser.navigate(url + "add.html");
  BOOST_REQUIRE(wait_until([&] {
    return browser.execute(by_id("ap-fingerprint", "textContent")).find(':') != std::string::npos;
  }));
  BOOST_TEST(browser.execute(by_id("ap-broker", "textContent")) ==
             "mqtts://127.0.0.1:" + std::to_string(cloud.tls_port));
  BOOST_TEST(browser.execute(by_id("ap-command", "textContent"))
                 .find("--broker mqtts://127.0.0.1:" + std::to_string(cloud.tls_port)) !=
             std::string::npos);
  browser.screenshot(kArtifacts / "add-1-start.png");

  // 1. Sign in to the (fake) Meross account: its region API is the fake cloud.
  browser.execute("document.getElementById('api').value = '" + meross_cloud.base() +
                  "'; document.getElementById('email').value = '" + account::kEmail +
                  "'; document.getElementById('password').value = '" + account::kPassword +
                  "'; document.getElementById('sign-in-button').click(); return 'ok';");
  BOOST_REQUIRE_MESSAGE(status_is("account", "done"),
                        browser.source() + "\n" + cloud.bridge->output());
  BOOST_TEST(browser.execute(by_id("password", "value")).empty());
  BOOST_TEST(browser.execute(by_id("account-devices", "textContent")).find("Kitchen plug") !=
             std::string::npos);
  browser.screenshot(kArtifacts / "add-2-signed-in.png");

  // 2-3. Scan the two devices' addresses (the field starts with [web] scan).
  BOOST_TEST(browser.execute(by_id("targets", "value")) ==
             devices[0].second + " " + devices[1].second);
  browser.execute("document.getElementById('scan-button').click(); return 'ok';");
  BOOST_REQUIRE_MESSAGE(status_is("scan", "done"), browser.source());
  BOOST_TEST(
      browser.execute("return String(document.querySelectorAll('#found tbody tr').length)") == "2");
  const std::string row = "document.querySelector('#found tr[data-uuid=\"" + uuid + "\"]')";
  BOOST_TEST(browser.execute("return String(" + row + ".querySelector('input').disabled)") ==
             "false");
  BOOST_TEST(browser.execute("return String(document.querySelector('#found tr[data-uuid=\"" +
                             devices[1].first + "\"] input').disabled)") == "true");
  browser.screenshot(kArtifacts / "add-3-found.png");

  // 4. Tick the plug and move it.
  browser.execute(row +
                  ".querySelector('input').click(); "
                  "document.getElementById('move-button').click(); return 'ok';");
  BOOST_REQUIRE_MESSAGE(status_is("move", "done"), browser.source() + "\n" + sim.output());
  BOOST_TEST(sim.wait_for_output(
      "device " + uuid + " moved to 127.0.0.1:" + std::to_string(cloud.tls_port), kWait));
  browser.screenshot(kArtifacts / "add-4-moved.png");

  // 5. It appears online, on this page and in the device list.
  BOOST_TEST(wait_until([&] {
               return browser.execute("const r = document.querySelector('#moved tr[data-uuid=\"" +
                                      uuid + "\"]'); return r ? r.dataset.online : 'missing';") ==
                      "true";
             }),
             browser.source() + "\n" + cloud.bridge->output());
  browser.screenshot(kArtifacts / "add-5-online.png");
  browser.navigate(url);
  BOOST_TEST(wait_until([&] {
    return browser.execute("const r = document.querySelector('tr[data-uuid=\"" + uuid +
                           "\"]'); return r ? r.dataset.online : 'missing';") == "true";
  }));
  browser.screenshot(kArtifacts / "add-6-device-list.png");
  // The other account's plug was not touched.
  BOOST_TEST(sim.output().find("device " + devices[1].first + " moved") == std::string::npos);

  // No secret in any response, the bridge's log, or a child's command line or environment.
  const std::vector<std::string> secrets{account::kPassword, account::kKey, kKey,
                                         test_md5_hex(account::kPassword)};
  std::vector<std::string> shown{browser.source(), http_get(url + "api/add/state"),
                                 http_get(url + "add.html"), http_get(url + "add.js"),
                                 cloud.bridge->output()};
  int steps = 0;
  for (const auto& entry : std::filesystem::directory_iterator(records)) {
    if (entry.path().filename().string().starts_with("cmdline.")) ++steps;
    if (entry.path().filename() != "pair-wrapper") shown.push_back(read_all(entry.path()));
  }
  BOOST_TEST(steps == 3);  // account, scan, move
  for (const auto& secret : secrets) {
    for (const auto& text : shown)
      BOOST_TEST(text.find(secret) == std::string::npos, "a secret in: " << text.substr(0, 200));
  }
  BOOST_TEST(meross_cloud.problems().empty());
}
