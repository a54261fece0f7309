#pragma once

// What the web server answers, decided without a socket: access (ingress-only, password), then
// the route. The server (web/server.hpp) parses HTTP with Boost.Beast and hands each request here
// as plain values, so every rule is a unit test.
//
// Every path is relative to where the page is served from: under Home Assistant's ingress the
// browser sees /api/hassio_ingress/<token>/ and the gateway strips that prefix, so the page and its
// scripts only ever use relative URLs and the server never makes an absolute one.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace meross::web {

// Home Assistant's ingress gateway as add-ons see it (the Supervisor's fixed address).
inline constexpr std::string_view kIngressGateway = "172.30.32.2";
// The header a POST must carry: a page of another site cannot set it without a CORS preflight,
// which this server never grants, so it cannot make a logged-in browser act.
inline constexpr std::string_view kActionHeader = "X-Meross-Web";

struct Access {
  std::string password;       // "" = none
  bool ingress_only = false;  // only kIngressGateway and loopback
};

struct Request {
  std::string method;          // "GET", "POST", ...
  std::string target;          // as sent: "/api/devices?x=1"
  std::string authorization;   // the Authorization header ("" = none)
  std::string remote;          // the peer's address: "127.0.0.1", "::1", "::ffff:172.30.32.2"
  bool action_header = false;  // kActionHeader present
  std::string body;            // at most the server's body limit
};

struct Response {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  bool events = false;  // api/events: the server starts the event stream instead
};

// The device page, rename, the log tail and the CA download (route_pages).
struct PageRoutes {
  // The device page's JSON (web/device_page.hpp) of a device the last snapshot listed: nullopt
  // for any other; a null pointer while the daemon has not built it yet (the page asks again).
  // Asking makes the device watched: its messages are recorded from then on.
  std::function<std::optional<std::shared_ptr<const std::string>>(const std::string& uuid)> device;
  // Queues a rename for the daemon's thread (name already valid); false when no such device.
  std::function<bool(const std::string& uuid, const std::string& name)> rename;
  // The log tail as JSON, lines at this spdlog level or above (web/log_tail.hpp).
  std::function<std::string(int min_level)> log;
  std::string ca_file;  // "" = none
};

// What the routes read and do. The snapshots are the latest the daemon made (null: none yet).
struct Routes {
  std::shared_ptr<const std::string> devices;  // JSON array
  std::shared_ptr<const std::string> bridge;   // JSON object
  // Asks the daemon to read this device again; false when no such device is known.
  std::function<bool(const std::string& uuid)> reread;
  std::shared_ptr<const PageRoutes> pages = nullptr;  // null: none of their routes
  // Add devices (web/onboarding.hpp): a request below /api/add/, with the rest of its path.
  std::function<Response(const Request& request, std::string_view path)> add_devices = {};
};

bool remote_allowed(std::string_view remote, bool ingress_only);
// HTTP Basic with any user name and `password`; compared in constant time.
bool password_ok(std::string_view authorization, std::string_view password);

Response route(const Request& request, const Access& access, const Routes& routes);

// api/devices/<uuid> (GET), api/devices/<uuid>/name (POST {"name": "…"}), api/log?level=…
// (GET), api/ca.pem (GET): nullopt for any other path. Called by route() after access checks.
std::optional<Response> route_pages(const Request& request, std::string_view path,
                                    const PageRoutes& pages);

// Only the certificates of a PEM text (each BEGIN/END CERTIFICATE block whose body is base64),
// never a key or anything else it holds; "" when it has none.
std::string certificates_only(std::string_view pem);

// A short error: `status` with a one-line message.
Response error(int status, std::string message);

}  // namespace meross::web
